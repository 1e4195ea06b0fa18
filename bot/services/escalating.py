"""The escalation chain of notice section 二: 催办单 → 督办通知单 → 约谈 → 移交作风办.

Each step is one transaction: the task's new stage and window, the numbered slip with its
text, the score event, the history entry, and the messages (the unit's copy with its buttons,
the 政务监督室's 备案 copy) all commit together or not at all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import aiosqlite

from bot import actions
from bot.domain import tasks as lifecycle
from bot.domain import audience, clock, sharing
from bot.domain.deadlines import next_workday_on_or_after
from bot.domain.errors import DomainError
from bot.domain.org import Person, Role
from bot.domain.scores import ScoreCategory
from bot.domain.slips import Slip, SlipType
from bot.domain.sharing import UnitRole
from bot.domain.tasks import EscalationStage, Task
from bot.edge import TELEGRAM, Account
from bot.services.context import Office
from bot.services.notify import button, message, send, send_to, tell
from bot.domain.permissions import Deed, check
from bot.views.slip_keyboard import slip_keyboard
from bot.views.slip_texts import reminder_text, supervision_text
from bot.services.task_changes import issuer_and_section, load, matter_parts, save, unit_people
from bot.storage import history, org, scores, slips, tasks
from bot.texts import label, render

MAX_NOTE = 1000


async def _supervision_staff(conn: aiosqlite.Connection) -> list[Person]:
    return await org.with_role(conn, Role.SUPERVISOR)


async def _contact(conn: aiosqlite.Connection, actor: Person | None, task: Task, slip_type: SlipType) -> tuple[str, str]:
    """联系人 and 联系电话 printed on the slip: whoever issues it, else the office that owns it."""
    if actor is not None:
        return actor.name, actor.phone
    if slip_type is SlipType.SUPERVISION:
        staff = await _supervision_staff(conn)
        if staff:
            return staff[0].name, staff[0].phone
    return task.contact_name, task.contact_phone


async def _last_set_by(conn: aiosqlite.Connection, task: Task) -> clock.DeadlineMove | None:
    kind = await history.deadline_set_by(conn, task.id)
    return {"extension_approved": clock.DeadlineMove.EXTENDED, "feedback_returned": clock.DeadlineMove.RESET}.get(kind or "")


async def _tell_issuing_section(
    conn: aiosqlite.Connection, task: Task, kind: str, now: datetime, actor: Person | None, **context: Any
) -> None:
    """The 科室 that issued the task hears of a step taken by hand at once; the daily check's steps
    reach it grouped, in its digest of the day (bot/services/daily.py). 政务监督室 knows already."""
    if actor is None or not audience.issuing_section_told(kind):
        return
    unit = await org.unit(conn, task.unit_id)
    for reader in await issuer_and_section(conn, task):
        if reader.id == actor.id or reader.has(Role.SUPERVISOR):
            continue
        await tell(conn, reader, "escalation/section_told", now, kind=kind, task=task, unit=unit, task_id=task.id, **context)


async def _deliver_slip(
    conn: aiosqlite.Connection, task: Task, slip: Slip, text: str, now: datetime, actor: Person | None
) -> None:
    """The unit's copy with its buttons, and the 备案 with 政务监督室.

    A slip issued by hand is filed with a copy of its own; those the daily check issues are
    filed in its one summary to 政务监督室, which would otherwise get hundreds of messages.
    """
    for member in await unit_people(conn, task):
        await send(conn, member, message(text, slip_keyboard(task)), now, task_id=task.id, slip_id=slip.id, purpose="slip")
    await _tell_partners(conn, task, slip, now)
    if actor is None:
        return
    for staff in await _supervision_staff(conn):
        if staff.id != actor.id:
            await tell(conn, staff, "escalation/filed", now, task=task, slip=slip, text=text, task_id=task.id)


async def _tell_partners(conn: aiosqlite.Connection, task: Task, slip: Slip, now: datetime) -> None:
    """A 牵头单位's 催办单 or 督办通知单 is told to its 配合单位 (:func:`sharing.told_of_lead_slip`):
    not scored, but their part is the work it chases."""
    if task.unit_role is not UnitRole.LEAD:
        return
    lead_unit = await org.unit(conn, task.unit_id)
    parts = {part.task_id: part.sent for part in await matter_parts(conn, task)}
    for partner in await tasks.of_matter(conn, task):
        if not sharing.told_of_lead_slip(partner.unit_role) or not partner.is_open:
            continue
        for member in await unit_people(conn, partner):
            await tell(
                conn, member, "escalation/partner_told", now, task=partner, slip=slip, lead=task, lead_unit=lead_unit,
                part_sent=parts.get(partner.id, False), task_id=partner.id,
            )


async def issue_reminder_slip(office: Office, task_id: int, now: datetime, actor: Person | None = None) -> Slip:
    """工作催办单 for an overdue task: −0.2 to the unit, a new window of w days, 备案 with 政务监督室.

    "《工作交办单》下发后，对不能按时完成任务的责任单位，市政府办公室相关科室拟定《工作催办单》报政务监督室
    备案后下发" — ``actor`` is the clerk issuing it by hand, or None for the daily check.
    """
    async with office.db.transaction() as conn:
        return await escalation_slip_on(conn, office, SlipType.REMINDER, task_id, now, actor)


async def issue_supervision_notice(office: Office, task_id: int, now: datetime, actor: Person | None = None) -> Slip:
    """督办通知单 by 政务监督室 after the 催办单's window passed: −0.5, 纳入专项工作台账, new window.

    "《工作催办单》下发后，仍不能按时完成任务的责任单位，由市政府办公室政务监督室下发《督办通知单》进行督办，
    并将此项工作纳入专项工作台账进行跟踪督查".
    """
    async with office.db.transaction() as conn:
        return await escalation_slip_on(conn, office, SlipType.SUPERVISION, task_id, now, actor)


@dataclass(frozen=True)
class _Step:
    """What differs between the 催办单 and the 督办通知单: who issues it, the task's move, the
    points it takes and its history entry."""

    deed: Deed
    issue: Callable[[Task, date, date], Task]
    category: ScoreCategory
    event: str


_STEPS = {
    SlipType.REMINDER: _Step(Deed.REMIND, lifecycle.issue_reminder, ScoreCategory.REMINDER_SLIP, "reminder_issued"),
    SlipType.SUPERVISION: _Step(
        Deed.SUPERVISE, lifecycle.issue_supervision_notice, ScoreCategory.SUPERVISION_NOTICE, "supervision_issued"
    ),
}


async def escalation_slip_on(
    conn: aiosqlite.Connection, office: Office, slip_type: SlipType, task_id: int, now: datetime, actor: Person | None = None
) -> Slip:
    """A 催办单 or 督办通知单 (``slip_type``) inside the caller's transaction (a draft signed in
    confirm mode is marked issued in the same one): the task's new window, the slip numbered,
    written and delivered, its points booked, the history and the issuing section told."""
    step = _STEPS[slip_type]
    today = now.date()
    window = office.settings.escalation_window_days
    task = await load(conn, task_id)
    if actor is not None:
        check(actor, step.deed, task=task)
    after = step.issue(task, office.deadline_after(today, window), today)
    number = await slips.next_number(conn, slip_type, today.year)
    late = clock.overdue_days(task, today)
    unit = await org.unit(conn, task.unit_id)
    assert unit is not None
    name, phone = await _contact(conn, actor, task, slip_type)
    move = clock.deadline_move(task, await _last_set_by(conn, task))
    organisation, working_days = office.settings.organisation, office.counts_working_days
    details: dict[str, Any] = {"number": number.full}
    if slip_type is SlipType.REMINDER:
        text = reminder_text(organisation, task, unit.name, number, late, window, today, name, phone, move, working_days=working_days)
        details["overdue_days"] = late
    else:
        reminder = next((s for s in reversed(await slips.of_task(conn, task.id)) if s.number.type is SlipType.REMINDER), None)
        assert reminder is not None, "the domain requires a 催办单 first"
        text = supervision_text(organisation, task, unit.name, number, reminder, window, today, name, phone, move, working_days=working_days)
    actor_id = actor.id if actor else None
    slip = await slips.add(conn, task.id, number, today, actor_id, text, window, late)
    await save(conn, task, after, now)
    await scores.book(
        conn, task.unit_id, step.category, office.settings.score_rules.points_for(step.category),
        today, now, note=number.full, task_id=task.id, slip_id=slip.id, recorded_by=actor_id,
    )
    await history.append(
        conn, step.event, now, task_id=task.id, actor_id=actor_id, **details, window_deadline=str(after.window_until),
    )
    await _deliver_slip(conn, after, slip, text, now, actor)
    await _tell_issuing_section(conn, after, step.event, now, actor, slip=slip)
    return slip


async def propose(office: Office, task_id: int, now: datetime) -> Task:
    """约谈 or 移交 proposal to 政务监督室, made once when the window passes."""
    async with office.db.transaction() as conn:
        return await propose_on(conn, task_id, now)


async def propose_on(conn: aiosqlite.Connection, task_id: int, now: datetime) -> Task:
    """The steps of :func:`propose` inside the caller's transaction."""
    task = await load(conn, task_id)
    after = lifecycle.propose(task, now.date())
    await save(conn, task, after, now)
    kind = "interview_proposed" if task.stage is EscalationStage.SUPERVISED else "transfer_proposed"
    await history.append(conn, kind, now, task_id=task.id)
    unit = await org.unit(conn, task.unit_id)
    # The button opens the same dialog as /interview or /transfer.
    word, action = (
        ("record_interview", actions.INTERVIEW) if kind == "interview_proposed" else ("record_transfer", actions.TRANSFER)
    )
    keyboard = [[button(label("escalation_actions", word), action(task_id=task.id))]]
    for staff in await _supervision_staff(conn):
        await tell(
            conn, staff, f"escalation/{kind}", now, keyboard=keyboard, task=after, unit=unit, today=now.date(), task_id=task.id
        )
    return after


