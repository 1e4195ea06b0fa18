"""Importing the units and people of a messenger's address book (钉钉's or 企业微信's 通讯录): its
部门 become 责任单位, its members become people bound to their accounts. Each channel's client
reads its departments and members into the neutral :class:`Directory` (``bot/commands/``);
everything from there on is the same for both.

As ``bot.services.importing`` does for a workbook: the directory is read first, the plan made
purely (``plan_directory``), and then either shown (a dry run) or applied in one transaction.
Nothing is deleted or renamed: a unit or 科室 that exists is matched by name (or by one of a
unit's other names), a person who exists is matched by name and only given the account.

Why bind directly instead of sending invites: the address book is the organisation's own,
read with the app's credentials, and the member ids in it are the accounts the messenger has
already signed in; an invite would make every official type a code to prove what the administrator's
directory already says, and until then their 交办单 would reach nobody. Invites remain for the
cases the directory cannot settle (see ``Left``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import aiosqlite

from bot.domain.org import Person, Role, Section, Unit, UnitKind
from bot.edge import Account
from bot.services.context import Office
from bot.storage import history, intake, org
from bot.texts import label

ROOT = 1
"""The 部门 that is the organisation itself (id 1 on 钉钉 and on 企业微信 alike)."""


@dataclass(frozen=True)
class DirectoryDepartment:
    """A 部门 of the address book."""

    dept_id: int
    name: str
    parent_id: int | None


@dataclass(frozen=True)
class DirectoryMember:
    """A member of the address book, under one or more 部门; ``title`` is 钉钉's 职位 or 企业微信's 职务."""

    userid: str
    name: str
    title: str
    dept_ids: tuple[int, ...]


@dataclass(frozen=True)
class Directory:
    """The whole address book of one organisation on one channel."""

    channel: str
    departments: tuple[DirectoryDepartment, ...]
    members: tuple[DirectoryMember, ...]


class Left(StrEnum):
    """Why a member is left alone (the administrator adds or invites them)."""

    NO_ROLE = "no_role"
    """At the organisation's top with a title that names no role of the notice: who they are
    (a 科室 clerk? a 分管市领导?) is the administrator's to say."""

    NAME_TWICE = "name_twice"
    """Their name is shared with another member or person: matching by name could bind the
    wrong official."""

    BOUND_ELSEWHERE = "bound_elsewhere"
    """The person of that name is already bound on another account: moving them is theirs to
    do, with an invite."""


@dataclass(frozen=True)
class PlannedUnit:
    """A top-level 部门 and the 责任单位 or 科室 it is."""

    department: str
    name: str
    kind: UnitKind | None
    """None: the department is a 科室 of the office."""
    exists: bool

    @property
    def kind_label(self) -> str:
        """乡镇, 街区办事处 or 部门, as the bot names them."""
        return label("unit_kind", self.kind.value) if self.kind else ""


@dataclass(frozen=True)
class PlannedPerson:
    """A member and what the import does with them."""

    userid: str
    name: str
    place: str
    roles: frozenset[Role]
    existing: Person | None
    """The person matched by name or account (None: created)."""
    bound: bool
    """Already bound to this account: nothing to do."""
    left: Left | None = None

    @property
    def role_labels(self) -> list[str]:
        """The roles as the bot names them, in the notice's order."""
        return [label("roles", r.value) for r in Role if r in self.roles]

    @property
    def left_reason(self) -> str:
        """Why the member is left alone, and what the administrator does instead."""
        return label("address_book_left", self.left.value) if self.left else ""


@dataclass(frozen=True)
class DirectoryPlan:
    """What the import would do."""

    units: tuple[PlannedUnit, ...]
    people: tuple[PlannedPerson, ...]

    @property
    def new_units(self) -> list[PlannedUnit]:
        return [u for u in self.units if not u.exists and u.kind is not None]

    @property
    def created(self) -> list[PlannedPerson]:
        return [p for p in self.people if p.left is None and p.existing is None]

    @property
    def matched(self) -> list[PlannedPerson]:
        return [p for p in self.people if p.left is None and p.existing is not None and not p.bound]

    @property
    def unchanged(self) -> list[PlannedPerson]:
        return [p for p in self.people if p.left is None and p.bound]

    @property
    def left_alone(self) -> list[PlannedPerson]:
        return [p for p in self.people if p.left is not None]


@dataclass(frozen=True)
class Existing:
    """The organisation as the database holds it, to match the directory against."""

    units: Mapping[str, Unit]
    sections: Mapping[str, Section]
    aliases: Mapping[str, str]
    people: Sequence[Person]

    @classmethod
    async def load(cls, conn: aiosqlite.Connection) -> Existing:
        units = {u.id: u for u in await org.units(conn)}
        return cls(
            units={u.name: u for u in units.values()},
            sections={s.name: s for s in await org.sections(conn)},
            aliases={a: units[i].name for i, names in (await intake.aliases(conn)).items() for a in names if i in units},
            people=await org.people(conn),
        )


