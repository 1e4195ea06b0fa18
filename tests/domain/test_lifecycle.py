"""The lifecycle of a 工作事项 under 邓政办〔2018〕127号, sections 二 and 五.

Each test quotes the rule it checks. Illegal moves raise ``DomainError`` with a stable code,
and every code has a Chinese sentence under ``messages/errors/``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest

from bot.config import Settings
from bot.domain import tasks as lifecycle
from bot.domain.calendar import ChineseWorkCalendar
from bot.domain.deadlines import deadline_after
from bot.domain.errors import DomainError
from bot.domain.org import Person, Role, Unit, UnitKind
from bot.domain.slips import SlipNumber, SlipType
from bot.domain.tasks import EscalationStage, SourceType, Task, TaskStatus
from bot.domain.permissions import Deed, may
from bot.texts import exists

CALENDAR = ChineseWorkCalendar()


def can_decide_extension(person: Person, unit: Unit) -> bool:
    """The table's row for 延期: the unit's own 分管市领导."""
    return may(person, Deed.DECIDE_EXTENSION, unit=unit)

ISSUED_ON = date(2026, 11, 23)  # Monday
DEADLINE = date(2026, 11, 30)  # 在收件之日起7天内 → Monday 11-30
DAY_AFTER = date(2026, 12, 1)  # Tuesday: the first day the task is late


def make_task(**changes: object) -> Task:
    """A 交办单's task: issued 2026-11-23 with "在收件之日起7天内办结"."""
    task = Task(
        id=1,
        number=SlipNumber(SlipType.ASSIGNMENT, 2026, 12),
        title="全市秋冬季大气污染防治专项检查",
        requirements="逐乡镇排查并形成书面报告",
        basis="市政府第35次常务会议纪要",
        source=SourceType.OTHER,
        unit_id=7,
        section_id=2,
        issued_by=3,
        issued_on=ISSUED_ON,
        period_days=7,
        original_deadline=DEADLINE,
        deadline=DEADLINE,
    )
    return replace(task, **changes)  # type: ignore[arg-type]


def window_after(day: date) -> date:
    """The window the services give: settings.escalation_window_days counted from ``day``."""
    return deadline_after(day, Settings().escalation_window_days, CALENDAR)


@contextmanager
def raises_code(code: str) -> Iterator[pytest.ExceptionInfo[DomainError]]:
    """The move is refused with exactly ``code``."""
    with pytest.raises(DomainError) as info:
        yield info
    assert info.value.code == code


# --- 签收, 反馈, 审核 -------------------------------------------------------------------------


def test_acknowledge_once() -> None:
    """"各级、各部门收到工作交办单后，要严格按照工作要求，按时完成交办任务": 签收 records receipt."""
    task = make_task()
    after = lifecycle.acknowledge(task)
    assert after.status is TaskStatus.ACKNOWLEDGED
    assert after.version == task.version + 1
    assert task.status is TaskStatus.ISSUED  # the original is untouched (pure function)


def test_second_acknowledge_is_refused() -> None:
    """签收 happens once; a second tap says it was already done."""
    task = lifecycle.acknowledge(make_task())
    with raises_code("already_acknowledged") as info:
        lifecycle.acknowledge(task)
    assert info.value.details["number"] == "〔2026〕12号"


def test_feedback_stops_the_clock_until_reviewed() -> None:
    """SPEC §4: "Feedback submitted before the deadline stops the clock until it is reviewed"."""
    task = lifecycle.submit_feedback(lifecycle.acknowledge(make_task()))
    assert task.status is TaskStatus.FEEDBACK_PENDING
    assert not task.is_overdue(DAY_AFTER + timedelta(days=10))


def test_feedback_without_acknowledge_counts_as_received() -> None:
    """A unit that sends its 办理结果 evidently has the slip: no separate 签收 needed."""
    assert lifecycle.submit_feedback(make_task()).status is TaskStatus.FEEDBACK_PENDING


def test_second_feedback_while_one_waits_is_refused() -> None:
    task = lifecycle.submit_feedback(make_task())
    with raises_code("feedback_already_pending"):
        lifecycle.submit_feedback(task)


