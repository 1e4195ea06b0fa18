"""Slip numbers and issued slips. Numbers come from a per-type, per-year sequence row bumped
inside the issuing transaction, so they have no gaps and no duplicates."""

from __future__ import annotations

from datetime import date

import aiosqlite

from bot.domain.slips import Slip, SlipNumber, SlipReference, SlipType
from bot.storage.rows import day


async def next_number(conn: aiosqlite.Connection, slip_type: SlipType, year: int) -> SlipNumber:
    """Take the next number of ``slip_type`` in ``year``. Call inside a write transaction."""
    async with conn.execute(
        """INSERT INTO slip_sequences (type, year, last) VALUES (?, ?, 1)
           ON CONFLICT (type, year) DO UPDATE SET last = slip_sequences.last + 1
           RETURNING last""",
        (slip_type.value, year),
    ) as cur:
        row = await cur.fetchone()
    assert row is not None
    return SlipNumber(slip_type, year, row[0])


def _slip(row: aiosqlite.Row) -> Slip:
    return Slip(
        id=row["id"],
        task_id=row["task_id"],
        number=SlipNumber(SlipType(row["type"]), row["year"], row["seq"]),
        issued_on=day(row["issued_on"]) or date.min,
        window_days=row["window_days"],
        overdue_days=row["overdue_days"],
        issued_by=row["issued_by"],
        corrected_on=day(row["corrected_on"]),
        void_reason=row["void_reason"],
    )


async def add(
    conn: aiosqlite.Connection,
    task_id: int,
    number: SlipNumber,
    issued_on: date,
    issued_by: int | None,
    text: str,
    window_days: int | None = None,
    overdue_days: int | None = None,
) -> Slip:
    """Record an issued slip with its text exactly as sent."""
    cur = await conn.execute(
        """INSERT INTO slips (task_id, type, year, seq, issued_on, issued_by, window_days, overdue_days, text)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        (
            task_id,
            number.type.value,
            number.year,
            number.seq,
            issued_on.isoformat(),
            issued_by,
            window_days,
            overdue_days,
            text,
        ),
    )
    return Slip(cur.lastrowid or 0, task_id, number, issued_on, window_days, overdue_days, issued_by)


async def correct(conn: aiosqlite.Connection, slip_id: int, text: str, on: date) -> None:
    """A 交办单 corrected (更正): the corrected text is what was last sent, under the same number."""
    await conn.execute("UPDATE slips SET text = ?, corrected_on = ? WHERE id = ?", (text, on.isoformat(), slip_id))


async def void(conn: aiosqlite.Connection, slip_id: int, reason: str, on: date) -> None:
    """A 催办单 issued in error voided: its number stays taken, the reason kept beside it."""
    await conn.execute("UPDATE slips SET void_reason = ?, voided_on = ? WHERE id = ?", (reason, on.isoformat(), slip_id))


async def of_task(conn: aiosqlite.Connection, task_id: int) -> list[Slip]:
    """A task's slips in the order they were issued."""
    async with conn.execute("SELECT * FROM slips WHERE task_id = ? ORDER BY id", (task_id,)) as cur:
        return [_slip(r) async for r in cur]


async def get(conn: aiosqlite.Connection, slip_id: int) -> Slip | None:
    """One slip by id."""
    async with conn.execute("SELECT * FROM slips WHERE id = ?", (slip_id,)) as cur:
        row = await cur.fetchone()
    return _slip(row) if row else None


async def text_of(conn: aiosqlite.Connection, slip_id: int) -> str:
    """The slip's text as issued."""
    async with conn.execute("SELECT text FROM slips WHERE id = ?", (slip_id,)) as cur:
        row = await cur.fetchone()
    return row[0] if row else ""


async def find(conn: aiosqlite.Connection, ref: SlipReference) -> list[Slip]:
    """Slips a user's reference can mean: one, or up to three when the type was left out."""
    sql = "SELECT * FROM slips WHERE year = ? AND seq = ?"
    args: list[object] = [ref.year, ref.seq]
    if ref.type is not None:
        sql += " AND type = ?"
        args.append(ref.type.value)
    async with conn.execute(sql + " ORDER BY id", args) as cur:
        return [_slip(r) async for r in cur]


async def latest_escalation_numbers(conn: aiosqlite.Connection, task_ids: list[int]) -> dict[int, SlipNumber]:
    """The number of each task's latest 催办单 or 督办通知单, for tasks that have one: what a
    reminder after it cites (the unit answers the latest slip, as it is told to)."""
    out: dict[int, SlipNumber] = {}
    for start in range(0, len(task_ids), 500):  # below SQLite's limit of bound parameters
        chunk = task_ids[start:start + 500]
        marks = ", ".join("?" for _ in chunk)
        async with conn.execute(
            f"""SELECT task_id, type, year, seq FROM slips
                WHERE task_id IN ({marks}) AND type != 'assignment' AND void_reason IS NULL ORDER BY id""",
            chunk,
        ) as cur:
            async for task_id, slip_type, year, seq in cur:
                out[task_id] = SlipNumber(SlipType(slip_type), year, seq)
    return out
