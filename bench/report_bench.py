"""Monthly report and ledger export benchmark: 500 units, 100,000 tasks (not a test).

Measures, on a real SQLite file, the service calls behind the monthly cycle and the exports:

* the monthly cycle of November: analyses to the 分管市领导 (``run_monthly``), the consolidated
  report (``consolidate_if_due``) and the publication (``publish``: 500 units told, the ranking to
  the principal), each in its own transaction with its outbox rows;
* ``/scores`` for the table of all units (``scoring.table``);
* the 通报 as .xlsx with its native bar chart, and the PNG bar chart;
* the whole 台账 (100,000 lines) as .xlsx, in full and as the meeting's sheet, and one unit's month of it.

Run: ``.venv/bin/python bench/report_bench.py [--tasks 100000] [--units 500] [--events 60000]``
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import random
import sys
import tempfile
import time
from datetime import date, datetime, time as clock, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.config import Settings  # noqa: E402
from bot.domain.org import Role, UnitKind  # noqa: E402
from bot.edge import TELEGRAM, Account  # noqa: E402
from bot.domain.scores import DEFAULT_POINTS, ScoreCategory  # noqa: E402
from bot.services import reports, scoring  # noqa: E402
from bot.services.context import Office  # noqa: E402
from bot.views.exports import charts, ledger, workbooks  # noqa: E402
from bot.services.scoring import Period  # noqa: E402
from bot.storage import org  # noqa: E402

YEAR = 2026
BATCH = 10_000


async def fill(office: Office, tasks: int, units_count: int, events: int) -> None:
    """Units with one official each, a leader, two sections, tasks with their 交办单, events."""
    now = office.now()
    async with office.db.transaction() as conn:
        leader = await org.add_person(conn, "刘副市长", frozenset({Role.LEADER}), now)
        await org.bind_account(conn, leader.id, Account(TELEGRAM, "900000"), now)
        supervision = await org.add_section(conn, "政务监督室", is_supervision_office=True, leader_id=leader.id)
        section = await org.add_section(conn, "综合一科", leader_id=leader.id)
        clerk = await org.add_person(conn, "王科员", frozenset({Role.CLERK}), now, section_id=section.id)
        staff = await org.add_person(conn, "赵督查", frozenset({Role.SUPERVISOR}), now, section_id=supervision.id)
        boss = await org.add_person(conn, "周市长", frozenset({Role.PRINCIPAL}), now)
        for n, person in enumerate((clerk, staff, boss)):
            await org.bind_account(conn, person.id, Account(TELEGRAM, str(900001 + n)), now)
        units = [await org.add_unit(conn, f"单位{i:03d}", UnitKind.DEPARTMENT, leader.id) for i in range(units_count)]
        for i, unit in enumerate(units):
            official = await org.add_person(conn, f"联络员{i:03d}", frozenset({Role.RESPONSIBLE}), now, unit_id=unit.id)
            await org.bind_account(conn, official.id, Account(TELEGRAM, str(1_000_000 + i)), now)
    rng = random.Random(127)
    start = date(YEAR, 1, 5)
    for first in range(1, tasks + 1, BATCH):
        task_rows, slip_rows = [], []
        for seq in range(first, min(first + BATCH, tasks + 1)):
            issued = start + timedelta(days=seq % 320)
            deadline = issued + timedelta(days=7)
            status = rng.choice(("issued", "acknowledged", "feedback_pending", "completed"))
            task_rows.append((
                seq, seq, f"第{seq}项工作事项：老旧小区改造与道路维修", "按期完成并书面反馈办理结果情况",
                "市政府常务会议纪要〔2026〕15号", "other", units[seq % units_count].id, section.id, clerk.id,
                issued.isoformat(), 7, deadline.isoformat(), deadline.isoformat(), "王科员", "0377-6228",
                int(seq % 10 == 0), status, rng.choice(("none", "none", "reminded", "supervised")),
                None if status != "completed" else deadline.isoformat(),
            ))
            slip_rows.append((seq, seq, "assignment", YEAR, seq, issued.isoformat(), clerk.id, "（交办单全文）"))
        async with office.db.transaction() as conn:
            await conn.executemany(
                """INSERT INTO tasks (id, matter_id, title, requirements, basis, source, unit_id, section_id,
                       issued_by, issued_on, period_days, original_deadline, deadline, contact_name,
                       contact_phone, special_ledger, status, stage, completed_on)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                task_rows,
            )
            await conn.executemany(
                "INSERT INTO slips (id, task_id, type, year, seq, issued_on, issued_by, text) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                slip_rows,
            )
    categories = [c for c in ScoreCategory if c not in (ScoreCategory.REMINDER_SLIP, ScoreCategory.SUPERVISION_NOTICE)]
    rows = []
    for _ in range(events):
        category = rng.choice(categories)
        day = date(YEAR, 1, 1) + timedelta(days=rng.randrange(334))
        rows.append((rng.choice(units).id, category.value, str(DEFAULT_POINTS[category]), day.isoformat(), "bench",
                     clerk.id, now.isoformat()))
    async with office.db.transaction() as conn:
        await conn.executemany(
            """INSERT INTO score_events (unit_id, category, points, occurred_on, note, recorded_by, recorded_at)
               VALUES (?, ?, ?, ?, ?, ?, ?)""",
            rows,
        )