def unit_kind_of(name: str) -> UnitKind:
    """乡镇 by 镇/乡 at the end, 街区办事处 by 街道/办事处, otherwise a 部门."""
    if name.endswith(("镇", "乡", "镇人民政府", "乡人民政府")):
        return UnitKind.TOWN
    if "街道" in name or name.endswith("办事处"):
        return UnitKind.STREET
    return UnitKind.DEPARTMENT


def roles_by_title(title: str) -> frozenset[Role]:
    """A top-level member's role, where the title says it: 副市长 → 分管市领导, 市长 → 市政府主要领导."""
    if "副市长" in title:
        return frozenset({Role.LEADER})
    if "市长" in title:
        return frozenset({Role.PRINCIPAL})
    return frozenset()


def plan_directory(directory: Directory, existing: Existing) -> DirectoryPlan:
    """Map the address book onto units, 科室 and people.

    A 部门 named like a 科室 of the office is that 科室 (its members: 科室工作人员, or 政务监督室
    staff); any other 部门 directly under the organisation is a 责任单位 (matched by name or
    other name, else new), and the 部门 under it belong to it (its members: 责任单位责任人).
    Members at the top are 分管市领导 or 市政府主要领导 when their title says so.
    """
    departments = {d.dept_id: d for d in directory.departments}
    places: dict[int, PlannedUnit] = {}

    def place(dept_id: int) -> PlannedUnit | None:
        dept = departments.get(dept_id)
        if dept is None or dept_id == ROOT:
            return None
        if dept_id not in places:
            if dept.name in existing.sections:
                places[dept_id] = PlannedUnit(dept.name, dept.name, None, True)
            elif dept.parent_id in (ROOT, None):
                name = existing.aliases.get(dept.name, dept.name)
                places[dept_id] = PlannedUnit(dept.name, name, unit_kind_of(name), name in existing.units)
            else:
                parent = place(dept.parent_id)
                if parent is None:
                    return None
                places[dept_id] = parent
        return places[dept_id]

    for dept in directory.departments:
        place(dept.dept_id)
    by_account = {p.account.address: p for p in existing.people if p.account and p.account.channel == directory.channel}
    names = Counter(m.name for m in directory.members) + Counter(p.name for p in existing.people)
    people: list[PlannedPerson] = []
    for member in directory.members:
        where = next((p for p in map(place, member.dept_ids) if p is not None), None)
        roles = _roles(where, existing, member.title)
        where_name = where.name if where else ""
        bound = by_account.get(member.userid)
        if bound is not None:
            people.append(PlannedPerson(member.userid, member.name, where_name, bound.roles, bound, True))
            continue
        namesakes = [p for p in existing.people if p.name == member.name]
        left: Left | None = None
        if names[member.name] > 1 + len(namesakes) or len(namesakes) > 1:
            left = Left.NAME_TWICE
        elif namesakes and namesakes[0].account is not None:
            left = Left.BOUND_ELSEWHERE
        elif not namesakes and not roles:
            left = Left.NO_ROLE
        match = namesakes[0] if namesakes and left is None else None
        people.append(PlannedPerson(member.userid, member.name, where_name, match.roles if match else roles, match, False, left))
    units = {p.name: p for p in places.values()}
    return DirectoryPlan(tuple(units.values()), tuple(people))


def _roles(where: PlannedUnit | None, existing: Existing, title: str) -> frozenset[Role]:
    if where is None:
        return roles_by_title(title)
    if where.kind is not None:
        return frozenset({Role.RESPONSIBLE})
    section = existing.sections[where.name]
    return frozenset({Role.SUPERVISOR if section.is_supervision_office else Role.CLERK})


async def preview_directory(office: Office, directory: Directory) -> DirectoryPlan:
    """The plan against the database as it is, changing nothing (``--dry-run``)."""
    return plan_directory(directory, await Existing.load(office.db.reader))


async def import_directory(office: Office, directory: Directory, now: datetime, source: str) -> DirectoryPlan:
    """Apply the plan in one transaction: new units, new people, accounts bound; nothing
    deleted, nobody's roles, unit or existing account changed. Run again, it does nothing."""
    async with office.db.transaction() as conn:
        plan = plan_directory(directory, await Existing.load(conn))
        unit_ids = {u.name: u.id for u in await org.units(conn)}
        section_ids = {s.name: s.id for s in await org.sections(conn)}
        for unit in plan.new_units:
            assert unit.kind is not None
            created = await org.add_unit(conn, unit.name, unit.kind)
            unit_ids[unit.name] = created.id
            await history.append(conn, "imported", now, source=source, unit=unit.name, unit_kind=unit.kind.value)
        for planned in plan.created + plan.matched:
            person = planned.existing
            if person is None:
                in_unit = planned.place in unit_ids and Role.RESPONSIBLE in planned.roles
                person = await org.add_person(
                    conn, planned.name, planned.roles, now,
                    unit_ids[planned.place] if in_unit else None,
                    section_ids.get(planned.place) if not in_unit else None,
                )
                await history.append(conn, "imported", now, source=source, person=planned.name,
                                     roles=sorted(r.value for r in planned.roles))
            await org.bind_account(conn, person.id, Account(directory.channel, planned.userid), now)
            await history.append(conn, "account_bound", now, actor_id=person.id, source=source)
    return plan

