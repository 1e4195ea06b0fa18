"""A 工作事项 and its lifecycle under 邓政办〔2018〕127号 (SPEC section 4).

Two things move independently:

* ``status`` — the work itself: 已交办 → 已签收 → 已反馈(待审核) → 已办结; a returned
  feedback (退回) goes back to 已签收.
* ``stage`` — the escalation of an overdue task: 催办单 → 督办通知单 → 约谈 → 移交作风办.

Every transition is a pure function that returns the new task or raises ``DomainError``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum

from bot.domain import clock
from bot.domain.errors import DomainError
from bot.domain.reporting import ReportSchedule
from bot.domain.sharing import UnitRole
from bot.domain.slips import SlipNumber


class TaskStatus(StrEnum):
    """Where the work stands."""

    ISSUED = "issued"
    """已交办: the 交办单 is out, not yet 签收."""

    ACKNOWLEDGED = "acknowledged"
    """已签收: the unit has received it."""

    FEEDBACK_PENDING = "feedback_pending"
    """已反馈: a 办理结果 waits for the issuing section's review; the clock stops."""

    COMPLETED = "completed"
    """已办结: the feedback was accepted."""

    WITHDRAWN = "withdrawn"
    """已撤回: the issuer (or 政务监督室) withdrew the 交办单 as issued in error. Its number stays
    taken and it stays in the 台账, but no clock runs and it is never 逾期, reminded or chased."""


class EscalationStage(StrEnum):
    """How far an overdue task has been chased (notice, section 二)."""

    NONE = "none"
    REMINDED = "reminded"
    """A 工作催办单 was issued."""

    SUPERVISED = "supervised"
    """A 督办通知单 was issued; the task is in the 专项工作台账."""

    INTERVIEWED = "interviewed"
    """市政府领导 held a 约谈 with the unit."""

    TRANSFERRED = "transferred"
    """移交市作风办问责追责."""


class SourceType(StrEnum):
    """Where the task comes from (notice, section 一)."""

    STANDING_MEETING = "standing_meeting"
    """市政府常务会议议定事项 (专项交办 by 政务监督室)."""

    PRINCIPAL_INSTRUCTION = "principal_instruction"
    """市政府主要领导批示件 (专项交办 by 政务监督室)."""

    MAJOR_AFFAIR = "major_affair"
    """涉及全市的重要政务工作 (专项交办 by 政务监督室)."""

    LEADER_ASSIGNMENT = "leader_assignment"
    """市领导交办任务 (交办 by a 科室)."""

    OTHER = "other"
    """各口线其他工作事项 (交办 by a 科室)."""

    @property
    def is_special(self) -> bool:
        """The three sources the notice reserves for 政务监督室's 专项交办."""
        return self in _SPECIAL_SOURCES


_SPECIAL_SOURCES = {
    SourceType.STANDING_MEETING,
    SourceType.PRINCIPAL_INSTRUCTION,
    SourceType.MAJOR_AFFAIR,
}


def in_special_ledger(source: SourceType, chosen: bool | None) -> bool | None:
    """Whether a task enters the 专项工作台账: a 专项交办 always does, without asking; any other
    as its issuer chose (None: not chosen yet)."""
    return True if source.is_special else chosen


