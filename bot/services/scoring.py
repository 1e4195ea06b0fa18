"""加减分 by command (notice, section 五) and the score tables /scores shows.

"各部门参会迟到、早退、替会扣0.2分，缺席会议扣0.5分，未按时、按要求上报材料扣0.2分；责任单位每受到
市政府通报表扬一次加1分；每受到市政府通报批评一次扣1分。" Slip and 约谈 points are booked by the
escalation services; the events recorded here are the ones people report: attendance (clerks and
政务监督室), materials (the same), 通报表扬 and 通报批评 (政务监督室 only). Each event is written
with its history entry and a message to the unit's people, in one transaction. A wrong event is
voided with a reason by 政务监督室: it stays visible and stops counting.
"""

from __future__ import annotations

import re
from calendar import monthrange
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import aiosqlite

from bot.domain import scores as domain
from bot.domain.errors import DomainError
from bot.domain.org import Person, Unit
from bot.domain.permissions import Deed, check, may
from bot.domain.scores import RankingRow, ScoreCategory, ScoreEvent, UnitFigures
from bot.services.context import Office
from bot.services.notify import tell
from bot.storage import history, org
from bot.storage import scores as store

MEETING = (
    ScoreCategory.MEETING_LATE,
    ScoreCategory.MEETING_EARLY_LEAVE,
    ScoreCategory.MEETING_SUBSTITUTE,
    ScoreCategory.MEETING_ABSENT,
)
"""参会情况: 迟到、早退、替会、缺席."""

RECORDED_BY_OFFICE = frozenset({*MEETING, ScoreCategory.MATERIAL_LATE})
"""What a 科室 records (SPEC section 2): meeting attendance and material submissions."""

RECORDED_BY_SUPERVISION = frozenset({ScoreCategory.PRAISE, ScoreCategory.CRITICISM})
"""通报表扬 and 通报批评 come from the 市政府's 通报, which 政务监督室 publishes."""

NOTE_LIMIT = 200
"""A note is one line of a 台账, not a report."""


def may_record(person: Person, category: ScoreCategory) -> bool:
    """Clerks record attendance and materials; 政务监督室 records every kind a person records
    (the slips' and 约谈's points are booked with the step itself)."""
    if category in RECORDED_BY_OFFICE:
        return may(person, Deed.RECORD_OFFICE_SCORE)
    return category in RECORDED_BY_SUPERVISION and may(person, Deed.RECORD_NOTICE_SCORE)


@dataclass(frozen=True)
class Entry:
    """One unit and what happened to it (a meeting records a category per unit)."""

    unit_id: int
    category: ScoreCategory


async def record(
    office: Office,
    person: Person,
    entries: Sequence[Entry],
    note: str,
    occurred_on: date,
    now: datetime,
) -> list[ScoreEvent]:
    """Book one event per entry, tell each unit, and write the history, in one transaction.

    Raises:
        DomainError: ``not_allowed``; ``score_no_units`` with no entry; ``score_note_missing``
            or ``field_too_long`` for the note; ``date_in_future`` for a later day.
    """
    if not entries:
        raise DomainError("score_no_units")
    if any(not may_record(person, e.category) for e in entries):
        raise DomainError("not_allowed")
    note = " ".join(note.split())
    if not note:
        raise DomainError("score_note_missing")
    if len(note) > NOTE_LIMIT:
        raise DomainError("field_too_long", field="说明", limit=NOTE_LIMIT)
    if occurred_on > now.date():
        raise DomainError("date_in_future", date=occurred_on.isoformat())
    rules = office.settings.score_rules
    booked: list[ScoreEvent] = []
    async with office.db.transaction() as conn:
        seen: set[int] = set()
        for entry in entries:
            if entry.unit_id in seen:
                continue
            seen.add(entry.unit_id)
            unit = await org.unit(conn, entry.unit_id)
            if unit is None:
                raise DomainError("score_no_units")
            event = await store.book(
                conn, unit.id, entry.category, rules.points_for(entry.category), occurred_on, now,
                note=note, recorded_by=person.id,
            )
            booked.append(event)
            await history.append(
                conn, "score_recorded", now, actor_id=person.id, event_id=event.id, unit=unit.name,
                category=entry.category.value, points=str(event.points), note=note,
            )
            for member in await org.unit_members(conn, unit.id):
                await tell(conn, member, "scores/told_unit", now, event=event, unit=unit, pts=format_points, purpose="score")
    return booked


