"""What the daily check owes a task on a given day: ``escalation_due``, table-driven.

Notice section 二: "《工作交办单》下发后，对不能按时完成任务的责任单位 … 下发《工作催办单》";
"《工作催办单》下发后，仍不能按时完成任务的责任单位，由 … 政务监督室下发《督办通知单》"; section 五:
"收到《督办通知单》仍没有完成工作任务 … 进行约谈"; "约谈后仍未按要求完成工作任务的 … 移交市作风办".
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain import tasks as lifecycle
from bot.domain.escalation import Escalation, escalation_due
from bot.domain.slips import SlipNumber, SlipType
from bot.domain.tasks import EscalationStage, SourceType, Task, TaskStatus

DEADLINE = date(2026, 11, 30)
BEFORE = date(2026, 11, 28)
TOMORROW_IS_DEADLINE = date(2026, 11, 29)
AFTER = date(2026, 12, 1)


def make_task(**changes: object) -> Task:
    """An acknowledged 交办单 task due 2026-11-30."""
    task = Task(
        id=1,
        number=SlipNumber(SlipType.ASSIGNMENT, 2026, 3),
        title="城区背街小巷环境整治",
        requirements="按方案完成整治",
        basis="市长批示",
        source=SourceType.LEADER_ASSIGNMENT,
        unit_id=1,
        section_id=1,
        issued_by=1,
        issued_on=date(2026, 11, 23),
        period_days=7,
        original_deadline=DEADLINE,
        deadline=DEADLINE,
        status=TaskStatus.ACKNOWLEDGED,
    )
    return replace(task, **changes)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Case:
    name: str
    task: Task
    today: date
    expected: Escalation


CASES = [
    Case("two days before the deadline: nothing yet", make_task(), BEFORE, Escalation.NOTHING),
    Case("deadline tomorrow: remind", make_task(), TOMORROW_IS_DEADLINE, Escalation.DUE_TOMORROW),
    Case("deadline today: remind", make_task(), DEADLINE, Escalation.DUE_TODAY),
    Case("not yet 签收, due today: remind too", make_task(status=TaskStatus.ISSUED), DEADLINE, Escalation.DUE_TODAY),
    Case("交办单 overdue: 催办单", make_task(), AFTER, Escalation.REMINDER_SLIP),
    Case("long overdue, never reminded: still 催办单 first", make_task(), date(2027, 2, 1), Escalation.REMINDER_SLIP),
    Case(
        "催办单's window running: nothing",
        make_task(stage=EscalationStage.REMINDED, deadline=date(2026, 12, 4)),
        date(2026, 12, 2),
        Escalation.NOTHING,
    ),
    Case(
        "催办单's window ends today: remind",
        make_task(stage=EscalationStage.REMINDED, deadline=date(2026, 12, 4)),
        date(2026, 12, 4),
        Escalation.DUE_TODAY,
    ),
    Case(
        "催办单's window passed: 督办通知单",
        make_task(stage=EscalationStage.REMINDED, deadline=date(2026, 12, 4)),
        date(2026, 12, 5),
        Escalation.SUPERVISION_NOTICE,
    ),
    Case(
        "督办通知单's window passed: propose 约谈",
        make_task(stage=EscalationStage.SUPERVISED, deadline=date(2026, 12, 10)),
        date(2026, 12, 11),
        Escalation.PROPOSE_INTERVIEW,
    ),
    Case(
        "约谈 proposed already: listed as overdue, not proposed again",
        make_task(stage=EscalationStage.SUPERVISED, deadline=date(2026, 12, 10), interview_proposed_on=date(2026, 12, 11)),
        date(2026, 12, 12),
        Escalation.OVERDUE,
    ),
    Case(
        "last window after the 约谈 passed: propose 移交作风办",
        make_task(stage=EscalationStage.INTERVIEWED, deadline=date(2026, 12, 17)),
        date(2026, 12, 18),
        Escalation.PROPOSE_TRANSFER,
    ),
    Case(
        "移交 proposed already: listed as overdue",
        make_task(stage=EscalationStage.INTERVIEWED, deadline=date(2026, 12, 17), transfer_proposed_on=date(2026, 12, 18)),
        date(2026, 12, 19),
        Escalation.OVERDUE,
    ),
    Case(
        "feedback waiting for review holds escalation",
        make_task(status=TaskStatus.FEEDBACK_PENDING),
        AFTER,
        Escalation.NOTHING,
    ),
    Case(
        "feedback waiting for review: no deadline reminder either",
        make_task(status=TaskStatus.FEEDBACK_PENDING),
        DEADLINE,
        Escalation.NOTHING,
    ),
    Case(
        "extension waiting for the 分管市领导 holds escalation",
        make_task(extension_pending=True),
        AFTER,
        Escalation.NOTHING,
    ),
    Case(
        "extension pending after a 督办通知单 holds the 约谈 proposal",
        make_task(stage=EscalationStage.SUPERVISED, deadline=date(2026, 12, 10), extension_pending=True),
        date(2026, 12, 11),
        Escalation.NOTHING,
    ),
    Case(
        "办结: nothing",
        make_task(status=TaskStatus.COMPLETED, completed_on=DEADLINE),
        AFTER,
        Escalation.NOTHING,
    ),
    Case(
        "移交作风办: nothing",
        make_task(stage=EscalationStage.TRANSFERRED, deadline=date(2026, 12, 17)),
        date(2026, 12, 30),
        Escalation.NOTHING,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_escalation_due(case: Case) -> None:
    assert escalation_due(case.task, case.today) is case.expected


def test_proposal_is_made_once_then_the_task_waits() -> None:
    """"经市政府研究，由市政府领导 … 进行约谈": the bot proposes once; the decision is 政务监督室's."""
    task = make_task(stage=EscalationStage.SUPERVISED, deadline=date(2026, 12, 10))
    first = date(2026, 12, 11)
    assert escalation_due(task, first) is Escalation.PROPOSE_INTERVIEW
    proposed = lifecycle.propose(task, first)
    for day in (first, date(2026, 12, 12), date(2026, 12, 31)):
        assert escalation_due(proposed, day) is Escalation.OVERDUE