@dataclass(frozen=True)
class Task:
    """One line of a 台账: a 工作事项 handed to one 责任单位 by one 交办单."""

    id: int
    number: SlipNumber
    """The 交办单编号."""
    title: str
    """工作事项."""
    requirements: str
    """工作要求."""
    basis: str
    """根据: a document, meeting minutes or a leader's instruction."""
    source: SourceType
    unit_id: int
    section_id: int
    issued_by: int
    issued_on: date
    period_days: int
    """时限要求: N of "在收件之日起N天内办结"."""
    original_deadline: date
    deadline: date
    """The current deadline (:func:`bot.domain.clock.current_deadline`): the 交办单's period,
    moved only by an approved extension or a 退回 with a new date."""
    responsible_id: int | None = None
    contact_name: str = ""
    contact_phone: str = ""
    special_ledger: bool = False
    """纳入专项工作台账."""
    status: TaskStatus = TaskStatus.ISSUED
    stage: EscalationStage = EscalationStage.NONE
    extension_pending: bool = False
    interview_proposed_on: date | None = None
    transfer_proposed_on: date | None = None
    completed_on: date | None = None
    window_until: date | None = None
    """Last day of the window of the latest 催办单 / 督办通知单 / 约谈 ("下发后w日内"); None
    before any. Its own date: it never moves the current deadline."""
    matter_id: int | None = None
    """Tasks created by one issue to several units share it."""
    unit_role: UnitRole = UnitRole.SOLE
    """The unit's part in its matter: alone, 牵头单位 or 配合单位."""
    report_schedule: ReportSchedule | None = None
    """阶段汇报: when the unit reports progress before the final deadline; None for none."""
    last_report_on: date | None = None
    """The day of the unit's latest 阶段进展 report."""
    named_late: bool = False
    """A 配合单位's copy the 牵头单位 named as holding the matter up (:class:`ChaseRule` ``named``):
    chased on its own until its part arrives."""
    waiting_on_partner: bool = False
    """The 牵头单位's task while a 配合单位 it named is chased instead."""
    version: int = 0
    """Raised by every change; buttons carry it so a stale one is recognised."""

    @property
    def is_open(self) -> bool:
        """Not yet 办结, not withdrawn, and not handed over to 市作风办."""
        return self.status not in _CLOSED and self.stage is not EscalationStage.TRANSFERRED

    @property
    def is_held(self) -> bool:
        """Feedback waiting for review, or an extension request waiting for the leader."""
        return self.status is TaskStatus.FEEDBACK_PENDING or self.extension_pending

    def is_overdue(self, today: date) -> bool:
        """逾期, as :func:`bot.domain.clock.is_overdue` defines it."""
        return clock.is_overdue(self, today)


_CLOSED = (TaskStatus.COMPLETED, TaskStatus.WITHDRAWN)


def _changed(task: Task, **fields: object) -> Task:
    return replace(task, version=task.version + 1, **fields)  # type: ignore[arg-type]


def _require_open(task: Task) -> None:
    if task.status is TaskStatus.COMPLETED:
        raise DomainError("task_completed", number=str(task.number))
    if task.status is TaskStatus.WITHDRAWN:
        raise DomainError("task_withdrawn", number=str(task.number))
    if task.stage is EscalationStage.TRANSFERRED:
        raise DomainError("task_transferred", number=str(task.number))


def _require_step_passed(task: Task, today: date) -> None:
    # Feedback waiting for review or an extension waiting for the leader holds escalation
    # (SPEC section 4), whoever asks for the slip: the daily check or a clerk by hand.
    if task.is_held:
        raise DomainError("escalation_held", number=str(task.number))
    step = clock.step_deadline(task)
    if not today > step:
        raise DomainError("not_overdue", number=str(task.number), deadline=step.isoformat())


def acknowledge(task: Task) -> Task:
    """签收: the unit confirms it received the 交办单. Only once."""
    _require_open(task)
    if task.status is not TaskStatus.ISSUED:
        raise DomainError("already_acknowledged", number=str(task.number))
    return _changed(task, status=TaskStatus.ACKNOWLEDGED)


def submit_feedback(task: Task) -> Task:
    """反馈: the unit reports 办理结果情况 in writing; the clock stops until it is reviewed.

    Feedback on a task not yet 签收 counts as 签收 as well: the unit evidently has the slip.
    """
    _require_open(task)
    if task.status is TaskStatus.FEEDBACK_PENDING:
        raise DomainError("feedback_already_pending", number=str(task.number))
    return _changed(task, status=TaskStatus.FEEDBACK_PENDING)


def record_progress(task: Task, today: date) -> Task:
    """阶段汇报: the unit reports progress on a task with a reporting schedule.

    A 阶段进展 is not the "办理结果情况" the 交办单 asks for: the task stays open, its clock runs
    on, and nobody reviews it. It clears 超期未汇报 (:func:`bot.domain.reporting.missed_report`).
    """
    _require_open(task)
    if task.report_schedule is None:
        raise DomainError("no_report_schedule", number=str(task.number))
    return _changed(task, last_report_on=today)


