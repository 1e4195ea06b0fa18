"""One clock per task (SPEC section 4, "One clock"): the current deadline, 逾期 and 逾期d天, and
the running step's date, each asked of ``bot/domain/clock.py`` by every surface.

The notice: "在收件之日起N天内办结"; the 催办单 "期限N天。现已逾期d天，请在本催办单下发后w日内…上报";
"如确需延长办理时间的，需经分管市领导同意".
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from bot.domain import clock
from bot.domain import tasks as lifecycle
from bot.domain.escalation import Escalation, escalation_due
from bot.domain.slips import SlipNumber, SlipType
from bot.domain.tasks import EscalationStage, SourceType, Task, TaskStatus

DEADLINE = date(2026, 11, 30)
REMINDED_ON = date(2026, 12, 2)
WINDOW = date(2026, 12, 7)


def make_task(**changes: object) -> Task:
    """An acknowledged 交办单 task issued 11-23 with 期限7天, due 11-30."""
    task = Task(
        id=1, number=SlipNumber(SlipType.ASSIGNMENT, 2026, 3), title="城区背街小巷环境整治",
        requirements="按方案完成整治", basis="市长批示", source=SourceType.LEADER_ASSIGNMENT,
        unit_id=1, section_id=1, issued_by=1, issued_on=date(2026, 11, 23), period_days=7,
        original_deadline=DEADLINE, deadline=DEADLINE, status=TaskStatus.ACKNOWLEDGED,
    )
    return replace(task, **changes)  # type: ignore[arg-type]


def reminded() -> Task:
    return lifecycle.issue_reminder(make_task(), WINDOW, REMINDED_ON)


def test_the_deadline_day_itself_is_on_time() -> None:
    """The deadline runs to the end of its last day: 逾期 from the day after."""
    task = make_task()
    assert not clock.is_overdue(task, DEADLINE)
    assert clock.is_overdue(task, DEADLINE + timedelta(days=1))
    assert clock.overdue_days(task, DEADLINE) == 0
    assert clock.overdue_days(task, date(2026, 12, 3)) == 3


def test_a_reminder_slip_does_not_end_overdue() -> None:
    """On the day a 催办单 is issued, and through its window, the task is 逾期 against its
    deadline; the window is the step's own date."""
    task = reminded()
    assert clock.current_deadline(task) == DEADLINE
    assert clock.is_overdue(task, REMINDED_ON)
    assert clock.overdue_days(task, REMINDED_ON) == 2
    assert clock.step_deadline(task) == WINDOW
    assert escalation_due(task, REMINDED_ON) is Escalation.NOTHING
    assert escalation_due(task, WINDOW) is Escalation.DUE_TODAY
    assert escalation_due(task, WINDOW + timedelta(days=1)) is Escalation.SUPERVISION_NOTICE


def test_an_extension_after_a_reminder_slip_moves_the_deadline() -> None:
    """"需经分管市领导同意": the granted date is the current deadline; the task is no longer 逾期,
    and the 督办通知单 waits until that date has passed."""
    granted = date(2026, 12, 10)
    task = lifecycle.decide_extension(lifecycle.request_extension(reminded()), granted)
    assert clock.current_deadline(task) == granted
    assert not clock.is_overdue(task, date(2026, 12, 4))
    assert clock.days_left(task, date(2026, 12, 4)) == 6
    assert clock.step_deadline(task) == granted
    assert escalation_due(task, WINDOW + timedelta(days=1)) is Escalation.NOTHING
    assert escalation_due(task, granted + timedelta(days=1)) is Escalation.SUPERVISION_NOTICE
    assert clock.overdue_days(task, granted + timedelta(days=2)) == 2


def test_a_return_with_a_new_date_resets_the_deadline() -> None:
    """退回 with a new date: that date is the current deadline."""
    pending = lifecycle.submit_feedback(reminded())
    returned = lifecycle.return_feedback(pending, date(2026, 12, 9), date(2026, 12, 3))
    assert clock.current_deadline(returned) == date(2026, 12, 9)
    assert not clock.is_overdue(returned, date(2026, 12, 8))
    assert clock.is_overdue(returned, date(2026, 12, 10))


def test_a_return_without_a_date_leaves_the_task_overdue() -> None:
    """退回 after the deadline without a new date: 逾期 again at once (SPEC section 4)."""
    pending = lifecycle.submit_feedback(make_task())
    returned = lifecycle.return_feedback(pending, None, date(2026, 12, 3))
    assert clock.is_overdue(returned, date(2026, 12, 3))
    assert clock.overdue_days(returned, date(2026, 12, 3)) == 3


def test_held_completed_and_transferred_tasks_are_not_overdue() -> None:
    late = date(2026, 12, 20)
    assert not clock.is_overdue(lifecycle.submit_feedback(make_task()), late)
    assert not clock.is_overdue(lifecycle.request_extension(make_task()), late)
    assert not clock.is_overdue(make_task(status=TaskStatus.COMPLETED), late)
    assert not clock.is_overdue(make_task(stage=EscalationStage.TRANSFERRED), late)


@given(
    deadline=st.dates(date(2026, 1, 1), date(2027, 12, 31)),
    window=st.one_of(st.none(), st.dates(date(2026, 1, 1), date(2027, 12, 31))),
    today=st.dates(date(2026, 1, 1), date(2028, 6, 30)),
)
def test_the_clock_agrees_with_itself(deadline: date, window: date | None, today: date) -> None:
    """逾期 ⇔ 逾期d天 > 0 ⇔ days_left < 0 for an open task; the step never ends before the deadline."""
    task = make_task(deadline=deadline, window_until=window, stage=EscalationStage.REMINDED if window else EscalationStage.NONE)
    assert clock.is_overdue(task, today) == (clock.overdue_days(task, today) > 0) == (clock.days_left(task, today) < 0)
    assert clock.step_deadline(task) >= clock.current_deadline(task)


def test_a_slip_names_the_deadline_only_when_counting_would_not_give_it() -> None:
    """"已于{交办日期}交由你单位办理…期限N天": issued 11-23 with 7 days reads as 11-30 — said as is.
    A last day moved off a rest day, an extension and a 退回's new date are named."""
    DeadlineMove = clock.DeadlineMove
    assert clock.deadline_move(make_task(), None) is DeadlineMove.NONE
    rest_day = make_task(issued_on=date(2026, 11, 21), original_deadline=DEADLINE)  # 11-28 was a Saturday
    assert clock.deadline_move(rest_day, None) is DeadlineMove.STATED
    extended = make_task(deadline=date(2026, 12, 10))
    assert clock.deadline_move(extended, DeadlineMove.EXTENDED) is DeadlineMove.EXTENDED
    assert clock.deadline_move(extended, DeadlineMove.RESET) is DeadlineMove.RESET
    assert clock.deadline_move(extended, None) is DeadlineMove.STATED