async def timed(name: str, results: list[tuple[str, float, str]], work, note: str = "") -> object:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    value = work()
    if asyncio.iscoroutine(value):
        value = await value
    results.append((name, time.perf_counter() - started, note))
    return value


async def main(tasks: int, units: int, events: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(db_path=Path(folder) / "duban.db", archive_dir=Path(folder) / "archive")
        office = await Office.open(settings)
        results: list[tuple[str, float, str]] = []
        await timed("fill (bulk insert)", results, lambda: fill(office, tasks, units, events))
        day = date(YEAR, 12, 1)
        now = datetime.combine(day, clock(9), settings.timezone)
        office.clock = lambda: now
        boss = (await org.with_role(office.db.reader, Role.SUPERVISOR))[0]
        everyone = (await org.with_role(office.db.reader, Role.PRINCIPAL))[0]
        period = Period(YEAR, 11)
        await timed("run_monthly: analyses to the leader", results, lambda: reports.run_monthly(office, day, now))
        leader = (await org.with_role(office.db.reader, Role.LEADER))[0]
        async with office.db.reader.execute("SELECT section_id FROM monthly_reviews WHERE period = ?", (period.key,)) as cur:
            sections = [r[0] async for r in cur]

        async def review_all() -> None:
            for section_id in sections:
                await reports.review(office, leader, period.key, section_id, now)

        await timed("已审阅 ×2 → consolidated report", results, review_all)
        await timed(f"publish: {units} units told + ranking", results, lambda: reports.publish(office, boss, period.key, now))
        table = await timed("scoring.table (all units, /scores)", results, lambda: scoring.table(office, period, day))
        title = "2026年11月各单位加减分情况通报"
        xlsx = await timed("通报 .xlsx with native bar chart", results, lambda: workbooks.report_workbook(table, title))
        png = await timed("通报 PNG bar chart", results, lambda: charts.score_bars_png(
            [line.unit.name for line in table.lines], [line.score for line in table.lines], table.threshold, title))
        flt = ledger.LedgerFilter()
        whole = await timed(f"台账 .xlsx, all {tasks:,} lines", results, lambda: ledger.ledger_workbook(office, everyone, flt, day))
        meeting = await timed(f"台账 .xlsx 会议, all {tasks:,} lines", results, lambda: ledger.ledger_workbook(
            office, everyone, ledger.LedgerFilter(view=ledger.View.MEETING), day))
        one = await ledger.parse_filter(office, everyone, "单位042 2026-11")
        part = await timed("台账 .xlsx, one unit, one month", results, lambda: ledger.ledger_workbook(office, everyone, one, day))
        async with office.db.reader.execute("SELECT count(*) FROM outbox") as cur:
            queued = (await cur.fetchone())[0]
        await office.db.close()
    print(f"{platform.processor() or platform.machine()}, Python {platform.python_version()}")
    print(f"{tasks:,} tasks, {units} units, {events:,} score events; outbox rows queued: {queued}")
    for name, seconds, _ in results:
        print(f"  {name:<42} {seconds * 1000:9.0f} ms")
    print(f"  sizes: 通报 .xlsx {len(xlsx) / 1024:.0f} KiB, PNG {len(png) / 1024:.0f} KiB, "
          f"台账 .xlsx {len(whole[0]) / 1024 / 1024:.1f} MiB ({whole[1]:,} lines), 会议 {len(meeting[0]) / 1024 / 1024:.1f} MiB, "
          f"one unit {part[1]} lines")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--units", type=int, default=500)
    parser.add_argument("--events", type=int, default=60_000)
    args = parser.parse_args()
    asyncio.run(main(args.tasks, args.units, args.events))
