"""End-to-end fixtures for 企业微信: the real bot serving Telegram and 企业微信 at once — the
Telegram Application polling the Telegram emulator, the 企业微信 channel's callback server
called by the 企业微信 emulator and calling its server API, over HTTP — on a real database;
people join through real invites on the channel they use.

The driver a scenario needs is ``WecomPerson`` (``send``, ``press``, ``wait_for``), as the
Telegram and 钉钉 clients have it; :meth:`Organisation.join_wecom` gives one bound person."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from telegram.ext import Application

from bot.channels.telegram.app import build_application, start_bot, stop_bot
from bot.channels.wecom.channel import WecomChannel
from bot.config import Secret, Settings, Wecom
from bot.domain.org import Role
from bot.emulators.telegram import EmulatorServer, Simulator
from bot.emulators.telegram.rules import Rules
from bot.emulators.wecom import CallbackSettings, WecomEmulator, WecomPerson
from bot.services.context import Office
from tests.organisation import Member, small_city
from tests.organisation import Organisation as TelegramOrganisation


@pytest.fixture
async def emulator() -> AsyncIterator[EmulatorServer]:
    """The Telegram emulator, its per-chat pacing off."""
    async with EmulatorServer(rules=Rules(rate_limits=False)) as server:
        yield server


@pytest.fixture
async def wecom() -> AsyncIterator[WecomEmulator]:
    """The 企业微信 emulator; a callback not answered within 1 s is sent again, three times."""
    async with WecomEmulator(callback=CallbackSettings(timeout=1.0, retry_interval=0.2, retries=3)) as server:
        yield server


def wecom_settings(wecom: WecomEmulator, port: int = 0) -> Wecom:
    return Wecom(corp_id=wecom.corp_id, agent_id=wecom.agent_id, secret=Secret(wecom.secret), token=Secret(wecom.token),
                 encoding_aes_key=Secret(wecom.encoding_aes_key), api_url=wecom.url, port=port)


@pytest.fixture
async def office(tmp_path: Path, emulator: EmulatorServer, wecom: WecomEmulator, database_url: str | None) -> AsyncIterator[Office]:
    """The office with both channels configured, each pointed at its emulator."""
    settings = Settings(
        token=Secret(emulator.token), api_url=emulator.url, db_path=tmp_path / "duban.db", database_url=database_url,
        archive_dir=tmp_path / "archive", bot_username="duban_demo_bot", wecom=wecom_settings(wecom),
    )
    office = await Office.open(settings)
    yield office
    await office.db.close()


@pytest.fixture
async def bot(office: Office) -> AsyncIterator[Application]:  # type: ignore[type-arg]
    """The real Telegram Application, polling."""
    application = build_application(office, per_second=0, per_chat_interval=0, schedule=False)
    await start_bot(application, poll_timeout=1)
    yield application
    await stop_bot(application)


@pytest.fixture
async def channel(office: Office, bot: Application, wecom: WecomEmulator) -> AsyncIterator[WecomChannel]:  # type: ignore[type-arg]
    """The 企业微信 channel beside it, its callback URL saved in the admin console (checked)."""
    served = WecomChannel(office, port=0, per_second=0)
    await served.start()
    await wecom.set_callback_url(served.url)
    yield served
    await served.stop()


class Organisation(TelegramOrganisation):
    """Builds a small organisation; people join on Telegram or on 企业微信 with one-time invites."""

    def __init__(self, office: Office, simulator: Simulator, wecom: WecomEmulator) -> None:
        super().__init__(office, simulator)
        self.wecom = wecom

    def member(self, userid: str, name: str) -> WecomPerson:
        """A member of the corporation, not yet bound."""
        self.wecom.add_member(userid, name)
        return WecomPerson(self.wecom, userid)

    async def join_wecom(self, name: str, *roles: Role, userid: str, unit: str | None = None, section: str | None = None) -> Member:
        person, code = await self.invited(name, *roles, unit=unit, section=section)
        user = self.member(userid, name)
        await user.send(f"/start {code}")
        await user.wait_for("绑定成功", timeout=10)
        return Member(await self.bound(person), user)


@pytest.fixture
def organisation(office: Office, simulator: Simulator, wecom: WecomEmulator, channel: WecomChannel) -> Organisation:
    """An empty organisation served on both channels."""
    return Organisation(office, simulator, wecom)


@pytest.fixture
async def city(organisation: Organisation) -> dict[str, Member]:
    """A clerk on Telegram; 住建局's official on 企业微信, 交通运输局's on Telegram."""
    return await small_city(organisation, organisation.join_wecom)
