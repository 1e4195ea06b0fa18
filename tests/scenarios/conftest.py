"""The core scenarios, one run per channel: the real bot serves Telegram (its Application
polling the Telegram emulator) and, for a channel other than Telegram, that channel too (钉钉:
the channel on the 钉钉 emulator's Stream gateway and OpenAPI; 企业微信: the channel's callback
server called by the 企业微信 emulator, which it calls back), on a real database; people join
through real one-time invites on the channel they use, and act through ``chats.Chat``.

``channel`` is the channel under test; a person joins on it unless a scenario says otherwise
(a clerk may stay on Telegram where the scenario is about the unit's side).

A new channel is a ``chats`` class (the verbs over its emulator) and a side here (its emulator
opened, its settings, its channel served, a new person's chat), named in ``SIDES``.
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
from bot.channels.wecom.channel import WecomChannel
from bot.config import DingTalk, Secret, Settings, Wecom
from bot.domain.org import Person, Role, UnitKind
from bot.emulators.dingtalk import DingTalkEmulator, DingTalkPeople
from bot.emulators.telegram import EmulatorServer, Simulator
from bot.emulators.telegram.rules import Rules
from bot.emulators.wecom import CallbackSettings, WecomEmulator, WecomPerson
from bot.emulators.wecom.world import Limits
from bot.services import onboarding
from bot.services.context import Office
from bot.services.daily import run_daily
from bot.storage import org
from tests.scenarios.chats import Chat, DingTalkChat, Shown, TelegramChat, WecomChat

class TelegramSide:
    """Telegram in a run: its emulator, always there (a clerk may stay on Telegram), served by the
    Application ``served`` starts."""

    name = "telegram"

    def __init__(self, emulator: EmulatorServer) -> None:
        self.simulator = Simulator(emulator)

    def configure(self, settings: Settings) -> Settings:
        return settings

    async def serve(self, office: Office) -> None:
        return None

    async def stop(self) -> None:
        return None

    def wake(self) -> None:
        return None

    async def chat(self, name: str) -> Chat:
        return TelegramChat(await self.simulator.create_user(name))


class DingTalkSide:
    """钉钉 under test: its emulator (an unacknowledged push pushed again after 0.5 s), its
    control API, the channel served on them."""

    name = "dingtalk"

    def __init__(self) -> None:
        self.emulator = DingTalkEmulator()
        self.people: DingTalkPeople | None = None
        self.served: DingTalkChannel | None = None
        self._joined = 0

    async def open(self) -> None:
        await self.emulator.__aenter__()
        self.emulator.world.limits.ack_timeout = 0.5
        self.people = DingTalkPeople(self.emulator.url)

    async def close(self) -> None:
        if self.people is not None:
            await self.people.close()
        await self.emulator.__aexit__(None, None, None)

    def configure(self, settings: Settings) -> Settings:
        world = self.emulator.world
        return replace(settings, dingtalk=DingTalk(
            client_id=world.client_id, client_secret=Secret(world.client_secret), agent_id=world.agent_id,
            endpoint=self.emulator.url, oapi_endpoint=self.emulator.url,
        ))

    async def serve(self, office: Office) -> None:
        self.served = DingTalkChannel(office, per_second=0, reconnect_delay=0.05)
        await self.served.start(connect_timeout=10)

    async def stop(self) -> None:
        if self.served is not None:
            await self.served.stop()

    def wake(self) -> None:
        if self.served is not None:
            self.served.sender.committed()

    async def chat(self, name: str) -> Chat:
        assert self.people is not None
        self._joined += 1
        return DingTalkChat(await self.people.add_person(name, userid=f"user{self._joined}"))


class WecomSide:
    """企业微信 under test: its emulator (a callback not answered within 5 s sent again), the
    channel's callback server, its URL saved in the emulator's admin console. The per-member
    limit and the bot's window for it are out of the way (the pacing is tested apart)."""

    name = "wecom"

    def __init__(self) -> None:
        self.emulator = WecomEmulator(limits=Limits(member_per_minute=10_000, member_per_hour=100_000),
                                      callback=CallbackSettings(timeout=5.0, retry_interval=0.2, retries=3))
        self.served: WecomChannel | None = None
        self._joined = 0

    async def open(self) -> None:
        await self.emulator.__aenter__()

    async def close(self) -> None:
        await self.emulator.__aexit__(None, None, None)

    def configure(self, settings: Settings) -> Settings:
        wecom = self.emulator
        return replace(settings, wecom=Wecom(
            corp_id=wecom.corp_id, agent_id=wecom.agent_id, secret=Secret(wecom.secret), token=Secret(wecom.token),
            encoding_aes_key=Secret(wecom.encoding_aes_key), api_url=wecom.url, port=0, member_per_minute=10_000,
        ))

    async def serve(self, office: Office) -> None:
        self.served = WecomChannel(office, port=0, per_second=0)
        await self.served.start()
        await self.emulator.set_callback_url(self.served.url)

    async def stop(self) -> None:
        if self.served is not None:
            await self.served.stop()

    def wake(self) -> None:
        if self.served is not None:
            self.served.sender.committed()

    async def chat(self, name: str) -> Chat:
        self._joined += 1
        userid = f"user{self._joined}"
        self.emulator.add_member(userid, name)
        return WecomChat(WecomPerson(self.emulator, userid))


