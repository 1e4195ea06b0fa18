"""Every statement of the hot paths reads a large table through an index on PostgreSQL: /task, the
lists, the daily check, the monthly analyses. The statements are those the real services issue, recorded on their way
to the server, and each is planned with ``EXPLAIN`` on a database of 20,000 tasks with
statistics (``ANALYZE``); a sequential scan of a table of more than 1,000 rows fails the test,
naming the statement.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pytest

from bot.services import queries, reports
from bot.services.context import Office
from bot.services.daily import run_daily
from bot.storage.postgres import PgConnection
from tests import postgres_server

from .conftest import NOW, Org
from .test_task_pages import add_tasks

pytestmark = pytest.mark.skipif(postgres_server.BACKEND != "postgresql", reason="PostgreSQL's plans (make test-pg)")

LARGE = 1000
"""Rows from which a table counts as large (here: tasks, slips, history, people, their roles and
accounts)."""

TASKS = 20_000

UNITS, PEOPLE_PER_UNIT, BOUND_PER_UNIT = 200, 8, 6
"""A province's shape in small: units of several people, most of them bound, so that people,
their roles and their accounts are large tables too."""


def scans(plan: dict[str, Any], large: set[str]) -> list[str]:
    """The large tables a plan reads whole."""
    found = [plan["Relation Name"]] if plan.get("Node Type") == "Seq Scan" and plan.get("Relation Name") in large else []
    for child in plan.get("Plans", []):
        found += scans(child, large)
    return found


async def test_the_hot_paths_read_no_large_table_whole(office: Office, org: Org, database_url: str, monkeypatch):
    await add_tasks(office, org, 1, TASKS - 200, "completed")
    await add_tasks(office, org, TASKS - 199, 200, "acknowledged")
    async with office.db.transaction() as conn:
        await conn.executemany(
            "INSERT INTO history (task_id, actor_id, kind, at, details) VALUES (?, ?, 'acknowledged', ?, '{}')",
            [(i, org.clerk.id, NOW.isoformat()) for i in range(1, TASKS + 1)],
        )
        await conn.execute("INSERT INTO slip_sequences (type, year, last) VALUES ('assignment', 2026, ?)", (TASKS,))
        units = range(1000, 1000 + UNITS)
        await conn.executemany("INSERT INTO units (id, name, kind) VALUES (?, ?, 'department')", [(u, f"第{u}局") for u in units])
        people = [(10_000 + n, u) for u in units for n in range((u - 1000) * PEOPLE_PER_UNIT, (u - 999) * PEOPLE_PER_UNIT)]
        await conn.executemany(
            "INSERT INTO people (id, name, unit_id, created_at) VALUES (?, ?, ?, ?)",
            [(p, f"联络员{p}", u, NOW.isoformat()) for p, u in people],
        )
        await conn.executemany("INSERT INTO person_roles (person_id, role) VALUES (?, 'responsible')", [(p,) for p, _ in people])
        await conn.executemany(
            "INSERT INTO accounts (person_id, channel, address, bound_at) VALUES (?, 'telegram', ?, ?)",
            [(p, str(p), NOW.isoformat()) for n, (p, _) in enumerate(people) if n % PEOPLE_PER_UNIT < BOUND_PER_UNIT],
        )
        await conn.sync_identities()  # type: ignore[attr-defined]
    await office.db.reader.execute("ANALYZE")

    issued: list[tuple[str, Any]] = []
    run = PgConnection._run

    async def recorded(self: PgConnection, text: str, parameters: Any, many: bool = False) -> Any:
        if not many and text.lstrip().upper().startswith("SELECT"):
            issued.append((text, parameters))
        return await run(self, text, parameters, many)

    monkeypatch.setattr(PgConnection, "_run", recorded)
    today = date(2026, 11, 24)
    await queries.task_detail(office, org.supervisor, f"2026-{TASKS - 50}", today)
    await queries.task_detail(office, org.town_head, f"{TASKS - 52}号", today)
    await queries.task_page(office, org.supervisor, today)
    await queries.task_page(office, org.supervisor, today, overdue=True)
    await queries.task_page(office, org.clerk, today, page=3)
    await queries.task_page(office, org.town_head, today)
    await run_daily(office, today + timedelta(days=1))
    assert await reports.run_monthly(office, date(2026, 12, 1), NOW)  # November's analyses
    monkeypatch.undo()
    assert len(issued) > 30

    explain = await PgConnection.connect(database_url)
    try:
        rows = await explain._run("SELECT relname FROM pg_class WHERE relkind = 'r' AND reltuples > %s", [LARGE])
        large = {r[0] for r in await rows.fetchall()}
        assert {"tasks", "slips", "history", "people", "person_roles", "accounts"} <= large
        read_whole = {}
        for text, parameters in dict.fromkeys((t, json.dumps(p, default=str)) for t, p in issued):
            rows = await explain._run("EXPLAIN (FORMAT JSON) " + text, json.loads(parameters))
            plan = (await rows.fetchone())[0]  # type: ignore[index]
            plan = json.loads(plan) if isinstance(plan, str) else plan
            tables = scans(plan[0]["Plan"], large)
            if tables:
                read_whole[" ".join(text.split())] = tables
    finally:
        await explain.close()
    assert not read_whole, json.dumps(read_whole, ensure_ascii=False, indent=1)
