"""The working-day calendar: statutory holidays, 调休 make-up days, overrides, unknown years."""

from __future__ import annotations

import logging
from datetime import date, timedelta

import holidays
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.calendar import (
    KNOWN_YEARS,
    ChineseWorkCalendar,
    WeekdayCalendar,
    WorkCalendar,
    is_known_year,
    is_statutory_rest_day,
    statutory_holidays,
)
from bot.domain.deadlines import DeadlineMode, deadline_after

LOGGER = "bot.domain.calendar"


def test_both_calendars_satisfy_the_protocol() -> None:
    calendars: list[WorkCalendar] = [ChineseWorkCalendar(), WeekdayCalendar()]
    assert all(c.is_workday(date(2026, 6, 3)) for c in calendars)  # a Wednesday


def test_national_day_2026_is_a_holiday_and_the_following_saturday_a_make_up_workday() -> None:
    calendar = ChineseWorkCalendar()
    assert calendar.is_workday(date(2026, 9, 30))
    assert not any(calendar.is_workday(date(2026, 10, d)) for d in range(1, 8))
    assert calendar.is_workday(date(2026, 10, 8))
    # 2026-10-10 is a Saturday worked in exchange (调休) for the National Day break.
    assert date(2026, 10, 10).weekday() == 5
    assert calendar.is_workday(date(2026, 10, 10))
    assert not calendar.is_workday(date(2026, 10, 11))


def test_ordinary_weekend_is_not_a_workday() -> None:
    calendar = ChineseWorkCalendar()
    assert not calendar.is_workday(date(2026, 11, 28))  # Saturday
    assert not calendar.is_workday(date(2026, 11, 29))  # Sunday
    assert calendar.is_workday(date(2026, 11, 30))


def test_overrides_win_over_the_package() -> None:
    calendar = ChineseWorkCalendar(
        overrides={date(2026, 10, 5): True, date(2026, 11, 30): False, date(2026, 10, 10): False}
    )
    assert calendar.is_workday(date(2026, 10, 5))
    assert not calendar.is_workday(date(2026, 11, 30))
    assert not calendar.is_workday(date(2026, 10, 10))


def test_overrides_are_copied_at_construction() -> None:
    table = {date(2026, 11, 30): False}
    calendar = ChineseWorkCalendar(overrides=table)
    table[date(2026, 11, 30)] = True
    assert not calendar.is_workday(date(2026, 11, 30))


def test_known_years_cover_the_package_range() -> None:
    assert is_known_year(2004) and is_known_year(2026)
    assert not is_known_year(2003) and not is_known_year(2027)
    assert ChineseWorkCalendar().known_years == KNOWN_YEARS


def test_unknown_year_falls_back_to_the_statutory_holidays_and_warns_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    seen: list[int] = []
    calendar = ChineseWorkCalendar(
        overrides={date(2027, 1, 4): False}, on_unknown_year=seen.append
    )
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        assert not calendar.is_workday(date(2027, 1, 1))  # 元旦, a Friday: the law's holiday
        assert not calendar.is_workday(date(2027, 1, 4))  # Monday, made a rest day by override
        assert calendar.is_workday(date(2027, 1, 5))
        assert not calendar.is_workday(date(2027, 1, 9))  # Saturday
        assert calendar.is_workday(date(2027, 3, 3))
        assert calendar.is_workday(date(2028, 3, 3))
    warnings = [r for r in caplog.records if r.name == LOGGER and r.levelno == logging.WARNING]
    assert len(warnings) == 2
    assert "2027" in warnings[0].getMessage() and "2028" in warnings[1].getMessage()
    assert seen == [2027, 2028]


FUTURE_YEARS = st.integers(min_value=max(KNOWN_YEARS) + 1, max_value=max(KNOWN_YEARS) + 30)


