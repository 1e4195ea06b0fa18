"""Units, sections, people and invites: what an administrator sets up."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.domain.errors import DomainError
from bot.domain.org import Person, Role, Section, Unit, UnitKind
from bot.services.context import Office
from bot.storage import history, invites, org
from bot.storage.invites import Invite


async def add_unit(office: Office, name: str, kind: UnitKind, leader_name: str | None, now: datetime) -> Unit:
    """A new 责任单位, optionally with its 分管市领导 (a person with the leader role)."""
    name = name.strip()
    if not name:
        raise DomainError("field_missing", field="name")
    async with office.db.transaction() as conn:
        leader_id = await _leader_id(conn, leader_name)
        unit = await org.add_unit(conn, name, kind, leader_id)
        await history.append(conn, "unit_added", now, unit=name, unit_kind=kind.value)
    return unit


async def add_section(office: Office, name: str, supervision_office: bool, leader_name: str | None, now: datetime) -> Section:
    """A new 科室 (or the 政务监督室)."""
    name = name.strip()
    if not name:
        raise DomainError("field_missing", field="name")
    async with office.db.transaction() as conn:
        leader_id = await _leader_id(conn, leader_name)
        section = await org.add_section(conn, name, supervision_office, leader_id)
        await history.append(conn, "section_added", now, section=name)
    return section


async def _leader_id(conn, leader_name: str | None) -> int | None:  # type: ignore[no-untyped-def]
    if not leader_name:
        return None
    leaders = [p for p in await org.with_role(conn, Role.LEADER) if p.name == leader_name.strip()]
    if not leaders:
        raise DomainError("leader_unknown", name=leader_name)
    return leaders[0].id


async def add_person(
    office: Office,
    name: str,
    roles: frozenset[Role],
    now: datetime,
    unit_name: str | None = None,
    section_name: str | None = None,
    phone: str = "",
) -> Person:
    """A new person; unit and section are named, and must exist."""
    name = name.strip()
    if not name:
        raise DomainError("field_missing", field="name")
    if not roles:
        raise DomainError("field_missing", field="roles")
    async with office.db.transaction() as conn:
        unit_id = section_id = None
        if unit_name:
            unit = await org.unit_by_name(conn, unit_name)
            if unit is None:
                raise DomainError("unit_unknown", unit=unit_name)
            unit_id = unit.id
        if section_name:
            section = await org.section_by_name(conn, section_name)
            if section is None:
                raise DomainError("section_unknown", section=section_name)
            section_id = section.id
        person = await org.add_person(conn, name, roles, now, unit_id, section_id, phone)
        await history.append(conn, "person_added", now, person=name, roles=sorted(r.value for r in roles))
    return person


async def create_invite(office: Office, person_id: int, now: datetime) -> Invite:
    """A one-time code for ``person_id`` that expires after the configured hours (72 by default)."""
    async with office.db.transaction() as conn:
        if await org.person(conn, person_id) is None:
            raise DomainError("person_unknown", person=str(person_id))
        invite = await invites.create(conn, person_id, now, timedelta(hours=office.settings.invite_ttl_hours))
        await history.append(conn, "invite_created", now, person_id=person_id, expires_at=invite.expires_at.isoformat())
    return invite


async def redeem_invite(office: Office, code: str, telegram_id: int, now: datetime) -> Person:
    """/start CODE: bind the Telegram account to the invite's person, once."""
    async with office.db.transaction() as conn:
        person_id = await invites.redeem(conn, code.strip(), telegram_id, now)
        await org.bind_telegram(conn, person_id, telegram_id)
        await history.append(conn, "account_bound", now, actor_id=person_id)
        person = await org.person(conn, person_id)
    assert person is not None
    return person


def deep_link(bot_username: str, invite: Invite) -> str:
    """https://t.me/<bot>?start=<code>."""
    return f"https://t.me/{bot_username}?start={invite.code}"