def send_part(task: Task) -> Task:
    """配合: a 配合单位 sends its part of a shared matter to the 牵头单位.

    The part is not the matter's 办理结果: nobody reviews it and the copy stays open until the
    牵头单位's consolidated feedback is accepted (:func:`close_with_matter`).
    """
    _require_open(task)
    if task.unit_role is not UnitRole.PARTNER:
        raise DomainError("not_a_partner", number=str(task.number))
    return _changed(task, named_late=False)


def name_late_partner(lead: Task, partner: Task) -> tuple[Task, Task]:
    """The 牵头单位 names a 配合单位 whose part has not come (setting ``sharing.chase = "named"``).

    From then on the 配合单位's copy is chased by the matter's deadline — its 催办单 and points
    are its own — and the 牵头单位's task waits, until the part arrives (:func:`send_part`).
    """
    _require_open(lead)
    _require_open(partner)
    if lead.unit_role is not UnitRole.LEAD or partner.unit_role is not UnitRole.PARTNER or lead.matter_id != partner.matter_id:
        raise DomainError("not_a_partner", number=str(partner.number))
    if partner.named_late:
        raise DomainError("partner_already_named", number=str(partner.number))
    return _changed(lead, waiting_on_partner=True), _changed(partner, named_late=True)


def close_with_matter(task: Task, today: date) -> Task:
    """A 配合单位's copy is 办结 with the matter, when the 牵头单位's 办理结果 is accepted."""
    if task.unit_role is not UnitRole.PARTNER or not task.is_open:
        raise DomainError("not_a_partner", number=str(task.number))
    return _changed(task, status=TaskStatus.COMPLETED, completed_on=today, named_late=False)


def partner_part_arrived(lead: Task) -> Task:
    """The named 配合单位's part has come: the 牵头单位's task is chased again by its own clock."""
    return _changed(lead, waiting_on_partner=False)


def accept_feedback(task: Task, today: date) -> Task:
    """通过: the issuing section accepts the feedback and the task is 办结."""
    if task.status is not TaskStatus.FEEDBACK_PENDING:
        raise DomainError("no_feedback_pending", number=str(task.number))
    return _changed(task, status=TaskStatus.COMPLETED, completed_on=today)


def return_feedback(task: Task, new_deadline: date | None, today: date) -> Task:
    """退回: the feedback does not meet the 工作要求; the unit works on.

    Returned after the deadline, the task is overdue again from the next daily run on, unless
    the reviewer sets a new date (SPEC section 4): that date becomes the current deadline.
    """
    if task.status is not TaskStatus.FEEDBACK_PENDING:
        raise DomainError("no_feedback_pending", number=str(task.number))
    if new_deadline is not None and new_deadline <= today:
        raise DomainError("date_not_future", date=new_deadline.isoformat())
    deadline = new_deadline or task.deadline
    return _changed(task, status=TaskStatus.ACKNOWLEDGED, deadline=deadline)


def request_extension(task: Task) -> Task:
    """申请延期: escalation of the task waits until the 分管市领导 decides."""
    _require_open(task)
    if task.extension_pending:
        raise DomainError("extension_already_pending", number=str(task.number))
    return _changed(task, extension_pending=True)


def decide_extension(task: Task, granted_until: date | None) -> Task:
    """The 分管市领导's decision: a date moves the deadline (同意), ``None`` keeps it (不同意).

    "如确需延长办理时间的，需经分管市领导同意" (notice, section 二). The date a 改期同意 grants is the
    deadline even when it is earlier than the current one: the leader's decision stands, and
    the unit and the issuer are told it is earlier.
    """
    _require_open(task)  # a withdrawn 交办单 is granted nothing
    if not task.extension_pending:
        raise DomainError("no_extension_pending", number=str(task.number))
    if granted_until is None:
        return _changed(task, extension_pending=False)
    # The granted date becomes the current deadline; an escalation window already running
    # keeps its own date (:func:`bot.domain.clock.step_deadline`).
    return _changed(
        task,
        extension_pending=False,
        deadline=granted_until,
        interview_proposed_on=None,
        transfer_proposed_on=None,
    )


