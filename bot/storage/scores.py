"""Score events (加减分): booked, voided with a reason, never deleted."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import aiosqlite

from bot.domain.errors import DomainError
from bot.domain.scores import ScoreCategory, ScoreEvent
from bot.storage.rows import stamp


def _event(row: aiosqlite.Row) -> ScoreEvent:
    return ScoreEvent(
        id=row["id"],
        unit_id=row["unit_id"],
        category=ScoreCategory(row["category"]),
        points=Decimal(row["points"]),
        occurred_on=date.fromisoformat(row["occurred_on"]),
        note=row["note"],
        task_id=row["task_id"],
        slip_id=row["slip_id"],
        recorded_by=row["recorded_by"],
        void_reason=row["void_reason"],
    )


async def book(
    conn: aiosqlite.Connection,
    unit_id: int,
    category: ScoreCategory,
    points: Decimal,
    occurred_on: date,
    now: datetime,
    *,
    note: str = "",
    task_id: int | None = None,
    slip_id: int | None = None,
    recorded_by: int | None = None,
) -> ScoreEvent:
    """Book one event. A slip books at most once (unique ``slip_id``)."""
    cur = await conn.execute(
        """INSERT INTO score_events
           (unit_id, category, points, occurred_on, note, task_id, slip_id, recorded_by, recorded_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        (unit_id, category.value, str(points), occurred_on.isoformat(), note, task_id, slip_id, recorded_by, stamp(now)),
    )
    return ScoreEvent(cur.lastrowid or 0, unit_id, category, points, occurred_on, note, task_id, slip_id, recorded_by)


async def get(conn: aiosqlite.Connection, event_id: int) -> ScoreEvent | None:
    """One event by id."""
    async with conn.execute("SELECT * FROM score_events WHERE id = ?", (event_id,)) as cur:
        row = await cur.fetchone()
    return _event(row) if row else None


async def void(conn: aiosqlite.Connection, event: ScoreEvent, voided_by: int, now: datetime) -> None:
    """Store a voided event (``event.void_reason`` set by the domain)."""
    cur = await conn.execute(
        """UPDATE score_events SET void_reason = ?, voided_by = ?, voided_at = ?
           WHERE id = ? AND void_reason IS NULL""",
        (event.void_reason, voided_by, stamp(now), event.id),
    )
    if cur.rowcount != 1:
        raise DomainError("already_voided", event_id=event.id)


async def counting_of_task(conn: aiosqlite.Connection, task_id: int, slip_id: int | None = None) -> list[ScoreEvent]:
    """The events of a task (or of one of its slips) that still count, in the order booked."""
    sql = "SELECT * FROM score_events WHERE task_id = ? AND void_reason IS NULL"
    args: list[object] = [task_id]
    if slip_id is not None:
        sql += " AND slip_id = ?"
        args.append(slip_id)
    async with conn.execute(sql + " ORDER BY id", args) as cur:
        return [_event(r) async for r in cur]


async def between(conn: aiosqlite.Connection, start: date, end: date, unit_id: int | None = None) -> list[ScoreEvent]:
    """Events that occurred in [start, end], voided ones included (they show in the history)."""
    sql = "SELECT * FROM score_events WHERE occurred_on BETWEEN ? AND ?"
    args: list[object] = [start.isoformat(), end.isoformat()]
    if unit_id is not None:
        sql += " AND unit_id = ?"
        args.append(unit_id)
    async with conn.execute(sql + " ORDER BY occurred_on, id", args) as cur:
        return [_event(r) async for r in cur]


async def booked_for(conn: aiosqlite.Connection, task_id: int, category: ScoreCategory, note: str) -> bool:
    """Whether an event of ``category`` with ``note`` was booked for the task (voided ones count)."""
    async with conn.execute(
        "SELECT 1 FROM score_events WHERE task_id = ? AND category = ? AND note = ?",
        (task_id, category.value, note),
    ) as cur:
        return await cur.fetchone() is not None
