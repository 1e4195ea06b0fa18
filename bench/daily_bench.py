"""Daily check benchmark: its cost follows the tasks that are due, not the history (not a test).

Times ``run_daily(office, day)`` on a real SQLite file holding N overdue tasks (each owes a
工作催办单 that day: slip, score event, history entry and the unit's message, one transaction
each, then the digests and 政务监督室's summary) beside M closed (办结) tasks with their
交办单 and history. It runs once with M = 1,000 and once with M = 100,000 and prints the
ratio: SPEC section 9 asks that the second costs about what the first does.

Run: ``.venv/bin/python bench/daily_bench.py [--due 1000] [--closed 1000 100000]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.config import Settings  # noqa: E402
from bot.domain.org import Role, UnitKind  # noqa: E402
from bot.edge import TELEGRAM, Account  # noqa: E402
from bot.services.context import Office  # noqa: E402
from bot.services.daily import run_daily  # noqa: E402
from bot.storage import org  # noqa: E402

UNITS = 300
DAY = date(2026, 6, 10)
"""A Wednesday, a working day."""
BATCH = 10_000
FIRST_TELEGRAM_ID = 100_000_001
"""The emulator numbers its users from here; the memory bench binds people to them."""


async def fill_org(office: Office) -> dict[str, int]:
    """政务监督室, one section with a clerk, UNITS units with one bound official each.

    Returns the ids of the clerk, the supervisor and the first unit.
    """
    now = office.now()
    async with office.db.transaction() as conn:
        supervision = await org.add_section(conn, "政务监督室", is_supervision_office=True)
        section = await org.add_section(conn, "综合一科")
        clerk = await org.add_person(conn, "王科员", frozenset({Role.CLERK}), now, section_id=section.id)
        supervisor = await org.add_person(conn, "赵督查", frozenset({Role.SUPERVISOR}), now, section_id=supervision.id)
        await org.bind_account(conn, clerk.id, Account(TELEGRAM, str(FIRST_TELEGRAM_ID)), office.now())
        await org.bind_account(conn, supervisor.id, Account(TELEGRAM, str(FIRST_TELEGRAM_ID + 1)), office.now())
        first_unit = 0
        for i in range(UNITS):
            unit = await org.add_unit(conn, f"单位{i:03d}", UnitKind.DEPARTMENT)
            first_unit = first_unit or unit.id
            official = await org.add_person(conn, f"责任人{i:03d}", frozenset({Role.RESPONSIBLE}), now, unit_id=unit.id)
            await org.bind_account(conn, official.id, Account(TELEGRAM, str(FIRST_TELEGRAM_ID + 2 + i)), office.now())
    return {"clerk": clerk.id, "supervisor": supervisor.id, "section": section.id, "first_unit": first_unit}


def _rows(ids: range, ids_of: dict[str, int], day: date, closed: bool) -> Iterator[tuple[tuple, tuple, list[tuple]]]:
    """(task row, 交办单 row, history rows) for each id: closed tasks spread over past years."""
    for task_id in ids:
        if closed:
            issued = day - timedelta(days=30 + task_id % 1500)
            deadline = issued + timedelta(days=7)
            status, completed = "completed", (deadline - timedelta(days=1)).isoformat()
        else:
            issued = day - timedelta(days=10)
            deadline = day - timedelta(days=3)
            status, completed = "acknowledged", None
        unit = ids_of["first_unit"] + task_id % UNITS
        at = datetime.combine(issued, datetime.min.time()).isoformat(timespec="seconds") + "+08:00"
        task = (
            task_id, task_id, f"第{task_id}项工作事项：老旧小区改造与道路维修", "按期完成并书面反馈办理结果情况" * 3,
            "市政府常务会议纪要〔2026〕15号", "other", unit, ids_of["section"], ids_of["clerk"], issued.isoformat(), 7,
            deadline.isoformat(), deadline.isoformat(), "王科员", "0377-6228", 0, status, "none", completed,
        )
        slip = (task_id, task_id, "assignment", issued.year, task_id, issued.isoformat(), ids_of["clerk"], "（交办单全文）")
        history = [
            (task_id, ids_of["clerk"], "assignment_issued", at, json.dumps({"number": f"交办单〔{issued.year}〕{task_id}号"}, ensure_ascii=False)),
            (task_id, None, "acknowledged", at, "{}"),
        ]
        if closed:
            history.append((task_id, ids_of["clerk"], "completed", at, "{}"))
        yield task, slip, history


async def fill_tasks(office: Office, ids_of: dict[str, int], due: int, closed: int, day: date = DAY) -> None:
    """``closed`` 办结 tasks, then ``due`` open tasks three days past their deadline, in bulk."""
    plan = [(range(1, closed + 1), True), (range(closed + 1, closed + due + 1), False)]
    for ids, is_closed in plan:
        for start in range(ids.start, ids.stop, BATCH):
            chunk = list(_rows(range(start, min(start + BATCH, ids.stop)), ids_of, day, is_closed))
            async with office.db.transaction() as conn:
                await conn.executemany(
                    """INSERT INTO tasks (id, matter_id, title, requirements, basis, source, unit_id, section_id,
                           issued_by, issued_on, period_days, original_deadline, deadline, contact_name,
                           contact_phone, special_ledger, status, stage, completed_on)
                       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                    [task for task, _, _ in chunk],
                )
                await conn.executemany(
                    "INSERT INTO slips (id, task_id, type, year, seq, issued_on, issued_by, text) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [slip for _, slip, _ in chunk],
                )
                await conn.executemany(
                    "INSERT INTO history (task_id, actor_id, kind, at, details) VALUES (?, ?, ?, ?, ?)",
                    [entry for _, _, history in chunk for entry in history],
                )
    # Slip numbers are per type and year; the bulk rows used the task id as seq, so start above it.
    async with office.db.transaction() as conn:
        for year in range(day.year - 6, day.year + 1):
            await conn.execute(
                "INSERT OR REPLACE INTO slip_sequences (type, year, last) VALUES ('assignment', ?, ?)", (year, closed + due)
            )


