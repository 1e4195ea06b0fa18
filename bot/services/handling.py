"""The unit's side of a 交办单 and the section's review: 签收, 反馈, 通过(办结), 退回."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import aiosqlite

from bot import actions
from bot.domain import audience, sharing
from bot.domain import tasks as lifecycle
from bot.domain.deadlines import next_workday_on_or_after
from bot.domain.errors import DomainError
from bot.domain.org import Person, Role
from bot.domain.tasks import Task, TaskStatus
from bot.services import evidence, intake
from bot.services.context import Office
from bot.services.notify import button, message, received, send, tell, with_file
from bot.domain.permissions import Deed, may
from bot.services.task_changes import issuer_and_section, load, matter_parts, save, unit_people
from bot.storage import feedback as feedback_store
from bot.storage import history, org, slips, tasks
from bot.domain.feedback import MAX_KEPT_BYTES, Attachment, Feedback, FeedbackKind, FeedbackStatus, too_big_to_keep
from bot.texts import label, render

MAX_FEEDBACK = 3000
"""Feedback text is shown to the reviewer in one message with its heading."""


async def acknowledge(office: Office, person: Person, task_id: int, now: datetime) -> Task:
    """签收: the unit confirms receipt; the issuer is told who and when."""
    async with office.db.transaction() as conn:
        task = await load(conn, task_id)
        if not may(person, Deed.ACT_FOR_UNIT, task=task):
            raise DomainError("not_allowed")
        after = lifecycle.acknowledge(task)
        await save(conn, task, after, now)
        await history.append(conn, "acknowledged", now, task_id=task.id, actor_id=person.id)
        unit = await org.unit(conn, task.unit_id)
        for reader in await issuer_and_section(conn, task):
            await tell(conn, reader, "handling/acknowledged", now, task=task, unit=unit, person=person, at=now)
        await _tell_colleagues(conn, task, person, "acknowledged", now)
    return after


async def _tell_colleagues(conn: aiosqlite.Connection, task: Task, person: Person, done: str, now: datetime) -> None:
    """Everyone bound to the unit sees what one of them did on its slip (签收, 反馈, a part, a
    report): any of them may do the work, and none should do it twice or think it undone."""
    for colleague in await unit_people(conn, task):
        if colleague.id != person.id:
            await tell(conn, colleague, "handling/colleague_acted", now, task=task, person=person, done=done, at=now, task_id=task.id)


@dataclass(frozen=True)
class FeedbackReceipt:
    """What the unit is told after submitting."""

    task: Task
    feedback: Feedback


async def submit_feedback(
    office: Office,
    person: Person,
    task_id: int,
    text: str,
    now: datetime,
    attachments: tuple[Attachment, ...] = (),
    slip_id: int | None = None,
) -> FeedbackReceipt:
    """反馈: record the 办理结果情况 against the slip it cites; the issuing section reviews it."""
    text = _checked(text, attachments)
    async with office.db.transaction() as conn:
        task = await load(conn, task_id)
        if not may(person, Deed.ACT_FOR_UNIT, task=task):
            raise DomainError("not_allowed")
        if sharing.part_goes_to_lead(task.unit_role):
            return await _send_part(conn, task, person, text, now, attachments, slip_id)
        after = lifecycle.submit_feedback(task)
        await save(conn, task, after, now)
        item = await feedback_store.add(conn, task.id, slip_id, person.id, now, text, attachments)
        await evidence.queue(conn, item.id, task.id, task.number.year, task.number.seq, now)
        await history.append(
            conn, "feedback_submitted", now, task_id=task.id, actor_id=person.id,
            feedback_id=item.id, attachments=len(attachments),
        )
        unit = await org.unit(conn, task.unit_id)
        keyboard = [[
            button(label("buttons", "accept"), actions.ACCEPT(item_id=item.id)),
            button(label("buttons", "return"), actions.RETURN(item_id=item.id)),
        ]]
        answers = (await slips.latest_escalation_numbers(conn, [task.id])).get(task.id)
        reviewers = await issuer_and_section(conn, task)
        parts = await matter_parts(conn, task)
        for reader in reviewers:
            body = render(
                "handling/feedback_for_review", task=task, unit=unit, person=person, feedback=item, today=now.date(),
                answers=answers, parts=parts,
            )
            await send(conn, reader, message(body, keyboard), now, task_id=task.id, purpose="review")
            await _attachments(conn, reader, task, attachments, now)
        if audience.feedback_goes_to_supervision_office(task):
            # A copy, without the review's buttons: the review stays with whoever reviews it.
            reviewing = {r.id for r in reviewers}
            for staff in await org.with_role(conn, Role.SUPERVISOR):
                if staff.id in reviewing:
                    continue
                await tell(
                    conn, staff, "handling/feedback_copy", now, task=task, unit=unit, person=person, feedback=item,
                    answers=answers, reviewers=reviewers, task_id=task.id,
                )
                await _attachments(conn, staff, task, attachments, now)
        await _tell_colleagues(conn, task, person, "feedback", now)
    return FeedbackReceipt(after, item)


def _checked(text: str, attachments: tuple[Attachment, ...]) -> str:
    """What a unit sends (a 反馈, a 配合 part, a 阶段进展 report), refused before anything is
    written when empty or too long, or when a file could not be kept: Telegram serves bots 20 MB
    at most, and evidence that cannot be kept is not taken."""
    text = text.strip()
    if not text and not attachments:
        raise DomainError("feedback_empty")
    if len(text) > MAX_FEEDBACK:
        raise DomainError("feedback_too_long", limit=MAX_FEEDBACK, length=len(text))
    for a in attachments:
        if too_big_to_keep(a):
            raise DomainError(
                "attachment_too_big", name=a.file_name or a.kind, size_mb=f"{(a.size or 0) / 2**20:.1f}",
                limit_mb=MAX_KEPT_BYTES // 2**20,
            )
    return text


async def _attachments(
    conn: aiosqlite.Connection, reader: Person, task: Task, attachments: tuple[Attachment, ...], now: datetime
) -> None:
    for a in attachments:
        await send(conn, reader, with_file(received(a.file_id, a.kind, a.file_name or "", a.channel), task.number.full), now, task_id=task.id)


async def _send_part(
    conn: aiosqlite.Connection, task: Task, person: Person, text: str, now: datetime,
    attachments: tuple[Attachment, ...], slip_id: int | None,
) -> FeedbackReceipt:
    """配合: a 配合单位's feedback is its part, for the 牵头单位 to gather; the issuer sees it too."""
    after = lifecycle.send_part(task)
    await save(conn, task, after, now)
    if task.named_late:
        # the part the 牵头单位 waited for has come: its own task is chased again
        for lead_task in await tasks.of_matter(conn, task):
            if lead_task.unit_role is sharing.UnitRole.LEAD and lead_task.waiting_on_partner:
                await save(conn, lead_task, lifecycle.partner_part_arrived(lead_task), now)
    item = await feedback_store.add(conn, task.id, slip_id, person.id, now, text, attachments, FeedbackKind.PART)
    await evidence.queue(conn, item.id, task.id, task.number.year, task.number.seq, now)
    await history.append(
        conn, "part_sent", now, task_id=task.id, actor_id=person.id, feedback_id=item.id, attachments=len(attachments),
    )
    unit = await org.unit(conn, task.unit_id)
    lead = next((t for t in await tasks.of_matter(conn, task) if t.unit_role is sharing.UnitRole.LEAD), None)
    lead_unit = await org.unit(conn, lead.unit_id) if lead is not None else None
    # each reader is told what the part asks of them: the 牵头单位 gathers it, the issuer only sees it
    leads = await unit_people(conn, lead) if lead is not None else []
    readers = [(p, True) for p in leads] + [(p, False) for p in await issuer_and_section(conn, task) if p.id not in {q.id for q in leads}]
    for reader, for_lead in readers:
        body = render(
            "handling/part_sent", task=task, lead=lead, lead_unit=lead_unit, unit=unit, person=person, feedback=item,
            for_lead=for_lead,
        )
        await send(conn, reader, message(body), now, task_id=task.id, purpose="part")
        await _attachments(conn, reader, task, attachments, now)
    await _tell_colleagues(conn, task, person, "part", now)
    return FeedbackReceipt(after, item)


