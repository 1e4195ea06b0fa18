"""Confirm mode (SPEC section 4): the daily check drafts a 催办单 or 督办通知单 and a person signs it.

"市政府办公室相关科室拟定《工作催办单》报政务监督室备案后下发" and "由市政府办公室政务监督室下发《督办通知单》":
a 催办单 draft is signed (签发) by a clerk of the issuing section (or 政务监督室), a 督办通知单
draft by 政务监督室. 暂缓 puts it aside; the next daily check drafts it again if the task is
still overdue. A draft nobody decided lapses at the next daily check once its slip is no longer
due (the task 办结, its feedback waiting, an extension asked, the slip issued by hand).

签发 marks the draft in the same transaction that issues the slip, so two taps (two clerks, or
one impatient one) can never issue it twice: the second finds the draft already decided.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import aiosqlite

from bot.domain.errors import DomainError
from bot.domain.escalation import Escalation, escalation_due
from bot.domain.org import Person
from bot.domain.slips import Slip, SlipType
from bot.domain.tasks import Task, TaskStatus
from bot.services import escalating
from bot.services.context import Office
from bot.domain.permissions import Deed, check
from bot.services.task_changes import load
from bot.storage import history
from bot.storage import drafts as slip_drafts
from bot.storage.drafts import Draft, DraftStatus

_STEP = {SlipType.REMINDER: Escalation.REMINDER_SLIP, SlipType.SUPERVISION: Escalation.SUPERVISION_NOTICE}


@dataclass(frozen=True)
class Decision:
    """What a tap on a draft did: the task, and the slip when it was issued."""

    draft: Draft
    task: Task
    slip: Slip | None = None


async def _pending(conn: aiosqlite.Connection, draft_id: int) -> Draft:
    draft = await slip_drafts.get(conn, draft_id)
    if draft is None:
        raise DomainError("draft_unknown")
    task = await load(conn, draft.task_id)
    if draft.status in (DraftStatus.PENDING, DraftStatus.LAPSED) and task.status is TaskStatus.WITHDRAWN:
        raise DomainError("task_withdrawn", number=str(task.number))
    if draft.status is DraftStatus.LAPSED:
        raise DomainError("draft_stale", number=(await load(conn, draft.task_id)).number.full)
    if draft.status is not DraftStatus.PENDING:
        raise DomainError("draft_decided", status=draft.status.value)
    return draft


async def lapse_stale(conn: aiosqlite.Connection, day: date, now: datetime) -> int:
    """The daily check: pending drafts whose slip is no longer due on ``day`` lapse, so the
    section's 待办 stops counting them and their buttons say so. Returns how many lapsed."""
    lapsed = 0
    for draft in await slip_drafts.pending(conn):
        if escalation_due(await load(conn, draft.task_id), day) is not _STEP[draft.type]:
            await slip_drafts.lapse(conn, draft.id, now)
            lapsed += 1
    return lapsed


def _check_may_decide(person: Person, task: Task, slip_type: SlipType) -> None:
    check(person, Deed.SUPERVISE if slip_type is SlipType.SUPERVISION else Deed.REMIND, task=task)


async def issue_draft(office: Office, person: Person, draft_id: int, now: datetime) -> Decision:
    """签发: the drafted slip is issued (number, −points, window, 备案) and the draft marked issued.

    Raises:
        DomainError: ``draft_unknown``, ``draft_decided``, ``not_allowed``; or the domain's own
            refusal when the task changed since the draft (``task_completed``,
            ``escalation_held``, ``not_overdue``, ``reminder_already_issued`` …).
    """
    async with office.db.transaction() as conn:
        draft = await _pending(conn, draft_id)
        task = await load(conn, draft.task_id)
        _check_may_decide(person, task, draft.type)
        slip = await escalating.escalation_slip_on(conn, office, draft.type, task.id, now, person)
        await slip_drafts.decide(conn, draft.id, DraftStatus.ISSUED, person.id, now)
        after = await load(conn, task.id)
    return Decision(draft, after, slip)


async def hold_draft(office: Office, person: Person, draft_id: int, now: datetime) -> Decision:
    """暂缓: the draft is put aside; tomorrow's check drafts it again if the step is still due.

    Raises:
        DomainError: ``draft_unknown``, ``draft_decided``, ``not_allowed``, or ``draft_stale``
            when the task no longer needs that slip (办结, feedback waiting, extension pending …).
    """
    async with office.db.transaction() as conn:
        draft = await _pending(conn, draft_id)
        task = await load(conn, draft.task_id)
        _check_may_decide(person, task, draft.type)
        if escalation_due(task, now.date()) is not _STEP[draft.type]:
            raise DomainError("draft_stale", number=task.number.full)
        await slip_drafts.decide(conn, draft.id, DraftStatus.HELD, person.id, now)
        await history.append(conn, "draft_held", now, task_id=task.id, actor_id=person.id, type=draft.type.value)
    return Decision(draft, task)
