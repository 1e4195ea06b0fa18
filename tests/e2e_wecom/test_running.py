"""``serve`` with 企业微信 alone: no Telegram token, the callback server answers 企业微信's URL
check, a member binds, the daily check runs on its own schedule, and /healthz says the callback
server listens; a secret 企业微信 refuses stops the start with one line."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

import aiohttp
import pytest

from bot.config import Secret, Settings
from bot.domain.org import Role
from bot.emulators.wecom import WecomEmulator, WecomPerson
from bot.running import StartupError, serve
from bot.services import onboarding
from bot.services.context import Office
from bot.services.daily import is_done, latest_due_day
from tests.e2e.test_run import free_port
from tests.e2e_wecom.conftest import wecom_settings
from tests.organisation import until


def settings_for(tmp_path: Path, wecom: WecomEmulator, database_url: str | None, secret: str | None = None) -> Settings:
    app = wecom_settings(wecom, port=free_port())
    if secret is not None:
        app = dataclasses.replace(app, secret=Secret(secret))
    return Settings(token=None, db_path=tmp_path / "duban.db", database_url=database_url, archive_dir=tmp_path / "archive",
                    health_port=free_port(), wecom=app)


async def healthz(port: int) -> dict[str, object]:
    async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{port}/healthz") as answer:
        return await answer.json()  # type: ignore[no-any-return]


async def test_wecom_alone_serves_and_health_reports_the_callback_server(tmp_path: Path, wecom: WecomEmulator, database_url: str | None):
    office = await Office.open(settings_for(tmp_path, wecom, database_url))
    stop = asyncio.Event()
    running = asyncio.create_task(serve(office, stop))
    port = office.settings.health_port

    async def listening() -> bool:
        try:
            return (await healthz(port)).get("wecom_callback") == "listening"
        except aiohttp.ClientError:
            return False

    try:
        await until(listening, timeout=20)
        await wecom.set_callback_url(f"http://127.0.0.1:{office.settings.wecom.port}/wecom/callback")  # the URL check passes

        async def checked() -> bool:  # no Telegram job queue: the daily check runs on its own schedule
            return await is_done(office, latest_due_day(office, office.now()))

        await until(checked, timeout=20)
        person = await onboarding.add_person(office, "刘局长", frozenset({Role.LEADER}), office.now(), None, None, "")
        invite = await onboarding.create_invite(office, person.id, office.now())
        wecom.add_member("liuju", "刘局长")
        liu = WecomPerson(wecom, "liuju")
        await liu.send(invite.code)
        await liu.wait_for("绑定成功", timeout=10)
    finally:
        stop.set()
        await asyncio.wait_for(running, 30)
        await office.db.close()


async def test_a_refused_secret_stops_the_start_with_one_line(tmp_path: Path, wecom: WecomEmulator, database_url: str | None):
    office = await Office.open(settings_for(tmp_path, wecom, database_url, secret="wrong"))
    try:
        with pytest.raises(StartupError, match="企业微信未能发放访问凭证"):
            await serve(office, asyncio.Event())
    finally:
        await office.db.close()
