"""Units (责任单位), sections (科室) and people, with their roles."""

from __future__ import annotations

from datetime import datetime

import aiosqlite

from bot.domain.errors import DomainError
from bot.domain.org import Person, Role, Section, Unit, UnitKind
from bot.edge import Account
from bot.storage.rows import stamp


def _unit(row: aiosqlite.Row) -> Unit:
    return Unit(id=row["id"], name=row["name"], kind=UnitKind(row["kind"]), leader_id=row["leader_id"])


def _section(row: aiosqlite.Row) -> Section:
    return Section(
        id=row["id"],
        name=row["name"],
        is_supervision_office=bool(row["is_supervision_office"]),
        leader_id=row["leader_id"],
    )


async def add_unit(conn: aiosqlite.Connection, name: str, kind: UnitKind, leader_id: int | None = None) -> Unit:
    """Create a 责任单位; names are unique."""
    if await unit_by_name(conn, name):
        raise DomainError("unit_exists", name=name)
    cur = await conn.execute(
        "INSERT INTO units (name, kind, leader_id) VALUES (?, ?, ?)", (name, kind.value, leader_id)
    )
    return Unit(id=cur.lastrowid or 0, name=name, kind=kind, leader_id=leader_id)


async def set_unit_leader(conn: aiosqlite.Connection, unit_id: int, leader_id: int | None) -> None:
    """Name the unit's 分管市领导."""
    await conn.execute("UPDATE units SET leader_id = ? WHERE id = ?", (leader_id, unit_id))


async def add_section(
    conn: aiosqlite.Connection, name: str, is_supervision_office: bool = False, leader_id: int | None = None
) -> Section:
    """Create a 科室 of the office."""
    if await section_by_name(conn, name):
        raise DomainError("section_exists", name=name)
    cur = await conn.execute(
        "INSERT INTO sections (name, is_supervision_office, leader_id) VALUES (?, ?, ?)",
        (name, int(is_supervision_office), leader_id),
    )
    return Section(cur.lastrowid or 0, name, is_supervision_office, leader_id)


async def set_section_leader(conn: aiosqlite.Connection, section_id: int, leader_id: int | None) -> None:
    """Name the 分管市领导 who reviews the section's monthly analysis."""
    await conn.execute("UPDATE sections SET leader_id = ? WHERE id = ?", (leader_id, section_id))


async def units(conn: aiosqlite.Connection) -> list[Unit]:
    """Every unit, by name."""
    async with conn.execute("SELECT * FROM units ORDER BY id") as cur:
        return [_unit(r) async for r in cur]


async def unit_of_task(conn: aiosqlite.Connection, task_id: int) -> Unit | None:
    """The unit a task is issued to, by the task's id: read beside the task, not after it."""
    async with conn.execute("SELECT u.* FROM units u WHERE u.id = (SELECT t.unit_id FROM tasks t WHERE t.id = ?)", (task_id,)) as cur:
        row = await cur.fetchone()
    return _unit(row) if row else None


async def unit(conn: aiosqlite.Connection, unit_id: int) -> Unit | None:
    """One unit by id."""
    async with conn.execute("SELECT * FROM units WHERE id = ?", (unit_id,)) as cur:
        row = await cur.fetchone()
    return _unit(row) if row else None


async def unit_by_name(conn: aiosqlite.Connection, name: str) -> Unit | None:
    """One unit by its exact name."""
    async with conn.execute("SELECT * FROM units WHERE name = ?", (name.strip(),)) as cur:
        row = await cur.fetchone()
    return _unit(row) if row else None


async def sections(conn: aiosqlite.Connection) -> list[Section]:
    """Every section."""
    async with conn.execute("SELECT * FROM sections ORDER BY id") as cur:
        return [_section(r) async for r in cur]


async def section(conn: aiosqlite.Connection, section_id: int) -> Section | None:
    """One section by id."""
    async with conn.execute("SELECT * FROM sections WHERE id = ?", (section_id,)) as cur:
        row = await cur.fetchone()
    return _section(row) if row else None


async def section_by_name(conn: aiosqlite.Connection, name: str) -> Section | None:
    """One section by its exact name."""
    async with conn.execute("SELECT * FROM sections WHERE name = ?", (name.strip(),)) as cur:
        row = await cur.fetchone()
    return _section(row) if row else None


async def supervision_office(conn: aiosqlite.Connection) -> Section | None:
    """The 政务监督室."""
    async with conn.execute("SELECT * FROM sections WHERE is_supervision_office = 1 ORDER BY id LIMIT 1") as cur:
        row = await cur.fetchone()
    return _section(row) if row else None


async def add_person(
    conn: aiosqlite.Connection,
    name: str,
    roles: frozenset[Role],
    now: datetime,
    unit_id: int | None = None,
    section_id: int | None = None,
    phone: str = "",
) -> Person:
    """Create a person with roles; a responsible official belongs to a unit, a clerk to a section."""
    if Role.RESPONSIBLE in roles and unit_id is None:
        raise DomainError("responsible_needs_unit", name=name)
    if Role.CLERK in roles and section_id is None:
        raise DomainError("clerk_needs_section", name=name)
    cur = await conn.execute(
        "INSERT INTO people (name, phone, unit_id, section_id, created_at) VALUES (?, ?, ?, ?, ?)",
        (name, phone, unit_id, section_id, stamp(now)),
    )
    person_id = cur.lastrowid or 0
    await conn.executemany(
        "INSERT INTO person_roles (person_id, role) VALUES (?, ?)", [(person_id, r.value) for r in sorted(roles)]
    )
    return Person(person_id, name, frozenset(roles), unit_id, section_id, None, phone)


