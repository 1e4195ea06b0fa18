"""End-to-end fixtures: the real bot Application, polling the emulator over HTTP, on a real
SQLite file, and people who join it through real invite links."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from telegram.ext import Application

from bot.channels.telegram.app import build_application, start_bot, stop_bot
from bot.config import Secret, Settings
from bot.domain.org import Person, Role, UnitKind
from bot.emulators.telegram import EmulatorServer, Simulator
from bot.emulators.telegram.client import SimulatedUser
from bot.emulators.telegram.rules import Rules
from bot.services import onboarding
from bot.services.context import Office


@pytest.fixture
async def emulator() -> AsyncIterator[EmulatorServer]:
    """The emulator with Telegram's per-chat pacing off, so tests don't wait a second a message.

    The sender's own pacing is tested against the rules switched on in the sender's tests.
    """
    async with EmulatorServer(rules=Rules(rate_limits=False)) as server:
        yield server


@pytest.fixture
async def office(tmp_path: Path, emulator: EmulatorServer, database_url: str | None) -> AsyncIterator[Office]:
    """The office on a fresh SQLite file (or PostgreSQL database), configured to talk to the emulator."""
    settings = Settings(
        token=Secret(emulator.token), api_url=emulator.url, db_path=tmp_path / "duban.db", database_url=database_url,
        archive_dir=tmp_path / "archive", bot_username="duban_demo_bot",
    )
    office = await Office.open(settings)
    yield office
    await office.db.close()


@pytest.fixture
async def bot(office: Office) -> AsyncIterator[Application]:  # type: ignore[type-arg]
    """The real Application, polling."""
    application = build_application(office, per_second=0, per_chat_interval=0, schedule=False)
    await start_bot(application, poll_timeout=1)
    yield application
    await stop_bot(application)


@dataclass
class Member:
    """A person of the organisation with their simulated Telegram account."""

    person: Person
    user: SimulatedUser

    def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
        return getattr(self.user, name)


class Organisation:
    """Builds a small organisation and lets people join through invite links."""

    def __init__(self, office: Office, simulator: Simulator) -> None:
        self.office = office
        self.simulator = simulator

    async def section(self, name: str, supervision_office: bool = False, leader: str | None = None) -> None:
        await onboarding.add_section(self.office, name, supervision_office, leader, self.office.now())

    async def unit(self, name: str, kind: UnitKind = UnitKind.DEPARTMENT, leader: str | None = None) -> None:
        await onboarding.add_unit(self.office, name, kind, leader, self.office.now())

    async def person(self, name: str, *roles: Role, unit: str | None = None, section: str | None = None, phone: str = "") -> Person:
        return await onboarding.add_person(self.office, name, frozenset(roles), self.office.now(), unit, section, phone)

    async def join(self, name: str, *roles: Role, unit: str | None = None, section: str | None = None, phone: str = "0377-6228") -> Member:
        """Create the person, invite them, and have them open the link (``/start CODE``)."""
        person = await self.person(name, *roles, unit=unit, section=section, phone=phone)
        invite = await onboarding.create_invite(self.office, person.id, self.office.now())
        user = await self.simulator.create_user(name)
        await user.send(f"/start {invite.code}")
        await user.wait_for(text_contains="绑定成功")
        from bot.storage import org

        bound = await org.person(self.office.db.reader, person.id)
        assert bound is not None
        return Member(bound, user)


@pytest.fixture
def organisation(office: Office, simulator: Simulator, bot: Application) -> Organisation:  # type: ignore[type-arg]
    """An empty organisation served by the running bot."""
    return Organisation(office, simulator)


@pytest.fixture
async def city(organisation: Organisation) -> dict[str, Member]:
    """A believable little city: 政务监督室, a section, two units with their officials."""
    org = organisation
    leader = await org.join("刘副市长", Role.LEADER)
    await org.section("政务监督室", supervision_office=True, leader="刘副市长")
    await org.section("综合一科", leader="刘副市长")
    await org.unit("住建局", leader="刘副市长")
    await org.unit("交通运输局", leader="刘副市长")
    await org.unit("穰东镇", UnitKind.TOWN, leader="刘副市长")
    return {
        "leader": leader,
        "supervisor": await org.join("赵督查", Role.SUPERVISOR, section="政务监督室"),
        "clerk": await org.join("王科员", Role.CLERK, section="综合一科"),
        "zhujian": await org.join("李住建", Role.RESPONSIBLE, unit="住建局"),
        "jiaotong": await org.join("张交通", Role.RESPONSIBLE, unit="交通运输局"),
        "town": await org.join("陈镇长", Role.RESPONSIBLE, unit="穰东镇"),
    }
