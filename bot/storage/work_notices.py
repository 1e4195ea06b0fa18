"""钉钉 工作通知 sent beside a slip's card, and what the read poll learnt of each
(migration m025): the task id 钉钉 gave it, and whether it is still waiting for a read, read,
or never delivered (with 钉钉's words)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from bot.storage.rows import stamp

SENT = "sent"
"""Accepted; asked about until read."""
READ = "read"
NOT_DELIVERED = "not_delivered"
"""钉钉 refused it, or accepted it and did not deliver it (``getsendresult``'s forbidden,
invalid or failed lists): the card in the robot chat is the slip's only copy there."""
UNKNOWN = "unknown"
"""Not read within the days the poll asks: no longer asked about."""


@dataclass(frozen=True)
class WorkNotice:
    """A 工作通知 waiting for its read."""

    outbox_id: int
    task_id: int
    sent_at: datetime
    userid: str
    """Whom it went to."""


async def record(conn: aiosqlite.Connection, outbox_id: int, task_id: int | None, now: datetime, detail: str = "") -> None:
    """The 工作通知 of the slip notice ``outbox_id`` went as 钉钉's task ``task_id``; None: 钉钉
    refused it (``detail`` says why). Once per notice: a notice sent again after a crash keeps
    the first record."""
    state, task = (SENT, str(task_id)) if task_id is not None else (NOT_DELIVERED, "")
    await conn.execute(
        """INSERT INTO dingtalk_work_notices (outbox_id, task_id, state, detail, sent_at) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (outbox_id) DO NOTHING""",
        (outbox_id, task, state, detail or None, stamp(now)),
    )


async def waiting(conn: aiosqlite.Connection, limit: int) -> list[WorkNotice]:
    """The 工作通知 still waiting for a read, least recently asked about first."""
    async with conn.execute(
        """SELECT w.outbox_id, w.task_id, w.sent_at, o.address
           FROM dingtalk_work_notices w JOIN outbox o ON o.id = w.outbox_id
           WHERE w.state = 'sent'
           ORDER BY coalesce(w.checked_at, w.sent_at), w.outbox_id LIMIT ?""",
        (limit,),
    ) as cur:
        return [WorkNotice(int(r[0]), int(r[1]), datetime.fromisoformat(r[2]), str(r[3])) async for r in cur]


async def settle(conn: aiosqlite.Connection, outbox_id: int, state: str, now: datetime, detail: str = "") -> None:
    """What the poll learnt: ``state`` (or still :data:`SENT`), asked at ``now``."""
    await conn.execute(
        "UPDATE dingtalk_work_notices SET state = ?, detail = coalesce(?, detail), checked_at = ? WHERE outbox_id = ?",
        (state, detail or None, stamp(now), outbox_id),
    )


async def state_of(conn: aiosqlite.Connection, outbox_id: int) -> tuple[str, str] | None:
    """The state and 钉钉's words of the 工作通知 of ``outbox_id``, if one was sent."""
    async with conn.execute(
        "SELECT state, coalesce(detail, '') FROM dingtalk_work_notices WHERE outbox_id = ?", (outbox_id,)
    ) as cur:
        row = await cur.fetchone()
    return (str(row[0]), str(row[1])) if row else None
