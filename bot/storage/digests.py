"""What the daily check's digests and summary read: the work waiting in each 科室, the day's
escalation steps, and how many tasks are 逾期."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime

import aiosqlite

from bot.domain.slips import SlipNumber, SlipType
from bot.storage.rows import stamp
from bot.storage.tasks import OVERDUE


async def feedback_waiting_by_section(conn: aiosqlite.Connection) -> dict[int, int]:
    """Tasks whose 反馈 waits for review, by issuing 科室."""
    async with conn.execute(
        """SELECT t.section_id, count(*) FROM tasks t WHERE t.status = 'feedback_pending' GROUP BY t.section_id"""
    ) as cur:
        return {r[0]: r[1] async for r in cur}


async def system_steps(
    conn: aiosqlite.Connection, start: datetime, end: datetime, kinds: Sequence[str]
) -> list[tuple[str, dict[str, object], int]]:
    """The history entries of ``kinds`` the daily check itself wrote (no actor) between ``start``
    and ``end``, in order: kind, details, task id."""
    async with conn.execute(
        f"""SELECT h.kind, h.details, h.task_id FROM history h INDEXED BY history_at
            WHERE h.at >= ? AND h.at < ? AND h.actor_id IS NULL AND h.kind IN ({", ".join("?" for _ in kinds)})
            ORDER BY h.id""",
        (stamp(start), stamp(end), *kinds),
    ) as cur:
        return [(r[0], _json(r[1]), r[2]) async for r in cur]


async def escalations(
    conn: aiosqlite.Connection, start: datetime, end: datetime
) -> list[tuple[str, dict[str, object], str, str, SlipNumber]]:
    """催办单, 督办通知单, 约谈 and 移交 proposals between ``start`` and ``end``, in order: kind,
    details, the task's title, its unit's name and its 交办单's number."""
    async with conn.execute(
        # The day's entries first (CROSS JOIN fixes the order): left to itself SQLite started
        # from every 交办单 ever issued and read the whole history to find today's.
        """SELECT h.kind, h.details, t.title, u.name, s.year, s.seq FROM history h INDEXED BY history_at
           CROSS JOIN tasks t ON t.id = h.task_id CROSS JOIN units u ON u.id = t.unit_id
           CROSS JOIN slips s ON s.task_id = t.id AND s.type = 'assignment'
           WHERE h.at >= ? AND h.at < ? AND h.kind IN
             ('reminder_issued', 'supervision_issued', 'interview_proposed', 'transfer_proposed')
           ORDER BY h.id""",
        (stamp(start), stamp(end)),
    ) as cur:
        return [
            (r[0], _json(r[1]), r[2], r[3], SlipNumber(SlipType.ASSIGNMENT, r[4], r[5])) async for r in cur
        ]


async def overdue_count(conn: aiosqlite.Connection, day: date) -> int:
    """逾期未办结 on ``day``: the same set as /overdue (bot/domain/clock.py, tasks.OVERDUE)."""
    async with conn.execute(f"SELECT count(*) FROM tasks t WHERE {OVERDUE}", (day.isoformat(),)) as cur:
        row = await cur.fetchone()
    return int(row[0]) if row else 0


def _json(text: str) -> dict[str, object]:
    value = json.loads(text)
    return value if isinstance(value, dict) else {}
