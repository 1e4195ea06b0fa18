"""Deadlines: 民法典 第二百零一条 (the first day is not counted) and 第二百零三条 (a last day on a
法定休假日 moves to the next day), in calendar days or working days."""

from __future__ import annotations

import logging
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.calendar import ChineseWorkCalendar, WeekdayCalendar, WorkCalendar
from bot.domain.deadlines import (
    period_until,
    DeadlineMode,
    days_left,
    deadline_after,
    is_overdue,
    next_workday_on_or_after,
    overdue_days,
)
from bot.domain.errors import DomainError

OFFICIAL = ChineseWorkCalendar()


def test_spec_example_issued_11_24_with_7_days_is_due_12_01() -> None:
    """SPEC §4: "a slip issued on 11-24 with N=7 is due at the end of 12-01"."""
    assert deadline_after(date(2026, 11, 24), 7, OFFICIAL) == date(2026, 12, 1)


def test_window_of_three_days_after_a_reminder_slip() -> None:
    """"《工作催办单》与《督办通知单》下发后，原则上3天之内必须办结": Tue 12-01 + 3 → Fri 12-04."""
    assert deadline_after(date(2026, 12, 1), 3, OFFICIAL) == date(2026, 12, 4)


def test_last_day_on_national_day_holiday_moves_to_first_workday_after() -> None:
    # 2026 National Day break is 10-01..10-07 (chinesecalendar 1.11); 10-08 is a Thursday at work.
    assert deadline_after(date(2026, 9, 28), 5, OFFICIAL) == date(2026, 10, 8)
    assert deadline_after(date(2026, 9, 30), 1, OFFICIAL) == date(2026, 10, 8)
    assert deadline_after(date(2026, 9, 30), 7, OFFICIAL) == date(2026, 10, 8)


def test_last_day_on_weekend_moves_to_monday() -> None:
    # Mon 2026-11-23 + 5 = Sat 11-28 → Mon 11-30.
    assert deadline_after(date(2026, 11, 23), 5, OFFICIAL) == date(2026, 11, 30)
    assert deadline_after(date(2026, 11, 23), 6, OFFICIAL) == date(2026, 11, 30)
    assert deadline_after(date(2026, 11, 23), 5, WeekdayCalendar()) == date(2026, 11, 30)


def test_make_up_saturday_is_a_valid_last_day_in_calendar_mode() -> None:
    # Sat 2026-10-10 is a 调休 workday, so a period ending on it does not move.
    assert deadline_after(date(2026, 10, 7), 3, OFFICIAL) == date(2026, 10, 10)


def test_working_mode_counts_make_up_saturday_as_a_workday() -> None:
    # After Thu 10-08: Fri 10-09 (1), Sat 10-10 调休 (2), Mon 10-12 (3).
    working = DeadlineMode.WORKING
    assert deadline_after(date(2026, 10, 8), 3, OFFICIAL, working) == date(2026, 10, 12)
    # With a plain Mon–Fri calendar the same count ends on Tue 10-13.
    assert deadline_after(
        date(2026, 10, 8), 3, WeekdayCalendar(), DeadlineMode.WORKING
    ) == date(2026, 10, 13)


def test_working_mode_skips_the_whole_national_day_break() -> None:
    # Issued Wed 09-30: the first working day after it is 10-08.
    assert deadline_after(date(2026, 9, 30), 1, OFFICIAL, DeadlineMode.WORKING) == date(2026, 10, 8)
    # Issued on a holiday: the day of issue is not counted, whatever it is.
    assert deadline_after(date(2026, 10, 3), 2, OFFICIAL, DeadlineMode.WORKING) == date(2026, 10, 9)


def test_mode_accepts_the_configuration_string() -> None:
    mode = DeadlineMode("working")
    assert deadline_after(date(2026, 10, 8), 3, OFFICIAL, mode) == date(2026, 10, 12)


def test_2027_falls_back_to_weekdays_with_one_warning_and_honours_overrides(
    caplog: pytest.LogCaptureFixture,
) -> None:
    calendar = ChineseWorkCalendar(overrides={date(2027, 1, 1): False})
    with caplog.at_level(logging.WARNING, logger="bot.domain.calendar"):
        # Mon 2026-12-28 + 4 = Fri 2027-01-01 (holiday by override) → Sat, Sun → Mon 01-04.
        assert deadline_after(date(2026, 12, 28), 4, calendar) == date(2027, 1, 4)
        # Thu 2027-01-07 + 2 = Sat 01-09 → Mon 01-11.
        assert deadline_after(date(2027, 1, 7), 2, calendar) == date(2027, 1, 11)
        working = DeadlineMode.WORKING
        assert deadline_after(date(2027, 1, 7), 2, calendar, working) == date(2027, 1, 11)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "2027" in warnings[0].getMessage()


@pytest.mark.parametrize("days", [0, -1, -30, 10_000])
def test_days_out_of_range_are_refused(days: int) -> None:
    with pytest.raises(DomainError) as caught:
        deadline_after(date(2026, 11, 24), days, OFFICIAL)
    assert caught.value.code == "deadline_days_invalid"
    assert caught.value.details == {"days": days}


def test_non_integer_days_are_refused() -> None:
    with pytest.raises(DomainError, match="deadline_days_invalid"):
        deadline_after(date(2026, 11, 24), True, OFFICIAL)


