"""A whole year of 加减分 for four units, worked out by hand from the notice (section 五):

"实行百分制计分，年终总分低于80分的单位不能评为先进单位。责任单位每收到一次《工作催办单》扣0.2分；
每收到一次《督办通知单》扣0.5分；各部门参会迟到、早退、替会扣0.2分，缺席会议扣0.5分，未按时、按要求
上报材料扣0.2分；责任单位每受到市政府通报表扬一次加1分；每受到市政府通报批评一次扣1分。……约谈一次扣3分。"

The hand calculation, unit by unit:

* 住建局 — one 催办单 every month (12 × −0.2 = −2.4), one 通报表扬 in June (+1), and a 通报批评
  in March that was voided (0). Year: 100 − 2.4 + 1 = **98.6**. March: −0.2; June: −0.2 + 1 = +0.8.
* 交通运输局 — 督办通知单 in January, March, May, July (4 × −0.5 = −2), 约谈 every even month
  (6 × −3 = −18), late for a meeting in November (−0.2). Year: 100 − 2 − 18 − 0.2 = **79.8**:
  below 80, 不能评为先进单位. November: −0.2; December: −3.
* 穰东镇 — absent from a meeting January to April (4 × −0.5 = −2) and 约谈 every even month
  (−18). Year: **80** exactly: not below 80, so it may still be rated. February: −0.5 − 3 = −3.5.
* 教育局 — 通报表扬 twice (+2), 通报批评 once (−1), materials late five times (5 × −0.2 = −1),
  left one meeting early and sent a substitute to another (2 × −0.2 = −0.4).
  Year: 100 + 2 − 1 − 1 − 0.4 = **99.6**.

Ranking: 教育局 99.6, 住建局 98.6, 穰东镇 80, 交通运输局 79.8.
"""

from __future__ import annotations

from calendar import monthrange
from datetime import date
from decimal import Decimal

from bot.domain.scores import DEFAULT_POINTS, ScoreCategory, ScoreEvent, ScoreRules, figures, ranking, void

C = ScoreCategory
ZHUJIAN, JIAOTONG, RANGDONG, JIAOYU = 1, 2, 3, 4
UNITS = (ZHUJIAN, JIAOTONG, RANGDONG, JIAOYU)
YEAR = 2026


def _year() -> list[ScoreEvent]:
    made: list[tuple[int, ScoreCategory, date]] = []
    made += [(ZHUJIAN, C.REMINDER_SLIP, date(YEAR, m, 10)) for m in range(1, 13)]
    made += [(ZHUJIAN, C.PRAISE, date(YEAR, 6, 18))]
    made += [(JIAOTONG, C.SUPERVISION_NOTICE, date(YEAR, m, 3)) for m in (1, 3, 5, 7)]
    made += [(JIAOTONG, C.INTERVIEW, date(YEAR, m, 20)) for m in (2, 4, 6, 8, 10, 12)]
    made += [(JIAOTONG, C.MEETING_LATE, date(YEAR, 11, 5))]
    made += [(RANGDONG, C.MEETING_ABSENT, date(YEAR, m, 8)) for m in (1, 2, 3, 4)]
    made += [(RANGDONG, C.INTERVIEW, date(YEAR, m, 25)) for m in (2, 4, 6, 8, 10, 12)]
    made += [(JIAOYU, C.PRAISE, date(YEAR, m, 1)) for m in (5, 9)]
    made += [(JIAOYU, C.CRITICISM, date(YEAR, 7, 31))]
    made += [(JIAOYU, C.MATERIAL_LATE, date(YEAR, m, 28)) for m in (1, 2, 3, 9, 12)]
    made += [(JIAOYU, C.MEETING_EARLY_LEAVE, date(YEAR, 4, 2)), (JIAOYU, C.MEETING_SUBSTITUTE, date(YEAR, 12, 31))]
    events = [ScoreEvent(i, unit, cat, DEFAULT_POINTS[cat], day) for i, (unit, cat, day) in enumerate(made, start=1)]
    wrong = ScoreEvent(len(events) + 1, ZHUJIAN, C.CRITICISM, DEFAULT_POINTS[C.CRITICISM], date(YEAR, 3, 15))
    events.append(void(wrong, "误记：应为交通运输局"))
    # Last year's and next year's events belong to other years' scores.
    events.append(ScoreEvent(900, JIAOTONG, C.INTERVIEW, Decimal(-3), date(YEAR - 1, 12, 31)))
    events.append(ScoreEvent(901, JIAOTONG, C.INTERVIEW, Decimal(-3), date(YEAR + 1, 1, 1)))
    return events


