"""Runs the 钉钉 emulator standalone: ``python -m bot.emulators.dingtalk [--host H] [--port P]``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging

from bot.emulators.dingtalk.server import DingTalkEmulator


async def serve(host: str, port: int) -> None:
    """Starts the server, prints its URLs and credentials and runs until cancelled."""
    async with DingTalkEmulator(host=host, port=port) as server:
        world = server.world
        print(f"钉钉 emulator on {server.url}", flush=True)
        print(f"  client id: {world.client_id}   robot code: {world.robot_code}   agent id: {world.agent_id}", flush=True)
        print(f"  client secret: {world.client_secret}", flush=True)
        print(f"  control API: {server.url}/_emulator", flush=True)
        await asyncio.Event().wait()


def main() -> None:
    """Parses the command line and serves until Ctrl-C."""
    parser = argparse.ArgumentParser(description="Local 钉钉 emulator (Stream gateway and OpenAPI)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8082)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.host, args.port))


if __name__ == "__main__":
    main()