_PERSON_SELECT = """
    SELECT p.*, (SELECT group_concat(role) FROM person_roles r WHERE r.person_id = p.id) AS roles,
           (SELECT a.channel FROM accounts a WHERE a.person_id = p.id ORDER BY a.id DESC LIMIT 1) AS account_channel,
           (SELECT a.address FROM accounts a WHERE a.person_id = p.id ORDER BY a.id DESC LIMIT 1) AS account_address
    FROM people p
"""
# The latest account is looked up person by person (scalar subqueries, which no planner turns
# into a join): joined, PostgreSQL read every account of a province for each unit's people.


def _person(row: aiosqlite.Row) -> Person:
    roles = frozenset(Role(r) for r in (row["roles"] or "").split(",") if r)
    return Person(
        id=row["id"],
        name=row["name"],
        roles=roles,
        unit_id=row["unit_id"],
        section_id=row["section_id"],
        account=Account(row["account_channel"], str(row["account_address"])) if row["account_channel"] else None,
        phone=row["phone"],
        unreachable=bool(row["unreachable"]),
    )


async def person(conn: aiosqlite.Connection, person_id: int) -> Person | None:
    """One person by id."""
    async with conn.execute(_PERSON_SELECT + " WHERE p.id = ?", (person_id,)) as cur:
        row = await cur.fetchone()
    return _person(row) if row else None


async def person_by_account(conn: aiosqlite.Connection, account: Account) -> Person | None:
    """The person bound to an account."""
    async with conn.execute(
        _PERSON_SELECT + " WHERE p.id = (SELECT person_id FROM accounts WHERE channel = ? AND address = ?)",
        (account.channel, account.address),
    ) as cur:
        row = await cur.fetchone()
    return _person(row) if row else None


async def people(conn: aiosqlite.Connection) -> list[Person]:
    """Everyone."""
    async with conn.execute(_PERSON_SELECT + " ORDER BY p.id") as cur:
        return [_person(r) async for r in cur]


async def unit_members(conn: aiosqlite.Connection, unit_id: int) -> list[Person]:
    """The unit's 责任人 and 联络员."""
    async with conn.execute(_PERSON_SELECT + " WHERE p.unit_id = ? ORDER BY p.id", (unit_id,)) as cur:
        return [_person(r) async for r in cur]


async def with_role(conn: aiosqlite.Connection, role: Role) -> list[Person]:
    """Everyone holding ``role``."""
    async with conn.execute(
        _PERSON_SELECT + " WHERE p.id IN (SELECT person_id FROM person_roles WHERE role = ?) ORDER BY p.id",
        (role.value,),
    ) as cur:
        return [_person(r) async for r in cur]


async def section_members(conn: aiosqlite.Connection, section_id: int) -> list[Person]:
    """The clerks (and 政务监督室 staff) of a section."""
    async with conn.execute(_PERSON_SELECT + " WHERE p.section_id = ? ORDER BY p.id", (section_id,)) as cur:
        return [_person(r) async for r in cur]


async def units_without_bound_official(conn: aiosqlite.Connection) -> list[Unit]:
    """Units none of whose 责任人 has a bound account (``bot.domain.org.has_bound_official``)."""
    # Asked unit by unit (a scalar subquery, which no planner turns into a join): as NOT EXISTS,
    # PostgreSQL hashed every person and every role of a province's 30,000 people to answer it.
    async with conn.execute(
        """SELECT u.* FROM units u WHERE (
               SELECT 1 FROM people p JOIN person_roles r ON r.person_id = p.id AND r.role = ?
               WHERE p.unit_id = u.id AND EXISTS (SELECT 1 FROM accounts a WHERE a.person_id = p.id) LIMIT 1) IS NULL
           ORDER BY u.id""",
        (Role.RESPONSIBLE.value,),
    ) as cur:
        return [_unit(r) async for r in cur]


async def bind_account(conn: aiosqlite.Connection, person_id: int, account: Account, now: datetime) -> None:
    """Bind an account to a person (an account binds to one person only; the person's earlier
    account on the same channel is let go: they are reached where they bound last)."""
    await conn.execute("DELETE FROM accounts WHERE channel = ? AND address = ?", (account.channel, account.address))
    await conn.execute("DELETE FROM accounts WHERE channel = ? AND person_id = ?", (account.channel, person_id))
    await conn.execute(
        "INSERT INTO accounts (person_id, channel, address, bound_at) VALUES (?, ?, ?, ?)",
        (person_id, account.channel, account.address, stamp(now)),
    )
    await conn.execute("UPDATE people SET unreachable = 0 WHERE id = ?", (person_id,))


_OF_ACCOUNT = "id = (SELECT person_id FROM accounts WHERE channel = ? AND address = ?)"


async def mark_reachable(conn: aiosqlite.Connection, account: Account) -> None:
    """A message reached the person, or the person wrote to the bot: no longer blocked."""
    await conn.execute(f"UPDATE people SET unreachable = 0 WHERE {_OF_ACCOUNT} AND unreachable = 1", (account.channel, account.address))


async def mark_unreachable(conn: aiosqlite.Connection, account: Account) -> Person | None:
    """The channel said the person blocked the bot; return who it is."""
    await conn.execute(f"UPDATE people SET unreachable = 1 WHERE {_OF_ACCOUNT}", (account.channel, account.address))
    return await person_by_account(conn, account)
