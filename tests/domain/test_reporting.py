"""阶段汇报: the schedule of a long task (每周X / 每月N日前 / 每季度末 / dates), its report dates
moved off rest days as deadlines are (民法典 第二百零三条), and 超期未汇报."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.calendar import ChineseWorkCalendar, WeekdayCalendar
from bot.domain.deadlines import next_workday_on_or_after
from bot.domain.errors import DomainError
from bot.domain.reporting import (
    ReportSchedule,
    ScheduleKind,
    answered_dates,
    check_schedule,
    missed_report,
    next_report,
    parse_schedule,
    report_dates,
    report_due,
    report_reminder,
)

OFFICIAL = ChineseWorkCalendar()
TODAY = date(2026, 11, 24)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("每周五", ReportSchedule(ScheduleKind.WEEKLY, weekday=4)),
        ("每周星期一", ReportSchedule(ScheduleKind.WEEKLY, weekday=0)),
        ("每周日前", ReportSchedule(ScheduleKind.WEEKLY, weekday=6)),
        ("每月5日前", ReportSchedule(ScheduleKind.MONTHLY, day=5)),
        ("每月５号", ReportSchedule(ScheduleKind.MONTHLY, day=5)),
        ("每月5日前报送进展", ReportSchedule(ScheduleKind.MONTHLY, day=5)),
        ("每月底", ReportSchedule(ScheduleKind.MONTHLY, day=31)),
        ("每季度末", ReportSchedule(ScheduleKind.QUARTERLY)),
        ("每季末", ReportSchedule(ScheduleKind.QUARTERLY)),
        ("12月15日、2027年1月15日", ReportSchedule(ScheduleKind.DATES, dates=(date(2026, 12, 15), date(2027, 1, 15)))),
        ("2027-01-15, 2026-12-15", ReportSchedule(ScheduleKind.DATES, dates=(date(2026, 12, 15), date(2027, 1, 15)))),
        ("3月1日", ReportSchedule(ScheduleKind.DATES, dates=(date(2027, 3, 1),))),
    ],
)
def test_schedules_as_an_office_writes_them(text: str, expected: ReportSchedule) -> None:
    assert parse_schedule(text, TODAY) == expected
    assert ReportSchedule.decode(expected.encode()) == expected


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("每月32日", "schedule_day_invalid"),
        ("每月0日前", "schedule_day_invalid"),
        ("经常", "schedule_invalid"),
        ("2月30日", "schedule_invalid"),
        ("2026-11-20", "schedule_date_past"),
        ("2026-11-24", "schedule_date_past"),
    ],
)
def test_bad_schedules_are_refused(text: str, code: str) -> None:
    with pytest.raises(DomainError) as exc:
        parse_schedule(text, TODAY)
    assert exc.value.code == code


def test_monthly_by_the_5th_for_six_months_with_rest_days_moved() -> None:
    """每月5日前 on a task issued 2026-04-24 and due 10-30: 5-05 is in the 劳动节 break → 5-06;
    7-05 a Sunday → 7-06; 9-05 a Saturday → 9-07; 10-05 in the National Day break → 10-08."""
    schedule = parse_schedule("每月5日前", date(2026, 4, 24))
    due = report_dates(schedule, date(2026, 4, 24), date(2026, 10, 30), OFFICIAL)
    assert due == (
        date(2026, 5, 6), date(2026, 6, 5), date(2026, 7, 6),
        date(2026, 8, 5), date(2026, 9, 7), date(2026, 10, 8),
    )


def test_day_31_is_each_month_s_last_day() -> None:
    schedule = ReportSchedule(ScheduleKind.MONTHLY, day=31)
    due = report_dates(schedule, date(2027, 1, 10), date(2027, 5, 20), WeekdayCalendar())
    # 1-31 is a Sunday → Mon 2-01; 2-28 Sunday → Mon 3-01; 3-31 Wed; 4-30 Fri.
    assert due == (date(2027, 2, 1), date(2027, 3, 1), date(2027, 3, 31), date(2027, 4, 30))


def test_quarter_ends() -> None:
    """每季度末: 3-31, 6-30, 9-30, 12-31; 2028-12-31 is a Sunday → 2029-01-02 (元旦 Monday off)."""
    schedule = parse_schedule("每季度末", TODAY)
    calendar = WeekdayCalendar({date(2029, 1, 1): False})
    due = report_dates(schedule, date(2028, 2, 1), date(2029, 1, 31), calendar)
    assert due == (date(2028, 3, 31), date(2028, 6, 30), date(2028, 10, 2), date(2029, 1, 2))


def test_a_date_on_the_deadline_is_not_a_report_it_is_the_final_feedback() -> None:
    schedule = ReportSchedule(ScheduleKind.WEEKLY, weekday=4)
    due = report_dates(schedule, date(2026, 11, 23), date(2026, 12, 4), WeekdayCalendar())
    assert due == (date(2026, 11, 27),)


def test_schedule_past_the_deadline_is_refused() -> None:
    with pytest.raises(DomainError) as exc:
        check_schedule(parse_schedule("2027-02-01", TODAY), TODAY, date(2026, 12, 31), OFFICIAL)
    assert exc.value.code == "schedule_past_deadline"
    with pytest.raises(DomainError) as exc:
        check_schedule(parse_schedule("每季度末", TODAY), TODAY, date(2026, 12, 20), OFFICIAL)
    assert exc.value.code == "schedule_past_deadline"
    assert check_schedule(parse_schedule("每周五", TODAY), TODAY, date(2026, 12, 20), OFFICIAL)


def test_missed_report_then_cleared_by_a_late_one() -> None:
    due = (date(2026, 12, 7), date(2027, 1, 5), date(2027, 2, 5))
    assert missed_report(due, [], date(2026, 12, 7)) is None  # due today: not yet missed
    assert missed_report(due, [], date(2026, 12, 8)) == date(2026, 12, 7)
    assert missed_report(due, [date(2026, 12, 3)], date(2026, 12, 8)) is None
    # reported for December, silent in January: 超期未汇报 from 1-06
    assert missed_report(due, [date(2026, 12, 3)], date(2027, 1, 6)) == date(2027, 1, 5)
    # a late report on 1-08 clears it
    assert missed_report(due, [date(2026, 12, 3), date(2027, 1, 8)], date(2027, 1, 9)) is None
    # in the month's figures the late report falls in February's period: January stays missed
    assert answered_dates(due, [date(2026, 12, 3), date(2027, 1, 8)]) == {date(2026, 12, 7), date(2027, 2, 5)}
    assert answered_dates(due, [date(2026, 12, 3), date(2026, 12, 4)]) == {date(2026, 12, 7)}
    assert report_due(due, date(2027, 1, 5)) and not report_due(due, date(2027, 1, 6))


def test_next_is_the_date_after_the_one_just_reported() -> None:
    """「下次」 right after a report is the next date, not the one just answered; an early report
    answers the date it precedes."""
    due = (date(2026, 12, 7), date(2027, 1, 5), date(2027, 2, 5))
    assert next_report(due, [], date(2026, 12, 7)) == date(2026, 12, 7)
    assert next_report(due, [date(2026, 12, 7)], date(2026, 12, 7)) == date(2027, 1, 5)
    assert next_report(due, [date(2026, 12, 3)], date(2026, 12, 3)) == date(2027, 1, 5)
    assert next_report(due, [date(2027, 1, 5)], date(2027, 1, 6)) == date(2027, 2, 5)
    assert next_report(due, [date(2027, 2, 1)], date(2027, 2, 1)) is None


def test_reminded_on_the_last_check_before_a_date_and_on_the_date() -> None:
    """国庆 2026 (10月1–7日): a report due Thursday 10月8日 is reminded on Wednesday 9月30日, the
    last working day before it (its next check is 10月8日), and on the day; not once reported."""
    due = (date(2026, 10, 8), date(2026, 11, 5))
    assert report_reminder(due, [], date(2026, 9, 29), date(2026, 9, 30)) is None
    assert report_reminder(due, [], date(2026, 9, 30), date(2026, 10, 8)) == date(2026, 10, 8)
    assert report_reminder(due, [], date(2026, 10, 8), date(2026, 10, 9)) == date(2026, 10, 8)
    assert report_reminder(due, [date(2026, 9, 30)], date(2026, 9, 30), date(2026, 10, 8)) is None
    assert report_reminder(due, [date(2026, 10, 8)], date(2026, 11, 4), date(2026, 11, 5)) == date(2026, 11, 5)


@given(start=st.dates(date(2026, 1, 1), date(2028, 12, 1)), reported=st.booleans())
def test_the_reminded_date_is_never_past_and_never_one_already_answered(start: date, reported: bool) -> None:
    from bot.domain.escalation import CheckDays, next_check_day

    due = report_dates(ReportSchedule(ScheduleKind.MONTHLY, day=5), start, start + timedelta(days=120), OFFICIAL)
    today = next_workday_on_or_after(start + timedelta(days=30), OFFICIAL)
    reports = [today] if reported else []
    reminded = report_reminder(due, reports, today, next_check_day(today, OFFICIAL, CheckDays.WORKING))
    if reminded is not None:
        assert reminded >= today and reminded in due and reminded not in answered_dates(due, reports)
        assert not any(today < d < reminded and OFFICIAL.is_workday(d) for d in due)


schedules = st.one_of(
    st.builds(lambda w: ReportSchedule(ScheduleKind.WEEKLY, weekday=w), st.integers(0, 6)),
    st.builds(lambda d: ReportSchedule(ScheduleKind.MONTHLY, day=d), st.integers(1, 31)),
    st.just(ReportSchedule(ScheduleKind.QUARTERLY)),
)
starts = st.dates(date(2005, 1, 1), date(2030, 12, 31))
lengths = st.integers(1, 365)
calendars = st.sampled_from([OFFICIAL, WeekdayCalendar()])


@given(schedule=schedules, start=starts, length=lengths, calendar=calendars)
def test_report_dates_are_working_days_in_order_inside_the_task(schedule, start, length, calendar) -> None:  # type: ignore[no-untyped-def]
    deadline = start + timedelta(days=length)
    due = report_dates(schedule, start, deadline, calendar)
    assert list(due) == sorted(set(due))
    for day in due:
        assert start < day < deadline
        assert calendar.is_workday(day)


@given(schedule=schedules, start=starts, length=lengths, calendar=calendars)
def test_every_nominal_date_before_the_deadline_has_its_report_day(schedule, start, length, calendar) -> None:  # type: ignore[no-untyped-def]
    deadline = start + timedelta(days=length)
    due = set(report_dates(schedule, start, deadline, calendar))
    for nominal in schedule.nominal_dates(start, deadline):
        moved = next_workday_on_or_after(nominal, calendar)
        assert (moved in due) == (moved < deadline)


@given(day=st.integers(1, 31), start=starts)
def test_monthly_gives_one_date_a_month_never_past_the_month_end(day, start) -> None:  # type: ignore[no-untyped-def]
    schedule = ReportSchedule(ScheduleKind.MONTHLY, day=day)
    nominal = list(schedule.nominal_dates(start, start + timedelta(days=366)))
    months = [(d.year, d.month) for d in nominal]
    assert len(months) == len(set(months)) >= 12
    assert all(d.day == day or (d + timedelta(days=1)).day == 1 for d in nominal)


@given(start=starts, reports=st.lists(st.integers(1, 200), max_size=6), today_offset=st.integers(1, 250))
def test_a_report_after_the_missed_date_always_clears_it(start, reports, today_offset) -> None:  # type: ignore[no-untyped-def]
    due = report_dates(ReportSchedule(ScheduleKind.MONTHLY, day=5), start, start + timedelta(days=200), WeekdayCalendar())
    today = start + timedelta(days=today_offset)
    made = [start + timedelta(days=r) for r in reports if start + timedelta(days=r) < today]
    missed = missed_report(due, made, today)
    if missed is not None:
        assert missed < today
        assert all(m <= missed for m in made)
        assert missed_report(due, [*made, today], today + timedelta(days=1)) in (None, *[d for d in due if d > missed])