async def void_event(office: Office, person: Person, event_id: int, reason: str, now: datetime) -> tuple[ScoreEvent, Unit]:
    """政务监督室 voids a wrong event: it stays in the ledger with the reason and stops counting.

    Raises:
        DomainError: ``not_allowed``; ``score_event_unknown``; ``void_needs_reason``; ``already_voided``.
    """
    check(person, Deed.VOID_SCORE)
    async with office.db.transaction() as conn:
        event = await store.get(conn, event_id)
        if event is None:
            raise DomainError("score_event_unknown", event_id=event_id)
        return await void_on(conn, event, person, reason, now)


async def void_on(
    conn: aiosqlite.Connection, event: ScoreEvent, person: Person, reason: str, now: datetime
) -> tuple[ScoreEvent, Unit]:
    """Void ``event`` inside the caller's transaction: the event keeps its row with the reason,
    the history says so, and the unit's people are told (by /void, and when a slip is withdrawn).

    Raises:
        DomainError: ``void_needs_reason``; ``already_voided``.
    """
    voided = domain.void(event, reason)
    await store.void(conn, voided, person.id, now)
    unit = await org.unit(conn, event.unit_id)
    assert unit is not None
    await history.append(
        conn, "score_voided", now, actor_id=person.id, task_id=event.task_id, event_id=event.id,
        unit=unit.name, points=format_points(event.points, True), reason=voided.void_reason,
        **({"number": event.note} if event.slip_id is not None else {}),
    )
    for member in await org.unit_members(conn, unit.id):
        await tell(conn, member, "scores/voided_unit", now, event=voided, unit=unit, pts=format_points, purpose="score")
    return voided, unit


# ------------------------------------------------------------------ parsing what people type

_SEPARATORS = " \t,，、;；"


def take_units(text: str, units: Iterable[Unit]) -> tuple[list[Unit], str]:
    """The unit names at the start of ``text`` (separated by 、，, or spaces) and the rest.

    The longest name wins, so 交通运输局 is not read as 交通局 plus 运输局. Stops at the first
    word that is no unit's name: that is where the note begins.
    """
    by_length = sorted(units, key=lambda u: -len(u.name))
    found: list[Unit] = []
    rest = text.strip()
    while True:
        rest = rest.lstrip(_SEPARATORS)
        match = next((u for u in by_length if rest.startswith(u.name)), None)
        if match is None:
            return found, rest.strip()
        if match not in found:
            found.append(match)
        rest = rest[len(match.name):]


_DATE = re.compile(r"(?<!\d)(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?")


def find_date(text: str) -> tuple[date, str, str] | None:
    """The first date in ``text`` (2026-11-20, 2026年11月20日) and the text before and after it."""
    match = _DATE.search(text)
    if match is None:
        return None
    try:
        day = date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None
    return day, text[: match.start()].strip(), text[match.end():].strip()


_PERIOD = re.compile(r"^\s*(\d{4})(?:[-/.年](\d{1,2})月?)?\s*$")


@dataclass(frozen=True)
class Period:
    """A month or a whole year, as /scores and /report take it."""

    year: int
    month: int | None = None

    @property
    def start(self) -> date:
        """First day."""
        return date(self.year, self.month or 1, 1)

    @property
    def end(self) -> date:
        """Last day."""
        month = self.month or 12
        return date(self.year, month, monthrange(self.year, month)[1])

    @property
    def key(self) -> str:
        """2026-11 or 2026."""
        return f"{self.year}-{self.month:02d}" if self.month else str(self.year)

    def previous_month(self) -> Period:
        """The month before (a monthly 通报 covers the month before its 1st)."""
        assert self.month is not None
        return Period(self.year - 1, 12) if self.month == 1 else Period(self.year, self.month - 1)


