"""Webhook mode: the emulator POSTs updates to the bot's own webhook server over HTTP, as
Telegram posts them to the reverse proxy, and the bot answers; requests without the secret
token are refused."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import aiohttp

from bot.config import Secret, Settings
from bot.domain.org import Role, UnitKind
from bot.domain.tasks import SourceType
from bot.emulators.telegram import EmulatorServer, Simulator
from bot.running import running_bot, serve
from bot.edge import TELEGRAM, Account
from bot.services import onboarding
from bot.services.context import Office
from bot.services.issuing import AssignmentDraft, issue_assignment
from bot.storage import org

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


async def test_an_update_posted_twice_is_applied_once(tmp_path: Path, emulator: EmulatorServer, simulator: Simulator):
    """Telegram posts an update again when it did not get the 200 (the bot died after the
    commit): the second post is answered 200 and told as done, and nothing is recorded twice."""
    port = free_port()
    hook = f"http://127.0.0.1:{port}/telegram/updates"
    settings = Settings(
        token=Secret(emulator.token), api_url=emulator.url, db_path=tmp_path / "duban.db", archive_dir=tmp_path / "archive",
        webhook_url=hook, webhook_listen="127.0.0.1", webhook_port=port, webhook_secret=Secret(SECRET),
        health_port=0, send_per_second=0, send_chat_interval=0,
    )
    office = await Office.open(settings)
    now = office.now()
    await onboarding.add_section(office, "综合一科", False, None, now)
    await onboarding.add_unit(office, "住建局", UnitKind.DEPARTMENT, None, now)
    clerk = await onboarding.add_person(office, "王科员", frozenset({Role.CLERK}), now, section_name="综合一科")
    official = await onboarding.add_person(office, "李住建", frozenset({Role.RESPONSIBLE}), now, unit_name="住建局")
    user = await simulator.create_user("李住建")
    await onboarding.redeem_invite(office, (await onboarding.create_invite(office, official.id, now)).code, Account(TELEGRAM, str(user.id)), now)
    unit = await org.unit_by_name(office.db.reader, "住建局")
    draft = AssignmentDraft("城区积水点排查整治", "逐点建立台账。", "市政府安排", SourceType.OTHER, (unit.id,), 7)  # type: ignore[union-attr]
    [issued] = await issue_assignment(office, draft, clerk, now)
    text = f"/feedback {issued.task.number.full} 已完成"
    update = {
        "update_id": 500000,
        "message": {
            "message_id": 9000, "date": int(now.timestamp()), "text": text,
            "chat": {"id": user.id, "type": "private", "first_name": "李住建"},
            "from": {"id": user.id, "is_bot": False, "first_name": "李住建"},
            "entities": [{"type": "bot_command", "offset": 0, "length": len("/feedback")}],
        },
    }
    stop = asyncio.Event()
    bot = asyncio.create_task(serve(office, stop, webhook=True))
    try:
        assert await eventually(lambda: emulator.state.webhook is not None or bot.done())
        async with aiohttp.ClientSession() as http:
            for _ in range(2):
                async with http.post(hook, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}) as answer:
                    assert answer.status == 200
        await user.wait_for(text_contains="已提交")
        await user.wait_for(text_contains="已经办理并记录")
        async with office.db.reader.execute("SELECT count(*) FROM feedback WHERE task_id = ?", (issued.task.id,)) as cur:
            assert (await cur.fetchone())[0] == 1
    finally:
        stop.set()
        await bot
        await office.db.close()
