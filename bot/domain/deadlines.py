"""Deadlines (时限要求) of the three slips, counted as the law counts periods.

The 交办单 says "在收件之日起N天内办结"; the 催办单 and 督办通知单 give a window "下发后w日内" /
"收到本督办通知单后w日内", and the notice adds "原则上3天之内必须办结，如确需延长办理时间的，需经
分管市领导同意". All of them — and the windows after a 约谈 and the dates granted by an extension
(延期) — are counted by :func:`deadline_after`. Every date here is a day in Asia/Shanghai; the
caller supplies ``today``.
"""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum

from bot.domain.calendar import WorkCalendar
from bot.domain.errors import DomainError

MAX_DEADLINE_DAYS = 3660
"""Longest period accepted (about ten years): anything longer is a typing mistake."""

_MAX_DAYS_WITHOUT_WORKDAY = 366
"""A calendar with no working day in a whole year is misconfigured (a bad override table)."""


class DeadlineMode(StrEnum):
    """How the N of 时限要求 is counted; a deployment-wide configuration switch."""

    CALENDAR = "calendar"
    """N calendar days (自然日), the default: "在收件之日起N天内"."""

    WORKING = "working"
    """N working days (工作日) of the official calendar."""


def deadline_after(
    start: date,
    days: int,
    calendar: WorkCalendar,
    mode: DeadlineMode = DeadlineMode.CALENDAR,
) -> date:
    """The last day of a period of ``days`` days that starts on ``start``.

    民法典 第二百零一条: "按照年、月、日计算期间的，开始的当日不计入，自下一日开始计算。" So a
    交办单 issued on 2026-11-24 with "在收件之日起7天内办结" is due at the end of 2026-12-01.

    民法典 第二百零三条: "期间的最后一日是法定休假日的，以法定休假日结束的次日为期间的最后一日。"
    In CALENDAR mode a last day that falls on a statutory holiday or rest day moves to the next
    working day of ``calendar``.

    In WORKING mode the period is ``days`` working days after ``start`` (the start day is not
    counted, whether or not it is a working day); the result is itself a working day.

    Args:
        start: The day of issue (下发/收件之日), or the old deadline for an extension.
        days: N of 时限要求, or the window w after a 催办单 / 督办通知单 / 约谈 (原则上3天).
        calendar: The working-day calendar.
        mode: Calendar days (default) or working days.

    Returns:
        The deadline: the task is on time if it is done by the end of that day.

    Raises:
        DomainError: ``deadline_days_invalid`` when ``days`` is not an integer in
            1..:data:`MAX_DEADLINE_DAYS`; ``calendar_without_workdays`` when the calendar has no
            working day for a whole year.
    """
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_DEADLINE_DAYS:
        raise DomainError("deadline_days_invalid", days=days)
    mode = DeadlineMode(mode)
    if mode is DeadlineMode.CALENDAR:
        return next_workday_on_or_after(start + timedelta(days=days), calendar)
    day = start
    counted = 0
    since_last_workday = 0
    while counted < days:
        day += timedelta(days=1)
        if calendar.is_workday(day):
            counted += 1
            since_last_workday = 0
        else:
            since_last_workday += 1
            if since_last_workday > _MAX_DAYS_WITHOUT_WORKDAY:
                raise DomainError("calendar_without_workdays", after=start)
    return day


def next_workday_on_or_after(day: date, calendar: WorkCalendar) -> date:
    """``day`` itself if it is a working day, else the first working day after it.

    This is 民法典 第二百零三条's "以法定休假日结束的次日为期间的最后一日".

    Args:
        day: Any day.
        calendar: The working-day calendar.

    Returns:
        The first working day on or after ``day``.

    Raises:
        DomainError: ``calendar_without_workdays`` when no working day follows within a year.
    """
    for offset in range(_MAX_DAYS_WITHOUT_WORKDAY + 1):
        candidate = day + timedelta(days=offset)
        if calendar.is_workday(candidate):
            return candidate
    raise DomainError("calendar_without_workdays", after=day)


def period_until(deadline: date, start: date, calendar: WorkCalendar, mode: DeadlineMode = DeadlineMode.CALENDAR) -> int:
    """The N of 时限要求 for a stated date: the period :func:`deadline_after` turns back into it.

    A clerk may type 「12月31日」 for 期限, and a 会议纪要 may state 「12月31日前完成」; the slip
    still says "在收件之日起N天内". In CALENDAR mode N counts the days after ``start``; in
    WORKING mode it counts the working days, so the deadline is the stated date in both modes,
    not N working days after it. A stated date that is a rest day moves to the next working
    day, as 民法典 第二百零三条 moves a period's last day in either mode.

    Args:
        deadline: The stated last day.
        start: The day of issue (not counted).
        calendar: The working-day calendar.
        mode: Calendar days (default) or working days.

    Raises:
        DomainError: ``date_not_future`` when ``deadline`` is not after ``start``.
    """
    if deadline <= start:
        raise DomainError("date_not_future", date=deadline.isoformat())
    if mode is DeadlineMode.CALENDAR:
        return (deadline - start).days
    last = next_workday_on_or_after(deadline, calendar)
    return sum(1 for offset in range(1, (last - start).days + 1) if calendar.is_workday(start + timedelta(days=offset)))


def is_overdue(deadline: date, today: date) -> bool:
    """True once the deadline day has ended (the deadline runs to 二十四时 of its last day)."""
    return today > deadline


def overdue_days(deadline: date, on: date) -> int:
    """逾期d天: calendar days from the deadline to ``on``, 0 if the deadline has not passed.

    The 催办单 reads "期限N天。现已逾期d天": d counts calendar days (not working days) between
    the deadline and the day the 催办单 is issued. Due 2026-12-01, issued 2026-12-03 → 2.

    Args:
        deadline: The last day of the period.
        on: The day asked about (usually the day the 催办单 is issued).

    Returns:
        d ≥ 0.
    """
    return max(0, (on - deadline).days)


def days_left(deadline: date, today: date) -> int:
    """Calendar days from ``today`` to the deadline, for lists ("还剩3天", "逾期2天").

    0 on the deadline day itself (still on time until its end); negative once overdue, so that
    ``-days_left(d, t) == overdue_days(d, t)`` for an overdue task.
    """
    return (deadline - today).days
