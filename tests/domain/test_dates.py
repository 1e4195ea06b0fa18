"""Dates as people write them, read one way everywhere (bot/domain/dates.py)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.dates import NEAR, coming, read_date
from bot.domain.errors import DomainError
from bot.domain.minutes import stated_deadline
from bot.domain.calendar import WeekdayCalendar
from bot.domain.reporting import parse_schedule

TODAY = date(2026, 12, 20)


@pytest.mark.parametrize("text", ["2026-12-31", "2026/12/31", "2026.12.31", "2026年12月31日", "12月31日", "１２月３１日", "12月31号", "12月31日前"])
def test_every_way_of_writing_a_date_reads_the_same(text: str) -> None:
    assert read_date(text, TODAY, ahead=True) == date(2026, 12, 31)


def test_without_a_year_a_date_to_come_is_the_coming_one_and_a_day_held_this_years() -> None:
    assert read_date("1月15日", TODAY, ahead=True) == date(2027, 1, 15)
    assert read_date("1月15日", TODAY, ahead=False) == date(2026, 1, 15)  # the day a 约谈 was held
    assert read_date("12月20日", TODAY, ahead=True) == TODAY  # today, refused by the caller as not to come
    assert read_date("11月1日", TODAY, ahead=True) == date(2026, 11, 1)  # just past: refused, not next November
    assert read_date("2026年1月15日", TODAY, ahead=True) == date(2026, 1, 15)  # a year written is kept


@pytest.mark.parametrize("text", ["七天", "下周", "", "2026-12", "12-31"])
def test_text_that_writes_no_date_is_none(text: str) -> None:
    assert read_date(text, TODAY, ahead=True) is None


@pytest.mark.parametrize("text", ["2026-02-30", "2月30日", "13月1日", "2027-00-10"])
def test_a_date_that_does_not_exist_is_refused_not_taken_for_text(text: str) -> None:
    with pytest.raises(DomainError) as raised:
        read_date(text, TODAY, ahead=True)
    assert raised.value.code == "date_no_such_day"


@given(st.dates(min_value=date(2025, 1, 1), max_value=date(2030, 12, 30)), st.integers(-364, 364))
def test_a_day_without_a_year_is_the_near_one(today: date, offset: int) -> None:
    """Written without a year, a day up to half a year ahead is that day; any other is this
    year's (to come, or past and refused by the caller)."""
    target = today + timedelta(days=offset)
    found = coming(target.month, target.day, today)
    if found is None:  # 2月29日 in a year without one
        return
    assert (found.month, found.day) == (target.month, target.day)
    if 0 < offset <= NEAR.days:
        assert found == target
    else:
        assert found.year == today.year or found - today <= NEAR


def test_the_minutes_the_typed_period_and_a_schedule_agree_on_the_year() -> None:
    """「1月15日」 on 12月20日: the 会议纪要's 「1月15日前」, a 阶段汇报 date and a typed date are the
    same day."""
    stated = stated_deadline("住建局1月15日前完成。", TODAY, WeekdayCalendar())
    schedule = parse_schedule("1月15日", TODAY)
    assert stated == schedule.dates[0] == read_date("1月15日", TODAY, ahead=True) == date(2027, 1, 15)
