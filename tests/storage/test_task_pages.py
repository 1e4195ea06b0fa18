"""A page of /tasks or /overdue costs the same however many tasks were closed before: the
ledger grows every year, and the pages a clerk opens every day must not slow down with it."""

from __future__ import annotations

from datetime import date, timedelta

import aiosqlite
import pytest

from bot.services.context import Office
from bot.storage import tasks

from tests import postgres_server

from .conftest import NOW, Org

TODAY = NOW.date()


async def add_tasks(office: Office, org: Org, first: int, count: int, status: str) -> None:
    """``count`` tasks with their 交办单, spread over the two units, inserted in bulk."""
    rows, slips = [], []
    for seq in range(first, first + count):
        unit = (org.town, org.street)[seq % 2]
        deadline = (date(2026, 1, 5) + timedelta(days=seq % 300)).isoformat()
        rows.append((
            seq, seq, f"第{seq}项", "按期办理", "会议纪要", "other", unit.id, org.section.id, org.clerk.id,
            deadline, 7, deadline, deadline, "张科员", "", 0, status, "none", deadline if status == "completed" else None,
        ))
        slips.append((seq, seq, "assignment", 2026, seq, deadline, org.clerk.id, "（交办单）"))
    async with office.db.transaction() as conn:
        await conn.executemany(
            """INSERT INTO tasks (id, matter_id, title, requirements, basis, source, unit_id, section_id,
                   issued_by, issued_on, period_days, original_deadline, deadline, contact_name,
                   contact_phone, special_ledger, status, stage, completed_on)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            rows,
        )
        await conn.executemany(
            "INSERT INTO slips (id, task_id, type, year, seq, issued_on, issued_by, text) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            slips,
        )


async def steps(conn: aiosqlite.Connection, **scope: object) -> int:
    """SQLite virtual-machine steps (in hundreds) to read the first page of a scope."""
    count = 0

    def tick() -> int:
        nonlocal count
        count += 1
        return 0

    await conn.set_progress_handler(tick, 100)
    try:
        page = await tasks.in_scope(conn, limit=10, **scope)
    finally:
        await conn.set_progress_handler(None, 100)  # type: ignore[arg-type]
    assert len(page) == 10
    return count


def scopes(org: Org) -> list[dict[str, object]]:
    """All open tasks (政务监督室), a section's, a unit's, a unit's overdue ones."""
    return [
        {},
        {"section_id": org.section.id},
        {"unit_id": org.town.id},
        {"unit_id": org.town.id, "overdue_on": TODAY},
    ]


@pytest.mark.skipif(
    postgres_server.BACKEND == "postgresql", reason="counts SQLite's virtual-machine steps; PostgreSQL's plans are measured in bench/"
)
async def test_a_page_of_open_tasks_does_not_grow_with_the_closed_ones(office: Office, org: Org) -> None:
    await add_tasks(office, org, 1, 40, "issued")
    await add_tasks(office, org, 41, 100, "completed")
    before = [await steps(office.db.reader, **scope) for scope in scopes(org)]
    await add_tasks(office, org, 141, 20_000, "completed")
    for scope, cost in zip(scopes(org), before, strict=True):
        assert await steps(office.db.reader, **scope) <= cost + 2, f"{scope}: a page reads the closed tasks"