def follow_matter_extension(partner: Task, matter_deadline: date) -> Task:
    """A 配合单位's copy keeps the matter's one deadline: an extension the 分管市领导 granted to the
    牵头单位 moves an open partner copy's deadline with it, so a partner named late is not chased
    for a date the matter no longer has. Returned unchanged when it does not apply."""
    if partner.unit_role is not UnitRole.PARTNER or not partner.is_open or partner.deadline >= matter_deadline:
        return partner
    return _changed(partner, deadline=matter_deadline, interview_proposed_on=None, transfer_proposed_on=None)


def issue_reminder(task: Task, window_deadline: date, today: date) -> Task:
    """工作催办单: "对不能按时完成任务的责任单位 … 拟定《工作催办单》报政务监督室备案后下发"."""
    _require_open(task)
    if task.stage is not EscalationStage.NONE:
        raise DomainError("reminder_already_issued", number=str(task.number))
    _require_step_passed(task, today)
    return _changed(task, stage=EscalationStage.REMINDED, window_until=window_deadline)


def issue_supervision_notice(task: Task, window_deadline: date, today: date) -> Task:
    """督办通知单: "《工作催办单》下发后，仍不能按时完成任务的责任单位，由政务监督室下发《督办通知单》
    进行督办，并将此项工作纳入专项工作台账进行跟踪督查"."""
    _require_open(task)
    if task.stage is EscalationStage.NONE:
        raise DomainError("supervision_needs_reminder", number=str(task.number))
    if task.stage is not EscalationStage.REMINDED:
        raise DomainError("supervision_already_issued", number=str(task.number))
    _require_step_passed(task, today)
    return _changed(
        task, stage=EscalationStage.SUPERVISED, window_until=window_deadline, special_ledger=True
    )


def propose(task: Task, today: date) -> Task:
    """Mark today's 约谈 or 移交 proposal, so it is made once, not every morning."""
    if task.stage is EscalationStage.SUPERVISED:
        return _changed(task, interview_proposed_on=today)
    if task.stage is EscalationStage.INTERVIEWED:
        return _changed(task, transfer_proposed_on=today)
    raise DomainError("nothing_to_propose", number=str(task.number))


def record_interview(task: Task, last_window_deadline: date) -> Task:
    """约谈: "收到《督办通知单》仍没有完成工作任务，经市政府研究，由市政府领导对相关责任单位进行约谈"."""
    _require_open(task)
    if task.stage is not EscalationStage.SUPERVISED:
        raise DomainError("interview_needs_supervision", number=str(task.number))
    return _changed(task, stage=EscalationStage.INTERVIEWED, window_until=last_window_deadline)


def record_transfer(task: Task) -> Task:
    """移交作风办: "约谈后仍未按要求完成工作任务的单位或个人，移交市作风办问责追责"."""
    _require_open(task)
    if task.stage is not EscalationStage.INTERVIEWED:
        raise DomainError("transfer_needs_interview", number=str(task.number))
    return _changed(task, stage=EscalationStage.TRANSFERRED)


def withdraw(task: Task) -> Task:
    """撤回: a 交办单 issued in error is withdrawn by whoever issued it (its 科室) or 政务监督室.

    The number stays taken (no gap, no reuse), the task stays in the 台账 as 已撤回, and nothing
    runs on it any more: no 逾期, no reminder, no 催办单 (:func:`bot.domain.clock.is_overdue`).
    A task already 办结 or 移交 is part of the record and is not withdrawn.
    """
    _require_open(task)
    return _changed(
        task, status=TaskStatus.WITHDRAWN, extension_pending=False, interview_proposed_on=None,
        transfer_proposed_on=None, named_late=False, waiting_on_partner=False,
    )


