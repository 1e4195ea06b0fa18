"""The organisation: 责任单位 (units), 科室 (sections), people and their roles."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from bot.edge import Account


class Role(StrEnum):
    """What a person may do (SPEC section 2). A person may hold several roles."""

    ADMIN = "admin"
    """System administrator: units, sections, people, invites."""

    SUPERVISOR = "supervisor"
    """市政府办公室政务监督室: 专项交办, 备案 of 催办单, 督办通知单, 约谈, 移交作风办, 通报."""

    CLERK = "clerk"
    """A 科室 of the 市政府办公室: issues 交办单 and 催办单 for its section, reviews feedback."""

    LEADER = "leader"
    """分管市领导: decides extension requests of its units, reviews monthly analyses."""

    PRINCIPAL = "principal"
    """市政府主要领导: receives periodic reports and the monthly 通报."""

    RESPONSIBLE = "responsible"
    """责任单位's 责任人 / 联络员: own unit's tasks, 签收, 反馈, 申请延期."""


class UnitKind(StrEnum):
    """各乡镇人民政府、街区办事处、市政府各部门."""

    TOWN = "town"
    """乡镇."""

    STREET = "street"
    """街区办事处."""

    DEPARTMENT = "department"
    """市政府部门."""


@dataclass(frozen=True)
class Unit:
    """A 责任单位; every task has exactly one."""

    id: int
    name: str
    kind: UnitKind
    leader_id: int | None = None
    """The unit's 分管市领导 (a person with the leader role)."""


@dataclass(frozen=True)
class Section:
    """A 科室 of the 市政府办公室; the 政务监督室 is one with ``is_supervision_office``."""

    id: int
    name: str
    is_supervision_office: bool = False
    leader_id: int | None = None
    """The 分管市领导 who reviews this section's monthly analysis."""


@dataclass(frozen=True)
class Person:
    """Someone who uses the bot, bound to an account on a messenger through an invite."""

    id: int
    name: str
    roles: frozenset[Role] = field(default_factory=frozenset)
    unit_id: int | None = None
    section_id: int | None = None
    account: Account | None = None
    """Where the bot reaches the person: the account bound last (None: not bound yet)."""
    phone: str = ""
    unreachable: bool = False
    """The bot's messages to this person fail (blocked the bot): the issuer is told."""

    def has(self, role: Role) -> bool:
        """True when the person holds ``role``."""
        return role in self.roles


def has_bound_official(people: Iterable[Person]) -> bool:
    """Whether a 责任单位 has a 责任人 with a bound account: without one, its 交办单, 催办单 and
    督办通知单 reach nobody, and the office must know (``/units``, the daily summary).

    ``bot.storage.org.units_without_bound_official`` selects the same set in SQL."""
    return any(p.has(Role.RESPONSIBLE) and p.account is not None for p in people)


def rebinding_asks_first(current: Person | None, invitee_id: int) -> bool:
    """An account bound to one person that opens an invite for another is asked first: binding
    moves the account, and the person it leaves stops receiving their unit's slips."""
    return current is not None and current.id != invitee_id