def test_the_whole_chain_one_step_per_passed_window() -> None:
    """催办单 → 督办通知单 → 约谈 → 移交作风办, each after the previous step's window."""
    task = make_task()
    day = AFTER
    assert escalation_due(task, day) is Escalation.REMINDER_SLIP
    task = lifecycle.issue_reminder(task, date(2026, 12, 4), day)
    assert escalation_due(task, date(2026, 12, 3)) is Escalation.DUE_TOMORROW
    day = date(2026, 12, 5)
    assert escalation_due(task, day) is Escalation.SUPERVISION_NOTICE
    task = lifecycle.issue_supervision_notice(task, date(2026, 12, 10), day)
    day = date(2026, 12, 11)
    assert escalation_due(task, day) is Escalation.PROPOSE_INTERVIEW
    task = lifecycle.record_interview(lifecycle.propose(task, day), date(2026, 12, 17))
    assert escalation_due(task, date(2026, 12, 12)) is Escalation.NOTHING
    day = date(2026, 12, 18)
    assert escalation_due(task, day) is Escalation.PROPOSE_TRANSFER
    task = lifecycle.record_transfer(lifecycle.propose(task, day))
    assert escalation_due(task, date(2026, 12, 19)) is Escalation.NOTHING


def test_returned_feedback_after_the_deadline_escalates_on_the_next_run() -> None:
    """SPEC §4: returned after the deadline, the task is overdue "from the next daily run on"."""
    pending = make_task(status=TaskStatus.FEEDBACK_PENDING)
    assert escalation_due(pending, AFTER) is Escalation.NOTHING
    returned = lifecycle.return_feedback(pending, None, AFTER)
    assert escalation_due(returned, date(2026, 12, 2)) is Escalation.REMINDER_SLIP


@settings(max_examples=60, deadline=None)
@given(
    offset=st.integers(min_value=-30, max_value=30),
    stage=st.sampled_from(list(EscalationStage)),
    status=st.sampled_from(list(TaskStatus)),
    extension_pending=st.booleans(),
)
def test_escalation_only_for_overdue_open_unheld_tasks(
    offset: int, stage: EscalationStage, status: TaskStatus, extension_pending: bool
) -> None:
    """A slip or proposal is due exactly when ``Task.is_overdue``; reminders only on the last two days."""
    task = make_task(stage=stage, status=status, extension_pending=extension_pending)
    today = date.fromordinal(DEADLINE.toordinal() + offset)
    due = escalation_due(task, today)
    escalating = {
        Escalation.REMINDER_SLIP,
        Escalation.SUPERVISION_NOTICE,
        Escalation.PROPOSE_INTERVIEW,
        Escalation.PROPOSE_TRANSFER,
        Escalation.OVERDUE,
    }
    assert (due in escalating) == task.is_overdue(today)
    if due in (Escalation.DUE_TODAY, Escalation.DUE_TOMORROW):
        assert -1 <= offset <= 0 and task.is_open and not task.is_held