def _month(month: int) -> dict[int, Decimal]:
    start, end = date(YEAR, month, 1), date(YEAR, month, monthrange(YEAR, month)[1])
    return {u: f.total for u, f in figures(_year(), UNITS, start, end).items()}


def test_annual_scores_and_ranking_match_the_hand_calculation():
    rows = ranking(_year(), UNITS, YEAR, ScoreRules())
    assert [(r.rank, r.unit_id, r.score, r.below_threshold) for r in rows] == [
        (1, JIAOYU, Decimal("99.6"), False),
        (2, ZHUJIAN, Decimal("98.6"), False),
        (3, RANGDONG, Decimal("80"), False),
        (4, JIAOTONG, Decimal("79.8"), True),
    ]
    assert [r.unit_id for r in rows if r.below_threshold] == [JIAOTONG]


def test_monthly_figures_match_the_hand_calculation():
    assert _month(3)[ZHUJIAN] == Decimal("-0.2")  # the voided 通报批评 does not count
    assert _month(6)[ZHUJIAN] == Decimal("0.8")
    assert _month(11)[JIAOTONG] == Decimal("-0.2")
    assert _month(12)[JIAOTONG] == Decimal("-3")
    assert _month(2)[RANGDONG] == Decimal("-3.5")
    assert _month(12)[JIAOYU] == Decimal("-0.4")  # material late on 12-28, substitute on 12-31
    assert _month(8) == {ZHUJIAN: Decimal("-0.2"), JIAOTONG: Decimal("-3"), RANGDONG: Decimal("-3"), JIAOYU: Decimal("0")}


def test_the_twelve_months_add_up_to_the_year_exactly():
    annual = {r.unit_id: r.score - 100 for r in ranking(_year(), UNITS, YEAR, ScoreRules())}
    for unit in UNITS:
        assert sum((_month(m)[unit] for m in range(1, 13)), Decimal(0)) == annual[unit]
    # Twelve −0.2 in floating point would not come to −2.4; in Decimal they do.
    assert annual[ZHUJIAN] + Decimal(-1) == Decimal("-2.4")


def test_counts_per_category_for_the_monthly_report():
    year = figures(_year(), UNITS, date(YEAR, 1, 1), date(YEAR, 12, 31))
    assert year[JIAOTONG].counts == {C.SUPERVISION_NOTICE: 4, C.INTERVIEW: 6, C.MEETING_LATE: 1}
    assert year[JIAOYU].counts[C.MATERIAL_LATE] == 5
    assert year[JIAOYU].points[C.MATERIAL_LATE] == Decimal("-1.0")
    assert year[ZHUJIAN].counts.get(C.CRITICISM, 0) == 0


def test_the_score_part_way_through_the_year():
    mid = ranking(_year(), UNITS, YEAR, ScoreRules(), until=date(YEAR, 6, 30))
    scores = {r.unit_id: r.score for r in mid}
    # 住建局: 6 催办单 and the praise; 交通运输局: 3 督办 (Jan, Mar, May) and 3 约谈 (Feb, Apr, Jun);
    # 穰东镇: 4 缺席 and 3 约谈; 教育局: the May praise, 3 materials late, the early leave in April.
    assert scores == {ZHUJIAN: Decimal("99.8"), JIAOTONG: Decimal("89.5"), RANGDONG: Decimal("89"), JIAOYU: Decimal("100.2")}
    assert [r.unit_id for r in mid] == [JIAOYU, ZHUJIAN, JIAOTONG, RANGDONG]
    assert not any(r.below_threshold for r in mid)