def interview_window(office: Office, today: date) -> date:
    """The last window a 约谈 gives by default: w days, as after a 催办单 or 督办通知单."""
    return office.deadline_after(today, office.settings.escalation_window_days)


def check_interview_note(note: str) -> None:
    """The 约谈情况 a 政务监督室 records: refused when longer than :data:`MAX_NOTE`, so the dialog
    can ask again before the 约谈 is recorded."""
    if len(note.strip()) > MAX_NOTE:
        raise DomainError("field_too_long", field="约谈情况", limit=MAX_NOTE)


async def record_interview(
    office: Office, actor: Person, task_id: int, held_on: date, leader: str, note: str, now: datetime,
    last_day: date | None = None,
) -> Task:
    """约谈 recorded by 政务监督室: −3 to the unit, and a last window: ``last_day`` as entered (a
    rest day moves to the next working day, 民法典 第二百零三条), else w days.

    "责任单位收到《督办通知单》仍没有完成工作任务，经市政府研究，由市政府领导对相关责任单位进行约谈，约谈一次扣3分".

    Raises:
        DomainError: ``date_not_future`` when ``last_day`` is today or past; the lifecycle's
            refusals.
    """
    check(actor, Deed.SUPERVISE)
    leader, note = leader.strip(), note.strip()
    if not leader:
        raise DomainError("field_missing", field="约谈领导")
    check_interview_note(note)
    if len(leader) > 100:
        raise DomainError("field_too_long", field="约谈领导", limit=100)
    if held_on > now.date():
        raise DomainError("date_in_future", date=held_on.isoformat())
    if last_day is not None and last_day <= now.date():
        raise DomainError("date_not_future", date=last_day.isoformat())
    until = next_workday_on_or_after(last_day, office.calendar) if last_day else interview_window(office, now.date())
    async with office.db.transaction() as conn:
        task = await load(conn, task_id)
        after = lifecycle.record_interview(task, until)
        await save(conn, task, after, now)
        await scores.book(
            conn, task.unit_id, ScoreCategory.INTERVIEW, office.settings.score_rules.points_for(ScoreCategory.INTERVIEW),
            held_on, now, note=f"{task.number.full} {leader}", task_id=task.id, recorded_by=actor.id,
        )
        await history.append(
            conn, "interview_recorded", now, task_id=task.id, actor_id=actor.id,
            held_on=held_on.isoformat(), leader=leader, note=note, last_deadline=str(after.window_until),
        )
        for member in await unit_people(conn, task):
            await tell(conn, member, "escalation/interviewed", now, task=after, leader=leader, held_on=held_on, note=note, task_id=task.id)
        await _tell_issuing_section(conn, after, "interview_recorded", now, actor, leader=leader, held_on=held_on)
    return after


