"""Confirm mode's drafted slips (SPEC section 4): a 催办单 or 督办通知单 the daily check drafted,
waiting for 签发 or 暂缓 by one tap."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

import aiosqlite

from bot.domain.slips import SlipType
from bot.storage.rows import stamp


class DraftStatus(StrEnum):
    """Where a drafted slip stands."""

    PENDING = "pending"
    """Waiting for 签发 or 暂缓; the section's 待办 counts it."""
    ISSUED = "issued"
    """签发: the slip went out in the same transaction."""
    HELD = "held"
    """暂缓: put aside; the next daily check drafts it again if the step is still due."""
    LAPSED = "lapsed"
    """Nobody decided it and its slip is no longer due (办结, feedback waiting, extension asked …)."""


@dataclass(frozen=True)
class Draft:
    """One drafted slip waiting for 签发 or 暂缓."""

    id: int
    task_id: int
    type: SlipType
    status: DraftStatus


def _draft(row: aiosqlite.Row) -> Draft:
    return Draft(row[0], row[1], SlipType(row[2]), DraftStatus(row[3]))


async def add(conn: aiosqlite.Connection, task_id: int, slip_type: SlipType, created_on: date) -> int | None:
    """A new pending draft; None when the task already has one of this type waiting."""
    cur = await conn.execute(
        "INSERT OR IGNORE INTO drafts (task_id, type, created_on) VALUES (?, ?, ?)",
        (task_id, slip_type.value, created_on.isoformat()),
    )
    if cur.rowcount != 1:
        return None
    return cur.lastrowid


async def get(conn: aiosqlite.Connection, draft_id: int) -> Draft | None:
    """One draft, whatever its state."""
    async with conn.execute("SELECT id, task_id, type, status FROM drafts WHERE id = ?", (draft_id,)) as cur:
        row = await cur.fetchone()
    return _draft(row) if row is not None else None


async def pending(conn: aiosqlite.Connection) -> list[Draft]:
    """Every draft still waiting."""
    async with conn.execute("SELECT id, task_id, type, status FROM drafts WHERE status = 'pending'") as cur:
        return [_draft(r) async for r in cur]


async def pending_of_task(conn: aiosqlite.Connection, task_id: int) -> list[Draft]:
    """The task's drafts still waiting."""
    async with conn.execute(
        "SELECT id, task_id, type, status FROM drafts WHERE task_id = ? AND status = 'pending'", (task_id,)
    ) as cur:
        return [_draft(r) async for r in cur]


async def lapse(conn: aiosqlite.Connection, draft_id: int, now: datetime) -> None:
    """A pending draft whose slip is no longer due lapses (a decided one stays as it is)."""
    await conn.execute(
        "UPDATE drafts SET status = 'lapsed', decided_at = ? WHERE id = ? AND status = 'pending'",
        (stamp(now), draft_id),
    )


async def decide(conn: aiosqlite.Connection, draft_id: int, status: DraftStatus, person_id: int, now: datetime) -> None:
    """签发 or 暂缓 by ``person_id``; only a pending draft changes."""
    await conn.execute(
        "UPDATE drafts SET status = ?, decided_by = ?, decided_at = ? WHERE id = ? AND status = 'pending'",
        (status.value, person_id, stamp(now), draft_id),
    )


async def pending_by_section(conn: aiosqlite.Connection) -> dict[int, dict[str, int]]:
    """How many drafts of each slip type wait, by the issuing 科室 of their task."""
    async with conn.execute(
        """SELECT t.section_id, d.type, count(*) FROM drafts d JOIN tasks t ON t.id = d.task_id
           WHERE d.status = 'pending' GROUP BY t.section_id, d.type"""
    ) as cur:
        out: dict[int, dict[str, int]] = {}
        async for section_id, slip_type, count in cur:
            out.setdefault(section_id, {})[slip_type] = count
    return out
