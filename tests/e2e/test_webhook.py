"""Webhook mode: the emulator POSTs updates to the bot's own webhook server over HTTP, as
Telegram posts them to the reverse proxy, and the bot answers; requests without the secret
token are refused."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import aiohttp

from bot.config import Secret, Settings
from bot.emulator import EmulatorServer, Simulator
from bot.running import running_bot, serve
from bot.services.context import Office

SECRET = "webhook-secret_123"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def eventually(predicate, timeout: float = 10.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            return False
        await asyncio.sleep(0.02)
    return True


async def test_start_through_the_webhook_gets_its_reply(tmp_path: Path, emulator: EmulatorServer, simulator: Simulator):
    port, health_port = free_port(), free_port()
    hook = f"http://127.0.0.1:{port}/telegram/updates"
    settings = Settings(
        token=Secret(emulator.token), api_url=emulator.url, db_path=tmp_path / "duban.db", archive_dir=tmp_path / "archive",
        webhook_url=hook, webhook_listen="127.0.0.1", webhook_port=port, webhook_secret=Secret(SECRET),
        health_port=health_port, send_per_second=0, send_chat_interval=0,
    )
    office = await Office.open(settings)
    stop = asyncio.Event()
    bot = asyncio.create_task(serve(office, stop, webhook=True))
    try:
        assert await eventually(lambda: emulator.state.webhook is not None or bot.done())
        assert emulator.state.webhook is not None and emulator.state.webhook.url == hook
        assert running_bot(settings.db_path).mode == "webhook"  # type: ignore[union-attr]

        stranger = await simulator.create_user("路人")
        await stranger.send("/start")
        reply = await stranger.wait_for(text_contains="邀请链接")
        assert "仅供已登记的工作人员使用" in reply.text

        async with aiohttp.ClientSession() as http:
            update = {"update_id": 999999, "message": {"message_id": 1, "date": 0, "chat": {"id": 1, "type": "private"}, "text": "/start"}}
            async with http.post(hook, json=update) as no_secret:
                assert no_secret.status == 403
            async with http.post(hook, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "guess"}) as wrong:
                assert wrong.status == 403
            async with http.get(f"http://127.0.0.1:{health_port}/healthz") as health:
                assert health.status == 200
                body = await health.json()
        assert body["status"] == "ok" and body["database"] == "ok" and body["uptime_seconds"] >= 0
        assert body["outbox_backlog"] == 0
    finally:
        stop.set()
        await bot
        await office.db.close()
    assert running_bot(settings.db_path) is None
    assert emulator.state.webhook.last_error_message is None  # type: ignore[union-attr]
