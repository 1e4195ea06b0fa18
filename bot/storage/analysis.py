"""What a 科室's monthly analysis counts (notice, section 四): its tasks issued, 办结 and still
逾期, the 加减分 it recorded or its slips caused, and the 阶段汇报 of its scheduled tasks."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import aiosqlite

from bot.storage.reader import together
from bot.storage.tasks import OVERDUE


async def section_tasks(
    conn: aiosqlite.Connection, section_id: int, start: date, end: date, closing: date
) -> tuple[int, int, int]:
    """Tasks of the 科室 issued in [start, end], 办结 in it, and 逾期 on ``closing`` (the day after).

    Three counts, each an index range (the month's issued, the month's 办结, the open tasks),
    together in one round trip: one pass over the 科室's tasks read every task it ever issued.
    """
    issued, completed, overdue = await together(conn, (
        # A 交办单 withdrawn as issued in error was never a task of the month.
        _count(conn, "t.section_id = ? AND t.issued_on BETWEEN ? AND ? AND t.status != 'withdrawn'",
               (section_id, start.isoformat(), end.isoformat())),
        _count(conn, "t.section_id = ? AND t.completed_on BETWEEN ? AND ?", (section_id, start.isoformat(), end.isoformat())),
        # 月末仍逾期: 逾期 (bot/domain/clock.py) as the month closes, on the 1st that follows.
        _count(conn, f"t.section_id = ? AND {OVERDUE}", (section_id, closing.isoformat())),
    ))
    return issued, completed, overdue


async def _count(conn: aiosqlite.Connection, where: str, args: Sequence[object]) -> int:
    async with conn.execute(f"SELECT count(*) FROM tasks t WHERE {where}", args) as cur:
        row = await cur.fetchone()
    return int(row[0]) if row else 0


async def section_points(conn: aiosqlite.Connection, section_id: int, start: date, end: date) -> list[tuple[str, str]]:
    """The valid 加减分 in [start, end] of the 科室's tasks, or recorded by its people without a
    task: category and points, as stored."""
    # The 科室 of each of the month's events is looked up event by event (scalar subqueries,
    # which no planner turns into a join): joined, PostgreSQL hashed every task ever issued,
    # once per 科室.
    async with conn.execute(
        """SELECT e.category, e.points FROM score_events e
           WHERE e.void_reason IS NULL AND e.occurred_on BETWEEN ? AND ?
             AND CASE WHEN e.task_id IS NULL THEN (SELECT p.section_id FROM people p WHERE p.id = e.recorded_by)
                      ELSE (SELECT t.section_id FROM tasks t WHERE t.id = e.task_id) END = ?""",
        (start.isoformat(), end.isoformat(), section_id),
    ) as cur:
        return [(r[0], r[1]) async for r in cur]


async def scheduled_tasks(
    conn: aiosqlite.Connection, section_id: int, start: date, end: date
) -> Sequence[tuple[int, str, str, str, str | None]]:
    """The 科室's tasks with a 阶段汇报 schedule open at some time in [start, end]: id, schedule
    (encoded), issued_on, deadline, completed_on."""
    async with conn.execute(
        """SELECT t.id, t.report_schedule, t.issued_on, t.deadline, t.completed_on FROM tasks t
           WHERE t.section_id = ? AND t.report_schedule IS NOT NULL AND t.issued_on <= ? AND t.status != 'withdrawn'
             AND (t.completed_on IS NULL OR t.completed_on >= ?)""",
        (section_id, end.isoformat(), start.isoformat()),
    ) as cur:
        return [(r[0], r[1], r[2], r[3], r[4]) for r in await cur.fetchall()]


async def progress_days(conn: aiosqlite.Connection, task_id: int) -> list[date]:
    """The days the task's 阶段进展 reports were submitted."""
    async with conn.execute(
        "SELECT substr(submitted_at, 1, 10) FROM feedback WHERE task_id = ? AND kind = 'progress'", (task_id,),
    ) as cur:
        return [date.fromisoformat(r[0]) async for r in cur]
