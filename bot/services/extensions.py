"""延期: "如确需延长办理时间的，需经分管市领导同意" (notice, section 二).

A unit asks with a reason; its 分管市领导 approves (the deadline moves) or rejects with one tap.
Granted to a 牵头单位, the extension moves its 配合单位's copies too: the matter has one deadline.
While the request waits, the task's escalation waits too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

import aiosqlite

from bot import actions
from bot.domain import clock, sharing
from bot.domain import tasks as lifecycle
from bot.domain.dates import read_date
from bot.domain.deadlines import next_workday_on_or_after
from bot.domain.errors import DomainError
from bot.domain.org import Person
from bot.domain.sharing import UnitRole
from bot.domain.tasks import EscalationStage, ExtensionRequest, ExtensionStatus, Task
from bot.services.context import Office
from bot.readers.issue_form import normalise
from bot.services.notify import button, message, send, tell
from bot.domain.permissions import Deed, may, may_at_all
from bot.services.task_changes import issuer_and_section, load, save, unit_people
from bot.storage import extensions as extension_requests
from bot.storage import history, org, tasks
from bot.texts import label, render

MAX_REASON = 1000


async def _request(conn: aiosqlite.Connection, request_id: int) -> ExtensionRequest:
    request = await extension_requests.get(conn, request_id)
    if request is None:
        raise DomainError("extension_unknown")
    return request


def requested_date(office: Office, task: Task, days: int | None, until: date | None, today: date) -> date:
    """``N天`` counts from the current deadline; a date is taken as typed (moved off a rest day)."""
    if until is None:
        if days is None or not 1 <= days <= 365:
            raise DomainError("deadline_days_invalid", days=days)
        return office.deadline_after(max(task.deadline, today), days)
    if until <= today or until <= task.deadline:
        raise DomainError("extension_not_later", date=until.isoformat(), deadline=task.deadline.isoformat())
    return next_workday_on_or_after(until, office.calendar)


def check_may_decide(person: Person) -> None:
    """Whether ``person`` decides extension requests at all (a 分管市领导), asked before the
    date of a 改期同意; :func:`decide_extension` checks the request's unit is in their charge.

    Raises:
        DomainError: ``not_allowed``.
    """
    if not may_at_all(person, Deed.DECIDE_EXTENSION):
        raise DomainError("not_allowed")


async def check_may_request(office: Office, person: Person, task: Task) -> None:
    """What :func:`request_extension` would refuse for the person and the task, asked before the
    dialog, so nobody types a reason only to be refused.

    Raises:
        DomainError: ``not_allowed``; ``extension_by_lead`` on a 配合单位's copy; the refusals of
            :func:`bot.domain.tasks.request_extension`.
    """
    await _check_may_request(office.db.reader, person, task)


async def _check_may_request(conn: aiosqlite.Connection, person: Person, task: Task) -> None:
    if not may(person, Deed.ACT_FOR_UNIT, task=task):
        raise DomainError("not_allowed")
    if not sharing.asks_extension(task.unit_role):
        lead = await _lead(conn, task)
        lead_unit = await org.unit(conn, lead.unit_id) if lead else None
        raise DomainError(
            "extension_by_lead", lead=lead_unit.name if lead_unit else "", number=str(lead.number) if lead else "",
        )
    lifecycle.request_extension(task)


async def _lead(conn: aiosqlite.Connection, task: Task) -> Task | None:
    """The 牵头单位's task of the matter ``task`` belongs to (itself for a lead); None for a task alone."""
    return next((t for t in await tasks.of_matter(conn, task) if t.unit_role is UnitRole.LEAD), None)


@dataclass(frozen=True)
class MatterState:
    """What a leader deciding an extension must see of the matter: the unit's part in it and how far
    the 督办 has gone (the 牵头单位's, on a shared matter)."""

    role: UnitRole
    partner_names: tuple[str, ...] = ()
    lead_name: str = ""
    stage: EscalationStage = EscalationStage.NONE
    overdue_days: int = 0


async def _matter_state(conn: aiosqlite.Connection, task: Task, today: date) -> MatterState:
    matter = await tasks.of_matter(conn, task)
    names = {t.id: (await org.unit(conn, t.unit_id)) for t in matter}
    lead = next((t for t in matter if t.unit_role is UnitRole.LEAD), None)
    shown = clock.shown_clock(task, lead)
    return MatterState(
        role=task.unit_role,
        partner_names=tuple(u.name for t in matter if t.unit_role is UnitRole.PARTNER and (u := names[t.id])),
        lead_name=(u.name if lead and (u := names[lead.id]) else ""),
        stage=shown.stage,
        overdue_days=clock.overdue_days(shown, today) if clock.is_overdue(shown, today) else 0,
    )


