"""The administrator's lists and invites: /units, /people and /invite (SPEC sections 2 and 8).

Nothing here writes except ``invite``, which creates a one-time invite through
``onboarding.create_invite``. A person is listed under every 责任单位 and 科室 they belong to;
people in neither (分管市领导, 市政府主要领导, the administrator) form a group of their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.domain.errors import DomainError
from bot.domain.org import Person, Role, Section, Unit, UnitKind, has_bound_official
from bot.services import onboarding
from bot.services.context import Office
from bot.storage import org
from bot.storage.invites import Invite

ROLE_ORDER = tuple(Role)
"""Roles in the order SPEC section 2 lists them, as the lists name them."""


@dataclass(frozen=True)
class Group:
    """A 责任单位, a 科室, or everyone in neither, with its people."""

    name: str
    kind: str
    """``town``, ``street`` or ``department`` for a unit, ``section``, or ``others``."""
    leader_name: str
    """The unit's or section's 分管市领导; empty when none is named."""
    people: tuple[Person, ...]

    @property
    def bound(self) -> tuple[Person, ...]:
        """Those whose Telegram account is bound."""
        return tuple(p for p in self.people if p.account is not None)

    @property
    def unbound(self) -> tuple[Person, ...]:
        """Those who have not yet opened an invite link."""
        return tuple(p for p in self.people if p.account is None)

    @property
    def has_bound_official(self) -> bool:
        """For a unit: whether a 责任人 of it has bound their account (its slips reach someone)."""
        return has_bound_official(self.people)

    @property
    def blocked(self) -> tuple[Person, ...]:
        """Bound, but the bot's messages fail: they blocked the bot."""
        return tuple(p for p in self.people if p.account is not None and p.unreachable)


@dataclass(frozen=True)
class Directory:
    """The whole organisation as the administrator's lists show it."""

    units: tuple[Group, ...]
    """Every 责任单位: 乡镇, then 街区办事处, then 部门."""
    sections: tuple[Group, ...]
    others: Group
    people: tuple[Person, ...]
    """Everyone, once each."""

    @property
    def by_kind(self) -> tuple[tuple[str, tuple[Group, ...]], ...]:
        """The units grouped by kind, kinds without a unit left out."""
        return tuple(
            (kind.value, groups)
            for kind in UnitKind
            if (groups := tuple(g for g in self.units if g.kind == kind.value))
        )

    @property
    def groups(self) -> tuple[Group, ...]:
        """Units, sections, then the others, in the order the lists show them."""
        return (*self.units, *self.sections, self.others)

    @property
    def bound_count(self) -> int:
        """How many people have bound their Telegram account."""
        return sum(1 for p in self.people if p.account is not None)


@dataclass(frozen=True)
class Candidate:
    """A person /invite may mean, with where they work, so same-named people can be told apart."""

    person: Person
    places: tuple[str, ...]
    """The names of the unit and section they belong to (none for a leader, say)."""

    @property
    def roles(self) -> list[str]:
        """The person's roles, as ``roles_of`` orders them."""
        return roles_of(self.person)


@dataclass(frozen=True)
class Invitation:
    """A new invite and the person it is for."""

    person: Person
    places: tuple[str, ...]
    invite: Invite


async def directory(office: Office) -> Directory:
    """Every unit and section with its people, and everyone who belongs to neither."""
    conn = office.db.reader
    people = await org.people(conn)
    names = {p.id: p.name for p in people}
    units = sorted(await org.units(conn), key=lambda u: (list(UnitKind).index(u.kind), u.id))
    sections = await org.sections(conn)
    return Directory(
        units=tuple(
            Group(u.name, u.kind.value, _leader(names, u.leader_id), tuple(p for p in people if p.unit_id == u.id))
            for u in units
        ),
        sections=tuple(
            Group(s.name, "section", _leader(names, s.leader_id), tuple(p for p in people if p.section_id == s.id))
            for s in sections
        ),
        others=Group("", "others", "", tuple(p for p in people if p.unit_id is None and p.section_id is None)),
        people=tuple(people),
    )


def _leader(names: dict[int, str], leader_id: int | None) -> str:
    return names.get(leader_id, "") if leader_id is not None else ""


def find_groups(directory: Directory, text: str) -> tuple[Group, ...]:
    """The unit or section ``/people`` names: its exact name, or the one whose name contains it.

    Like ``queries.find_unit``, but over units and sections together.

    Raises:
        DomainError: ``people_group_unknown`` with the names that matched (several) or, when
            none did, every unit's and section's name.
    """
    text = text.strip()
    named = (*directory.units, *directory.sections)
    exact = tuple(g for g in named if g.name == text)
    if exact:
        return exact
    partial = tuple(g for g in named if text and text in g.name)
    if len(partial) == 1:
        return partial
    raise DomainError(
        "people_group_unknown",
        text=text,
        matches=[g.name for g in partial],
        units=[g.name for g in directory.units],
        sections=[g.name for g in directory.sections],
    )


def roles_of(person: Person) -> list[str]:
    """The person's roles in SPEC order (their labels are in ``messages/labels.toml``)."""
    return [r.value for r in ROLE_ORDER if r in person.roles]


async def invitee(office: Office, text: str) -> Candidate:
    """The person ``/invite`` names: their id (as /people shows it), or a name no one else has.

    Names are matched exactly: an invite for a near-miss would bind the wrong person.

    Raises:
        DomainError: ``invitee_ambiguous`` with the candidates when several people share the
            name; ``invitee_unknown`` when no id or name matches.
    """
    conn = office.db.reader
    text = text.strip()
    units = {u.id: u for u in await org.units(conn)}
    sections = {s.id: s for s in await org.sections(conn)}
    if text.isdigit() and len(text) <= 12:
        person = await org.person(conn, int(text))
        if person is not None:
            return Candidate(person, _place(person, units, sections))
    same_name = [p for p in await org.people(conn) if p.name == text]
    if len(same_name) == 1:
        return Candidate(same_name[0], _place(same_name[0], units, sections))
    if same_name:
        raise DomainError(
            "invitee_ambiguous", text=text, candidates=[Candidate(p, _place(p, units, sections)) for p in same_name]
        )
    raise DomainError("invitee_unknown", text=text)


def _place(person: Person, units: dict[int, Unit], sections: dict[int, Section]) -> tuple[str, ...]:
    """The names of the unit and the section a person belongs to."""
    names = []
    if person.unit_id is not None and person.unit_id in units:
        names.append(units[person.unit_id].name)
    if person.section_id is not None and person.section_id in sections:
        names.append(sections[person.section_id].name)
    return tuple(names)


async def invite(office: Office, text: str, now: datetime) -> Invitation:
    """A new one-time invite for the person ``text`` names (see ``invitee``)."""
    candidate = await invitee(office, text)
    created = await onboarding.create_invite(office, candidate.person.id, now)
    return Invitation(candidate.person, candidate.places, created)
