"""The three slips' texts (附件1, 附件2, 附件3) with the blanks filled from a task."""

from __future__ import annotations

from datetime import date

from bot.config import Organisation
from bot.domain.slips import Slip, SlipNumber
from bot.domain.tasks import Task
from bot.texts import render


def assignment_text(
    org: Organisation,
    task: Task,
    unit_name: str,
    section_name: str,
    responsible_name: str = "",
    attachment_name: str = "",
) -> str:
    """附件1 《工作交办单》 for ``task``."""
    return render(
        "slips/assignment",
        org=org,
        number=task.number,
        unit_name=unit_name,
        basis=task.basis,
        title=task.title,
        period_days=task.period_days,
        section_name=section_name,
        requirements=task.requirements,
        responsible_name=responsible_name,
        contact_name=task.contact_name,
        contact_phone=task.contact_phone,
        attachment_name=attachment_name,
        issued_on=task.issued_on,
    )


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
) -> str:
    """附件2 《工作催办单》."""
    return render(
        "slips/reminder",
        org=org,
        number=number,
        unit_name=unit_name,
        title=task.title,
        assigned_on=task.issued_on,
        assignment_number=task.number,
        period_days=task.period_days,
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
) -> str:
    """附件3 《督办通知单》, citing the 催办单 that went before it."""
    return render(
        "slips/supervision",
        org=org,
        number=number,
        unit_name=unit_name,
        title=task.title,
        assigned_on=task.issued_on,
        period_days=task.period_days,
        reminder_overdue_days=reminder.overdue_days,
        reminder_number=reminder.number,
        window_days=window_days,
        contact_name=contact_name,
        contact_phone=contact_phone,
        issued_on=issued_on,
    )
