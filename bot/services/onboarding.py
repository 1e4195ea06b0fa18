"""Units, sections, people and invites: what an administrator sets up."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import aiosqlite

from bot.domain.errors import DomainError
from bot.edge import Account
from bot.domain.org import Person, Role, Section, Unit, UnitKind, has_bound_official, rebinding_asks_first
from bot.services.context import Office
from bot.edge import Menu
from bot.services.notify import set_menu, tell
from bot.storage import history, inbox, invites, org
from bot.storage.invites import Invite


async def person_asking(office: Office, account: Account) -> Person | None:
    """The bound person behind an account, or None for an unknown account.

    Someone recorded as having blocked the bot who writes to it has unblocked it: from now on
    slips reach them again, and issuers are no longer told to phone them.
    """
    person = await org.person_by_account(office.db.reader, account)
    if person is not None and person.unreachable:
        with inbox.aside():  # not what the update asked for: it must not count as done
            async with office.db.transaction() as conn:
                await org.mark_reachable(conn, account)
        person = replace(person, unreachable=False)
    return person


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


@dataclass(frozen=True)
class Rebinding:
    """What opening someone else's invite would change, told before it is done."""

    invitee: Person
    invitee_place: str
    current: Person
    """The person the account is bound to now: the binding it would lose."""
    current_place: str
    unit_left_unbound: Unit | None
    """The current person's unit, when no other 责任人 of it has a bound account."""


async def check_invite(office: Office, code: str, account: Account, now: datetime) -> Rebinding | None:
    """/start CODE, before anything changes: None when the invite may be used at once; what
    would change when the account is bound to someone else (the person is asked first).

    Raises:
        DomainError: the code is unknown, used, replaced or expired.
    """
    conn = office.db.reader
    person_id = await invites.peek(conn, code.strip(), now)
    current = await org.person_by_account(conn, account)
    if not rebinding_asks_first(current, person_id):
        return None
    assert current is not None
    invitee = await org.person(conn, person_id)
    assert invitee is not None
    return Rebinding(
        invitee, await _place(conn, invitee), current, await _place(conn, current),
        await _left_unbound(conn, current, account),
    )


async def redeem_invite(
    office: Office, code: str, account: Account, now: datetime, *, confirmed: bool = False,
    menu: Callable[[Person], Menu] | None = None,
) -> Person:
    """/start CODE: bind the account to the invite's person, once.

    An account bound to someone else moves only when ``confirmed``: the unbinding is recorded
    in history and told to the administrators, with the unit it leaves without a bound 责任人.
    ``menu`` gives the bound person's command menu, queued in the binding's
    own transaction, so a redelivered /start finds both done or neither.
    """
    async with office.db.transaction() as conn:
        person_id = await invites.redeem(conn, code.strip(), now)
        current = await org.person_by_account(conn, account)
        left_unbound = None
        if rebinding_asks_first(current, person_id):
            assert current is not None
            if not confirmed:
                raise DomainError("rebind_unconfirmed")
            left_unbound = await _left_unbound(conn, current, account)
            await history.append(conn, "account_unbound", now, actor_id=current.id, to_person_id=person_id)
        await org.bind_account(conn, person_id, account, now)
        await history.append(conn, "account_bound", now, actor_id=person_id)
        person = await org.person(conn, person_id)
        assert person is not None
        if menu is not None:
            await set_menu(conn, person, menu(person), now)
        if current is not None and current.id != person_id:
            for admin in await org.with_role(conn, Role.ADMIN):
                if admin.id != person.id:
                    await tell(
                        conn, admin, "admin/rebound", now, previous=current, previous_place=await _place(conn, current),
                        person=person, place=await _place(conn, person), left_unbound=left_unbound,
                    )
    return person


async def _place(conn: aiosqlite.Connection, person: Person) -> str:
    unit = await org.unit(conn, person.unit_id) if person.unit_id else None
    section = await org.section(conn, person.section_id) if person.section_id else None
    return unit.name if unit else section.name if section else ""


async def _left_unbound(conn: aiosqlite.Connection, current: Person, account: Account) -> Unit | None:
    # The unit as it would be once this account has moved: its other people, as they are.
    if current.unit_id is None or not current.has(Role.RESPONSIBLE):
        return None
    others = [p for p in await org.unit_members(conn, current.unit_id) if p.account != account]
    return None if has_bound_official(others) else await org.unit(conn, current.unit_id)


def deep_link(bot_username: str, invite: Invite) -> str:
    """https://t.me/<bot>?start=<code>."""
    return f"https://t.me/{bot_username}?start={invite.code}"