@dataclass(frozen=True)
class Correction:
    """更正 of an issued 交办单: the fields to put right (None: kept as issued)."""

    title: str | None = None
    """工作事项."""
    requirements: str | None = None
    """工作要求."""
    deadline: date | None = None
    """期限: the corrected last day; the slip's N is counted to it from the day of issue."""
    period_days: int | None = None
    """N of "在收件之日起N天内" for ``deadline``."""
    unit_id: int | None = None
    """责任单位."""

    def changes(self, task: Task) -> dict[str, tuple[object, object]]:
        """Each field that differs from the task: its name, the value as issued and the corrected one."""
        wanted = {"title": self.title, "requirements": self.requirements, "deadline": self.deadline, "unit_id": self.unit_id}
        return {
            name: (getattr(task, name), value) for name, value in wanted.items()
            if value is not None and value != getattr(task, name)
        }


def correct(task: Task, correction: Correction, today: date) -> Task:
    """更正: the issuer (or 政务监督室) puts an issued 交办单 right; it keeps its number.

    The 工作事项 and 工作要求 may be corrected while the task is open. The 期限 and the
    责任单位 only while no 催办单 has gone out (a slip already counted against the old date or
    the old unit is voided first), and the 责任单位 only of a task issued to one unit alone and
    not yet answered: the new unit starts from 已交办. A corrected deadline is the current one,
    as if the slip had said so from the start.

    Raises:
        DomainError: ``correction_changes_nothing``; ``date_not_future``; ``correction_after_reminder``;
            ``correction_unit_shared``; ``correction_unit_answered``; the refusals of an ended task.
    """
    _require_open(task)
    changes = correction.changes(task)
    if not changes:
        raise DomainError("correction_changes_nothing", number=str(task.number))
    fields: dict[str, object] = {}
    if "title" in changes:
        fields["title"] = correction.title
    if "requirements" in changes:
        fields["requirements"] = correction.requirements
    if ("deadline" in changes or "unit_id" in changes) and task.stage is not EscalationStage.NONE:
        raise DomainError("correction_after_reminder", number=str(task.number))
    if "deadline" in changes:
        assert correction.deadline is not None and correction.period_days is not None
        if correction.deadline <= today:
            raise DomainError("date_not_future", date=correction.deadline.isoformat())
        fields.update(deadline=correction.deadline, original_deadline=correction.deadline, period_days=correction.period_days)
    if "unit_id" in changes:
        if task.unit_role is not UnitRole.SOLE:
            raise DomainError("correction_unit_shared", number=str(task.number))
        if task.status is TaskStatus.FEEDBACK_PENDING or task.extension_pending:
            raise DomainError("correction_unit_answered", number=str(task.number))
        fields.update(unit_id=correction.unit_id, responsible_id=None, status=TaskStatus.ISSUED, last_report_on=None)
    return _changed(task, **fields)


def void_reminder(task: Task) -> Task:
    """A 工作催办单 issued in error is voided: the task goes back to where it stood before it.

    Only the latest step can be undone: once a 督办通知单 has followed the 催办单, it stands.
    """
    _require_open(task)
    if task.stage is not EscalationStage.REMINDED:
        raise DomainError("reminder_void_stage", number=str(task.number), stage=task.stage.value)
    return _changed(
        task, stage=EscalationStage.NONE, window_until=None, interview_proposed_on=None, transfer_proposed_on=None,
    )


class ExtensionStatus(StrEnum):
    """Where a 延期申请 stands: "需经分管市领导同意" (notice, section 二)."""

    PENDING = "pending"
    """Waiting for the 分管市领导; the task's escalation waits too."""
    APPROVED = "approved"
    """同意: the deadline moved to the requested, or another, date."""
    REJECTED = "rejected"
    """不同意: the deadline stays."""
    CLOSED = "closed"
    """Ended undecided: its 交办单 was withdrawn (撤回) while it waited, so nothing is granted."""


@dataclass(frozen=True)
class ExtensionRequest:
    """One 延期申请."""

    id: int
    task_id: int
    requested_by: int
    requested_until: date
    reason: str
    status: ExtensionStatus
