"""牵头 + 配合: one matter for a 牵头单位 with 配合单位 (「住建局牵头，交通局、城管局配合」).

Every unit gets its own 交办单 under the same matter; the 配合单位's copy says it is 配合 and who
leads. 配合单位 send their parts to the 牵头单位 (the issuer sees them too); the 牵头单位 gathers
them and submits the consolidated 办理结果, whose acceptance closes the matter for all.

The notice's 催办单 and 督办通知单 go "对不能按时完成任务的责任单位": for a shared matter that is
the 牵头单位, which answers for the whole — unless the 牵头单位 names a 配合单位 that has not sent
its part (:class:`ChaseRule`). Scores follow the slips: each unit loses the points of the slips
it received, and no other.

Pure functions; unit names are only read here, the services look them up.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from bot.domain.calendar import WorkCalendar
from bot.domain.errors import DomainError


class UnitRole(StrEnum):
    """A unit's part in a shared matter."""

    SOLE = "sole"
    """The one 责任单位 of an ordinary 交办单."""

    LEAD = "lead"
    """牵头单位: answers for the whole matter and submits the consolidated 办理结果."""

    PARTNER = "partner"
    """配合单位: sends its part to the 牵头单位."""


class ChaseRule(StrEnum):
    """Who receives the 催办单 / 督办通知单 when a shared matter is 逾期 (a deployment setting).

    The default, ``lead``, keeps one answerable unit: the notice chases "不能按时完成任务的责任
    单位", and the matter is the 牵头单位's to finish — chasing every partner would multiply
    slips and points for one delay. ``named`` lets the 牵头单位 name the 配合单位 that has held it
    up: then that unit, if it has not sent its part, is chased instead, so the points fall on the
    unit that was late.
    """

    LEAD = "lead"
    """Only the 牵头单位 is chased."""

    NAMED = "named"
    """The 配合单位 the 牵头单位 named, if its part is still missing; else the 牵头单位."""


_LEAD_MARK = re.compile(r"^(.+?)[(（]?牵头(?:单位)?[)）]?$")
_PARTNER_MARK = re.compile(r"^(.+?)[(（]?配合(?:单位)?[)）]?$")
_SEPARATORS = re.compile(r"[,，、;；\s]+")


@dataclass(frozen=True)
class UnitsLine:
    """The 单位 line of a 交办单 as written: the units in order and which one leads, if any."""

    names: tuple[str, ...]
    lead: str | None = None

    @property
    def partners(self) -> tuple[str, ...]:
        """The 配合单位: every unit but the 牵头单位, when there is one."""
        if self.lead is None:
            return ()
        return tuple(n for n in self.names if n != self.lead)


def parse_units(text: str) -> UnitsLine:
    """``住建局（牵头）、交通局、城管局`` — or ``住建局牵头，交通局、城管局配合`` — or plain names.

    A name marked 牵头 leads; names marked 配合 (or unmarked, beside a 牵头) are 配合单位.

    Raises:
        DomainError: ``lead_repeated`` when two units are marked 牵头; ``partner_is_lead`` when
            the 牵头单位 is also written as a 配合单位; ``lead_missing`` when units are marked 配合
            but none 牵头; ``lead_alone`` for a 牵头单位 with no 配合单位.
    """
    leads: list[str] = []
    partners: list[str] = []
    names: list[str] = []
    written: list[str] = []
    for raw in _SEPARATORS.split(unicodedata.normalize("NFKC", text).strip()):
        if not raw:
            continue
        if (match := _LEAD_MARK.match(raw)) and match.group(1):
            name = match.group(1).strip("()（）")
            leads.append(name)
        elif (match := _PARTNER_MARK.match(raw)) and match.group(1):
            name = match.group(1).strip("()（）")
            partners.append(name)
        else:
            name = raw
        written.append(name)
        if name not in names:
            names.append(name)
    if len(set(leads)) > 1:
        raise DomainError("lead_repeated", units=sorted(set(leads)))
    lead = leads[0] if leads else None
    check_lead_once(lead, written)
    if lead is None and partners:
        raise DomainError("lead_missing", units=partners)
    if lead is not None and len(names) < 2:
        raise DomainError("lead_alone", unit=lead)
    return UnitsLine(tuple(names), lead)


