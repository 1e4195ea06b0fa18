"""The core scenarios, one run per channel: the real bot serves Telegram (its Application
polling the Telegram emulator) and, for a channel other than Telegram, that channel too (钉钉:
the channel on the 钉钉 emulator's Stream gateway and OpenAPI), on a real database; people join
through real one-time invites on the channel they use, and act through ``chats.Chat``.

``channel`` is the channel under test; a person joins on it unless a scenario says otherwise
(a clerk may stay on Telegram where the scenario is about the unit's side).

A new channel is a ``chats`` class, and here: its emulator and settings in ``office``, its
served channel in ``served``, its join in ``Organisation.join``, its name in ``CHANNELS``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from pathlib import Path

import pytest
from telegram.ext import Application

from bot.channels.dingtalk.channel import DingTalkChannel
from bot.channels.telegram.app import build_application, start_bot, stop_bot
from bot.config import DingTalk, Secret, Settings
from bot.domain.org import Person, Role, UnitKind
from bot.emulators.dingtalk import DingTalkEmulator, DingTalkPeople
from bot.emulators.telegram import EmulatorServer, Simulator
from bot.emulators.telegram.rules import Rules
from bot.services import onboarding
from bot.services.context import Office
from bot.services.daily import run_daily
from bot.storage import org
from tests.scenarios.chats import Chat, DingTalkChat, Shown, TelegramChat

CHANNELS = ("telegram", "dingtalk")


@pytest.fixture(params=CHANNELS)
def channel(request: pytest.FixtureRequest) -> str:
    """The channel under test."""
    return str(request.param)


@pytest.fixture
async def emulator() -> AsyncIterator[EmulatorServer]:
    """The Telegram emulator, its per-chat pacing off (the senders' pacing is tested apart)."""
    async with EmulatorServer(rules=Rules(rate_limits=False)) as server:
        yield server


@pytest.fixture
async def dingtalk(channel: str) -> AsyncIterator[DingTalkEmulator | None]:
    """The 钉钉 emulator, when 钉钉 is under test."""
    if channel != "dingtalk":
        yield None
        return
    async with DingTalkEmulator() as server:
        server.world.limits.ack_timeout = 0.5
        yield server


@pytest.fixture
async def office(tmp_path: Path, emulator: EmulatorServer, dingtalk: DingTalkEmulator | None,
                 database_url: str | None) -> AsyncIterator[Office]:
    """The office, each configured channel pointed at its emulator."""
    settings = Settings(
        token=Secret(emulator.token), api_url=emulator.url, db_path=tmp_path / "duban.db", database_url=database_url,
        archive_dir=tmp_path / "archive", bot_username="duban_demo_bot",
    )
    if dingtalk is not None:
        world = dingtalk.world
        settings = replace(settings, dingtalk=DingTalk(
            client_id=world.client_id, client_secret=Secret(world.client_secret), agent_id=world.agent_id,
            endpoint=dingtalk.url, oapi_endpoint=dingtalk.url,
        ))
    office = await Office.open(settings)
    yield office
    await office.db.close()


@dataclass
class Served:
    """The bot as it runs: Telegram always, and the channel under test."""

    office: Office
    telegram: Application  # type: ignore[type-arg]
    dingtalk: DingTalkChannel | None

    def wake(self) -> None:
        """Tell the senders something was queued outside a handler (the commit hook does too)."""
        self.telegram.bot_data["sender"].wake()
        if self.dingtalk is not None:
            self.dingtalk.sender.committed()


@pytest.fixture
async def served(office: Office, dingtalk: DingTalkEmulator | None) -> AsyncIterator[Served]:
    """The real Telegram Application, polling, and the 钉钉 channel beside it when under test."""
    application = build_application(office, per_second=0, per_chat_interval=0, schedule=False)
    await start_bot(application, poll_timeout=1)
    channel = None
    if dingtalk is not None:
        channel = DingTalkChannel(office, per_second=0, reconnect_delay=0.05)
        await channel.start(connect_timeout=10)
    yield Served(office, application, channel)
    if channel is not None:
        await channel.stop()
    await stop_bot(application)


@dataclass
class Member:
    """A person of the organisation and their chat with the bot."""

    person: Person
    chat: Chat
    channel: str

    async def send(self, text: str) -> None:
        await self.chat.send(text)

    async def send_file(self, name: str, data: bytes) -> None:
        await self.chat.send_file(name, data)

    async def press(self, label: str, on: Shown | None = None) -> None:
        await self.chat.press(label, on)

    async def wait_for(self, text: str | None = None, **kwargs) -> Shown:  # type: ignore[no-untyped-def]
        return await self.chat.wait_for(text, **kwargs)

    async def read(self) -> list[Shown]:
        return await self.chat.read()


class Organisation:
    """Builds a small organisation; people join on a channel with one-time invites."""

    def __init__(self, office: Office, channel: str, simulator: Simulator, people: DingTalkPeople | None) -> None:
        self.office = office
        self.channel = channel
        self.simulator = simulator
        self.people = people
        self._joined = 0

    async def section(self, name: str, supervision_office: bool = False, leader: str | None = None) -> None:
        await onboarding.add_section(self.office, name, supervision_office, leader, self.office.now())

    async def unit(self, name: str, kind: UnitKind = UnitKind.DEPARTMENT, leader: str | None = None) -> None:
        await onboarding.add_unit(self.office, name, kind, leader, self.office.now())

    async def join(self, name: str, *roles: Role, unit: str | None = None, section: str | None = None,
                   on: str | None = None) -> Member:
        """Create the person, invite them, and have them bind on ``on`` (the channel under test
        by default) by sending the code."""
        channel = on or self.channel
        person = await onboarding.add_person(self.office, name, frozenset(roles), self.office.now(), unit, section, "0377-6228")
        code = (await onboarding.create_invite(self.office, person.id, self.office.now())).code
        chat: Chat
        if channel == "telegram":
            chat = TelegramChat(await self.simulator.create_user(name))
        elif channel == "dingtalk":
            assert self.people is not None, "钉钉 is not served in this run"
            self._joined += 1
            chat = DingTalkChat(await self.people.add_person(name, userid=f"user{self._joined}"))
        else:
            raise ValueError(f"no chat for channel {channel}")
        await chat.send(f"/start {code}")
        await chat.wait_for("绑定成功")
        bound = await org.person(self.office.db.reader, person.id)
        assert bound is not None and bound.account is not None and bound.account.channel == channel
        return Member(bound, chat, channel)


@pytest.fixture
async def people(dingtalk: DingTalkEmulator | None) -> AsyncIterator[DingTalkPeople | None]:
    """The 钉钉 emulator's control API, when 钉钉 is under test."""
    if dingtalk is None:
        yield None
        return
    async with DingTalkPeople(dingtalk.url) as control:
        yield control


@pytest.fixture
def organisation(office: Office, channel: str, emulator: EmulatorServer, people: DingTalkPeople | None,
                 served: Served) -> Organisation:
    """An empty organisation served on the channel under test (and Telegram)."""
    return Organisation(office, channel, Simulator(emulator), people)


@pytest.fixture
async def city(organisation: Organisation) -> dict[str, Member]:
    """The leader, 政务监督室, a section and two units; everybody on the channel under test."""
    org_ = organisation
    leader = await org_.join("刘副市长", Role.LEADER)
    await org_.section("政务监督室", supervision_office=True, leader="刘副市长")
    await org_.section("综合一科", leader="刘副市长")
    await org_.unit("住建局", leader="刘副市长")
    await org_.unit("交通运输局", leader="刘副市长")
    return {
        "leader": leader,
        "supervisor": await org_.join("赵督查", Role.SUPERVISOR, section="政务监督室"),
        "clerk": await org_.join("王科员", Role.CLERK, section="综合一科"),
        "zhujian": await org_.join("李住建", Role.RESPONSIBLE, unit="住建局"),
        "jiaotong": await org_.join("张交通", Role.RESPONSIBLE, unit="交通运输局"),
    }


def at(office: Office, day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), office.settings.timezone)


def on(office: Office, day: date, hour: int = 10) -> None:
    """The office's clock stands at ``hour`` o'clock of ``day``."""
    office.clock = lambda: at(office, day, hour)


async def daily(served: Served, day: date) -> None:
    """The daily check of ``day``, run at 9 o'clock as the scheduler runs it."""
    on(served.office, day, 9)
    await run_daily(served.office, day)
    served.wake()


async def until(check: Callable[[], Awaitable[bool]], timeout: float = 10.0) -> None:
    """Wait until ``check()`` holds."""
    async with asyncio.timeout(timeout):
        while not await check():
            await asyncio.sleep(0.05)
