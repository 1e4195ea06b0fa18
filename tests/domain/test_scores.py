"""The 百分制 score (notice section 五): the points table, exact sums, voiding, ranking, figures."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.errors import DomainError
from bot.domain.scores import (
    DEFAULT_POINTS,
    ScoreCategory,
    ScoreEvent,
    ScoreRules,
    figures,
    ranking,
    void,
)

RULES = ScoreRules()
YEAR = 2026


def event(unit_id: int, category: ScoreCategory, on: date = date(YEAR, 6, 1), points: Decimal | None = None, id: int = 0) -> ScoreEvent:
    """One event booked with the table's points unless ``points`` is given."""
    return ScoreEvent(id, unit_id, category, RULES.points_for(category) if points is None else points, on)


def score_of(events: list[ScoreEvent], unit_id: int = 1, rules: ScoreRules = RULES) -> Decimal:
    rows = {r.unit_id: r for r in ranking(events, [unit_id], YEAR, rules)}
    return rows[unit_id].score


@pytest.mark.parametrize(
    ("category", "points", "rule"),
    [
        (ScoreCategory.REMINDER_SLIP, "-0.2", "责任单位每收到一次《工作催办单》扣0.2分"),
        (ScoreCategory.SUPERVISION_NOTICE, "-0.5", "每收到一次《督办通知单》扣0.5分"),
        (ScoreCategory.MEETING_LATE, "-0.2", "各部门参会迟到、早退、替会扣0.2分"),
        (ScoreCategory.MEETING_EARLY_LEAVE, "-0.2", "各部门参会迟到、早退、替会扣0.2分"),
        (ScoreCategory.MEETING_SUBSTITUTE, "-0.2", "各部门参会迟到、早退、替会扣0.2分"),
        (ScoreCategory.MEETING_ABSENT, "-0.5", "缺席会议扣0.5分"),
        (ScoreCategory.MATERIAL_LATE, "-0.2", "未按时、按要求上报材料扣0.2分"),
        (ScoreCategory.PRAISE, "1", "责任单位每受到市政府通报表扬一次加1分"),
        (ScoreCategory.CRITICISM, "-1", "每受到市政府通报批评一次扣1分"),
        (ScoreCategory.INTERVIEW, "-3", "约谈一次扣3分"),
    ],
)
def test_points_table_is_the_notices(category: ScoreCategory, points: str, rule: str) -> None:
    """Notice section 五, one rule per row (quoted in ``rule``)."""
    assert RULES.points_for(category) == Decimal(points), rule
    assert isinstance(RULES.points_for(category), Decimal)


def test_every_category_has_points() -> None:
    assert set(DEFAULT_POINTS) == set(ScoreCategory)


def test_hundred_point_scale() -> None:
    """"实行百分制计分": a unit with no events stands at 100."""
    assert RULES.base == Decimal("100")
    assert score_of([]) == Decimal("100")


@pytest.mark.parametrize(
    ("score", "below"),
    [(Decimal("79.9"), True), (Decimal("80"), False), (Decimal("80.0"), False), (Decimal("80.1"), False)],
)
def test_below_eighty_cannot_be_advanced(score: Decimal, below: bool) -> None:
    """"年终总分低于80分的单位不能评为先进单位": 80 exactly is not below 80."""
    events = [event(1, ScoreCategory.CRITICISM, points=score - RULES.base)]
    (row,) = ranking(events, [1], YEAR, RULES)
    assert row.score == score
    assert row.below_threshold is below


def test_one_reminder_and_one_supervision_notice_cost_seven_tenths() -> None:
    """−0.2 for the 催办单 and −0.5 for the 督办通知单 of the same overdue task."""
    events = [event(1, ScoreCategory.REMINDER_SLIP), event(1, ScoreCategory.SUPERVISION_NOTICE)]
    assert score_of(events) == Decimal("99.3")


def test_ten_tenths_sum_exactly() -> None:
    """SPEC §6: "Sums use exact decimal arithmetic"."""
    events = [event(1, ScoreCategory.MATERIAL_LATE, points=Decimal("-0.1")) for _ in range(10)]
    assert figures(events, [1], date(YEAR, 1, 1), date(YEAR, 12, 31))[1].total == Decimal("-1")
    assert score_of(events) == Decimal("99")
    assert str(score_of(events)) == "99.0"


