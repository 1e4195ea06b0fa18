"""延期申请: a unit's request for more time, and its 分管市领导's decision."""

from __future__ import annotations

from datetime import date, datetime

import aiosqlite

from bot.domain.tasks import ExtensionRequest, ExtensionStatus
from bot.storage.rows import iso, stamp


async def get(conn: aiosqlite.Connection, request_id: int) -> ExtensionRequest | None:
    """One request, whatever its state."""
    async with conn.execute(
        "SELECT id, task_id, requested_by, requested_until, reason, status FROM extension_requests WHERE id = ?", (request_id,)
    ) as cur:
        row = await cur.fetchone()
    if row is None:
        return None
    return ExtensionRequest(row[0], row[1], row[2], date.fromisoformat(row[3]), row[4], ExtensionStatus(row[5]))


async def add(
    conn: aiosqlite.Connection, task_id: int, person_id: int, until: date, reason: str, now: datetime
) -> ExtensionRequest:
    """A new request, waiting for the 分管市领导."""
    cur = await conn.execute(
        """INSERT INTO extension_requests (task_id, requested_by, requested_at, requested_until, reason, status)
           VALUES (?, ?, ?, ?, ?, 'pending')""",
        (task_id, person_id, stamp(now), until.isoformat(), reason),
    )
    return ExtensionRequest(cur.lastrowid or 0, task_id, person_id, until, reason, ExtensionStatus.PENDING)


async def close_pending(conn: aiosqlite.Connection, task_id: int, now: datetime) -> list[ExtensionRequest]:
    """End the task's requests still waiting for the 分管市领导, undecided (its 交办单 withdrawn);
    returns them as they stood."""
    async with conn.execute(
        "SELECT id, task_id, requested_by, requested_until, reason, status FROM extension_requests"
        " WHERE task_id = ? AND status = 'pending'", (task_id,),
    ) as cur:
        waiting = [
            ExtensionRequest(r[0], r[1], r[2], date.fromisoformat(r[3]), r[4], ExtensionStatus(r[5])) async for r in cur
        ]
    await conn.execute(
        "UPDATE extension_requests SET status = 'closed', decided_at = ? WHERE task_id = ? AND status = 'pending'",
        (stamp(now), task_id),
    )
    return waiting


async def decide(
    conn: aiosqlite.Connection, request_id: int, status: ExtensionStatus, leader_id: int, now: datetime,
    granted_until: date | None,
) -> None:
    """同意 (with the date granted) or 不同意 by ``leader_id``."""
    await conn.execute(
        "UPDATE extension_requests SET status = ?, decided_by = ?, decided_at = ?, granted_until = ? WHERE id = ?",
        (status.value, leader_id, stamp(now), iso(granted_until), request_id),
    )
