"""The task's history: who did what, when. Entries are only ever added."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import aiosqlite

from bot.domain.history import HistoryEntry
from bot.storage.rows import stamp

__all__ = ["HistoryEntry", "append", "blocked_recorded", "deadline_set_by", "of_task"]


async def append(
    conn: aiosqlite.Connection,
    kind: str,
    at: datetime,
    *,
    task_id: int | None = None,
    actor_id: int | None = None,
    **details: Any,
) -> None:
    """Add an entry; call in the transaction of the change it records."""
    await conn.execute(
        "INSERT INTO history (task_id, actor_id, kind, at, details) VALUES (?, ?, ?, ?, ?)",
        (task_id, actor_id, kind, stamp(at), json.dumps(details, ensure_ascii=False, default=str)),
    )


async def of_task(conn: aiosqlite.Connection, task_id: int) -> list[HistoryEntry]:
    """A task's history, oldest first."""
    async with conn.execute(
        """SELECT h.*, p.name AS actor_name FROM history h LEFT JOIN people p ON p.id = h.actor_id
           WHERE h.task_id = ? ORDER BY h.id""",
        (task_id,),
    ) as cur:
        return [
            HistoryEntry(
                r["id"], r["task_id"], r["actor_id"], r["actor_name"], r["kind"],
                datetime.fromisoformat(r["at"]), json.loads(r["details"]),
            )
            async for r in cur
        ]


async def deadline_set_by(conn: aiosqlite.Connection, task_id: int) -> str | None:
    """The kind of the latest entry that gave the task a new deadline: ``extension_approved`` or
    ``feedback_returned`` (with a new date); None if none did."""
    async with conn.execute(
        """SELECT kind FROM history WHERE task_id = ? AND (
             (kind = 'extension_approved' AND json_extract(details, '$.until') IS NOT NULL)
             OR (kind = 'feedback_returned' AND json_extract(details, '$.new_deadline') IS NOT NULL))
           ORDER BY id DESC LIMIT 1""",
        (task_id,),
    ) as cur:
        row = await cur.fetchone()
    return str(row[0]) if row else None


async def blocked_recorded(conn: aiosqlite.Connection, task_id: int, person_id: int) -> bool:
    """Whether the task's history already records that ``person_id`` blocked the bot."""
    async with conn.execute(
        "SELECT 1 FROM history WHERE task_id = ? AND kind = 'delivery_blocked' AND actor_id = ? LIMIT 1",
        (task_id, person_id),
    ) as cur:
        return await cur.fetchone() is not None
