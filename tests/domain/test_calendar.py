"""The working-day calendar: statutory holidays, 调休 make-up days, overrides, unknown years."""

from __future__ import annotations

import logging
from datetime import date

import pytest

from bot.domain.calendar import (
    KNOWN_YEARS,
    ChineseWorkCalendar,
    WeekdayCalendar,
    WorkCalendar,
    is_known_year,
)

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


def test_unknown_year_falls_back_to_weekdays_and_warns_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    seen: list[int] = []
    calendar = ChineseWorkCalendar(
        overrides={date(2027, 1, 1): False}, on_unknown_year=seen.append
    )
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        assert not calendar.is_workday(date(2027, 1, 1))  # a Friday, made a holiday by override
        assert calendar.is_workday(date(2027, 1, 4))  # Monday
        assert not calendar.is_workday(date(2027, 1, 9))  # Saturday
        assert calendar.is_workday(date(2027, 3, 3))
        assert calendar.is_workday(date(2028, 3, 3))
    warnings = [r for r in caplog.records if r.name == LOGGER and r.levelno == logging.WARNING]
    assert len(warnings) == 2
    assert "2027" in warnings[0].getMessage() and "2028" in warnings[1].getMessage()
    assert seen == [2027, 2028]


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
