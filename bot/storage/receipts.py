"""Read receipts: when each delivered copy of a slip was read, and the slips 「已读未签收」.

A copy is an outbox row of purpose ``slip``; its ``sent_at`` is when it was delivered and its
``read_at`` when the channel said it was first read (bot/domain/receipts.py). Times are stored in
the office's time zone, as every other time, so they compare as text.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from bot.domain.receipts import Copy
from bot.domain.tasks import TaskStatus
from bot.edge import READ_RECEIPTS
from bot.storage.rows import stamp

_REPORTING = ", ".join(f"'{channel}'" for channel in sorted(READ_RECEIPTS))
"""The channels that report reads, as SQL (constants of ``bot.edge``, never input)."""


async def mark_read(conn: aiosqlite.Connection, notice_id: int, at: datetime) -> bool:
    """Record that a delivered slip notice was read at ``at``; False when it is no slip notice
    delivered on a channel that reports reads, or was read before (the first read counts)."""
    cursor = await conn.execute(
        f"""UPDATE outbox SET read_at = ? WHERE id = ? AND purpose = 'slip' AND message_id IS NOT NULL
            AND read_at IS NULL AND channel IN ({_REPORTING})""",
        (stamp(at), notice_id),
    )
    return cursor.rowcount == 1


def _copy(channel: str, sent_at: str | None, read_at: str | None) -> Copy:
    return Copy(
        datetime.fromisoformat(sent_at) if sent_at else None, channel in READ_RECEIPTS,
        datetime.fromisoformat(read_at) if read_at and channel in READ_RECEIPTS else None,
    )


async def copies_of_task(conn: aiosqlite.Connection, task_id: int) -> dict[int, list[Copy]]:
    """Each of the task's slips' delivered copies, by slip id."""
    copies: dict[int, list[Copy]] = defaultdict(list)
    async with conn.execute(
        """SELECT slip_id, channel, sent_at, read_at FROM outbox
           WHERE task_id = ? AND purpose = 'slip' AND slip_id IS NOT NULL AND sent_at IS NOT NULL ORDER BY id""",
        (task_id,),
    ) as cur:
        async for row in cur:
            copies[int(row[0])].append(_copy(row[1], row[2], row[3]))
    return dict(copies)


async def copies_of_slips(conn: aiosqlite.Connection, slip_ids: list[int]) -> dict[int, list[Copy]]:
    """The delivered copies of the slips named, by slip id."""
    copies: dict[int, list[Copy]] = defaultdict(list)
    if not slip_ids:
        return {}
    marks = ", ".join("?" for _ in slip_ids)
    async with conn.execute(
        f"""SELECT slip_id, channel, sent_at, read_at FROM outbox
            WHERE slip_id IN ({marks}) AND purpose = 'slip' AND sent_at IS NOT NULL ORDER BY id""",
        slip_ids,
    ) as cur:
        async for row in cur:
            copies[int(row[0])].append(_copy(row[1], row[2], row[3]))
    return dict(copies)


async def acknowledged_at(conn: aiosqlite.Connection, task_id: int) -> datetime | None:
    """When the unit 签收'd the task: its 签收, or its first 反馈 (which counts as 签收)."""
    async with conn.execute(
        """SELECT min(at) FROM history WHERE task_id = ? AND kind IN ('acknowledged', 'feedback_submitted')""",
        (task_id,),
    ) as cur:
        row = await cur.fetchone()
    return datetime.fromisoformat(row[0]) if row and row[0] else None


@dataclass(frozen=True)
class ReadSlip:
    """A slip read while its task was still 已交办, as the rule of 「已读未签收」 weighs it."""

    slip_id: int
    task_id: int
    read_at: datetime
    """The first read of any of its copies."""
    status: TaskStatus
    """Its task's status now."""


READ_NOT_ACKNOWLEDGED = f"""
    SELECT s.id, s.task_id, min(o.read_at), t.status
    FROM outbox o INDEXED BY outbox_read
    JOIN slips s ON s.id = o.slip_id
    JOIN tasks t ON t.id = s.task_id
    WHERE o.read_at IS NOT NULL AND o.purpose = 'slip' AND o.channel IN ({_REPORTING})
      AND t.status = 'issued' AND s.void_reason IS NULL AND s.read_unacknowledged_told_at IS NULL
    GROUP BY s.id, s.task_id, t.status
    ORDER BY s.id
"""
"""The slips that may be 「已读未签收」 and whose issuer has not been told: read, their task still
已交办 (bot/domain/receipts.py ``read_unacknowledged`` weighs the hours)."""


async def read_not_acknowledged(conn: aiosqlite.Connection) -> list[ReadSlip]:
    """The slips of :data:`READ_NOT_ACKNOWLEDGED`."""
    async with conn.execute(READ_NOT_ACKNOWLEDGED) as cur:
        return [ReadSlip(r[0], r[1], datetime.fromisoformat(r[2]), TaskStatus(r[3])) async for r in cur]


async def mark_told(conn: aiosqlite.Connection, slip_id: int, at: datetime) -> bool:
    """The slip's issuer was told it is 「已读未签收」; False when told before."""
    cursor = await conn.execute(
        "UPDATE slips SET read_unacknowledged_told_at = ? WHERE id = ? AND read_unacknowledged_told_at IS NULL",
        (stamp(at), slip_id),
    )
    return cursor.rowcount == 1


async def told_still_unacknowledged(conn: aiosqlite.Connection) -> list[int]:
    """The slips told 「已读未签收」 whose task is still 已交办, oldest first: the 督办日报's count."""
    async with conn.execute(
        """SELECT s.id FROM slips s JOIN tasks t ON t.id = s.task_id
           WHERE s.read_unacknowledged_told_at IS NOT NULL AND t.status = 'issued' AND s.void_reason IS NULL
           ORDER BY s.id""",
    ) as cur:
        return [int(r[0]) async for r in cur]