async def submit_progress(
    office: Office,
    person: Person,
    task_id: int,
    text: str,
    now: datetime,
    attachments: tuple[Attachment, ...] = (),
    slip_id: int | None = None,
) -> FeedbackReceipt:
    """阶段汇报: a 阶段进展 report on a task with a schedule. It does not close the task and waits
    for no review; the issuer sees it, and on a 专项 task so does 政务监督室."""
    text = _checked(text, attachments)
    async with office.db.transaction() as conn:
        task = await load(conn, task_id)
        if not may(person, Deed.ACT_FOR_UNIT, task=task):
            raise DomainError("not_allowed")
        after = lifecycle.record_progress(task, now.date())
        await save(conn, task, after, now)
        item = await feedback_store.add(conn, task.id, slip_id, person.id, now, text, attachments, FeedbackKind.PROGRESS)
        await evidence.queue(conn, item.id, task.id, task.number.year, task.number.seq, now)
        await history.append(
            conn, "progress_reported", now, task_id=task.id, actor_id=person.id,
            feedback_id=item.id, attachments=len(attachments),
        )
        unit = await org.unit(conn, task.unit_id)
        readers = {p.id: p for p in await issuer_and_section(conn, task)}
        if task.special_ledger:
            readers.update((p.id, p) for p in await org.with_role(conn, Role.SUPERVISOR))
        body = render("handling/progress_reported", task=task, unit=unit, person=person, feedback=item)
        for reader in readers.values():
            await send(conn, reader, message(body), now, task_id=task.id, purpose="progress")
            await _attachments(conn, reader, task, attachments, now)
        await _tell_colleagues(conn, task, person, "progress", now)
    return FeedbackReceipt(after, item)