@given(year=FUTURE_YEARS)
def test_new_year_spring_festival_and_national_day_are_rest_days_in_every_future_year(year: int) -> None:
    """《全国年节及纪念日放假办法》第二条: 元旦 1月1日, 春节 农历除夕、正月初一至初三, 国庆节
    10月1日至3日 — fixed by law, so rest days before the State Council's notice of the year."""
    calendar = ChineseWorkCalendar()
    assert not calendar.is_workday(date(year, 1, 1))
    assert not any(calendar.is_workday(date(year, 10, d)) for d in (1, 2, 3))
    spring = [d for d, name in holidays.country_holidays("CN", years=year, language="en_US").items()
              if "Spring Festival" in name and "observed" not in name]
    assert len(spring) == 3  # 正月初一至初三
    assert not any(calendar.is_workday(d) for d in spring)
    assert not calendar.is_workday(min(spring) - timedelta(days=1))  # 除夕 (the 2025 amendment)
    assert is_statutory_rest_day(date(year, 1, 1))


def test_the_lunar_holidays_of_2027_and_2028() -> None:
    """春节 2027: 除夕 2月5日, 初一 2月6日; 中秋 2027 9月15日; 端午 2028 5月28日 (a Sunday, so the
    Monday after is given)."""
    calendar = ChineseWorkCalendar()
    assert not any(calendar.is_workday(date(2027, 2, d)) for d in range(5, 11))
    assert calendar.is_workday(date(2027, 2, 11))
    assert not calendar.is_workday(date(2027, 9, 15))
    assert not calendar.is_workday(date(2027, 4, 5))  # 清明
    assert not calendar.is_workday(date(2028, 5, 29))


@pytest.mark.parametrize("mode", list(DeadlineMode))
@given(year=FUTURE_YEARS, days=st.integers(min_value=1, max_value=20))
def test_periods_across_new_year_never_end_on_a_statutory_holiday(mode: DeadlineMode, year: int, days: int) -> None:
    """民法典 第二百零三条: a last day on 元旦 or 国庆 moves on; counted in working days, no holiday
    is counted at all."""
    calendar = ChineseWorkCalendar()
    for start in (date(year - 1, 12, 31) - timedelta(days=days), date(year, 9, 30)):
        deadline = deadline_after(start, days, calendar, mode)
        assert calendar.is_workday(deadline)
        if mode is DeadlineMode.WORKING:
            counted = sum(calendar.is_workday(start + timedelta(days=i)) for i in range(1, (deadline - start).days + 1))
            assert counted == days
            span = {start + timedelta(days=i) for i in range(1, (deadline - start).days + 1)}
            assert not any(day in statutory_holidays(day.year) and calendar.is_workday(day) for day in span)


def test_ten_working_days_from_2026_12_21_skip_new_year() -> None:
    """「10个工作日内」 from 2026年12月21日: 12月22–25日, 28–31日 are 8; 2027年1月1日 is 元旦, 1月2–3日
    a weekend; 1月4日 and 5日 make 10."""
    calendar = ChineseWorkCalendar()
    assert deadline_after(date(2026, 12, 21), 10, calendar, DeadlineMode.WORKING) == date(2027, 1, 5)
    assert deadline_after(date(2026, 12, 21), 11, calendar, DeadlineMode.CALENDAR) == date(2027, 1, 4)


def test_override_alone_does_not_warn(caplog: pytest.LogCaptureFixture) -> None:
    calendar = ChineseWorkCalendar(overrides={date(2027, 1, 1): False})
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        assert not calendar.is_workday(date(2027, 1, 1))
    assert not caplog.records


def test_weekday_calendar_ignores_statutory_holidays_but_honours_overrides() -> None:
    calendar = WeekdayCalendar(overrides={date(2026, 10, 2): False, date(2026, 10, 10): True})
    assert calendar.is_workday(date(2026, 10, 1))
    assert not calendar.is_workday(date(2026, 10, 2))
    assert not calendar.is_workday(date(2026, 10, 3))
    assert calendar.is_workday(date(2026, 10, 10))
    assert dict(calendar.overrides) == {date(2026, 10, 2): False, date(2026, 10, 10): True}


def test_a_year_is_known_from_the_package_or_from_entries_by_hand() -> None:
    """``duban calendar`` entries for a year count as its arrangement; without them a year the
    package lacks is unknown, and deadlines in it are warned of."""
    from bot.domain.calendar import arrangement_known

    assert arrangement_known(ChineseWorkCalendar(), 2026)
    assert not arrangement_known(ChineseWorkCalendar(), 2027)
    assert arrangement_known(ChineseWorkCalendar(overrides={date(2027, 1, 1): False}), 2027)