def test_calendar_without_workdays_is_an_error_not_a_hang() -> None:
    class NeverWorks:
        def is_workday(self, day: date) -> bool:
            return False

    with pytest.raises(DomainError, match="calendar_without_workdays"):
        deadline_after(date(2026, 11, 24), 3, NeverWorks())
    with pytest.raises(DomainError, match="calendar_without_workdays"):
        deadline_after(date(2026, 11, 24), 3, NeverWorks(), DeadlineMode.WORKING)


def test_next_workday_on_or_after() -> None:
    assert next_workday_on_or_after(date(2026, 11, 30), OFFICIAL) == date(2026, 11, 30)
    assert next_workday_on_or_after(date(2026, 11, 28), OFFICIAL) == date(2026, 11, 30)
    assert next_workday_on_or_after(date(2026, 10, 1), OFFICIAL) == date(2026, 10, 8)
    assert next_workday_on_or_after(date(2026, 10, 10), OFFICIAL) == date(2026, 10, 10)


def test_overdue_days_counts_calendar_days_after_the_deadline() -> None:
    """附件2: "期限N天。现已逾期d天" — d in calendar days, 0 while not past."""
    deadline = date(2026, 12, 1)
    assert overdue_days(deadline, date(2026, 11, 30)) == 0
    assert overdue_days(deadline, deadline) == 0
    assert overdue_days(deadline, date(2026, 12, 2)) == 1
    assert overdue_days(deadline, date(2026, 12, 8)) == 7
    assert overdue_days(date(2026, 9, 30), date(2026, 10, 8)) == 8  # holidays count too


def test_days_left_and_is_overdue() -> None:
    deadline = date(2026, 12, 1)
    assert days_left(deadline, date(2026, 11, 28)) == 3
    assert days_left(deadline, deadline) == 0 and not is_overdue(deadline, deadline)
    assert days_left(deadline, date(2026, 12, 3)) == -2 and is_overdue(deadline, date(2026, 12, 3))


# --- properties ---------------------------------------------------------------------------

starts = st.dates(min_value=date(2004, 1, 1), max_value=date(2028, 12, 31))
periods = st.integers(min_value=1, max_value=60)
calendars = st.sampled_from([OFFICIAL, WeekdayCalendar()])


@given(start=starts, days=periods, calendar=calendars, mode=st.sampled_from(DeadlineMode))
def test_deadline_is_after_start_and_a_workday(
    start: date, days: int, calendar: WorkCalendar, mode: DeadlineMode
) -> None:
    due = deadline_after(start, days, calendar, mode)
    assert due > start
    assert calendar.is_workday(due)


@given(start=starts, days=periods, calendar=calendars)
def test_calendar_mode_moves_only_over_non_workdays(
    start: date, days: int, calendar: WorkCalendar
) -> None:
    due = deadline_after(start, days, calendar)
    nominal = start + timedelta(days=days)
    assert due >= nominal
    skipped = (nominal + timedelta(days=i) for i in range((due - nominal).days))
    assert not any(calendar.is_workday(d) for d in skipped)


@given(start=starts, days=periods, calendar=calendars)
def test_working_mode_has_exactly_n_workdays_after_start(
    start: date, days: int, calendar: WorkCalendar
) -> None:
    due = deadline_after(start, days, calendar, DeadlineMode.WORKING)
    span = (start + timedelta(days=i) for i in range(1, (due - start).days + 1))
    assert sum(calendar.is_workday(d) for d in span) == days


@given(deadline=starts, on=starts)
def test_overdue_days_and_days_left_agree(deadline: date, on: date) -> None:
    assert overdue_days(deadline, on) == max(0, -days_left(deadline, on))
    assert (overdue_days(deadline, on) > 0) == is_overdue(deadline, on)


@given(
    start=st.dates(min_value=date(2025, 1, 1), max_value=date(2026, 6, 30)),
    ahead=st.integers(min_value=1, max_value=180),
    mode=st.sampled_from(list(DeadlineMode)),
)
def test_a_stated_date_is_the_deadline_its_period_gives_in_either_mode(start: date, ahead: int, mode: DeadlineMode) -> None:
    """「期限：12月31日」 on a slip that says "N天内": the N is such that the deadline is that date
    (or, on a rest day, the next working day), whether N counts days or working days."""
    stated = start + timedelta(days=ahead)
    days = period_until(stated, start, OFFICIAL, mode)
    assert deadline_after(start, days, OFFICIAL, mode) == next_workday_on_or_after(stated, OFFICIAL)


def test_a_stated_date_counts_working_days_in_working_mode() -> None:
    """Tuesday 2026-11-24 to Friday 2026-12-04 is 8 working days (the weekend of 11-28 not
    counted), where the calendar mode counts 10 days."""
    assert period_until(date(2026, 12, 4), date(2026, 11, 24), OFFICIAL, DeadlineMode.WORKING) == 8
    assert period_until(date(2026, 12, 4), date(2026, 11, 24), OFFICIAL, DeadlineMode.CALENDAR) == 10
    # a Saturday stated: the next Monday, in working days too
    assert deadline_after(date(2026, 11, 24), period_until(date(2026, 12, 5), date(2026, 11, 24), OFFICIAL, DeadlineMode.WORKING), OFFICIAL, DeadlineMode.WORKING) == date(2026, 12, 7)


@pytest.mark.parametrize("mode", list(DeadlineMode))
def test_a_stated_date_not_after_the_day_of_issue_is_refused(mode: DeadlineMode) -> None:
    for stated in (date(2026, 11, 24), date(2026, 11, 23)):
        with pytest.raises(DomainError) as raised:
            period_until(stated, date(2026, 11, 24), OFFICIAL, mode)
        assert raised.value.code == "date_not_future"