async def _pending_feedback(conn, feedback_id: int) -> tuple[Feedback, Task]:  # type: ignore[no-untyped-def]
    item = await feedback_store.get(conn, feedback_id)
    if item is None:
        raise DomainError("feedback_unknown")
    task = await load(conn, item.task_id)
    if task.status is TaskStatus.WITHDRAWN:  # its review ended with the 交办单
        raise DomainError("task_withdrawn", number=str(task.number))
    if item.status is not FeedbackStatus.PENDING:
        raise DomainError("feedback_already_reviewed", status=item.status.value)
    return item, task


async def accept(office: Office, reviewer: Person, feedback_id: int, now: datetime) -> Task:
    """通过: the task is 办结; the unit is told."""
    async with office.db.transaction() as conn:
        item, task = await _pending_feedback(conn, feedback_id)
        if not may(reviewer, Deed.REVIEW, task=task):
            raise DomainError("not_allowed")
        after = lifecycle.accept_feedback(task, now.date())
        await save(conn, task, after, now)
        await feedback_store.review(conn, item.id, FeedbackStatus.ACCEPTED, reviewer.id, now, None)
        await history.append(conn, "feedback_accepted", now, task_id=task.id, actor_id=reviewer.id, feedback_id=item.id)
        await intake.report_completion(conn, after, item, now)
        for member in await unit_people(conn, task):
            await tell(conn, member, "handling/accepted", now, task=task, reviewer=reviewer)
        if sharing.closes_matter(task.unit_role):
            sent = {part.task_id: part.sent for part in await matter_parts(conn, task)}
            for partner in await tasks.of_matter(conn, task):
                if partner.unit_role is not sharing.UnitRole.PARTNER or not partner.is_open:
                    continue
                # accepted with this part missing: the record says so, and so is the partner told
                missing = not sent.get(partner.id, False)
                await save(conn, partner, lifecycle.close_with_matter(partner, now.date()), now)
                await history.append(
                    conn, "closed_with_matter", now, task_id=partner.id, actor_id=reviewer.id, lead=task.number.full,
                    part_missing=missing or None,
                )
                for member in await unit_people(conn, partner):
                    await tell(
                        conn, member, "handling/closed_with_matter", now, task=partner, lead=task, reviewer=reviewer,
                        part_missing=missing,
                    )
    return after


async def return_feedback(
    office: Office, reviewer: Person, feedback_id: int, reason: str, now: datetime, new_deadline: date | None = None
) -> Task:
    """退回 with a reason (and optionally a new date); the unit receives the reason."""
    reason = reason.strip()
    if not reason:
        raise DomainError("reason_missing")
    if len(reason) > MAX_FEEDBACK:
        raise DomainError("feedback_too_long", limit=MAX_FEEDBACK, length=len(reason))
    async with office.db.transaction() as conn:
        item, task = await _pending_feedback(conn, feedback_id)
        if not may(reviewer, Deed.REVIEW, task=task):
            raise DomainError("not_allowed")
        # A date on a rest day moves to the next working day (民法典 第二百零三条), as every
        # deadline does; the reviewer's answer says so.
        moved = next_workday_on_or_after(new_deadline, office.calendar) if new_deadline else None
        after = lifecycle.return_feedback(task, moved, now.date())
        await save(conn, task, after, now)
        await feedback_store.review(conn, item.id, FeedbackStatus.RETURNED, reviewer.id, now, reason)
        await history.append(
            conn, "feedback_returned", now, task_id=task.id, actor_id=reviewer.id,
            feedback_id=item.id, reason=reason, new_deadline=new_deadline.isoformat() if new_deadline else None,
        )
        for member in await unit_people(conn, task):
            await tell(conn, member, "handling/returned", now, task=after, reviewer=reviewer, reason=reason, new_deadline=new_deadline,
                       deadline_before=task.deadline)
    return after
