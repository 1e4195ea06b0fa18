"""阶段汇报: the reporting schedule of a long 交办单, and which reports are 超期未汇报.

A task that runs for months (「年底前完成」) says in its 交办单 when the unit reports progress
(「每月5日前报送进展」). The notice's "在收件之日起N天内办结" still fixes the final deadline; a
阶段汇报 neither closes the task nor moves it. Offices are told to cut reporting burden, so a
schedule is asked once, at issue, and a report is due only on the dates it names.

Each nominal date is a last day, counted as the deadlines are (民法典 第二百零三条): one that falls
on a 法定休假日 or rest day moves to the next working day (:func:`deadlines.next_workday_on_or_after`).
A day of the month the month does not have (每月31日前 in February) is the month's last day.
Only dates after the day of issue and before the final deadline are report dates: on the
deadline the 办理结果 itself is due.

Pure functions: ``today`` and the calendar are parameters.
"""

from __future__ import annotations

import calendar as _months
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from bot.domain import clock
from bot.domain.calendar import WorkCalendar
from bot.domain.deadlines import next_workday_on_or_after
from bot.domain.dates import read_date
from bot.domain.errors import DomainError

if TYPE_CHECKING:
    from bot.domain.tasks import Task

WEEKDAYS = "一二三四五六日"
"""每周X: Monday is 一; 日 and 天 are both Sunday."""

LONG_TASK_DAYS = 30
"""A task whose deadline is more than this many calendar days after its issue is a long task."""


def is_long_task(issued_on: date, deadline: date) -> bool:
    """Whether to ask for a 阶段汇报 schedule when issuing: a short task's final feedback is report
    enough, and offices are told to ask only what is needed. Counted in calendar days to the day
    the period counts to, so 30 working days (six weeks) is long too."""
    return (deadline - issued_on).days > LONG_TASK_DAYS


MAX_DATES = 24
"""More report dates than two a month for a year is not a schedule an office would set."""

_WEEKLY = re.compile(r"^每周(?:星期|周)?([一二三四五六日天])(?:前|之前|以前)?$")
_MONTHLY = re.compile(r"^每月(\d{1,3})\s*[日号](?:前|之前|以前)?$")
_MONTH_END = re.compile(r"^每月(?:底|末|月底|月末)(?:前|之前|以前)?$")
_QUARTERLY = re.compile(r"^每(?:个)?(?:季度|季)(?:末|底)(?:前|之前|以前)?$")
_SEPARATORS = re.compile(r"[,，、;；\s]+")


class ScheduleKind(StrEnum):
    """The shapes of schedule an office writes in minutes and 批示."""

    WEEKLY = "weekly"
    """每周X: every week on one weekday."""

    MONTHLY = "monthly"
    """每月N日前: every month by day N (31 = the month's last day, 每月底)."""

    QUARTERLY = "quarterly"
    """每季度末: by the last day of March, June, September and December."""

    DATES = "dates"
    """Specific dates (「12月15日、1月15日」)."""


@dataclass(frozen=True)
class ReportSchedule:
    """When a unit reports 阶段进展 on a long task."""

    kind: ScheduleKind
    weekday: int = 0
    """WEEKLY: 0 = 星期一 … 6 = 星期日."""
    day: int = 0
    """MONTHLY: the day of the month, 1–31."""
    dates: tuple[date, ...] = ()
    """DATES: the nominal dates, in order."""

    def encode(self) -> str:
        """The schedule as stored with its task: ``weekly:4``, ``monthly:5``, ``quarterly``,
        ``dates:2026-12-15,2027-01-15``."""
        if self.kind is ScheduleKind.WEEKLY:
            return "weekly:%s" % self.weekday
        if self.kind is ScheduleKind.MONTHLY:
            return "monthly:%s" % self.day
        if self.kind is ScheduleKind.QUARTERLY:
            return "quarterly"
        return "dates:" + ",".join(d.isoformat() for d in self.dates)

    @classmethod
    def decode(cls, text: str) -> ReportSchedule:
        """The schedule :meth:`encode` wrote."""
        kind, _, value = text.partition(":")
        if kind == ScheduleKind.WEEKLY:
            return cls(ScheduleKind.WEEKLY, weekday=int(value))
        if kind == ScheduleKind.MONTHLY:
            return cls(ScheduleKind.MONTHLY, day=int(value))
        if kind == ScheduleKind.QUARTERLY:
            return cls(ScheduleKind.QUARTERLY)
        return cls(ScheduleKind.DATES, dates=tuple(date.fromisoformat(d) for d in value.split(",")))

    def nominal_dates(self, after: date, until: date) -> Iterator[date]:
        """The schedule's dates in ``(after, until]`` as written, before any rest-day move."""
        if self.kind is ScheduleKind.DATES:
            yield from (d for d in self.dates if after < d <= until)
        elif self.kind is ScheduleKind.WEEKLY:
            day = after + timedelta(days=(self.weekday - after.weekday()) % 7 or 7)
            while day <= until:
                yield day
                day += timedelta(days=7)
        else:
            year, month = after.year, after.month
            while date(year, month, 1) <= until:
                if self.kind is ScheduleKind.MONTHLY:
                    day = month_day(year, month, self.day)
                    if after < day <= until:
                        yield day
                elif month % 3 == 0:
                    day = month_day(year, month, 31)
                    if after < day <= until:
                        yield day
                year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def month_day(year: int, month: int, day: int) -> date:
    """Day ``day`` of the month, or its last day when the month is shorter (每月31日 in June → 30日)."""
    return date(year, month, min(day, _months.monthrange(year, month)[1]))


