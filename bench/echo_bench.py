"""Echo benchmark for the Telegram Bot API emulator (not a test).

Measures:

1. Updates per second a bare PTB echo bot handles against the emulator: N user messages
   are injected at once, the clock stops when all N echoes have arrived (sequential
   handling, long polling, flood control off).
2. The emulator's own cost per request: raw getMe / sendMessage over HTTP with a
   keep-alive aiohttp client in the same process, PTB's ``Bot.send_message`` (httpx) for
   comparison, and sendMessage dispatched in-process (no HTTP) to isolate the handler.
   Client and server share one process and event loop, so HTTP figures include both.

Run: ``.venv/bin/python bench/echo_bench.py [--updates 2000] [--requests 2000]``
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import time

import aiohttp
from telegram import Update
from telegram.ext import ContextTypes, MessageHandler, filters

from bot.emulators.telegram import EmulatorServer, Rules, Simulator
from bot.emulators.telegram import methods as bot_methods
from bot.channels.telegram.ptb import application_builder, make_bot


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The bare echo handler."""
    await context.bot.send_message(update.effective_chat.id, update.effective_message.text)


async def wait_bot_messages(server: EmulatorServer, chat_id: int, count: int, timeout: float = 120) -> None:
    """Waits until the bot has sent ``count`` messages to ``chat_id``."""
    chat = server.state.chats[chat_id]
    deadline = time.monotonic() + timeout
    while len(chat.bot_events) < count:
        if time.monotonic() > deadline:
            raise TimeoutError(f"only {len(chat.bot_events)}/{count} echoes")
        await server.state.wait_changed(server.state.seq, deadline - time.monotonic(), chat)


async def bench_echo(updates: int, in_flight: int | None = None) -> float:
    """Updates/s handled by a PTB echo bot: the updates sent all at once, or with ``in_flight``
    sent and not yet answered at any time (as the lookup bench sends its commands)."""
    async with EmulatorServer(rules=Rules(rate_limits=False)) as server:
        app = application_builder(server).build()
        app.add_handler(MessageHandler(filters.TEXT, echo))
        await app.initialize()
        await app.start()
        await app.updater.start_polling(poll_interval=0, timeout=10)
        try:
            user = await Simulator(server).create_user("Bench")
            warmup = 50
            for i in range(warmup):
                await user.send(f"warm {i}")
            await wait_bot_messages(server, user.id, warmup)
            started = time.perf_counter()
            for i in range(updates):
                if in_flight is not None and i >= in_flight:
                    await wait_bot_messages(server, user.id, warmup + i - in_flight + 1, timeout=600)
                await user.send(f"message {i}")
            await wait_bot_messages(server, user.id, warmup + updates)
            elapsed = time.perf_counter() - started
        finally:
            await app.updater.stop()
            await app.stop()
            await app.shutdown()
    return updates / elapsed


async def bench_requests(requests: int) -> dict[str, float]:
    """Microseconds per raw request, over HTTP and in-process."""
    results: dict[str, float] = {}
    async with EmulatorServer(rules=Rules(rate_limits=False)) as server:
        user = await Simulator(server).create_user("Raw")
        api = f"{server.api_url}{server.token}"
        async with aiohttp.ClientSession() as session:
            for name, url, data in (
                ("getMe over HTTP", f"{api}/getMe", None),
                (
                    "sendMessage over HTTP",
                    f"{api}/sendMessage",
                    {"chat_id": str(user.id), "text": "hello <b>x</b>", "parse_mode": "HTML"},
                ),
            ):
                for phase in ("warmup", "measure"):
                    n = 100 if phase == "warmup" else requests
                    started = time.perf_counter()
                    for _ in range(n):
                        async with session.post(url, data=data) as response:
                            await response.read()
                    results[name] = (time.perf_counter() - started) / n * 1e6
        async with make_bot(server) as bot:
            started = time.perf_counter()
            for _ in range(requests):
                await bot.send_message(user.id, "hello")
            results["PTB Bot.send_message round trip"] = (time.perf_counter() - started) / requests * 1e6
        params = {"chat_id": user.id, "text": "hello <b>x</b>", "parse_mode": "HTML"}
        started = time.perf_counter()
        for _ in range(requests):
            await bot_methods.call(server.methods, "sendMessage", params)
        results["sendMessage handler, in-process"] = (time.perf_counter() - started) / requests * 1e6
    return results


def main() -> None:
    """Runs both benchmarks and prints the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args()
    print(f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs")
    rate = asyncio.run(bench_echo(args.updates))
    print(f"PTB echo bot: {rate:,.0f} updates/s ({args.updates} updates, {1e6 / rate:,.0f} µs per update)")
    for name, micros in asyncio.run(bench_requests(args.requests)).items():
        print(f"{name:34s} {micros:8.1f} µs/request  ({args.requests} requests)")


if __name__ == "__main__":
    main()