async def bench_daily(due: int, closed: int, database_url: str | None = None) -> tuple[float, float, dict[str, int]]:
    """(seconds to fill, seconds for run_daily, what it did); on PostgreSQL with ``database_url``."""
    with tempfile.TemporaryDirectory() as folder:
        office = await Office.open(Settings(db_path=Path(folder) / "duban.db", database_url=database_url))
        try:
            started = time.perf_counter()
            ids_of = await fill_org(office)
            await fill_tasks(office, ids_of, due, closed)
            if database_url:
                async with office.db.transaction() as conn:
                    await conn.sync_identities()  # type: ignore[attr-defined]
                # planner statistics for the bulk-loaded tables, as autovacuum gathers them soon after
                await office.db.reader.execute("ANALYZE")
            filled = time.perf_counter() - started
            started = time.perf_counter()
            outcome = await run_daily(office, DAY)
            elapsed = time.perf_counter() - started
            async with office.db.reader.execute("SELECT count(*) FROM outbox") as cur:
                queued = (await cur.fetchone())[0]
            async with office.db.reader.execute("SELECT count(*) FROM slips WHERE type = 'reminder'") as cur:
                reminders = (await cur.fetchone())[0]
        finally:
            await office.db.close()
    return filled, elapsed, {"催办单": reminders, "messages queued": queued, **{str(k): v for k, v in outcome.steps.items()}}


def main() -> None:
    """Fill and time the daily check for each history size; print the times and their ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--due", type=int, default=1000)
    parser.add_argument("--closed", type=int, nargs="+", default=[1000, 100_000])
    parser.add_argument("--repeat", type=int, default=3, help="fresh files per size; the best run counts")
    args = parser.parse_args()
    print(f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs")
    times = []
    for closed in args.closed:
        runs = [asyncio.run(bench_daily(args.due, closed)) for _ in range(args.repeat)]
        filled, elapsed, did = min(runs, key=lambda run: run[1])
        times.append(elapsed)
        print(
            f"{args.due:,} overdue + {closed:,} closed tasks (filled in {filled:.1f} s): daily run best {elapsed:.2f} s "
            f"of {[round(run[1], 2) for run in runs]}, {1e3 * elapsed / args.due:.2f} ms per due task; {did}"
        )
    if len(times) > 1:
        print(f"ratio {args.closed[-1]:,} closed / {args.closed[0]:,} closed: {times[-1] / times[0]:.2f}×")


if __name__ == "__main__":
    main()