def parse_schedule(text: str, today: date) -> ReportSchedule:
    """A schedule as an office writes it after 「汇报：」.

    ``每周五``, ``每周星期一``; ``每月5日前``, ``每月5号``, ``每月底``; ``每季度末``, ``每季末``;
    dates ``12月15日、2027年1月15日`` or ``2026-12-15, 2027-01-15`` (a date without a year
    is the next such day after ``today``).

    Raises:
        DomainError: ``schedule_day_invalid`` for a day of the month outside 1–31 (每月32日);
            ``schedule_invalid`` for anything else unreadable, or a date that does not exist;
            ``schedule_date_past`` for a date that is today or earlier; ``schedule_too_many``
            for more than :data:`MAX_DATES` dates.
    """
    value = unicodedata.normalize("NFKC", text).strip().replace(" ", "").removesuffix("报送进展").removesuffix("汇报")
    if match := _WEEKLY.match(value):
        return ReportSchedule(ScheduleKind.WEEKLY, weekday=WEEKDAYS.index(match.group(1).replace("天", "日")))
    if match := _MONTHLY.match(value):
        day = int(match.group(1))
        if not 1 <= day <= 31:
            raise DomainError("schedule_day_invalid", day=day)
        return ReportSchedule(ScheduleKind.MONTHLY, day=day)
    if _MONTH_END.match(value):
        return ReportSchedule(ScheduleKind.MONTHLY, day=31)
    if _QUARTERLY.match(value):
        return ReportSchedule(ScheduleKind.QUARTERLY)
    parts = [p for p in _SEPARATORS.split(value) if p]
    if not parts:
        raise DomainError("schedule_invalid", text=text.strip())
    dates = sorted({_report_date(part, text, today) for part in parts})
    if len(dates) > MAX_DATES:
        raise DomainError("schedule_too_many", count=len(dates), limit=MAX_DATES)
    return ReportSchedule(ScheduleKind.DATES, dates=tuple(dates))


def _report_date(part: str, text: str, today: date) -> date:
    """One date of a schedule of dates: a date to come (:func:`bot.domain.dates.read_date`)."""
    try:
        result = read_date(part, today, ahead=True)
    except DomainError:
        result = None
    if result is None:
        raise DomainError("schedule_invalid", text=text.strip())
    if result <= today:
        raise DomainError("schedule_date_past", date=result.isoformat())
    return result


def report_dates(schedule: ReportSchedule, issued_on: date, deadline: date, calendar: WorkCalendar) -> tuple[date, ...]:
    """The days a 阶段汇报 is due: after the day of issue, before the final deadline.

    Each nominal date moves off a rest day to the next working day (民法典 第二百零三条, as the
    deadlines do). Two dates that move onto the same working day are one report; a date that
    moves onto or past the final deadline is none — the 办理结果 is due then.
    """
    due: list[date] = []
    for nominal in schedule.nominal_dates(issued_on, deadline):
        day = next_workday_on_or_after(nominal, calendar)
        if day < deadline and (not due or day > due[-1]):
            due.append(day)
    return tuple(due)


def check_schedule(schedule: ReportSchedule, issued_on: date, deadline: date, calendar: WorkCalendar) -> tuple[date, ...]:
    """The report dates of a schedule about to be issued; refuses one that asks nothing.

    Raises:
        DomainError: ``schedule_past_deadline`` when a stated date lies on or after the final
            deadline, or no report date falls before it (「每季度末」 on a one-month task).
    """
    late = [d for d in schedule.dates if d >= deadline]
    if late:
        raise DomainError("schedule_past_deadline", date=late[0].isoformat(), deadline=deadline.isoformat())
    due = report_dates(schedule, issued_on, deadline, calendar)
    if not due:
        raise DomainError("schedule_past_deadline", date="", deadline=deadline.isoformat())
    return due


