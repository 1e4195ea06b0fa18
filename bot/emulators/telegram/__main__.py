"""Runs the emulator standalone: ``python -m bot.emulators.telegram [--host H] [--port P] [--no-rate-limits]``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging

from bot.emulators.telegram.rules import Rules
from bot.emulators.telegram.server import DEFAULT_TOKEN, EmulatorServer


async def serve(host: str, port: int, token: str, rules: Rules) -> None:
    """Starts the server, prints its URLs and runs until cancelled."""
    async with EmulatorServer(host=host, port=port, token=token, rules=rules) as server:
        print(f"Telegram Bot API emulator on {server.url}", flush=True)
        print(f"  bot API:     {server.api_url}<token>/<method>   token: {server.token}", flush=True)
        print(f"  control API: {server.url}/_emulator", flush=True)
        await asyncio.Event().wait()


def main() -> None:
    """Parses the command line and serves until Ctrl-C."""
    parser = argparse.ArgumentParser(description="Local Telegram Bot API emulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", default=DEFAULT_TOKEN)
    parser.add_argument("--no-rate-limits", action="store_true", help="disable flood control")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.host, args.port, args.token, Rules(rate_limits=not args.no_rate_limits)))


if __name__ == "__main__":
    main()