def check_lead_once(lead: Hashable | None, written: Sequence[Hashable]) -> None:
    """A unit is the 牵头单位 or a 配合单位 of a matter, never both: the 牵头单位 written a second
    time (「住建局牵头，住建局、城管局配合」, or under an alias: 「住建局（牵头）、市住房和城乡建设局」) is
    refused, not quietly kept as the lead alone.

    ``written`` holds the units as written, once per mention, each already reduced to one unit
    (its name, or its id) so that an alias counts as the unit it names.

    Raises:
        DomainError: ``partner_is_lead`` naming the unit (as ``lead`` names it).
    """
    if lead is not None and list(written).count(lead) > 1:
        raise DomainError("partner_is_lead", unit=str(lead))


def check_shared(lead_id: int | None, unit_ids: Sequence[int]) -> None:
    """A shared matter's units: the 牵头单位 is one of them and is nobody's 配合单位.

    Raises:
        DomainError: ``partner_is_lead`` when the 牵头单位 appears among the 配合单位 as well;
            ``lead_alone`` when it has no 配合单位.
    """
    if lead_id is None:
        return
    partners = [u for u in unit_ids if u != lead_id]
    if len(partners) != len(unit_ids) - 1:
        raise DomainError("partner_is_lead", unit=str(lead_id))
    if not partners:
        raise DomainError("lead_alone", unit=str(lead_id))


def role_of(unit_id: int, lead_id: int | None) -> UnitRole:
    """The unit's part in a matter issued with ``lead_id`` as 牵头单位 (None: each unit alone)."""
    if lead_id is None:
        return UnitRole.SOLE
    return UnitRole.LEAD if unit_id == lead_id else UnitRole.PARTNER


def closes_matter(role: UnitRole) -> bool:
    """Whether accepting this unit's 办理结果 closes the whole matter (the 牵头单位's consolidated one)."""
    return role is UnitRole.LEAD


def part_goes_to_lead(role: UnitRole) -> bool:
    """A 配合单位's feedback is its part: it goes to the 牵头单位 (and the issuer sees it), not to review."""
    return role is UnitRole.PARTNER


def reports_progress(role: UnitRole) -> bool:
    """Whether this unit's copy carries the matter's 阶段汇报 schedule.

    The 牵头单位 reports the matter's progress, gathering its partners' as it does for the
    办理结果; asking each 配合单位 to report too would multiply the burden offices are told to cut.
    """
    return role is not UnitRole.PARTNER


def asks_extension(role: UnitRole) -> bool:
    """Whether this unit's copy may ask the 分管市领导 for 延期.

    The matter has one deadline, and the 牵头单位 answers for it: a 配合单位 needing more time
    tells the 牵头单位, which asks for the matter (an extension granted to it moves every copy).
    A 配合单位 asking on its own would split the deadline its partners and the issuer read.
    """
    return role is not UnitRole.PARTNER


def is_chased_alone(role: UnitRole, named_late: bool = False) -> bool:
    """Whether the daily check chases this task by its own deadline.

    A 配合单位's copy has no clock of its own: its part is due to the 牵头单位, and the matter's
    deadline is chased on the 牵头单位's task — unless, under ``ChaseRule.NAMED``, the 牵头单位
    named it as late and its part has not come.
    """
    return role is not UnitRole.PARTNER or named_late


@dataclass(frozen=True)
class PartState:
    """A 配合单位 of a shared matter, and whether its part (配合办理情况) reached the 牵头单位."""

    unit_name: str
    sent: bool
    task_id: int = 0


def part_due(matter_deadline: date, lead_days: int, issued_on: date, calendar: WorkCalendar) -> date:
    """The last day a 配合单位 sends its part: ``lead_days`` working days before the matter's
    deadline, so the 牵头单位 has those days to gather the parts into one 办理结果 (a setting:
    ``sharing.part_lead_days``). Never before the day after issue, and never after the deadline;
    a working day, as any date a unit is held to."""
    day = matter_deadline
    left = lead_days
    while left > 0 and day > issued_on + timedelta(days=1):
        day -= timedelta(days=1)
        if calendar.is_workday(day):
            left -= 1
    while not calendar.is_workday(day) and day < matter_deadline:
        day += timedelta(days=1)
    return day


def part_reminded(due: date, today: date, next_check: date) -> bool:
    """Whether a 配合单位 whose part has not come is reminded in today's check: on the last check
    before its part's date and on that date itself (the 牵头单位's deadline reminders are its own)."""
    return today <= due <= next_check


def told_of_lead_slip(partner: UnitRole) -> bool:
    """Whether a unit hears of the 催办单 / 督办通知单 its 牵头单位 received.

    The notice chases and scores "不能按时完成任务的责任单位": the 牵头单位, which answers for the
    matter. Its 配合单位 are not scored for it, but are told — the slip is about work they share,
    and a part still missing is most likely why it came.
    """
    return partner is UnitRole.PARTNER