def report_due(due: Sequence[date], today: date) -> bool:
    """True on a report date."""
    return today in due


def next_report(due: Sequence[date], reports: Iterable[date], today: date) -> date | None:
    """「下次」: the first report date on or after ``today`` that no report answers yet.

    A report made since the date before it answers a date (:func:`answered_dates`), so right
    after the unit reports — on the date or early — the next one is the date after.
    """
    answered = answered_dates(due, reports)
    return next((d for d in due if d >= today and d not in answered), None)


def report_reminder(due: Sequence[date], reports: Iterable[date], today: date, next_check: date) -> date | None:
    """The report date the unit's digest of ``today`` reminds it of, or None.

    On the last check before the date — the last working day before it, so a date right
    after the 国庆 break is reminded before the break — and on the date itself; not once the
    unit has reported for it. ``next_check`` is the day of the next daily check
    (:func:`bot.domain.escalation.next_check_day`).
    """
    upcoming = next_report(due, reports, today)
    return upcoming if upcoming is not None and upcoming <= next_check else None


def missed_report(due: Sequence[date], reports: Iterable[date], today: date) -> date | None:
    """超期未汇报: the latest report date already past with no 阶段进展 since the one before it.

    A report counts for the first report date on or after the day it was made, so a late report
    clears the 超期 (the unit has reported, late); an early one stands for the next date. None
    when the unit is up to date.
    """
    last_report = max(reports, default=None)
    past = [d for d in due if d < today]
    if not past:
        return None
    latest = past[-1]
    previous = past[-2] if len(past) > 1 else None
    if last_report is not None and (previous is None or last_report > previous):
        return None
    return latest


def answered_dates(due: Sequence[date], reports: Iterable[date]) -> set[date]:
    """The report dates reported on time: a report made after the date before it, up to it.

    For the monthly figures (reports due / made). A late report clears 超期未汇报 on the lists
    (:func:`missed_report`), but in the figures it falls in the next date's period: the missed
    date stays missed, and the unit is not asked to report twice to make up for it.
    """
    made = sorted(reports)
    answered: set[date] = set()
    previous: date | None = None
    for day in due:
        if any((previous is None or previous < m) and m <= day for m in made):
            answered.add(day)
        previous = day
    return answered


def task_report_dates(task: Task, calendar: WorkCalendar) -> tuple[date, ...]:
    """The report dates of a task: its schedule up to its current deadline (an extension adds
    reports on the dates it brings in); () for a task without a schedule."""
    if task.report_schedule is None:
        return ()
    return report_dates(task.report_schedule, task.issued_on, clock.current_deadline(task), calendar)


def task_next_report(task: Task, today: date, calendar: WorkCalendar) -> date | None:
    """「下次」 of an open task's schedule (:func:`next_report`)."""
    if not task.is_open:
        return None
    return next_report(task_report_dates(task, calendar), _reports_of(task), today)


def task_report_reminder(task: Task, today: date, next_check: date, calendar: WorkCalendar) -> date | None:
    """The report date an open task's unit is reminded of today (:func:`report_reminder`)."""
    if not task.is_open:
        return None
    return report_reminder(task_report_dates(task, calendar), _reports_of(task), today, next_check)


def _reports_of(task: Task) -> list[date]:
    return [task.last_report_on] if task.last_report_on else []


def task_missed_report(task: Task, today: date, calendar: WorkCalendar) -> date | None:
    """超期未汇报 of an open task: the report date it let pass (:func:`missed_report`), or None.

    A task 办结 or 移交 is no longer asked for progress.
    """
    if not task.is_open:
        return None
    return missed_since(task.report_schedule, task.issued_on, clock.current_deadline(task), task.last_report_on, today, calendar)


def missed_since(
    schedule: ReportSchedule | None, issued_on: date, deadline: date, last_report: date | None, today: date,
    calendar: WorkCalendar,
) -> date | None:
    """超期未汇报 from an open task's stored fields (for lists read straight from SQL, such as the
    台账 and the board): the report date let pass, or None."""
    if schedule is None:
        return None
    return missed_report(report_dates(schedule, issued_on, deadline, calendar), [last_report] if last_report else [], today)
