"""A real SQLite file per test, opened through ``Office`` exactly as the bot opens it, and a
small organisation set up through the onboarding services."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.config import Settings
from bot.domain.org import Person, Role, Section, Unit, UnitKind
from bot.edge import TELEGRAM, Account
from bot.services import onboarding
from bot.services.context import Office

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 24, 9, 30, tzinfo=SHANGHAI)
"""A Tuesday morning in the office."""


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "duban.db"


@pytest.fixture
async def office(db_path: Path, database_url: str | None) -> AsyncIterator[Office]:
    """The office's tools on a fresh database file (or PostgreSQL database), migrated at open,
    closed afterwards."""
    office = await Office.open(Settings(db_path=db_path, database_url=database_url))
    try:
        yield office
    finally:
        await office.db.close()


@dataclass(frozen=True)
class Org:
    """A section with a clerk, 政务监督室, a leader, and two units.

    穰东镇 has a bound 责任人 and an unbound 联络员; 城区办 has one bound 责任人.
    """

    section: Section
    supervision: Section
    clerk: Person
    supervisor: Person
    leader: Person
    town: Unit
    street: Unit
    town_head: Person
    town_liaison: Person
    street_head: Person


async def bind(office: Office, person: Person, telegram_id: int) -> Person:
    """Bind a Telegram account the way a person does: through an invite."""
    invite = await onboarding.create_invite(office, person.id, NOW)
    return await onboarding.redeem_invite(office, invite.code, Account(TELEGRAM, str(telegram_id)), NOW)


@pytest.fixture
async def org(office: Office) -> Org:
    leader = await onboarding.add_person(office, "刘副市长", frozenset({Role.LEADER}), NOW)
    section = await onboarding.add_section(office, "综合一科", False, "刘副市长", NOW)
    supervision = await onboarding.add_section(office, "政务监督室", True, None, NOW)
    town = await onboarding.add_unit(office, "穰东镇人民政府", UnitKind.TOWN, "刘副市长", NOW)
    street = await onboarding.add_unit(office, "古城街道办事处", UnitKind.STREET, None, NOW)
    clerk = await onboarding.add_person(
        office, "张科员", frozenset({Role.CLERK}), NOW, section_name="综合一科", phone="0377-62283198"
    )
    supervisor = await onboarding.add_person(
        office, "王主任", frozenset({Role.SUPERVISOR}), NOW, section_name="政务监督室"
    )
    town_head = await onboarding.add_person(
        office, "李镇长", frozenset({Role.RESPONSIBLE}), NOW, unit_name="穰东镇人民政府"
    )
    town_liaison = await onboarding.add_person(
        office, "赵联络员", frozenset({Role.RESPONSIBLE}), NOW, unit_name="穰东镇人民政府"
    )
    street_head = await onboarding.add_person(
        office, "孙主任", frozenset({Role.RESPONSIBLE}), NOW, unit_name="古城街道办事处"
    )
    return Org(
        section=section,
        supervision=supervision,
        clerk=await bind(office, clerk, 1001),
        supervisor=await bind(office, supervisor, 1002),
        leader=await bind(office, leader, 1003),
        town=town,
        street=street,
        town_head=await bind(office, town_head, 2001),
        town_liaison=town_liaison,
        street_head=await bind(office, street_head, 3001),
    )
