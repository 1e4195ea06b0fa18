"""The working-day override table: statutory holidays and 调休 days the calendar package does
not know yet (it knows up to 2026 today), entered by the office from the State Council's notice."""

from __future__ import annotations

from datetime import date

import aiosqlite


async def set_day(conn: aiosqlite.Connection, day: date, is_workday: bool, note: str) -> None:
    """Record ``day`` as a working day or a rest day (replacing an earlier entry)."""
    await conn.execute(
        "INSERT INTO calendar_overrides (day, is_workday, note) VALUES (?, ?, ?) "
        "ON CONFLICT (day) DO UPDATE SET is_workday = excluded.is_workday, note = excluded.note",
        (day.isoformat(), int(is_workday), note),
    )


async def remove_day(conn: aiosqlite.Connection, day: date) -> bool:
    """Forget an entry; True when there was one."""
    cur = await conn.execute("DELETE FROM calendar_overrides WHERE day = ?", (day.isoformat(),))
    return cur.rowcount == 1


async def days(conn: aiosqlite.Connection, year: int | None = None) -> list[tuple[date, bool, str]]:
    """The entries, by date (of one year when given)."""
    sql, args = "SELECT day, is_workday, note FROM calendar_overrides", []
    if year is not None:
        sql += " WHERE day LIKE ?"
        args.append(f"{year:04d}-%")
    async with conn.execute(sql + " ORDER BY day", args) as cur:
        return [(date.fromisoformat(r[0]), bool(r[1]), r[2]) async for r in cur]


async def overrides(conn: aiosqlite.Connection) -> dict[date, bool]:
    """Every entry: the day, and whether it is a working day."""
    async with conn.execute("SELECT day, is_workday FROM calendar_overrides") as cur:
        return {date.fromisoformat(r[0]): bool(r[1]) async for r in cur}
