"""Who may see and do what with a task (SPEC section 2). Checked on the server for every
command and every button; callback data is never trusted."""

from __future__ import annotations

from bot.domain.org import Person, Role, Unit
from bot.domain.tasks import Task


def can_see(person: Person, task: Task, unit: Unit | None = None) -> bool:
    """政务监督室, the principal and the administrator see all; a clerk the section's tasks; a
    responsible official the unit's; a 分管市领导 the tasks of the units in their charge."""
    if person.sees_everything:
        return True
    if person.has(Role.CLERK) and person.section_id == task.section_id:
        return True
    if person.has(Role.RESPONSIBLE) and person.unit_id == task.unit_id:
        return True
    return person.has(Role.LEADER) and unit is not None and unit.leader_id == person.id


def acts_for_unit(person: Person, task: Task) -> bool:
    """签收, 反馈 and 申请延期 belong to the 责任单位's own people."""
    return person.has(Role.RESPONSIBLE) and person.unit_id == task.unit_id


def can_review(person: Person, task: Task) -> bool:
    """The issuing section reviews feedback (it is "工作结果反馈主体"); 政务监督室 may too."""
    return person.has(Role.SUPERVISOR) or (person.has(Role.CLERK) and person.section_id == task.section_id)


def can_decide_extension(person: Person, unit: Unit) -> bool:
    """"如确需延长办理时间的，需经分管市领导同意": the unit's own 分管市领导."""
    return person.has(Role.LEADER) and unit.leader_id == person.id


def can_remind(person: Person, task: Task) -> bool:
    """A 催办单 is drafted by the issuing section (or 政务监督室)."""
    return can_review(person, task)


def is_supervision_office(person: Person) -> bool:
    """督办通知单, 约谈 and 移交 are 政务监督室's."""
    return person.has(Role.SUPERVISOR)


def can_put_right(person: Person, task: Task) -> bool:
    """撤回 and 更正 of a 交办单, and voiding a 催办单 issued in error: its issuing section, or
    政务监督室."""
    return can_review(person, task)