def test_accept_completes_the_task() -> None:
    """通过 → 已办结, with the day it was done."""
    task = lifecycle.accept_feedback(lifecycle.submit_feedback(make_task()), DEADLINE)
    assert task.status is TaskStatus.COMPLETED
    assert task.completed_on == DEADLINE
    assert not task.is_open
    assert not task.is_overdue(DAY_AFTER)


def test_feedback_on_a_completed_task_is_refused() -> None:
    task = lifecycle.accept_feedback(lifecycle.submit_feedback(make_task()), DEADLINE)
    with raises_code("task_completed"):
        lifecycle.submit_feedback(task)
    with raises_code("task_completed"):
        lifecycle.acknowledge(task)
    with raises_code("task_completed"):
        lifecycle.request_extension(task)


def test_review_needs_a_pending_feedback() -> None:
    task = lifecycle.acknowledge(make_task())
    with raises_code("no_feedback_pending"):
        lifecycle.accept_feedback(task, DEADLINE)
    with raises_code("no_feedback_pending"):
        lifecycle.return_feedback(task, None, DEADLINE)


def test_return_after_the_deadline_leaves_the_task_overdue() -> None:
    """SPEC §4: "Feedback returned (退回) after the deadline has passed leaves the task overdue
    from the next daily run on, unless the reviewer sets a new date when returning it"."""
    pending = lifecycle.submit_feedback(make_task())
    returned = lifecycle.return_feedback(pending, None, DAY_AFTER)
    assert returned.status is TaskStatus.ACKNOWLEDGED
    assert returned.deadline == DEADLINE
    assert returned.is_overdue(DAY_AFTER + timedelta(days=1))

    new_date = DAY_AFTER + timedelta(days=5)
    given_time = lifecycle.return_feedback(pending, new_date, DAY_AFTER)
    assert given_time.deadline == new_date
    assert not given_time.is_overdue(new_date)


def test_return_with_a_date_not_in_the_future_is_refused() -> None:
    pending = lifecycle.submit_feedback(make_task())
    with raises_code("date_not_future"):
        lifecycle.return_feedback(pending, DAY_AFTER, DAY_AFTER)


# --- 催办单 -----------------------------------------------------------------------------------


def test_reminder_slip_only_once_the_deadline_has_passed() -> None:
    """"《工作交办单》下发后，对不能按时完成任务的责任单位 … 拟定《工作催办单》… 下发": not on the
    last day itself, only from the day after."""
    task = lifecycle.acknowledge(make_task())
    with raises_code("not_overdue"):
        lifecycle.issue_reminder(task, window_after(DEADLINE), DEADLINE)
    reminded = lifecycle.issue_reminder(task, window_after(DAY_AFTER), DAY_AFTER)
    assert reminded.stage is EscalationStage.REMINDED
    assert reminded.status is TaskStatus.ACKNOWLEDGED


def test_window_after_a_reminder_is_three_days() -> None:
    """"《工作催办单》与《督办通知单》下发后，原则上3天之内必须办结": issued Tuesday 12-01, the
    window (settings.escalation_window_days) ends Friday 12-04."""
    assert Settings().escalation_window_days == 3
    reminded = lifecycle.issue_reminder(make_task(), window_after(DAY_AFTER), DAY_AFTER)
    assert reminded.window_until == date(2026, 12, 4)
    # The window is a date of its own: the task stays 逾期 against its deadline meanwhile.
    assert reminded.deadline == reminded.original_deadline == DEADLINE
    assert reminded.is_overdue(DAY_AFTER)


def test_no_reminder_slip_while_feedback_waits_for_review() -> None:
    """SPEC §4: a 催办单 is for a deadline that "passes without accepted or pending feedback"."""
    pending = lifecycle.submit_feedback(make_task())
    with raises_code("escalation_held"):
        lifecycle.issue_reminder(pending, window_after(DAY_AFTER), DAY_AFTER)


def test_no_reminder_slip_while_an_extension_waits_for_the_leader() -> None:
    """SPEC §4: "A pending request holds escalation until it is decided"."""
    asked = lifecycle.request_extension(make_task())
    with raises_code("escalation_held"):
        lifecycle.issue_reminder(asked, window_after(DAY_AFTER), DAY_AFTER)


