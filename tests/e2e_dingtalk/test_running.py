"""``duban run`` with 钉钉 alone: no Telegram token, the 钉钉 channel serves, a person binds,
and /healthz says whether the Stream connection is open; refused credentials stop the start."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot.config import DingTalk, Secret, Settings
from bot.domain.org import Role
from bot.emulators.dingtalk import DingTalkEmulator, DingTalkPeople
from bot.running import StartupError, serve
from bot.services import onboarding
from bot.services.context import Office
from bot.services.daily import is_done, latest_due_day
from tests.organisation import until

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])

def settings_for(tmp_path: Path, dingtalk: DingTalkEmulator, database_url: str | None, secret: str | None = None) -> Settings:
    world = dingtalk.world
    return Settings(
        token=None, db_path=tmp_path / "duban.db", database_url=database_url, archive_dir=tmp_path / "archive",
        health_port=free_port(),
        dingtalk=DingTalk(client_id=world.client_id, client_secret=Secret(secret or world.client_secret), agent_id=world.agent_id,
                          endpoint=dingtalk.url, oapi_endpoint=dingtalk.url),
    )

@pytest.fixture
async def office(tmp_path: Path, dingtalk: DingTalkEmulator, database_url: str | None) -> AsyncIterator[Office]:
    opened = await Office.open(settings_for(tmp_path, dingtalk, database_url))
    yield opened
    await opened.db.close()

async def healthz(port: int) -> dict[str, object]:
    async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{port}/healthz") as answer:
        return await answer.json()  # type: ignore[no-any-return]

async def test_dingtalk_alone_serves_and_health_reports_the_stream(office: Office, people: DingTalkPeople, dingtalk: DingTalkEmulator):
    stop = asyncio.Event()
    running = asyncio.create_task(serve(office, stop))
    port = office.settings.health_port

    async def connected() -> bool:
        try:
            return (await healthz(port)).get("dingtalk_stream") == "connected"
        except aiohttp.ClientError:
            return False

    try:
        await until(connected, timeout=20)

        async def checked() -> bool:  # no Telegram job queue: the daily check runs on its own schedule
            return await is_done(office, latest_due_day(office, office.now()))

        await until(checked, timeout=20)

        person = await onboarding.add_person(office, "刘局长", frozenset({Role.LEADER}), office.now(), None, None, "")
        invite = await onboarding.create_invite(office, person.id, office.now())
        liu = await people.add_person("刘局长", userid="liuju")
        await liu.send(invite.code)
        await liu.wait_for(text_contains="绑定成功", timeout=10)

        # The app's secret is changed in 钉钉 and the connection drops: it cannot be opened
        # again, and the health says so.
        dingtalk.world.client_secret = "rotated"
        await people.drop_stream(warn=False)

        async def disconnected() -> bool:
            return (await healthz(port)).get("dingtalk_stream") == "disconnected"

        await until(disconnected, timeout=10)
    finally:
        stop.set()
        await asyncio.wait_for(running, 30)

async def test_refused_credentials_stop_the_start_with_one_line(tmp_path: Path, dingtalk: DingTalkEmulator, database_url: str | None):
    office = await Office.open(settings_for(tmp_path, dingtalk, database_url, secret="wrong"))
    try:
        with pytest.raises(StartupError, match="钉钉拒绝了应用凭证"):
            await serve(office, asyncio.Event())
    finally:
        await office.db.close()