async def record_transfer(office: Office, actor: Person, task_id: int, note: str, now: datetime) -> Task:
    """移交市作风办: the task is marked 问责; the 作风办 contact, if configured, is told.

    "约谈后仍未按要求完成工作任务的单位或个人，移交市作风办问责追责".
    """
    check(actor, Deed.SUPERVISE)
    note = note.strip()
    if len(note) > MAX_NOTE:
        raise DomainError("field_too_long", field="移交说明", limit=MAX_NOTE)
    async with office.db.transaction() as conn:
        task = await load(conn, task_id)
        after = lifecycle.record_transfer(task)
        await save(conn, task, after, now)
        await history.append(conn, "transfer_recorded", now, task_id=task.id, actor_id=actor.id, note=note)
        await _tell_issuing_section(conn, after, "transfer_recorded", now, actor)
        unit = await org.unit(conn, task.unit_id)
        for member in await unit_people(conn, task):
            await tell(conn, member, "escalation/transferred", now, task=after, org=office.settings.organisation, task_id=task.id)
        chat = office.settings.conduct_office_chat_id
        if chat is not None:
            text = render("escalation/handover", task=after, unit=unit, note=note, org=office.settings.organisation, working_days=office.counts_working_days)
            await send_to(conn, Account(TELEGRAM, str(chat)), message(text), now, task_id=task.id, purpose="handover")
    return after


async def check_may_record(office: Office, person: Person, task_id: int, *, interview: bool) -> Task:
    """The task whose 约谈 (or 移交) ``person`` is about to record, if they are 政务监督室 and the
    step is due: asked before the dialog, so nobody types a name only to be refused.

    Raises:
        DomainError: ``not_allowed``; ``task_unknown``; the refusals of
            :func:`bot.domain.tasks.record_interview` or :func:`bot.domain.tasks.record_transfer`.
    """
    check(person, Deed.SUPERVISE)
    task = await load(office.db.reader, task_id)
    if interview:
        lifecycle.record_interview(task, task.deadline)
    else:
        lifecycle.record_transfer(task)
    return task