def parse_period(text: str, *, allow_year: bool = True) -> Period:
    """``2026-11``, ``2026/11``, ``2026年11月`` or (when allowed) ``2026``.

    Raises:
        DomainError: ``period_text_invalid`` with the expected forms.
    """
    match = _PERIOD.match(text)
    if match is None or (match.group(2) is None and not allow_year):
        raise DomainError("period_text_invalid", text=text, allow_year=allow_year)
    year, month = int(match.group(1)), int(match.group(2)) if match.group(2) else None
    if not 2000 <= year <= 2100 or (month is not None and not 1 <= month <= 12):
        raise DomainError("period_text_invalid", text=text, allow_year=allow_year)
    return Period(year, month)


# ------------------------------------------------------------------ reading

@dataclass(frozen=True)
class ScoreLine:
    """One unit in a score table."""

    rank: int
    unit: Unit
    period_total: Decimal
    """The period's net 加减分."""
    score: Decimal
    """100 plus the year's events up to the period's end (the running annual score)."""
    below_threshold: bool
    """Below 80: 不能评为先进单位."""
    figures: UnitFigures


@dataclass(frozen=True)
class ScoreTable:
    """Every unit's figures for a period, best annual score first."""

    period: Period
    lines: tuple[ScoreLine, ...]
    threshold: Decimal
    until: date


@dataclass(frozen=True)
class UnitScores:
    """One unit's running annual score and the period's events (voided ones shown as such)."""

    unit: Unit
    period: Period
    score: Decimal
    period_total: Decimal
    below_threshold: bool
    events: tuple[ScoreEvent, ...]
    threshold: Decimal
    until: date


async def table(office: Office, period: Period, today: date) -> ScoreTable:
    """All units: the period's net points and the annual score as of the period's end (or today)."""
    conn = office.db.reader
    rules = office.settings.score_rules
    units = await org.units(conn)
    until = min(period.end, max(today, period.start))
    events = await store.between(conn, date(period.year, 1, 1), until)
    ranked = domain.ranking(events, [u.id for u in units], period.year, rules, until=until)
    period_figures = domain.figures(events, [u.id for u in units], period.start, until)
    by_id = {u.id: u for u in units}
    return ScoreTable(
        period,
        tuple(
            ScoreLine(r.rank, by_id[r.unit_id], period_figures[r.unit_id].total, r.score, r.below_threshold,
                      period_figures[r.unit_id])
            for r in ranked
        ),
        rules.advanced_threshold,
        until,
    )


async def of_unit(office: Office, unit_id: int, period: Period, today: date) -> UnitScores:
    """One unit's annual score up to the period's end (or today) and the period's events."""
    conn = office.db.reader
    rules = office.settings.score_rules
    unit = await org.unit(conn, unit_id)
    assert unit is not None
    until = min(period.end, max(today, period.start))
    events = await store.between(conn, date(period.year, 1, 1), until, unit_id=unit_id)
    year = domain.figures(events, [unit_id], date(period.year, 1, 1), until)[unit_id]
    now = domain.figures(events, [unit_id], period.start, until)[unit_id]
    score = rules.base + year.total
    return UnitScores(
        unit, period, score, now.total, score < rules.advanced_threshold,
        tuple(e for e in events if e.occurred_on >= period.start), rules.advanced_threshold, until,
    )


def reads_all_units(person: Person) -> bool:
    """Clerks, leaders, 政务监督室, the principal and the administrator see every unit's score."""
    return may(person, Deed.READ_ALL_UNITS)


def reads_unit(person: Person, unit: Unit) -> bool:
    """A unit's 责任人 / 联络员 sees the unit's own score."""
    return may(person, Deed.READ_OWN_SCORES, unit=unit)


def ranking_rows(table_: ScoreTable) -> list[RankingRow]:
    """The table as the domain's ranking rows."""
    return [RankingRow(line.rank, line.unit.id, line.score, line.below_threshold) for line in table_.lines]


def format_points(value: Decimal, signed: bool = False) -> str:
    """Points as people write them: 99.8, 100, -0.2 (with ``signed``, +1 and 0 too)."""
    text = format(value.normalize(), "f") if value != 0 else "0"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"+{text}" if signed and value > 0 else text
