"""End-to-end fixtures for 钉钉: the real bot serving Telegram and 钉钉 at once — the Telegram
Application polling the Telegram emulator, the 钉钉 channel on the 钉钉 emulator's Stream
gateway and OpenAPI, over HTTP — on a real database; people join through real invites on the
channel they use."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from telegram.ext import Application

from bot.channels.dingtalk.channel import DingTalkChannel
from bot.channels.telegram.app import build_application, start_bot, stop_bot
from bot.config import DingTalk, Secret, Settings
from bot.domain.org import Role
from bot.emulators.dingtalk import DingTalkEmulator, DingTalkPeople
from bot.emulators.dingtalk.client import Person as DingTalkPerson
from bot.emulators.telegram import EmulatorServer, Simulator
from bot.emulators.telegram.rules import Rules
from bot.services.context import Office
from tests.organisation import Member, small_city
from tests.organisation import Organisation as TelegramOrganisation


@pytest.fixture
async def emulator() -> AsyncIterator[EmulatorServer]:
    """The Telegram emulator, its per-chat pacing off."""
    async with EmulatorServer(rules=Rules(rate_limits=False)) as server:
        yield server


@pytest.fixture
async def dingtalk() -> AsyncIterator[DingTalkEmulator]:
    """The 钉钉 emulator; an unacknowledged push is pushed again after 0.5 s."""
    async with DingTalkEmulator() as server:
        server.world.limits.ack_timeout = 0.5
        yield server


@pytest.fixture
async def people(dingtalk: DingTalkEmulator) -> AsyncIterator[DingTalkPeople]:
    """The 钉钉 emulator's control API (its people act through it)."""
    async with DingTalkPeople(dingtalk.url) as control:
        yield control


@pytest.fixture
async def office(tmp_path: Path, emulator: EmulatorServer, dingtalk: DingTalkEmulator, database_url: str | None) -> AsyncIterator[Office]:
    """The office with both channels configured, each pointed at its emulator."""
    world = dingtalk.world
    settings = Settings(
        token=Secret(emulator.token), api_url=emulator.url, db_path=tmp_path / "duban.db", database_url=database_url,
        archive_dir=tmp_path / "archive", bot_username="duban_demo_bot",
        dingtalk=DingTalk(client_id=world.client_id, client_secret=Secret(world.client_secret), agent_id=world.agent_id,
                          endpoint=dingtalk.url, oapi_endpoint=dingtalk.url),
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
async def channel(office: Office, bot: Application) -> AsyncIterator[DingTalkChannel]:  # type: ignore[type-arg]
    """The 钉钉 channel beside it, connected."""
    served = DingTalkChannel(office, per_second=0, reconnect_delay=0.05)
    await served.start(connect_timeout=10)
    yield served
    await served.stop()


class Organisation(TelegramOrganisation):
    """Builds a small organisation; people join on Telegram or on 钉钉 with one-time invites."""

    def __init__(self, office: Office, simulator: Simulator, people: DingTalkPeople) -> None:
        super().__init__(office, simulator)
        self.people = people

    async def join_dingtalk(self, name: str, *roles: Role, unit: str | None = None, section: str | None = None,
                            userid: str | None = None) -> Member:
        person, code = await self.invited(name, *roles, unit=unit, section=section)
        user = await self.people.add_person(name, userid=userid)
        await user.send(f"/start {code}")
        await user.wait_for(text_contains="绑定成功", timeout=10)
        return Member(await self.bound(person), user)


@pytest.fixture
def organisation(office: Office, simulator: Simulator, people: DingTalkPeople, channel: DingTalkChannel) -> Organisation:
    """An empty organisation served on both channels."""
    return Organisation(office, simulator, people)


@pytest.fixture
async def city(organisation: Organisation) -> dict[str, Member]:
    """A clerk on Telegram; 住建局's official on 钉钉, 交通运输局's on Telegram."""
    return await small_city(organisation, organisation.join_dingtalk)


__all__ = ["DingTalkPerson", "Member", "Organisation"]