def test_no_supervision_notice_while_feedback_waits_for_review() -> None:
    """The hold applies to the 督办通知单 as well."""
    reminded = lifecycle.issue_reminder(make_task(), window_after(DAY_AFTER), DAY_AFTER)
    pending = lifecycle.submit_feedback(reminded)
    later = date(2026, 12, 8)
    with raises_code("escalation_held"):
        lifecycle.issue_supervision_notice(pending, window_after(later), later)


def test_second_reminder_slip_is_refused() -> None:
    reminded = lifecycle.issue_reminder(make_task(), window_after(DAY_AFTER), DAY_AFTER)
    later = date(2026, 12, 5)
    with raises_code("reminder_already_issued"):
        lifecycle.issue_reminder(reminded, window_after(later), later)


# --- 督办通知单 -------------------------------------------------------------------------------


def test_supervision_notice_needs_a_reminder_slip_first() -> None:
    """"《工作催办单》下发后，仍不能按时完成任务的责任单位，由 … 政务监督室下发《督办通知单》":
    no 督办通知单 before a 催办单."""
    with raises_code("supervision_needs_reminder"):
        lifecycle.issue_supervision_notice(make_task(), window_after(DAY_AFTER), DAY_AFTER)


def test_supervision_notice_only_after_the_reminder_window() -> None:
    """"催办单下发后，仍不能按时完成": within the 3-day window it is too early."""
    reminded = lifecycle.issue_reminder(make_task(), window_after(DAY_AFTER), DAY_AFTER)
    last_day = reminded.window_until  # 12-04
    assert last_day is not None
    with raises_code("not_overdue"):
        lifecycle.issue_supervision_notice(reminded, window_after(last_day), last_day)
    next_day = last_day + timedelta(days=1)
    supervised = lifecycle.issue_supervision_notice(reminded, window_after(next_day), next_day)
    assert supervised.stage is EscalationStage.SUPERVISED
    assert supervised.window_until == window_after(next_day)
    assert supervised.deadline == DEADLINE


def test_supervision_notice_puts_the_task_into_the_special_ledger() -> None:
    """"并将此项工作纳入专项工作台账进行跟踪督查"."""
    reminded = lifecycle.issue_reminder(make_task(), window_after(DAY_AFTER), DAY_AFTER)
    assert not reminded.special_ledger
    day = date(2026, 12, 7)
    assert lifecycle.issue_supervision_notice(reminded, window_after(day), day).special_ledger


def test_second_supervision_notice_is_refused() -> None:
    supervised = make_task(stage=EscalationStage.SUPERVISED, deadline=DEADLINE)
    with raises_code("supervision_already_issued"):
        lifecycle.issue_supervision_notice(supervised, window_after(DAY_AFTER), DAY_AFTER)


# --- 约谈 and 移交作风办 ----------------------------------------------------------------------


@pytest.mark.parametrize("stage", [EscalationStage.NONE, EscalationStage.REMINDED])
def test_interview_only_after_a_supervision_notice(stage: EscalationStage) -> None:
    """"责任单位收到《督办通知单》仍没有完成工作任务，经市政府研究，由市政府领导对相关责任单位进行约谈"."""
    with raises_code("interview_needs_supervision"):
        lifecycle.record_interview(make_task(stage=stage), window_after(DAY_AFTER))


def test_interview_sets_a_last_window() -> None:
    supervised = make_task(stage=EscalationStage.SUPERVISED, interview_proposed_on=DAY_AFTER)
    interviewed = lifecycle.record_interview(supervised, window_after(DAY_AFTER))
    assert interviewed.stage is EscalationStage.INTERVIEWED
    assert interviewed.window_until == window_after(DAY_AFTER)


@pytest.mark.parametrize("stage", [EscalationStage.NONE, EscalationStage.REMINDED, EscalationStage.SUPERVISED])
def test_transfer_only_after_an_interview(stage: EscalationStage) -> None:
    """"约谈后仍未按要求完成工作任务的单位或个人，移交市作风办问责追责"."""
    with raises_code("transfer_needs_interview"):
        lifecycle.record_transfer(make_task(stage=stage))


