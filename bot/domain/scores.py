"""The 百分制 score of each 责任单位 (notice, section 五).

"实行百分制计分，年终总分低于80分的单位不能评为先进单位。" Every event is a row; a wrong one is
voided with a reason, never deleted. Sums are exact (``Decimal``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

from bot.domain.errors import DomainError


class ScoreCategory(StrEnum):
    """A kind of 加减分 event; the value is stored and never renamed."""

    REMINDER_SLIP = "reminder_slip"
    """每收到一次《工作催办单》扣0.2分."""
    SUPERVISION_NOTICE = "supervision_notice"
    """每收到一次《督办通知单》扣0.5分."""
    MEETING_LATE = "meeting_late"
    """参会迟到扣0.2分."""
    MEETING_EARLY_LEAVE = "meeting_early_leave"
    """参会早退扣0.2分."""
    MEETING_SUBSTITUTE = "meeting_substitute"
    """替会扣0.2分."""
    MEETING_ABSENT = "meeting_absent"
    """缺席会议扣0.5分."""
    MATERIAL_LATE = "material_late"
    """未按时、按要求上报材料扣0.2分."""
    PRAISE = "praise"
    """受到市政府通报表扬一次加1分."""
    CRITICISM = "criticism"
    """受到市政府通报批评一次扣1分."""
    INTERVIEW = "interview"
    """约谈一次扣3分."""
    REPORT_MISSED = "report_missed"
    """超期未汇报: a 阶段汇报 date let pass. The notice sets no points for it and offices are told
    not to add burden, so it books 0 unless the score table is configured otherwise
    (``scores.points.report_missed``)."""


DEFAULT_POINTS: Mapping[ScoreCategory, Decimal] = {
    ScoreCategory.REMINDER_SLIP: Decimal("-0.2"),
    ScoreCategory.SUPERVISION_NOTICE: Decimal("-0.5"),
    ScoreCategory.MEETING_LATE: Decimal("-0.2"),
    ScoreCategory.MEETING_EARLY_LEAVE: Decimal("-0.2"),
    ScoreCategory.MEETING_SUBSTITUTE: Decimal("-0.2"),
    ScoreCategory.MEETING_ABSENT: Decimal("-0.5"),
    ScoreCategory.MATERIAL_LATE: Decimal("-0.2"),
    ScoreCategory.PRAISE: Decimal("1"),
    ScoreCategory.CRITICISM: Decimal("-1"),
    ScoreCategory.INTERVIEW: Decimal("-3"),
    ScoreCategory.REPORT_MISSED: Decimal("0"),
}


@dataclass(frozen=True)
class ScoreRules:
    """The configurable score table."""

    points: Mapping[ScoreCategory, Decimal] = field(default_factory=lambda: dict(DEFAULT_POINTS))
    base: Decimal = Decimal("100")
    """Every unit starts each year at 100."""
    advanced_threshold: Decimal = Decimal("80")
    """年终总分低于80分的单位不能评为先进单位."""

    def points_for(self, category: ScoreCategory) -> Decimal:
        """The points one event of ``category`` books."""
        return self.points[category]


@dataclass(frozen=True)
class ScoreEvent:
    """One 加减分 booked to one unit."""

    id: int
    unit_id: int
    category: ScoreCategory
    points: Decimal
    occurred_on: date
    note: str = ""
    task_id: int | None = None
    slip_id: int | None = None
    recorded_by: int | None = None
    void_reason: str | None = None

    @property
    def counts(self) -> bool:
        """A voided event stays visible but no longer counts."""
        return self.void_reason is None


def void(event: ScoreEvent, reason: str) -> ScoreEvent:
    """Void a wrong event: it stays in the ledger with the reason, and stops counting."""
    if not reason.strip():
        raise DomainError("void_needs_reason")
    if not event.counts:
        raise DomainError("already_voided", event_id=event.id)
    return ScoreEvent(**{**event.__dict__, "void_reason": reason.strip()})


@dataclass(frozen=True)
class UnitFigures:
    """A unit's counts and points per category over a period."""

    unit_id: int
    counts: Mapping[ScoreCategory, int]
    points: Mapping[ScoreCategory, Decimal]

    @property
    def total(self) -> Decimal:
        """The period's net 加减分."""
        return sum(self.points.values(), Decimal(0))


def figures(events: Iterable[ScoreEvent], unit_ids: Iterable[int], start: date, end: date) -> dict[int, UnitFigures]:
    """Counts and points per unit and category for events in [start, end]; voided ones left out."""
    counts: dict[int, dict[ScoreCategory, int]] = {u: defaultdict(int) for u in unit_ids}
    points: dict[int, dict[ScoreCategory, Decimal]] = {u: defaultdict(Decimal) for u in counts}
    for event in events:
        if event.counts and start <= event.occurred_on <= end and event.unit_id in counts:
            counts[event.unit_id][event.category] += 1
            points[event.unit_id][event.category] += event.points
    return {u: UnitFigures(u, dict(counts[u]), dict(points[u])) for u in counts}


@dataclass(frozen=True)
class RankingRow:
    """One line of the year-end ranking."""

    rank: int
    unit_id: int
    score: Decimal
    below_threshold: bool
    """不能评为先进单位."""


def ranking(
    events: Iterable[ScoreEvent], unit_ids: Iterable[int], year: int, rules: ScoreRules, until: date | None = None
) -> list[RankingRow]:
    """Annual scores (100 plus the year's events up to ``until``), best first; equal scores share a rank."""
    end = until or date(year, 12, 31)
    per_unit = figures(events, unit_ids, date(year, 1, 1), end)
    scored = sorted(((rules.base + f.total, u) for u, f in per_unit.items()), key=lambda p: (-p[0], p[1]))
    rows: list[RankingRow] = []
    for position, (score, unit_id) in enumerate(scored, start=1):
        rank = rows[-1].rank if rows and rows[-1].score == score else position
        rows.append(RankingRow(rank, unit_id, score, score < rules.advanced_threshold))
    return rows
