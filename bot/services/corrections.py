"""Putting the record right: 撤回 and 更正 of an issued 工作交办单, and a 工作催办单 issued in error
voided.

Whoever issued the slip — its 科室 — or 政务监督室 may do it, with a reason. The number stays
taken (no gap, no reuse). A withdrawn 交办单 no longer runs: it is never 逾期, reminded or chased
(:func:`bot.domain.tasks.withdraw`), and any points its slips took are voided with the scoring
domain's void, each void in the history. A corrected 交办单 is sent again to its unit, marked
更正 beside its number, and every surface reads the corrected values. A voided 催办单 gives back
its −0.2 and the task's stage before it. Each change is one transaction with its history and
the messages it causes; the person is shown a preview first (``bot.conversation.corrections``).
A shared matter is one matter: its copies are withdrawn, or corrected, together.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Any

import aiosqlite

from bot.domain import reporting
from bot.domain import tasks as lifecycle
from bot.domain.dates import read_date
from bot.domain.errors import DomainError
from bot.domain.org import Person, Role, Unit
from bot.domain.scores import ScoreEvent
from bot.domain.slip_numbers import parse_slip_reference
from bot.domain.slips import Slip, SlipType
from bot.domain.tasks import Correction, Task
from bot.services.context import Office
from bot.domain.slips import MAX_TEXT, MAX_TITLE
from bot.services.issuing import check_slip_length, part_due_of
from bot.services.notify import change_delivered, message, send, tell
from bot.domain.permissions import Deed, can_see, may
from bot.services.scoring import format_points, void_on
from bot.views.slip_keyboard import slip_keyboard
from bot.views.slip_texts import assignment_text
from bot.services.task_changes import issuer_and_section, save
from bot.storage import drafts as slip_drafts
from bot.storage import extensions as extension_requests
from bot.storage import history, org, outbox, slips, tasks
from bot.storage import scores as score_store
from bot.texts import render

MAX_REASON = 200
"""A reason is a line of the history, not a report."""



class Field(StrEnum):
    """What a 更正 may put right on a 交办单."""

    TITLE = "title"
    """工作事项."""
    REQUIREMENTS = "requirements"
    """工作要求."""
    DEADLINE = "deadline"
    """期限: a working day after today."""
    UNIT = "unit"
    """责任单位 (of a task issued to one unit alone)."""


@dataclass(frozen=True)
class Target:
    """The slip to be put right, its task, and what withdrawing it would take back."""

    task: Task
    slip: Slip
    """The 交办单, or the 催办单 to void."""
    unit_name: str
    copies: tuple[Task, ...]
    """The open tasks the change applies to: the task, or every open copy of its shared matter."""
    points: tuple[ScoreEvent, ...]
    """The points still counting that a 撤回 (or the 催办单's void) voids."""

    @property
    def is_reminder(self) -> bool:
        """A 催办单 to void, not a 交办单."""
        return self.slip.number.type is SlipType.REMINDER


@dataclass(frozen=True)
class CorrectionPlan:
    """A 更正 as it will be made: the change, and the corrected slip as the unit will receive it."""

    target: Target
    field: Field
    before: str
    after: str
    correction: Correction
    slip_text: str
    """The corrected 交办单 (the first copy's, for a shared matter)."""


def check_reason(text: str) -> str:
    """The reason of a 撤回 or 更正, one line.

    Raises:
        DomainError: ``reason_missing``; ``field_too_long``.
    """
    reason = " ".join(text.split())
    if not reason:
        raise DomainError("reason_missing")
    if len(reason) > MAX_REASON:
        raise DomainError("field_too_long", field="理由", limit=MAX_REASON)
    return reason


async def find(office: Office, person: Person, text: str) -> Target:
    """The slip a typed number names, checked as 撤回 (or 作废) would check it.

    A number without a type word is the 交办单; 催办单〔2026〕3号 (or C3) is that 催办单.

    Raises:
        DomainError: ``slip_number_invalid``; ``task_unknown``; ``not_allowed``;
            ``correction_slip_type``; the refusals of :func:`target_on`.
    """
    return await target_on(office.db.reader, person, await _named(office, text))


async def find_assignment(office: Office, person: Person, text: str) -> Target:
    """As :func:`find`, for a 更正: only a 交办单 is corrected (a 催办单 issued in error is voided).

    Raises:
        DomainError: ``correction_reminder`` for a 催办单; the refusals of :func:`find`.
    """
    slip = await _named(office, text)
    if slip.number.type is SlipType.REMINDER:
        raise DomainError("correction_reminder", number=slip.number.full)
    return await target_on(office.db.reader, person, slip)


async def _named(office: Office, text: str) -> Slip:
    today = office.now().date()
    try:
        reference = parse_slip_reference(text, today.year)
    except DomainError:
        raise DomainError("slip_number_invalid", text=text.strip()[:30]) from None
    if reference.type is SlipType.SUPERVISION:
        raise DomainError("correction_slip_type", number=text.strip()[:30])
    wanted = reference if reference.type is not None else replace(reference, type=SlipType.ASSIGNMENT)
    found = await slips.find(office.db.reader, wanted)
    if not found:
        raise DomainError("task_unknown", text=text.strip()[:30])
    return found[0]


async def by_slip(office: Office, person: Person, slip_id: int) -> Target:
    """The slip of a button (its id is not trusted: checked as a typed number is)."""
    slip = await slips.get(office.db.reader, slip_id)
    if slip is None or slip.number.type is SlipType.SUPERVISION:
        raise DomainError("task_unknown", text="")
    return await target_on(office.db.reader, person, slip)


async def by_task(office: Office, person: Person, task_id: int) -> Target:
    """The 交办单 of a /task button (the id is not trusted: checked as a typed number is)."""
    task = await tasks.get(office.db.reader, task_id)
    if task is None:
        raise DomainError("task_unknown", text="")
    return await target_on(office.db.reader, person, await _assignment(office.db.reader, task))


async def target_on(conn: aiosqlite.Connection, person: Person, slip: Slip) -> Target:
    """The target of ``slip``, asked again inside the writing transaction.

    Raises:
        DomainError: ``task_unknown`` (a task the person may not see); ``not_allowed`` (not its
            科室 or 政务监督室); ``task_withdrawn``, ``task_completed``, ``task_transferred``;
            for a 催办单 ``slip_already_voided`` or ``reminder_void_stage``.
    """
    task = await tasks.get(conn, slip.task_id)
    unit = await org.unit(conn, task.unit_id) if task is not None else None
    if task is None or unit is None or not can_see(person, task, unit):
        raise DomainError("task_unknown", text=str(slip.number))
    if not may(person, Deed.PUT_RIGHT, task=task):
        raise DomainError("not_allowed")
    if slip.number.type is SlipType.REMINDER:
        if slip.void_reason is not None:
            raise DomainError("slip_already_voided", number=slip.number.full)
        lifecycle.void_reminder(task)
        points = await score_store.counting_of_task(conn, task.id, slip.id)
        return Target(task, slip, unit.name, (task,), tuple(points))
    lifecycle.withdraw(task)  # refuses a task already withdrawn, 办结 or 移交
    copies = [t for t in await tasks.of_matter(conn, task) if t.is_open] or [task]
    points = [e for t in copies for e in await score_store.counting_of_task(conn, t.id)]
    return Target(task, slip, unit.name, tuple(copies), tuple(points))


async def _assignment(conn: aiosqlite.Connection, task: Task) -> Slip:
    return next(s for s in await slips.of_task(conn, task.id) if s.number.type is SlipType.ASSIGNMENT)


# ------------------------------------------------------------------------ 撤回 and 作废


async def withdraw(office: Office, person: Person, slip_id: int, reason: str, now: datetime) -> Target:
    """撤回 a 交办单 (every open copy of its matter), or void a 催办单, with ``reason``: the
    points it took voided, the history written, the units, the issuer and the person told.

    Raises:
        DomainError: the refusals of :func:`target_on` and :func:`check_reason`.
    """
    reason = check_reason(reason)
    async with office.db.transaction() as conn:
        slip = await slips.get(conn, slip_id)
        if slip is None:
            raise DomainError("task_unknown", text="")
        target = await target_on(conn, person, slip)
        if target.is_reminder:
            await _void_reminder(conn, target, person, reason, now)
        else:
            for task in target.copies:
                await _withdraw_copy(conn, task, person, reason, now)
        void_reason = render("corrections/void_reason", number=slip.number.full, reminder=target.is_reminder, reason=reason).strip()
        for event in target.points:
            await void_on(conn, event, person, void_reason, now)
        await _tell_issuer(conn, target.task, person, "corrections/withdrawn_issuer", now, t=target, reason=reason, pts=format_points)
        await tell(conn, person, "corrections/withdrawn", now, t=target, reason=reason, pts=format_points)
    return target


async def _tell_issuer(conn: aiosqlite.Connection, task: Task, person: Person, template: str, now: datetime, **context: Any) -> None:
    """The issuer of the task (or its 科室) hears of the change, unless it made it."""
    for issuer in await issuer_and_section(conn, task):
        if issuer.id != person.id:
            await tell(conn, issuer, template, now, by=person.name, **context)


async def _withdraw_copy(conn: aiosqlite.Connection, task: Task, person: Person, reason: str, now: datetime) -> None:
    after = lifecycle.withdraw(task)
    await save(conn, task, after, now)
    unit = await org.unit(conn, task.unit_id)
    await history.append(conn, "assignment_withdrawn", now, task_id=task.id, actor_id=person.id, number=task.number.full, reason=reason)
    for member in await org.unit_members(conn, task.unit_id):
        await tell(conn, member, "corrections/withdrawn_unit", now, task=task, unit=unit, reason=reason, task_id=task.id, purpose="withdrawn")
    await _close_extension_requests(conn, task, unit, reason, now)
    await _close_drafts(conn, task, person, reason, now)
    # A 办理结果 waiting for review is reviewed no more: its 通过 · 退回 come off; the reviewer is
    # the issuing 科室, told of the withdrawal above.
    await _take_buttons_off(conn, task, "review", now)


async def _take_buttons_off(conn: aiosqlite.Connection, task: Task, purpose: str, now: datetime) -> None:
    """The buttons of the task's messages of ``purpose``, delivered or on their way, come off."""
    await change_delivered(conn, await outbox.notices_of(conn, task.id, purpose), now, buttons=(), task_id=task.id)


async def _close_drafts(conn: aiosqlite.Connection, task: Task, person: Person, reason: str, now: datetime) -> None:
    """A drafted 催办单 or 督办通知单 (confirm mode) still waiting on the withdrawn task lapses at
    once: its 签发 · 暂缓 come off, and whoever was asked to sign it and has not heard of the
    withdrawal otherwise (the person withdrawing, the issuer) is told once."""
    waiting = await slip_drafts.pending_of_task(conn, task.id)
    if not waiting:
        return
    for draft in waiting:
        await slip_drafts.lapse(conn, draft.id, now)
    await _take_buttons_off(conn, task, "draft", now)
    told = {person.id, *(p.id for p in await issuer_and_section(conn, task))}
    for draft in waiting:
        asked = await org.with_role(conn, Role.SUPERVISOR) if draft.type is SlipType.SUPERVISION else []
        for reader in asked:
            if reader.id not in told and reader.account is not None:
                told.add(reader.id)
                await tell(conn, reader, "corrections/draft_closed", now, task=task, slip_type=draft.type.value,
                           reason=reason, task_id=task.id)


async def _close_extension_requests(conn: aiosqlite.Connection, task: Task, unit: Unit | None, reason: str, now: datetime) -> None:
    """A 延期 request still waiting on the withdrawn task ends with it: nothing is granted, its
    同意 · 不同意 come off the 分管市领导's message, and the leader is told once."""
    waiting = await extension_requests.close_pending(conn, task.id, now)
    if not waiting:
        return
    await _take_buttons_off(conn, task, "extension", now)
    leader = await org.person(conn, unit.leader_id) if unit is not None and unit.leader_id else None
    for request in waiting:
        await history.append(conn, "extension_closed", now, task_id=task.id, until=request.requested_until.isoformat())
        if leader is not None:
            await tell(conn, leader, "extension/closed_by_withdrawal", now, task=task, unit=unit, request=request,
                       reason=reason, task_id=task.id)


async def _void_reminder(conn: aiosqlite.Connection, target: Target, person: Person, reason: str, now: datetime) -> None:
    after = lifecycle.void_reminder(target.task)
    await save(conn, target.task, after, now)
    await slips.void(conn, target.slip.id, reason, now.date())
    await history.append(
        conn, "reminder_voided", now, task_id=target.task.id, actor_id=person.id, number=target.slip.number.full, reason=reason,
    )
    for member in await org.unit_members(conn, target.task.unit_id):
        await tell(
            conn, member, "corrections/reminder_voided_unit", now, t=target, reason=reason, pts=format_points,
            task_id=target.task.id, purpose="withdrawn",
        )


# ------------------------------------------------------------------------ 更正


async def plan_correction(office: Office, person: Person, task_id: int, field: Field, typed: str) -> CorrectionPlan:
    """The 更正 of one field of a task's 交办单, read from what the person typed, and the
    corrected slip (nothing written).

    Raises:
        DomainError: the refusals of :func:`target_on` (a 交办单 only); ``answer_empty``,
            ``field_too_long``; for the 期限 ``correction_date_invalid``, ``date_not_future``,
            ``correction_rest_day``; for the 单位 ``unit_unknown``; ``correction_changes_nothing``
            and the refusals of :func:`bot.domain.tasks.correct`.
    """
    target = await by_task(office, person, task_id)
    return await _plan_on(office.db.reader, office, target, field, typed, office.now().date())


async def _plan_on(
    conn: aiosqlite.Connection, office: Office, target: Target, field: Field, typed: str, today: date
) -> CorrectionPlan:
    task = target.task
    value = typed.strip()
    if not value:
        raise DomainError("answer_empty", field=render("corrections/field_name", field=field.value).strip())
    before, after = "", value
    correction: Correction
    if field is Field.TITLE or field is Field.REQUIREMENTS:
        limit = MAX_TITLE if field is Field.TITLE else MAX_TEXT
        if len(value) > limit:
            raise DomainError("field_too_long", field=render("corrections/field_name", field=field.value).strip(), limit=limit)
        before = task.title if field is Field.TITLE else task.requirements
        correction = Correction(title=value) if field is Field.TITLE else Correction(requirements=value)
    elif field is Field.DEADLINE:
        day = read_date(value, today, ahead=True)
        if day is None:
            raise DomainError("correction_date_invalid", text=value[:30])
        if day <= today:
            raise DomainError("date_not_future", date=day.isoformat())
        if not office.calendar.is_workday(day):
            raise DomainError("correction_rest_day", date=day.isoformat())
        correction = Correction(deadline=day, period_days=office.period_until(task.issued_on, day))
        before, after = render("corrections/day", day=task.deadline).strip(), render("corrections/day", day=day).strip()
    else:
        unit = await org.unit_by_name(conn, value)
        if unit is None:
            raise DomainError("correction_unit_unknown", unit=value[:30])
        correction = Correction(unit_id=unit.id)
        before, after = target.unit_name, unit.name
    corrected = [lifecycle.correct(copy, correction, today) for copy in target.copies]
    text = await corrected_text(conn, office, corrected[0], corrected)
    return CorrectionPlan(target, field, before, after, correction, text)


async def corrected_text(conn: aiosqlite.Connection, office: Office, task: Task, matter: list[Task]) -> str:
    """The 交办单 of ``task`` as corrected, marked 更正, under its own number.

    Raises:
        DomainError: ``schedule_past_deadline`` when a 阶段汇报 schedule asks nothing before a
            corrected deadline; ``slip_too_long``.
    """
    unit = await org.unit(conn, task.unit_id)
    section = await org.section(conn, task.section_id)
    responsible = await org.person(conn, task.responsible_id) if task.responsible_id else None
    names = {t.unit_id: (u.name if (u := await org.unit(conn, t.unit_id)) else "") for t in matter}
    lead = next((t for t in matter if t.unit_role.value == "lead"), None)
    due = reporting.check_schedule(task.report_schedule, task.issued_on, task.deadline, office.calendar) if task.report_schedule else ()
    text = assignment_text(
        office.settings.organisation, task, unit.name if unit else "", section.name if section else "",
        responsible.name if responsible else "", await tasks.attachment_name(conn, task.id),
        lead_name=names.get(lead.unit_id, "") if lead else "",
        partner_names=[n for u, n in names.items() if lead is None or u != lead.unit_id],
        report_dates=due, working_days=office.counts_working_days, corrected=True, part_due=part_due_of(office, task),
    )
    check_slip_length(text)
    return text


async def correct(office: Office, person: Person, task_id: int, field: Field, typed: str, reason: str, now: datetime) -> CorrectionPlan:
    """更正: the corrected values written, the corrected 交办单 sent to the unit (marked 更正,
    same number) and kept as the slip's text, the history written, in one transaction.

    Raises:
        DomainError: the refusals of :func:`plan_correction` and :func:`check_reason`.
    """
    reason = check_reason(reason)
    async with office.db.transaction() as conn:
        task = await tasks.get(conn, task_id)
        if task is None:
            raise DomainError("task_unknown", text="")
        target = await target_on(conn, person, await _assignment(conn, task))
        plan = await _plan_on(conn, office, target, field, typed, now.date())
        corrected = [lifecycle.correct(copy, plan.correction, now.date()) for copy in target.copies]
        for before, after in zip(target.copies, corrected):
            await _correct_copy(conn, office, person, plan, before, after, corrected, reason, now)
        await _tell_issuer(conn, target.task, person, "corrections/corrected_issuer", now, p=plan, reason=reason)
        await tell(conn, person, "corrections/corrected", now, p=plan, reason=reason, copies=len(corrected))
    return plan


async def _correct_copy(
    conn: aiosqlite.Connection, office: Office, person: Person, plan: CorrectionPlan, before: Task, after: Task,
    matter: list[Task], reason: str, now: datetime,
) -> None:
    if after.unit_id != before.unit_id:
        # The unit first named: its slip messages lose their buttons, and it is told it has nothing to do.
        await change_delivered(conn, await outbox.retire_slip_messages(conn, before.id), now, buttons=(), task_id=before.id)
        for member in await org.unit_members(conn, before.unit_id):
            await tell(conn, member, "corrections/unit_replaced", now, p=plan, task=before, reason=reason, purpose="withdrawn")
    await save(conn, before, after, now)
    slip = await _assignment(conn, after)
    text = await corrected_text(conn, office, after, matter)
    await slips.correct(conn, slip.id, text, now.date())
    await history.append(
        conn, "assignment_corrected", now, task_id=after.id, actor_id=person.id, number=after.number.full,
        field=plan.field.value, before=plan.before, after=plan.after, reason=reason,
    )
    note = render("corrections/corrected_unit", p=plan, reason=reason).strip()
    for member in await org.unit_members(conn, after.unit_id):
        await send(conn, member, message(f"{note}\n\n{text}", slip_keyboard(after)), now, task_id=after.id, slip_id=slip.id, purpose="slip")

