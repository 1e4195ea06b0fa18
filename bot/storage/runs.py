"""What runs once: the daily check of a day, the weekly digests of a week, the monthly cycle of a
month (its analyses, their 已审阅, the consolidated report, the 通报) and the year's warning that the
holiday calendar lacks a year. Each row is written in the transaction that sends what it stands
for, so a rerun after a crash finds it and sends nothing twice."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import aiosqlite

from bot.storage.rows import stamp

# ------------------------------------------------------------------- daily_runs


async def daily_run(conn: aiosqlite.Connection, day: date) -> tuple[bool, bool]:
    """Whether the check of ``day`` started, and whether it finished."""
    async with conn.execute("SELECT finished_at FROM daily_runs WHERE run_date = ?", (day.isoformat(),)) as cur:
        row = await cur.fetchone()
    return row is not None, bool(row and row[0])


async def daily_rest_day(conn: aiosqlite.Connection, day: date, now: datetime) -> None:
    """The check of a rest day: started and finished at once, with nothing done."""
    await conn.execute(
        "INSERT OR REPLACE INTO daily_runs (run_date, started_at, finished_at) VALUES (?, ?, ?)",
        (day.isoformat(), stamp(now), stamp(now)),
    )


async def daily_started(conn: aiosqlite.Connection, day: date, now: datetime) -> None:
    """The check of ``day`` began (its steps follow, each in its own transaction)."""
    await conn.execute("INSERT INTO daily_runs (run_date, started_at) VALUES (?, ?)", (day.isoformat(), stamp(now)))


async def daily_finished(conn: aiosqlite.Connection, day: date, now: datetime) -> None:
    """The check of ``day`` is done: its digests and summary are queued."""
    await conn.execute("UPDATE daily_runs SET finished_at = ? WHERE run_date = ?", (stamp(now), day.isoformat()))


# ---------------------------------------------------------------- weekly_digests


async def weekly_sent(conn: aiosqlite.Connection, week: str) -> bool:
    """Whether the digests of ``week`` (e.g. 2026-W48) went out."""
    async with conn.execute("SELECT 1 FROM weekly_digests WHERE week = ?", (week,)) as cur:
        return await cur.fetchone() is not None


async def mark_weekly_sent(conn: aiosqlite.Connection, week: str, now: datetime) -> None:
    """The digests of ``week`` are queued."""
    await conn.execute("INSERT INTO weekly_digests (week, sent_at) VALUES (?, ?)", (week, stamp(now)))


# ------------------------------------------------------- monthly_runs, monthly_reviews


@dataclass(frozen=True)
class MonthlyRun:
    """How far a month's (or, for the year-end ranking, a year's) cycle has gone."""

    period: str
    started_at: datetime
    consolidated_at: datetime | None
    published_at: datetime | None


@dataclass(frozen=True)
class MonthlyReview:
    """One section's analysis awaiting (or given) its 分管市领导's 已审阅."""

    leader_id: int | None
    reviewed_at: datetime | None


def _moment(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


async def monthly_run(conn: aiosqlite.Connection, key: str) -> MonthlyRun | None:
    """The cycle of the period ``key`` (2026-11, or 2026 for the year), if it began."""
    async with conn.execute("SELECT * FROM monthly_runs WHERE period = ?", (key,)) as cur:
        row = await cur.fetchone()
    if row is None:
        return None
    started = _moment(row["started_at"])
    assert started is not None  # NOT NULL
    return MonthlyRun(row["period"], started, _moment(row["consolidated_at"]), _moment(row["published_at"]))


async def monthly_started(conn: aiosqlite.Connection, key: str, now: datetime) -> None:
    """Step 1: the analyses of ``key`` go to the 分管市领导."""
    await conn.execute("INSERT INTO monthly_runs (period, started_at) VALUES (?, ?)", (key, stamp(now)))


async def add_review(conn: aiosqlite.Connection, key: str, section_id: int, leader_id: int | None, now: datetime) -> None:
    """A section's analysis waits for its leader's 已审阅; without a leader it counts as reviewed."""
    await conn.execute(
        "INSERT INTO monthly_reviews (period, section_id, leader_id, reviewed_at) VALUES (?, ?, ?, ?)",
        (key, section_id, leader_id, None if leader_id is not None else stamp(now)),
    )


async def review(conn: aiosqlite.Connection, key: str, section_id: int) -> MonthlyReview | None:
    """The section's review of the month ``key``."""
    async with conn.execute(
        "SELECT leader_id, reviewed_at FROM monthly_reviews WHERE period = ? AND section_id = ?", (key, section_id)
    ) as cur:
        row = await cur.fetchone()
    return MonthlyReview(row[0], _moment(row[1])) if row is not None else None


async def mark_reviewed(conn: aiosqlite.Connection, key: str, section_id: int, now: datetime) -> None:
    """已审阅."""
    await conn.execute(
        "UPDATE monthly_reviews SET reviewed_at = ? WHERE period = ? AND section_id = ?", (stamp(now), key, section_id)
    )


async def reviews_waiting(conn: aiosqlite.Connection, key: str) -> int:
    """Analyses of the month not yet reviewed."""
    async with conn.execute(
        "SELECT count(*) FROM monthly_reviews WHERE period = ? AND reviewed_at IS NULL", (key,)
    ) as cur:
        counted = await cur.fetchone()
    assert counted is not None  # count(*) always returns one row
    return int(counted[0])


async def mark_consolidated(conn: aiosqlite.Connection, key: str, now: datetime) -> None:
    """Step 2: the consolidated report went to 政务监督室."""
    await conn.execute("UPDATE monthly_runs SET consolidated_at = ? WHERE period = ?", (stamp(now), key))


async def mark_published(conn: aiosqlite.Connection, key: str, person_id: int, now: datetime) -> None:
    """Step 3: 发布通报 by ``person_id``."""
    await conn.execute(
        "UPDATE monthly_runs SET published_at = ?, published_by = ? WHERE period = ?", (stamp(now), person_id, key)
    )


async def annual_sent(conn: aiosqlite.Connection, key: str, now: datetime) -> None:
    """The year-end ranking of ``key`` went out: started, consolidated and published at once."""
    await conn.execute(
        "INSERT INTO monthly_runs (period, started_at, consolidated_at, published_at) VALUES (?, ?, ?, ?)",
        (key, stamp(now), stamp(now), stamp(now)),
    )


# -------------------------------------------------------- calendar_year_warnings


async def warn_year_once(conn: aiosqlite.Connection, year: int, now: datetime) -> bool:
    """Record the warning that the holiday calendar lacks ``year``; False when it was given before."""
    cur = await conn.execute(
        "INSERT OR IGNORE INTO calendar_year_warnings (year, warned_at) VALUES (?, ?)", (year, stamp(now))
    )
    return cur.rowcount == 1
