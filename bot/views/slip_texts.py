"""The three slips' texts (附件1, 附件2, 附件3) with the blanks filled from a task."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from bot.config import Organisation
from bot.domain.clock import DeadlineMove
from bot.domain.reporting import ReportSchedule
from bot.domain.slips import Slip, SlipNumber
from bot.domain.sharing import UnitRole
from bot.domain.tasks import Task
from bot.texts import render


def assignment_text(
    org: Organisation,
    task: Task,
    unit_name: str,
    section_name: str,
    responsible_name: str = "",
    attachment_name: str = "",
    lead_name: str = "",
    partner_names: Sequence[str] = (),
    report_dates: Sequence[date] = (),
    *,
    working_days: bool,
    corrected: bool = False,
    part_due: date | None = None,
) -> str:
    """附件1 《工作交办单》 for ``task``.

    The notice's sentence stays word for word; a shared matter adds a line naming the 牵头单位
    and its 配合单位, and a long task a line with its 阶段汇报 schedule and dates. A slip sent
    again after a 更正 says so beside its number, which it keeps.
    """
    return assignment_wording(org, AssignmentWords(
        number=str(task.number), unit_name=unit_name, title=task.title, requirements=task.requirements,
        basis=task.basis, period_days=task.period_days, section_name=section_name, responsible_name=responsible_name,
        contact_name=task.contact_name, contact_phone=task.contact_phone, attachment_name=attachment_name,
        issued_on=task.issued_on, role=task.unit_role, lead_name=lead_name, partner_names=tuple(partner_names),
        schedule=task.report_schedule, report_dates=tuple(report_dates), working_days=working_days,
        corrected=corrected,
        part_due=part_due,
    ))


@dataclass(frozen=True)
class AssignmentWords:
    """Every blank of a 交办单, signed (``assignment_text`` fills them from its task) or not yet
    (the preview of /new, whose number is taken only when it is signed)."""

    number: str
    unit_name: str
    title: str
    requirements: str
    basis: str
    period_days: int
    section_name: str
    responsible_name: str
    contact_name: str
    contact_phone: str
    attachment_name: str
    issued_on: date
    role: UnitRole
    lead_name: str
    partner_names: tuple[str, ...]
    schedule: ReportSchedule | None
    report_dates: tuple[date, ...]
    working_days: bool
    """N counts working days (``deadline_mode = "working"``): the slip says 「N个工作日内」."""
    corrected: bool = False
    """Sent again after a 更正: marked so beside the number."""
    part_due: date | None = None
    """A 配合单位's copy: the day its part is due to the 牵头单位 (``sharing.part_due``)."""


def assignment_wording(org: Organisation, words: AssignmentWords) -> str:
    """附件1 《工作交办单》 with its blanks filled."""
    return render(
        "slips/assignment",
        org=org,
        number=words.number,
        unit_name=words.unit_name,
        basis=words.basis,
        title=words.title,
        period_days=words.period_days,
        working_days=words.working_days,
        section_name=words.section_name,
        requirements=words.requirements,
        responsible_name=words.responsible_name,
        contact_name=words.contact_name,
        contact_phone=words.contact_phone,
        attachment_name=words.attachment_name,
        issued_on=words.issued_on,
        role=words.role.value,
        lead_name=words.lead_name,
        partner_names=list(words.partner_names),
        schedule=schedule_text(words.schedule) if words.schedule else "",
        report_dates=list(words.report_dates),
        corrected=words.corrected,
        part_due=words.part_due,
    )


def schedule_text(schedule: ReportSchedule) -> str:
    """A 阶段汇报 schedule in the office's words: 每周五, 每月5日前, 每季度末, or its dates."""
    return render("reporting/schedule", schedule=schedule).strip()


def reminder_text(
    org: Organisation,
    task: Task,
    unit_name: str,
    number: SlipNumber,
    overdue_days: int,
    window_days: int,
    issued_on: date,
    contact_name: str,
    contact_phone: str,
    move: DeadlineMove = DeadlineMove.NONE,
    *,
    working_days: bool,
) -> str:
    """附件2 《工作催办单》; ``move`` says how "期限N天" is followed by the current deadline."""
    return render(
        "slips/reminder",
        org=org,
        number=number,
        unit_name=unit_name,
        title=task.title,
        assigned_on=task.issued_on,
        assignment_number=task.number,
        period_days=task.period_days,
        working_days=working_days,
        move=move.value,
        deadline=task.deadline,
        overdue_days=overdue_days,
        window_days=window_days,
        contact_name=contact_name,
        contact_phone=contact_phone,
        issued_on=issued_on,
    )


def supervision_text(
    org: Organisation,
    task: Task,
    unit_name: str,
    number: SlipNumber,
    reminder: Slip,
    window_days: int,
    issued_on: date,
    contact_name: str,
    contact_phone: str,
    move: DeadlineMove = DeadlineMove.NONE,
    *,
    working_days: bool,
) -> str:
    """附件3 《督办通知单》, citing the 催办单 that went before it.

    When the deadline moved after the 催办单, its "逾期d天" was counted from an earlier date: the
    notice then says on which day the 催办单 went out, so the two do not seem to disagree.
    """
    reminder_late = reminder.overdue_days or 0
    return render(
        "slips/supervision",
        org=org,
        number=number,
        unit_name=unit_name,
        title=task.title,
        assigned_on=task.issued_on,
        period_days=task.period_days,
        working_days=working_days,
        move=move.value,
        deadline=task.deadline,
        reminder_overdue_days=reminder.overdue_days,
        reminder_issued_on=reminder.issued_on,
        reminder_dated=reminder.issued_on - timedelta(days=reminder_late) != task.deadline,
        reminder_number=reminder.number,
        window_days=window_days,
        contact_name=contact_name,
        contact_phone=contact_phone,
        issued_on=issued_on,
    )