def test_point_one_plus_point_two_is_point_three_in_the_ranking() -> None:
    """SPEC §6: "0.1 + 0.2 must be 0.3"."""
    rules = ScoreRules(points={**DEFAULT_POINTS, ScoreCategory.PRAISE: Decimal("0.1"), ScoreCategory.MATERIAL_LATE: Decimal("0.2")})
    events = [
        ScoreEvent(1, 1, ScoreCategory.PRAISE, rules.points_for(ScoreCategory.PRAISE), date(YEAR, 3, 1)),
        ScoreEvent(2, 1, ScoreCategory.MATERIAL_LATE, rules.points_for(ScoreCategory.MATERIAL_LATE), date(YEAR, 3, 2)),
    ]
    rows = ranking(events, [1, 2], YEAR, ScoreRules(base=Decimal("0")))
    assert rows[0].score == Decimal("0.3")
    assert score_of(events, rules=rules) == Decimal("100.3")


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(list(ScoreCategory)), max_size=40))
def test_score_is_exact_for_any_mix_of_events(categories: list[ScoreCategory]) -> None:
    """Whatever the mix, the score is 100 plus the table's points, to the tenth, with no float drift."""
    events = [event(1, c, id=i) for i, c in enumerate(categories)]
    tenths = sum(int(DEFAULT_POINTS[c] * 10) for c in categories)
    assert score_of(events) == Decimal(1000 + tenths) / 10


def test_voided_event_stays_but_does_not_count() -> None:
    """SPEC §4: "a wrong score event is voided with a reason, visibly"."""
    wrong = event(1, ScoreCategory.CRITICISM, id=5)
    voided = void(wrong, "  误录：应为表扬  ")
    assert voided.void_reason == "误录：应为表扬"
    assert not voided.counts and wrong.counts
    assert (voided.id, voided.points, voided.category) == (wrong.id, wrong.points, wrong.category)
    events = [voided, event(1, ScoreCategory.PRAISE, id=6)]
    assert score_of(events) == Decimal("101")
    assert figures(events, [1], date(YEAR, 1, 1), date(YEAR, 12, 31))[1].counts == {ScoreCategory.PRAISE: 1}
    assert voided in events  # still in the ledger


def test_void_needs_a_reason_and_happens_once() -> None:
    wrong = event(1, ScoreCategory.CRITICISM, id=5)
    with pytest.raises(DomainError) as info:
        void(wrong, "   ")
    assert info.value.code == "void_needs_reason"
    with pytest.raises(DomainError) as info:
        void(void(wrong, "误录"), "再次")
    assert info.value.code == "already_voided"


def test_equal_scores_share_a_rank() -> None:
    """Two units on 99.8 are both second; the next is fourth."""
    events = [
        event(1, ScoreCategory.PRAISE),
        event(2, ScoreCategory.REMINDER_SLIP),
        event(3, ScoreCategory.MEETING_LATE),
        event(4, ScoreCategory.INTERVIEW),
    ]
    rows = ranking(events, [4, 3, 2, 1], YEAR, RULES)
    assert [(r.rank, r.unit_id, r.score) for r in rows] == [
        (1, 1, Decimal("101")),
        (2, 2, Decimal("99.8")),
        (2, 3, Decimal("99.8")),
        (4, 4, Decimal("97")),
    ]


def test_ranking_counts_only_the_year_up_to_until() -> None:
    """"年终总分": the year's events; a running score stops at ``until``."""
    events = [
        event(1, ScoreCategory.CRITICISM, on=date(YEAR - 1, 12, 31)),
        event(1, ScoreCategory.REMINDER_SLIP, on=date(YEAR, 1, 1)),
        event(1, ScoreCategory.INTERVIEW, on=date(YEAR, 12, 31)),
        event(1, ScoreCategory.PRAISE, on=date(YEAR + 1, 1, 1)),
    ]
    assert score_of(events) == Decimal("96.8")
    (row,) = ranking(events, [1], YEAR, RULES, until=date(YEAR, 6, 30))
    assert row.score == Decimal("99.8")


def test_monthly_figures_per_category() -> None:
    """"每月通报各单位加减分情况": counts and points per unit and category for the month."""
    nov, dec = date(YEAR, 11, 1), date(YEAR, 11, 30)
    events = [
        event(1, ScoreCategory.REMINDER_SLIP, on=date(YEAR, 11, 3)),
        event(1, ScoreCategory.REMINDER_SLIP, on=date(YEAR, 11, 30)),
        event(1, ScoreCategory.MEETING_ABSENT, on=date(YEAR, 11, 15)),
        event(1, ScoreCategory.PRAISE, on=date(YEAR, 12, 1)),  # next month
        event(1, ScoreCategory.CRITICISM, on=date(YEAR, 10, 31)),  # last month
        event(2, ScoreCategory.PRAISE, on=date(YEAR, 11, 20)),
        event(9, ScoreCategory.INTERVIEW, on=date(YEAR, 11, 20)),  # not asked for
    ]
    month = figures(events, [1, 2, 3], nov, dec)
    assert set(month) == {1, 2, 3}
    assert month[1].counts == {ScoreCategory.REMINDER_SLIP: 2, ScoreCategory.MEETING_ABSENT: 1}
    assert month[1].points == {ScoreCategory.REMINDER_SLIP: Decimal("-0.4"), ScoreCategory.MEETING_ABSENT: Decimal("-0.5")}
    assert month[1].total == Decimal("-0.9")
    assert month[2].counts == {ScoreCategory.PRAISE: 1}
    assert month[2].total == Decimal("1")
    assert month[3].counts == {} and month[3].total == Decimal("0")
