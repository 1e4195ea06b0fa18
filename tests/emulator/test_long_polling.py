"""getUpdates long polling (no spinning, prompt shutdown) and webhook delivery."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web
from telegram import Bot
from telegram.error import Conflict

from bot.emulators.telegram import EmulatorServer, Simulator
from bot.channels.telegram.ptb import make_bot


async def test_idle_long_poll_does_not_spin(bot: Bot) -> None:
    cpu = time.process_time()
    assert await bot.get_updates(timeout=1) == ()
    assert time.process_time() - cpu < 0.3  # a spinning poll would burn ~1 s of CPU


async def test_shutdown_releases_long_poll() -> None:
    server = EmulatorServer()
    await server.start()
    url = f"{server.api_url}{server.token}/getUpdates"
    async with aiohttp.ClientSession() as session:
        poll = asyncio.create_task(session.post(url, data={"timeout": "30"}))
        await asyncio.sleep(0.05)
        await server.stop()
        # A 30 s long poll answered within 5 s: shutdown released it.
        response = await asyncio.wait_for(poll, 5)
        assert (await response.json()) == {"ok": True, "result": []}


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[str, asyncio.Queue[tuple[dict, str | None]]]]:
    """A small aiohttp webhook receiver; yields its URL and a queue of (update, secret)."""
    received: asyncio.Queue[tuple[dict, str | None]] = asyncio.Queue()

    async def handle(request: web.Request) -> web.Response:
        await received.put((await request.json(), request.headers.get("X-Telegram-Bot-Api-Secret-Token")))
        return web.Response()

    app = web.Application()
    app.router.add_post("/hook", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}/hook", received
    await runner.cleanup()


async def test_webhook_delivery(
    bot: Bot, simulator: Simulator, receiver: tuple[str, asyncio.Queue[tuple[dict, str | None]]]
) -> None:
    url, received = receiver
    user = await simulator.create_user("Hook")
    assert await bot.set_webhook(url, secret_token="s3cret")
    assert (await bot.get_webhook_info()).url == url
    with pytest.raises(Conflict, match="(?i)can't use getUpdates method while webhook is active"):
        await bot.get_updates()
    await user.send("via webhook")
    update, secret = await asyncio.wait_for(received.get(), 5)
    assert update["message"]["text"] == "via webhook" and secret == "s3cret"
    assert await bot.delete_webhook()
    await user.send("via polling")
    assert (await bot.get_updates())[0].message.text == "via polling"


async def test_webhook_failure_is_reported(bot: Bot, simulator: Simulator, emulator: EmulatorServer) -> None:
    user = await simulator.create_user("Down")
    await bot.set_webhook("http://127.0.0.1:9/nothing-listens-here")
    await user.send("lost?")
    for _ in range(100):
        info = await bot.get_webhook_info()
        if info.last_error_message:
            break
        await asyncio.sleep(0.02)
    assert info.last_error_message and info.pending_update_count == 1


async def test_a_fresh_server_answers_at_once() -> None:
    """Started and stopped per test (its start-up time is a figure for bench/, not a test)."""
    async with EmulatorServer() as server:
        async with make_bot(server) as bot:
            assert (await bot.get_me()).username