def test_transfer_closes_the_task_to_every_move() -> None:
    transferred = lifecycle.record_transfer(make_task(stage=EscalationStage.INTERVIEWED))
    assert transferred.stage is EscalationStage.TRANSFERRED
    assert not transferred.is_open
    for move in (lifecycle.acknowledge, lifecycle.submit_feedback, lifecycle.request_extension, lifecycle.record_transfer):
        with raises_code("task_transferred"):
            move(transferred)


def test_proposal_is_only_for_supervised_or_interviewed_tasks() -> None:
    assert lifecycle.propose(make_task(stage=EscalationStage.SUPERVISED), DAY_AFTER).interview_proposed_on == DAY_AFTER
    assert lifecycle.propose(make_task(stage=EscalationStage.INTERVIEWED), DAY_AFTER).transfer_proposed_on == DAY_AFTER
    with raises_code("nothing_to_propose"):
        lifecycle.propose(make_task(stage=EscalationStage.REMINDED), DAY_AFTER)


# --- 延期 -------------------------------------------------------------------------------------


def test_extension_moves_the_deadline_when_granted() -> None:
    """"如确需延长办理时间的，需经分管市领导同意": 同意 moves the deadline, 不同意 keeps it."""
    asked = lifecycle.request_extension(make_task())
    assert asked.is_held
    granted = lifecycle.decide_extension(asked, date(2026, 12, 10))
    assert granted.deadline == date(2026, 12, 10)
    assert not granted.extension_pending
    refused = lifecycle.decide_extension(asked, None)
    assert refused.deadline == DEADLINE
    assert not refused.extension_pending


def test_extension_clears_a_pending_interview_proposal() -> None:
    """A granted extension restarts the clock: yesterday's 约谈 proposal no longer stands."""
    task = make_task(stage=EscalationStage.SUPERVISED, interview_proposed_on=DAY_AFTER, extension_pending=True)
    granted = lifecycle.decide_extension(task, date(2026, 12, 10))
    assert granted.interview_proposed_on is None


def test_extension_requests_once_and_decisions_need_a_request() -> None:
    asked = lifecycle.request_extension(make_task())
    with raises_code("extension_already_pending"):
        lifecycle.request_extension(asked)
    with raises_code("no_extension_pending"):
        lifecycle.decide_extension(make_task(), date(2026, 12, 10))


def test_only_the_units_own_leader_decides_an_extension() -> None:
    """"需经分管市领导同意": the unit's 分管市领导, nobody else."""
    unit = Unit(7, "穰东镇", UnitKind.TOWN, leader_id=50)
    own_leader = Person(50, "刘副市长", frozenset({Role.LEADER}))
    other_leader = Person(51, "陈副市长", frozenset({Role.LEADER}))
    supervisor = Person(52, "政务监督室主任", frozenset({Role.SUPERVISOR, Role.ADMIN}))
    id_without_role = Person(50, "刘副市长", frozenset({Role.CLERK}), section_id=2)
    assert can_decide_extension(own_leader, unit)
    assert not can_decide_extension(other_leader, unit)
    assert not can_decide_extension(supervisor, unit)
    assert not can_decide_extension(id_without_role, unit)
    assert not can_decide_extension(own_leader, replace(unit, leader_id=None))


# --- every code reads as Chinese ------------------------------------------------------------

_BOT = Path(__file__).resolve().parents[2] / "bot"
# Every module of the bot, handlers included: a code raised anywhere must read as Chinese.
_SOURCES = sorted(_BOT.rglob("*.py"))
_RAISED = re.compile(r'(?:DomainError|FormProblem|problem)\(\s*"([a-z_]+)"')
_CODES = sorted({code for path in _SOURCES for code in _RAISED.findall(path.read_text(encoding="utf-8"))})


def test_codes_were_found() -> None:
    assert {"already_acknowledged", "task_completed", "supervision_needs_reminder"} <= set(_CODES)
    # raised in handlers and in the issuing form's checks, not only in the domain
    assert {"meeting_name_invalid", "form_unit_unknown", "form_key_repeated"} <= set(_CODES)