async def request_extension(
    office: Office, person: Person, task_id: int, reason: str, now: datetime, *, days: int | None = None, until: date | None = None
) -> tuple[Task, ExtensionRequest]:
    """申请延期 with a reason; the unit's 分管市领导 receives 同意 / 不同意."""
    reason = reason.strip()
    if not reason:
        raise DomainError("extension_needs_reason")
    if len(reason) > MAX_REASON:
        raise DomainError("field_too_long", field="理由", limit=MAX_REASON)
    today = now.date()
    async with office.db.transaction() as conn:
        task = await load(conn, task_id)
        await _check_may_request(conn, person, task)
        wanted = requested_date(office, task, days, until, today)
        unit = await org.unit(conn, task.unit_id)
        assert unit is not None
        leader = await org.person(conn, unit.leader_id) if unit.leader_id else None
        if leader is None or leader.account is None:
            raise DomainError("extension_no_leader", unit=unit.name)
        after = lifecycle.request_extension(task)
        await save(conn, task, after, now)
        request = await extension_requests.add(conn, task.id, person.id, wanted, reason, now)
        await history.append(
            conn, "extension_requested", now, task_id=task.id, actor_id=person.id, until=wanted.isoformat(), reason=reason
        )
        keyboard = [[
            button(label("buttons", "approve"), actions.APPROVE_EXTENSION(request_id=request.id)),
            button(label("buttons", "reject"), actions.REJECT_EXTENSION(request_id=request.id)),
            button(label("escalation_actions", "approve_other_date"), actions.OTHER_DATE(request_id=request.id)),
        ]]
        matter = await _matter_state(conn, task, today)
        text = render("extension/request", task=task, unit=unit, person=person, request=request, matter=matter)
        await send(conn, leader, message(text, keyboard), now, task_id=task.id, purpose="extension")
        for reader in await issuer_and_section(conn, task):
            await tell(conn, reader, "extension/requested_copy", now, task=task, unit=unit, person=person, request=request,
                       leader=leader, task_id=task.id)
    return after, request


async def decide_extension(
    office: Office, leader: Person, request_id: int, approve: bool, now: datetime, granted_until: date | None = None
) -> Task:
    """同意 (the deadline moves to the requested, or a different, date) or 不同意."""
    async with office.db.transaction() as conn:
        request = await _request(conn, request_id)
        task = await load(conn, request.task_id)
        if request.status is ExtensionStatus.CLOSED:
            raise DomainError("task_withdrawn", number=str(task.number))
        if request.status is not ExtensionStatus.PENDING:
            raise DomainError("extension_decided")
        unit = await org.unit(conn, task.unit_id)
        assert unit is not None
        if not may(leader, Deed.DECIDE_EXTENSION, unit=unit):
            raise DomainError("not_allowed")
        until = None
        if approve:
            until = next_workday_on_or_after(granted_until or request.requested_until, office.calendar)
            # 改期同意 may set a date before the current deadline: allowed, and said to be earlier
            if until <= now.date():
                raise DomainError("date_not_future", date=until.isoformat())
        after = lifecycle.decide_extension(task, until)
        await save(conn, task, after, now)
        await extension_requests.decide(
            conn, request.id, ExtensionStatus.APPROVED if approve else ExtensionStatus.REJECTED, leader.id, now, until,
        )
        await history.append(
            conn, "extension_approved" if approve else "extension_rejected", now, task_id=task.id, actor_id=leader.id,
            until=until.isoformat() if until else None, previous_deadline=task.deadline.isoformat(),
        )
        readers = await unit_people(conn, task) + await issuer_and_section(conn, task)
        for reader in readers:
            await tell(conn, reader, "extension/decided", now, task=after, leader=leader, approved=approve, until=until,
                       deadline_before=task.deadline, task_id=task.id)
        if approve and after.unit_role is UnitRole.LEAD:
            await _move_partner_copies(conn, office, after, unit.name, leader, now)
    return after


async def _move_partner_copies(
    conn: aiosqlite.Connection, office: Office, lead: Task, lead_name: str, leader: Person, now: datetime,
) -> None:
    """The matter's 配合单位 keep its one deadline (:func:`bot.domain.tasks.follow_matter_extension`)
    and are told, in the transaction of the 同意."""
    for partner in await tasks.of_matter(conn, lead):
        moved = lifecycle.follow_matter_extension(partner, lead.deadline)
        if moved is partner:
            continue
        await save(conn, partner, moved, now)
        await history.append(
            conn, "extension_approved", now, task_id=partner.id, actor_id=leader.id, until=moved.deadline.isoformat(),
            previous_deadline=partner.deadline.isoformat(), lead_task_id=lead.id,
        )
        part_due = sharing.part_due(moved.deadline, office.settings.part_lead_days, moved.issued_on, office.calendar)
        for reader in await unit_people(conn, partner):
            await tell(conn, reader, "extension/matter_moved", now, task=moved, lead=lead, lead_unit=lead_name, leader=leader,
                       part_due=part_due, task_id=partner.id)


# ------------------------------------------------------------- what a request asks for

_DAYS = re.compile(r"^(\d{1,4})\s*(?:天|日)?$")
_DAYS_GLUED = re.compile(r"^(\d{1,4})\s*(?:天|日)(.+)$", re.S)
_UNIT_WORD = re.compile(r"^(?:天|日)(?:\s+|$)")


@dataclass(frozen=True)
class TimeAsked:
    """What was read from ``7天 需协调用地``: the days or the date, and the rest (the reason)."""

    days: int | None
    until: date | None
    rest: str


def read_time_asked(typed: str, today: date) -> TimeAsked | None:
    """申请延期: the time asked and the reason, from ``7天 理由`` / ``7 理由`` / ``2026-12-31 理由`` / ``12月31日 理由`` / ``7天理由``.

    Raises:
        DomainError: ``period_invalid`` for a date that does not exist (2026-02-30).
    """
    parts = typed.strip().split(maxsplit=1)
    if not parts:
        return None
    head, rest = parts[0], parts[1] if len(parts) > 1 else ""
    folded = normalise(head)
    match = _DAYS.match(folded)
    if match:
        if folded.isdigit():  # "7 天 理由": the unit word came apart from the number
            rest = _UNIT_WORD.sub("", rest, count=1)
        return TimeAsked(int(match.group(1)), None, rest.strip())
    until = read_date(head, today, ahead=True)
    if until is not None:
        return TimeAsked(None, until, rest.strip())
    glued = _DAYS_GLUED.match(folded)
    if glued:
        return TimeAsked(int(glued.group(1)), None, (head[len(head) - len(glued.group(2)):] + " " + rest).strip())
    return None
