"""One clock per task: its current deadline, 逾期, 逾期天数 and the running escalation step's date.

Every surface — /overdue, /tasks, /task, the daily digests and summary, the weekly digests, the
monthly analysis, the 台账 and the 红/黄/绿 board — asks these functions (or the SQL kept beside
them in ``bot/storage/tasks.py``), so a task is never 逾期 on one screen and on time on another.

The notice fixes the words: the 交办单 says "在收件之日起N天内办结"; the 催办单 says "期限N天。现已
逾期d天，请在本催办单下发后w日内…上报"; the 督办通知单 "责令你单位在收到本督办通知单后w日内…上报";
"如确需延长办理时间的，需经分管市领导同意".
"""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from bot.domain import deadlines, sharing

if TYPE_CHECKING:
    from bot.domain.tasks import Task


def current_deadline(task: Task) -> date:
    """The task's one current deadline (时限).

    It is the 交办单's "在收件之日起N天内" period, moved only by a date the 分管市领导 grants
    (延期, "需经分管市领导同意") or by a 退回 that sets a new date. The windows of a 催办单,
    督办通知单 or 约谈 do not move it: they are dates of their own (:func:`step_deadline`).
    """
    return task.deadline


def is_overdue(task: Task, today: date) -> bool:
    """逾期: open, not held, and ``today`` is after the current deadline.

    "对不能按时完成任务的责任单位": the deadline runs to the end of its last day. A task 办结 or
    移交市作风办 is no longer on the clock; nor is one whose 办理结果 waits for review or whose
    延期 request waits for the 分管市领导 (SPEC section 4: the clock stops while it is held).
    A 催办单 or 督办通知单 does not end 逾期: the task stays 逾期 against its current deadline
    until it is 办结, extended, or given a new date by a 退回.

    A 配合单位's copy of a shared matter has no clock of its own: its part is due to the 牵头单位,
    whose task answers for the matter's deadline (:func:`bot.domain.sharing.is_chased_alone`).
    """
    return (
        task.is_open and not task.is_held and sharing.is_chased_alone(task.unit_role, task.named_late)
        and deadlines.is_overdue(current_deadline(task), today)
    )


def shown_clock(task: Task, lead: Task | None) -> Task:
    """The task whose deadline, 逾期 and 督办阶段 a copy shows: its own, or — on a 配合单位's copy,
    which has no clock of its own — the matter's, which is the 牵头单位's task (``lead``).

    So a shared matter reads the same on every copy: 「逾期5天【已督办】」 on the 牵头单位's and on
    each 配合单位's, never 「还剩7天」 on one and 「期限已过」 on another. A 配合单位 named late
    (``ChaseRule.NAMED``) is chased on its own copy, and shows its own clock.
    """
    if lead is None or lead.id == task.id or not shows_matter_clock(task.unit_role, task.named_late):
        return task
    return lead


def shows_matter_clock(role: sharing.UnitRole, named_late: bool = False) -> bool:
    """Whether a copy shows its matter's clock rather than its own (:func:`shown_clock`): a
    配合单位's copy does, unless it was named late and is chased on its own.

    For surfaces that read tasks as rows (the 台账) rather than as :class:`Task`.
    """
    return not sharing.is_chased_alone(role, named_late)


def overdue_days(task: Task, on: date) -> int:
    """逾期d天: calendar days from the current deadline to ``on``; 0 when not past it.

    The 催办单 reads "期限N天。现已逾期d天": due 2026-12-01, a 催办单 issued 2026-12-03 → 2.
    After an extension or a 退回 with a new date d counts from that date, so a slip never says
    逾期 more days than have passed since the date the unit was actually held to.
    """
    return deadlines.overdue_days(current_deadline(task), on)


def days_left(task: Task, today: date) -> int:
    """Calendar days from ``today`` to the current deadline ("还剩3天"); negative once past it."""
    return deadlines.days_left(current_deadline(task), today)


def step_deadline(task: Task) -> date:
    """The last day of the running step: when the daily check's next move falls due.

    Before any slip it is the current deadline. After a 催办单 ("下发后w日内"), a 督办通知单
    ("收到本督办通知单后w日内") or a 约谈 (its last window) it is that window's last day — or the
    current deadline, if an extension or a 退回 has since moved it later: the unit is not chased
    for a date it was granted.
    """
    if task.window_until is None:
        return current_deadline(task)
    return max(current_deadline(task), task.window_until)


class DeadlineMove(StrEnum):
    """Why the current deadline is not simply "已于{交办日期}交由你单位办理…期限N天" counted on."""

    NONE = "none"
    """It is the day N calendar days after the 交办单: the slip's words say it all."""

    STATED = "stated"
    """The last day fell on a rest day and moved (民法典 第二百零三条), or N counts working days:
    the slip states the date, or a reader counting N days would arrive at another."""

    EXTENDED = "extended"
    """An extension the 分管市领导 granted ("需经分管市领导同意")."""

    RESET = "reset"
    """A 退回 that set a new date."""


def deadline_move(task: Task, last_set_by: DeadlineMove | None) -> DeadlineMove:
    """What a 催办单 or 督办通知单 must add after "期限N天" so that its dates agree.

    The 附件2/附件3 wording counts from the 交办单: "已于{date}交由你单位办理…期限N天。现已逾期d天".
    When the current deadline is another day — moved off a rest day, extended, or reset by a
    退回 — the slip names that day, and d is counted from it (:func:`overdue_days`).

    Args:
        task: The task the slip is for.
        last_set_by: ``EXTENDED`` or ``RESET`` for whichever last gave the task a new date, as its
            history records; None if neither ever did.
    """
    if current_deadline(task) == task.issued_on + timedelta(days=task.period_days):
        return DeadlineMove.NONE
    if current_deadline(task) == task.original_deadline or last_set_by is None:
        return DeadlineMove.STATED
    return last_set_by
