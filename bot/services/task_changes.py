"""Shared steps of every change to a task: load it in the transaction, write it back, and
refresh the buttons of the slip messages already delivered."""

from __future__ import annotations

from datetime import datetime

import aiosqlite

from bot.domain import clock
from bot.domain.errors import DomainError
from bot.domain.org import Person
from bot.domain.sharing import PartState, UnitRole
from bot.domain.tasks import Task
from bot.services.notify import buttons, change_delivered
from bot.views.slip_keyboard import slip_keyboard
from bot.storage import org, outbox, tasks


async def load(conn: aiosqlite.Connection, task_id: int) -> Task:
    """The task, or ``task_unknown``."""
    task = await tasks.get(conn, task_id)
    if task is None:
        raise DomainError("task_unknown", task_id=task_id)
    return task


async def save(conn: aiosqlite.Connection, before: Task, after: Task, now: datetime) -> None:
    """Write the change and bring the buttons of every slip message up to date, delivered or on
    its way."""
    await tasks.update(conn, before, after)
    if slip_keyboard(after) == slip_keyboard(before):
        return
    slips = await outbox.notices_of(conn, after.id, "slip")
    await change_delivered(conn, slips, now, buttons=buttons(slip_keyboard(after)), task_id=after.id)


async def issuer_and_section(conn: aiosqlite.Connection, task: Task) -> list[Person]:
    """Who hears about a task's progress: its issuer, or the section's clerks if the issuer is
    gone or unreachable."""
    issuer = await org.person(conn, task.issued_by)
    if issuer is not None and issuer.account is not None and not issuer.unreachable:
        return [issuer]
    return [p for p in await org.section_members(conn, task.section_id) if p.account is not None and not p.unreachable]


async def unit_people(conn: aiosqlite.Connection, task: Task) -> list[Person]:
    """The 责任单位's bound people."""
    return [p for p in await org.unit_members(conn, task.unit_id) if p.account is not None]


async def matter_parts(conn: aiosqlite.Connection, task: Task) -> tuple[PartState, ...]:
    """On a 牵头单位's task: each 配合单位 of the matter and whether its part has come; () on any
    other task. /task, the review of the 牵头单位's 办理结果 and its 通过 read the same list."""
    if task.unit_role is not UnitRole.LEAD:
        return ()
    parts = []
    for partner in await tasks.of_matter(conn, task):
        if partner.unit_role is UnitRole.PARTNER:
            unit = await org.unit(conn, partner.unit_id)
            parts.append(PartState(unit.name if unit else "", await tasks.part_sent(conn, partner.id), partner.id))
    return tuple(parts)


async def matter_clock(conn: aiosqlite.Connection, task: Task) -> Task:
    """The task whose deadline, 逾期 and stage ``task``'s copy shows (:func:`clock.shown_clock`):
    on a 配合单位's copy, its 牵头单位's task; else the task itself."""
    if task.unit_role is not UnitRole.PARTNER:
        return task
    lead = next((t for t in await tasks.of_matter(conn, task) if t.unit_role is UnitRole.LEAD), None)
    return clock.shown_clock(task, lead)
