"""Runs the 企业微信 emulator standalone:
``python -m bot.emulators.wecom [--host H] [--port P] [--callback URL] [--member userid:name ...]``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging

from bot.emulators.wecom.server import WecomEmulator


async def serve(host: str, port: int, callback: str | None, members: list[str]) -> None:
    """Starts the emulator, prints what a bot's ``[wecom]`` settings need, runs until cancelled."""
    async with WecomEmulator(host=host, port=port) as wecom:
        wecom.callbacks.settings.url = callback
        for member in members:
            userid, _, name = member.partition(":")
            wecom.add_member(userid, name or userid)
        print(f"企业微信 emulator on {wecom.url} (control API: {wecom.url}/_emulator)", flush=True)
        print(f"  [wecom] api_url = \"{wecom.url}\"  corp_id = \"{wecom.corp_id}\"  agent_id = {wecom.agent_id}", flush=True)
        print(f"  secret = \"{wecom.secret}\"  token = \"{wecom.token}\"", flush=True)
        print(f"  encoding_aes_key = \"{wecom.encoding_aes_key}\"", flush=True)
        await asyncio.Event().wait()


def main() -> None:
    parser = argparse.ArgumentParser(description="Local 企业微信 emulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8082)
    parser.add_argument("--callback", help="the bot's callback URL (接收消息 URL)")
    parser.add_argument("--member", action="append", default=[], help="userid:name, repeatable")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.host, args.port, args.callback, args.member))


if __name__ == "__main__":
    main()