Side = TelegramSide | DingTalkSide | WecomSide
SIDES: dict[str, type[DingTalkSide] | type[WecomSide]] = {"dingtalk": DingTalkSide, "wecom": WecomSide}
"""The channels under test besides Telegram, each with its side of a run."""
CHANNELS = ("telegram", *SIDES)


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
async def sides(channel: str, emulator: EmulatorServer) -> AsyncIterator[dict[str, Side]]:
    """Each channel of the run by name: Telegram, and the channel under test."""
    telegram = TelegramSide(emulator)
    if channel == "telegram":
        yield {"telegram": telegram}
        return
    side = SIDES[channel]()
    await side.open()
    try:
        yield {"telegram": telegram, channel: side}
    finally:
        await side.close()


@pytest.fixture
async def office(tmp_path: Path, emulator: EmulatorServer, sides: dict[str, Side], database_url: str | None) -> AsyncIterator[Office]:
    """The office, each channel of the run pointed at its emulator."""
    settings = Settings(
        token=Secret(emulator.token), api_url=emulator.url, db_path=tmp_path / "duban.db", database_url=database_url,
        archive_dir=tmp_path / "archive", bot_username="duban_demo_bot",
    )
    for side in sides.values():
        settings = side.configure(settings)
    office = await Office.open(settings)
    yield office
    await office.db.close()


@dataclass
class Served:
    """The bot as it runs: the Telegram Application, and each other channel of the run."""

    office: Office
    telegram: Application  # type: ignore[type-arg]
    sides: dict[str, Side]

    def wake(self) -> None:
        """Tell the senders something was queued outside a handler (the commit hook does too)."""
        self.telegram.bot_data["sender"].wake()
        for side in self.sides.values():
            side.wake()


@pytest.fixture
async def served(office: Office, sides: dict[str, Side]) -> AsyncIterator[Served]:
    """The real Telegram Application, polling, and the channel under test beside it."""
    application = build_application(office, per_second=0, per_chat_interval=0, schedule=False)
    await start_bot(application, poll_timeout=1)
    for side in sides.values():
        await side.serve(office)
    yield Served(office, application, sides)
    for side in sides.values():
        await side.stop()
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

    def __init__(self, office: Office, channel: str, sides: dict[str, Side]) -> None:
        self.office = office
        self.channel = channel
        self.sides = sides

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
        chat = await self.sides[channel].chat(name)
        await chat.send(f"/start {code}")
        await chat.wait_for("绑定成功")
        bound = await org.person(self.office.db.reader, person.id)
        assert bound is not None and bound.account is not None and bound.account.channel == channel
        return Member(bound, chat, channel)


@pytest.fixture
def organisation(office: Office, channel: str, sides: dict[str, Side], served: Served) -> Organisation:
    """An empty organisation served on the channel under test (and Telegram)."""
    return Organisation(office, channel, sides)


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
