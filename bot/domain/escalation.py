"""What the daily check owes a task on a given day (notice section 二, SPEC sections 4–5)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from enum import StrEnum

from bot.domain.calendar import WorkCalendar
from bot.domain.clock import step_deadline
from bot.domain.deadlines import next_workday_on_or_after
from bot.domain.sharing import is_chased_alone
from bot.domain.slips import Slip, SlipType
from bot.domain.tasks import EscalationStage, Task


class CheckDays(StrEnum):
    """On which days the daily check runs; a deployment-wide setting."""

    WORKING = "working"
    """Working days of the official calendar (the default): a slip is issued and dated, and a
    unit reminded, on a day the offices work — never on a Sunday or during 国庆."""

    EVERY_DAY = "every_day"
    """Every day, rest days included (the behaviour before the setting existed)."""


def check_runs_on(day: date, calendar: WorkCalendar, days: CheckDays) -> bool:
    """Whether the daily check of ``day`` issues, reminds and dates anything."""
    return days is CheckDays.EVERY_DAY or calendar.is_workday(day)


def first_check_day_on_or_after(day: date, calendar: WorkCalendar, days: CheckDays) -> date:
    """The first day on or after ``day`` on which the check runs.

    A periodic paper due on a rest day — the monthly 通报 cycle on the 1st, the weekly digests on
    their weekday, the year-end ranking in January — goes out on that day and is dated by it, as
    the daily check's slips are: no paper reaches an office dated a Sunday or 元旦.
    """
    return day if days is CheckDays.EVERY_DAY else next_workday_on_or_after(day, calendar)


def next_check_day(day: date, calendar: WorkCalendar, days: CheckDays) -> date:
    """The day of the next check after ``day``: tomorrow, or the next working day.

    The last reminder before a deadline goes out on the last check before it: on the Friday for
    a Monday deadline, when the check keeps to working days.
    """
    tomorrow = day + timedelta(days=1)
    return tomorrow if days is CheckDays.EVERY_DAY else next_workday_on_or_after(tomorrow, calendar)


class Escalation(StrEnum):
    """One decision of the daily check for one task."""

    NOTHING = "nothing"
    DUE_TOMORROW = "due_tomorrow"
    """提醒: the deadline is tomorrow — or, when the check keeps to working days, falls before the
    next check (the Friday's reminder for a Monday deadline)."""
    DUE_TODAY = "due_today"
    """提醒: today is the last day."""
    REMINDER_SLIP = "reminder_slip"
    """The 交办单's deadline has passed: issue a 工作催办单."""
    SUPERVISION_NOTICE = "supervision_notice"
    """The 催办单's window has passed: 政务监督室 issues a 督办通知单."""
    PROPOSE_INTERVIEW = "propose_interview"
    """The 督办通知单's window has passed: propose a 约谈 to 政务监督室."""
    PROPOSE_TRANSFER = "propose_transfer"
    """The last window after the 约谈 has passed: propose 移交市作风办."""
    OVERDUE = "overdue"
    """Overdue and already proposed: waits for 政务监督室's decision; listed, not repeated."""


_NEXT_STEP = {
    EscalationStage.NONE: Escalation.REMINDER_SLIP,
    EscalationStage.REMINDED: Escalation.SUPERVISION_NOTICE,
    EscalationStage.SUPERVISED: Escalation.PROPOSE_INTERVIEW,
    EscalationStage.INTERVIEWED: Escalation.PROPOSE_TRANSFER,
}


def escalation_due(task: Task, today: date, next_check: date | None = None) -> Escalation:
    """The step the notice requires for ``task`` on ``today``; ``next_check`` is the day of the
    next daily check (:func:`next_check_day`; tomorrow when not given).

    Nothing is due for a task that is 办结 or handed over, nor while feedback waits for review
    or an extension request waits for the 分管市领导 ("A pending request holds escalation").
    Within the deadline, the unit is reminded on the day before and on the last day. Past it,
    the chain runs 催办单 → 督办通知单 → 约谈 → 移交作风办, one step per passed window; the two
    proposals are made once and then wait for 政务监督室. Each step falls due when the running
    step's date (:func:`bot.domain.clock.step_deadline`) has passed. A 配合单位's copy of a
    shared matter is not chased on its own: the 牵头单位's task is — unless the 牵头单位 named it
    as late (setting ``sharing.chase = "named"``), when it is chased and the 牵头单位 waits.
    """
    if not task.is_open or task.is_held or not is_chased_alone(task.unit_role, task.named_late):
        return Escalation.NOTHING
    if task.waiting_on_partner and today > step_deadline(task):
        # the 配合单位 the 牵头单位 named is chased instead, until its part arrives
        return Escalation.OVERDUE
    last_day = step_deadline(task)
    if today == last_day:
        return Escalation.DUE_TODAY
    if today < last_day <= (next_check or today + timedelta(days=1)):
        return Escalation.DUE_TOMORROW
    if today <= last_day:
        return Escalation.NOTHING
    step = _NEXT_STEP[task.stage]
    if step is Escalation.PROPOSE_INTERVIEW and task.interview_proposed_on is not None:
        return Escalation.OVERDUE
    if step is Escalation.PROPOSE_TRANSFER and task.transfer_proposed_on is not None:
        return Escalation.OVERDUE
    return step


def reminder_by_hand(task: Task, today: date) -> bool:
    """催办 by hand (/task's button): an overdue task not chased yet; the daily check would
    issue the first 催办单 otherwise."""
    return task.is_overdue(today) and task.stage is EscalationStage.NONE


def voidable_reminder(task: Task, slips: Iterable[Slip]) -> Slip | None:
    """The 催办单 that may still be voided as issued in error: the last one standing, while the
    task is still at that step."""
    standing = [s for s in slips if s.number.type is SlipType.REMINDER and s.void_reason is None]
    return standing[-1] if standing and task.stage is EscalationStage.REMINDED else None