@pytest.mark.parametrize("code", _CODES)
def test_every_domain_error_has_a_message(code: str) -> None:
    """STYLE: "handlers map it to a template in messages/ so the user reads a Chinese sentence"."""
    assert exists(f"errors/{code}"), f"messages/errors/{code}.j2 is missing"


# ----------------------------------------------------------------------- putting the record right


def test_a_withdrawn_slip_no_longer_runs() -> None:
    """撤回: the task stays in the 台账 as 已撤回, is never 逾期 and takes no further step."""
    task = make_task(stage=EscalationStage.REMINDED, window_until=date(2026, 12, 3), extension_pending=True)
    withdrawn = lifecycle.withdraw(task)
    assert withdrawn.status is TaskStatus.WITHDRAWN and not withdrawn.is_open and not withdrawn.extension_pending
    assert not withdrawn.is_overdue(date(2026, 12, 31)) and withdrawn.number == task.number
    for step in (lifecycle.withdraw, lifecycle.acknowledge, lifecycle.submit_feedback, lifecycle.void_reminder):
        with raises_code("task_withdrawn"):
            step(withdrawn)
    with raises_code("task_withdrawn"):
        lifecycle.issue_supervision_notice(withdrawn, date(2026, 12, 10), date(2026, 12, 5))
    with raises_code("task_completed"):
        lifecycle.withdraw(make_task(status=TaskStatus.COMPLETED))


def test_a_correction_takes_the_corrected_values_and_refuses_a_change_of_nothing() -> None:
    """更正: the corrected deadline is the current one, as if the slip had said so; the number stays."""
    task = make_task(status=TaskStatus.ACKNOWLEDGED)
    moved = lifecycle.correct(task, lifecycle.Correction(deadline=date(2026, 12, 4), period_days=11), date(2026, 11, 25))
    assert (moved.deadline, moved.original_deadline, moved.period_days, moved.number) == (date(2026, 12, 4), date(2026, 12, 4), 11, task.number)
    assert not moved.is_overdue(date(2026, 12, 2)) and task.is_overdue(date(2026, 12, 2))
    with raises_code("correction_changes_nothing"):
        lifecycle.correct(task, lifecycle.Correction(title=task.title, deadline=DEADLINE, period_days=7), date(2026, 11, 25))
    with raises_code("date_not_future"):
        lifecycle.correct(task, lifecycle.Correction(deadline=date(2026, 11, 25), period_days=2), date(2026, 11, 25))
    # The 责任单位 moves only on a task issued to it alone and not yet answered; it starts at 已交办.
    other = lifecycle.correct(task, lifecycle.Correction(unit_id=9), date(2026, 11, 25))
    assert (other.unit_id, other.status, other.responsible_id) == (9, TaskStatus.ISSUED, None)
    with raises_code("correction_unit_answered"):
        lifecycle.correct(make_task(status=TaskStatus.FEEDBACK_PENDING), lifecycle.Correction(unit_id=9), date(2026, 11, 25))
    # After a 催办单 the date and the unit stand (void the 催办单 first); the wording may still be put right.
    chased = make_task(stage=EscalationStage.REMINDED, window_until=date(2026, 12, 3))
    with raises_code("correction_after_reminder"):
        lifecycle.correct(chased, lifecycle.Correction(deadline=date(2026, 12, 10), period_days=17), date(2026, 12, 2))
    assert lifecycle.correct(chased, lifecycle.Correction(title="更正后的事项"), date(2026, 12, 2)).title == "更正后的事项"


def test_a_voided_reminder_puts_the_task_back_where_it_stood() -> None:
    """A 催办单 issued in error: the stage and window before it come back; after a 督办通知单 it stands."""
    chased = make_task(stage=EscalationStage.REMINDED, window_until=date(2026, 12, 3))
    back = lifecycle.void_reminder(chased)
    assert (back.stage, back.window_until) == (EscalationStage.NONE, None)
    with raises_code("reminder_void_stage"):
        lifecycle.void_reminder(back)
    with raises_code("reminder_void_stage"):
        lifecycle.void_reminder(make_task(stage=EscalationStage.SUPERVISED, window_until=date(2026, 12, 8)))
