"""SQLite and PostgreSQL side by side, and a province on PostgreSQL (not a test).

By default: the daily check (``daily_bench.py``: N overdue tasks beside 100,000 closed ones) and
``/task`` lookups (``task_lookup_bench.py``: the real bot on 100,000 tasks) on a SQLite file, then
on a throw-away local PostgreSQL server (``tests/postgres_server.py``, fsync off like the tests';
``--database-url`` names a server of your own instead, its admin database), and PostgreSQL's
ratios to SQLite.

With ``--province 100000 1000000``: PostgreSQL only. For each size a database is filled with COPY
(3 units and 30 people per 1,000 tasks: 3,000 units and 30,000 people at a million; 1 % of the
tasks due today, the rest 办结 over the year; 0.6 加减分 events per task), then each step runs
in a process of its own, so that its peak RSS is its own: the office opened (the baseline), the
real bot answering ``/task`` and the lists, the whole 台账 as .xlsx, November's analyses and the
daily check. Time and peak memory are printed side by side.

Run: ``.venv/bin/python bench/postgres_bench.py [--tasks 100000] [--due 1000] [--commands 300]``
or ``.venv/bin/python bench/postgres_bench.py --province 100000 1000000``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import ExitStack
from datetime import date, datetime, time as clock, timedelta
from pathlib import Path
from typing import Any

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import task_lookup_bench  # noqa: E402
from daily_bench import bench_daily  # noqa: E402
from task_lookup_bench import bench_lookup  # noqa: E402

from bot.config import Settings  # noqa: E402
from bot.domain.org import Role  # noqa: E402
from bot.domain.scores import DEFAULT_POINTS, ScoreCategory  # noqa: E402
from bot.edge import TELEGRAM, Account  # noqa: E402
from bot.emulators.telegram import EmulatorServer, Rules  # noqa: E402
from bot.services import reports  # noqa: E402
from bot.services.context import Office  # noqa: E402
from bot.services.daily import run_daily  # noqa: E402
from bot.storage import org  # noqa: E402
from bot.storage.postgres import PgConnection  # noqa: E402
from bot.views.exports import ledger  # noqa: E402
from tests import postgres_server  # noqa: E402


# --- a province on one database: PostgreSQL only, filled with COPY ------------------------------

TODAY = date(2026, 12, 1)
"""A Tuesday, a working day and the first of a month: the daily check and November's analyses."""
SECTIONS = 10
PEOPLE_PER_UNIT = 10
YEAR = task_lookup_bench.YEAR
PER_YEAR = 90_000
"""交办单 a year: a 序号 has at most five digits (``bot.domain.slip_numbers``), so a province's
million tasks are the 交办单 of twelve years, the latest (this year's) numbered 1, 2, … by id."""
FIRST_ADDRESS = 500_000_000
"""Telegram ids of the bound officials (nobody reads their chats: the bench measures the bot's work)."""


def shape(tasks: int) -> dict[str, int]:
    """A province scaled from its tasks: 3 units and 30 people per 1,000 tasks, 1 % due today."""
    units = max(1, tasks * 3 // 1000)
    return {"tasks": tasks, "units": units, "people": units * PEOPLE_PER_UNIT, "due": max(1, tasks // 100),
            "events": tasks * 6 // 10}


async def fill_staff(url: str) -> dict[str, Any]:
    """The office's own people through the repositories: SECTIONS 科室 each with its 分管市领导
    (bound), 政务监督室 with a member, a clerk and the principal."""
    office = await Office.open(Settings(database_url=url))
    now = datetime.combine(TODAY, clock(8), office.settings.timezone)
    try:
        async with office.db.transaction() as conn:
            leaders, sections = [], []
            for i in range(SECTIONS):
                leader = await org.add_person(conn, f"副市长{i:02d}", frozenset({Role.LEADER}), now)
                await org.bind_account(conn, leader.id, Account(TELEGRAM, str(FIRST_ADDRESS - 100 + i)), now)
                leaders.append(leader.id)
                sections.append((await org.add_section(conn, f"综合{i:02d}科", leader_id=leader.id)).id)
            supervision = await org.add_section(conn, "政务监督室", is_supervision_office=True, leader_id=leaders[0])
            clerk = await org.add_person(conn, "王科员", frozenset({Role.CLERK}), now, section_id=sections[0])
            await org.add_person(conn, "赵督查", frozenset({Role.SUPERVISOR}), now, section_id=supervision.id)
            principal = await org.add_person(conn, "周市长", frozenset({Role.PRINCIPAL}), now)
            for n, person_id in enumerate((clerk.id, principal.id)):
                await org.bind_account(conn, person_id, Account(TELEGRAM, str(FIRST_ADDRESS - 10 + n)), now)
    finally:
        await office.db.close()
    return {"leaders": leaders, "sections": sections, "clerk": clerk.id, "now": now.isoformat()}


def copy(cur: psycopg.Cursor[Any], table: str, columns: str, rows: Iterable[Sequence[Any]]) -> int:
    """``rows`` into ``table`` with COPY (one statement, the rows streamed): returns how many."""
    count = 0
    with cur.copy(f"COPY {table} ({columns}) FROM STDIN") as out:
        for row in rows:
            out.write_row(row)
            count += 1
    return count


def fill_province(url: str, size: dict[str, int], staff: dict[str, Any]) -> dict[str, int]:
    """Units, people and their accounts, tasks with their 交办单 and history, and the year's 加减分,
    with COPY; then the identities moved on and VACUUM ANALYZE, as autovacuum does soon after a
    load. Tasks: ``due`` of this year's are three days past their deadline (acknowledged, owing a
    工作催办单), spread over the units; the others were issued over the years and are 办结."""
    tasks, units, due = size["tasks"], size["units"], size["due"]
    every = min(tasks, PER_YEAR) // due  # the due tasks are this year's

    def number(i: int) -> tuple[int, int]:
        return YEAR - (i - 1) // PER_YEAR, (i - 1) % PER_YEAR + 1

    def issued_on(i: int) -> date:
        return date(number(i)[0], 1, 5) + timedelta(days=i % 320)

    clerk, now = staff["clerk"], staff["now"]
    rng = random.Random(127)
    counts: dict[str, int] = {}
    with psycopg.connect(url, autocommit=True) as conn, conn.cursor() as cur:
        first_person = int(cur.execute("SELECT max(id) + 1 FROM people").fetchone()[0])  # type: ignore[index]
        counts["units"] = copy(cur, "units", "id, name, kind, leader_id", (
            (u, f"单位{u:05d}", ("department", "town", "street")[u % 3], staff["leaders"][u % SECTIONS])
            for u in range(1, units + 1)))
        people = range(first_person, first_person + units * PEOPLE_PER_UNIT)

        def unit_of(person: int) -> int:
            return 1 + (person - first_person) // PEOPLE_PER_UNIT

        counts["people"] = copy(cur, "people", "id, name, phone, unit_id, created_at", (
            (p, f"责任人{p}", "0377-6228", unit_of(p), now) for p in people))
        copy(cur, "person_roles", "person_id, role", ((p, Role.RESPONSIBLE.value) for p in people))
        # the first of each unit's people is bound: the unit's 催办单 reach it
        heads = people[::PEOPLE_PER_UNIT]
        counts["accounts"] = copy(cur, "accounts", "person_id, channel, address, bound_at", (
            (p, TELEGRAM, str(FIRST_ADDRESS + i), now) for i, p in enumerate(heads)))

        def task_rows() -> Iterator[tuple[Any, ...]]:
            for i in range(1, tasks + 1):
                unit = 1 + i % units
                if i % every == 0 and i <= every * due:
                    issued, deadline, status, completed = TODAY - timedelta(days=10), TODAY - timedelta(days=3), "acknowledged", None
                else:
                    issued = issued_on(i)
                    deadline = issued + timedelta(days=7)
                    status, completed = "completed", (deadline - timedelta(days=1)).isoformat()
                yield (
                    i, i, f"第{i}项工作事项：老旧小区改造与道路维修", "按期完成并书面反馈办理结果情况" * 3,
                    "市政府常务会议纪要〔2026〕15号", "other", unit, staff["sections"][i % SECTIONS], clerk,
                    issued.isoformat(), 7, deadline.isoformat(), deadline.isoformat(), heads[unit - 1], "王科员",
                    "0377-6228", 0, status, "none", completed,
                )

        started = time.perf_counter()
        counts["tasks"] = copy(cur, "tasks", "id, matter_id, title, requirements, basis, source, unit_id, section_id, "
                               "issued_by, issued_on, period_days, original_deadline, deadline, responsible_id, "
                               "contact_name, contact_phone, special_ledger, status, stage, completed_on", task_rows())
        counts["slips"] = copy(cur, "slips", "id, task_id, type, year, seq, issued_on, issued_by, text", (
            (i, i, "assignment", *number(i), issued_on(i).isoformat(), clerk, "（交办单全文）") for i in range(1, tasks + 1)))

        def history_rows() -> Iterator[tuple[Any, ...]]:
            for i in range(1, tasks + 1):
                at = f"{issued_on(i).isoformat()}T09:00:00+08:00"
                yield i, clerk, "assignment_issued", at, '{"number": "交办单〔%d〕%d号"}' % number(i)
                yield i, None, "acknowledged", at, "{}"
                if i % every or i > every * due:
                    yield i, clerk, "completed", at, "{}"

        counts["history"] = copy(cur, "history", "task_id, actor_id, kind, at, details", history_rows())
        categories = [c for c in ScoreCategory if c not in (ScoreCategory.REMINDER_SLIP, ScoreCategory.SUPERVISION_NOTICE)]
        counts["score events"] = copy(cur, "score_events", "unit_id, category, points, occurred_on, note, recorded_by, recorded_at", (
            (1 + rng.randrange(units), (c := rng.choice(categories)).value, str(DEFAULT_POINTS[c]),
             (date(YEAR, 1, 1) + timedelta(days=rng.randrange(334))).isoformat(), "bench", clerk, now)
            for _ in range(size["events"])))
        counts["copy seconds"] = round(time.perf_counter() - started)
        for year in range(number(tasks)[0], YEAR + 1):
            last = number(tasks)[1] if year == number(tasks)[0] else PER_YEAR
            cur.execute("INSERT INTO slip_sequences (type, year, last) VALUES ('assignment', %s, %s)", (year, last))
        for table in ("units", "people", "tasks", "slips", "history", "score_events", "accounts"):
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}) + 1, false)")
        cur.execute("VACUUM ANALYZE")
        counts["database MB"] = int(cur.execute("SELECT pg_database_size(current_database())").fetchone()[0]) // 2**20  # type: ignore[index]
    return counts


LARGE = 1000
"""Rows from which a table counts as large, as in ``tests/storage/test_plans.py``."""


def _scans(plan: dict[str, Any], large: set[str]) -> list[str]:
    found = [plan["Relation Name"]] if plan.get("Node Type") == "Seq Scan" and plan.get("Relation Name") in large else []
    for child in plan.get("Plans", []):
        found += _scans(child, large)
    return found


class Recorded:
    """The SELECTs a step sends, each then planned with EXPLAIN on the filled database: the
    statements that read a large table whole (the plans test's check, at this size)."""

    def __init__(self) -> None:
        self.issued: dict[str, Any] = {}
        self._run = PgConnection._run

    def __enter__(self) -> Recorded:
        run, issued = self._run, self.issued

        async def recorded(conn: PgConnection, text: str, parameters: Any, many: bool = False) -> Any:
            if not many and text.lstrip().upper().startswith("SELECT"):
                issued.setdefault(text, parameters)
            return await run(conn, text, parameters, many)

        PgConnection._run = recorded  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc: object) -> None:
        PgConnection._run = self._run  # type: ignore[method-assign]

    def read_whole(self, url: str) -> dict[str, Any]:
        """How many statements were planned, and those with a sequential scan of a large table."""
        with psycopg.connect(url, autocommit=True) as conn:
            large = {r[0] for r in conn.execute("SELECT relname FROM pg_class WHERE relkind = 'r' AND reltuples > %s", [LARGE])}
            whole = {}
            for text, parameters in self.issued.items():
                values = json.loads(json.dumps(parameters, default=str))
                plan = conn.execute("EXPLAIN (FORMAT JSON) " + text, values).fetchone()[0]  # type: ignore[index]
                tables = _scans((json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"], large)
                if tables:
                    whole[" ".join(text.split())[:120]] = tables
        return {"statements planned": len(self.issued), "seq scans of large tables": whole}


async def step(name: str, url: str, size: dict[str, int], commands: int) -> dict[str, Any]:
    """One measurement on the filled database, in this process (a fresh one per step, so its peak
    memory is the step's own): its time and what it did."""
    if name == "lookup":
        async with EmulatorServer(rules=Rules(rate_limits=False)) as server:
            office = await task_lookup_bench.open_office(server, tempfile.mkdtemp(), url)
            try:
                started = time.perf_counter()
                with Recorded() as recorded:
                    task_rate, list_rate, _ = await task_lookup_bench.lookup_rates(
                        server, office, min(size["tasks"], PER_YEAR), commands)
                seconds = time.perf_counter() - started
                return {"seconds": seconds, "/task per s": task_rate, "lists per s": list_rate, **recorded.read_whole(url)}
            finally:
                await office.db.close()
    office = await Office.open(Settings(database_url=url, archive_dir=Path(tempfile.mkdtemp())))
    now = datetime.combine(TODAY, clock(9), office.settings.timezone)
    office.clock = lambda: now
    try:
        started = time.perf_counter()
        if name == "baseline":
            await org.units(office.db.reader)
            return {"seconds": time.perf_counter() - started}
        if name == "ledger":
            principal = (await org.with_role(office.db.reader, Role.PRINCIPAL))[0]
            data, lines = await ledger.ledger_workbook(office, principal, ledger.LedgerFilter(), TODAY)
            return {"seconds": time.perf_counter() - started, "lines": lines, "xlsx MB": round(len(data) / 2**20, 1)}
        if name == "monthly":
            sent = await reports.run_monthly(office, TODAY, now)
            assert sent
            return {"seconds": time.perf_counter() - started, "analyses": SECTIONS}
        if name == "daily":
            with Recorded() as recorded:
                outcome = await run_daily(office, TODAY)
            seconds = time.perf_counter() - started
            async with office.db.reader.execute("SELECT count(*) FROM slips WHERE type = 'reminder'") as cur:
                reminders = (await cur.fetchone())[0]
            assert reminders == size["due"], (reminders, outcome.steps)
            return {"seconds": seconds, "催办单": reminders, **recorded.read_whole(url)}
        raise ValueError(name)
    finally:
        await office.db.close()


STEPS = ("baseline", "lookup", "ledger", "monthly", "daily")
"""In this order: the daily check last, since it changes what it finds (1 % of the tasks get a 催办单)."""


def run_step(name: str, url: str, tasks: int, commands: int) -> dict[str, Any]:
    """``step`` in a child process; its figures and its peak RSS."""
    done = subprocess.run(
        [sys.executable, "-W", "ignore", __file__, "--step", name, "--database-url", url, "--tasks", str(tasks),
         "--commands", str(commands)], capture_output=True, text=True, check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"step {name} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def province(sizes: list[int], admin: str, commands: int, steps: Sequence[str] = STEPS) -> None:
    """Fill a province of each size with COPY and measure every step; print them side by side."""
    results: dict[int, dict[str, dict[str, Any]]] = {}
    for tasks in sizes:
        size = shape(tasks)
        url = postgres_server.fresh_database(admin, migrated=False)
        started = time.perf_counter()
        staff = asyncio.run(fill_staff(url))
        counts = fill_province(url, size, staff)
        print(f"{tasks:,} tasks: filled in {time.perf_counter() - started:.0f} s ({counts}), load average {load()}", flush=True)
        results[tasks] = {}
        for name in steps:
            results[tasks][name] = figures = run_step(name, url, tasks, commands)
            print(f"  {name:9} {json.dumps(figures, ensure_ascii=False)}  (load average {load()})", flush=True)
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE {url.rsplit('/', 1)[1]}")
    header = "".join(f"{f'{t:,} tasks':>26}" for t in sizes)
    print(f"\n{'':34}{header}")
    print(f"{'':34}" + "".join(f"{'time':>14}{'peak RSS':>12}" for _ in sizes))
    labels = {
        "baseline": "office opened (baseline)",
        "lookup": "bot: /task, then the lists",
        "ledger": "台账 .xlsx, every line",
        "monthly": f"monthly analyses ({SECTIONS} 科室)",
        "daily": "daily check (1 % due)",
    }
    for name in steps:
        row = "".join(f"{results[t][name]['seconds']:>12.1f} s{results[t][name]['peak MB']:>9.0f} MB" for t in sizes)
        print(f"{labels[name]:34}{row}")
    for t in sizes if set(steps) == set(STEPS) else ():
        s, r = shape(t), results[t]
        print(f"{t:,} tasks ({s['units']:,} units, {s['people']:,} people, {s['due']:,} due): /task {r['lookup']['/task per s']:.0f}/s, "
              f"lists {r['lookup']['lists per s']:.0f}/s; 台账 {r['ledger']['lines']:,} lines, {r['ledger']['xlsx MB']} MB; "
              f"daily check {1e3 * r['daily']['seconds'] / s['due']:.2f} ms per due task")


def load() -> str:
    return " ".join(f"{v:.1f}" for v in os.getloadavg())



def ratios(args: argparse.Namespace, admin: str) -> None:
    """The daily check, /task and the lists on SQLite, then PostgreSQL; PostgreSQL's ratios."""
    figures: dict[str, tuple[float, float, float]] = {}
    for name, url in (("SQLite", None), ("PostgreSQL", admin)):
        fresh = (lambda: postgres_server.fresh_database(admin, migrated=False)) if url else (lambda: None)
        filled, elapsed, did = asyncio.run(bench_daily(args.due, args.tasks, fresh()))
        print(
            f"{name:10} daily check: {args.due:,} overdue + {args.tasks:,} closed (filled in {filled:.0f} s): "
            f"{elapsed:.2f} s, {1e3 * elapsed / args.due:.2f} ms per due task; {did}  (load average {load()})"
        )
        filled, rate, pages, _ = asyncio.run(bench_lookup(args.tasks, args.commands, fresh()))
        print(
            f"{name:10} /task on {args.tasks:,} tasks (filled in {filled:.0f} s): {rate:,.0f} updates/s "
            f"({1e3 / rate:.2f} ms each); /tasks and /overdue {pages:,.0f} updates/s  (load average {load()})"
        )
        figures[name] = (elapsed, rate, pages)
    (daily_sqlite, task_sqlite, lists_sqlite), (daily_pg, task_pg, lists_pg) = figures["SQLite"], figures["PostgreSQL"]
    print(
        f"PostgreSQL against SQLite: daily check {daily_pg / daily_sqlite:.2f}× the time (goal ≤ 1.3×); "
        f"/task {task_pg / task_sqlite:.0%} of the rate, the lists {lists_pg / lists_sqlite:.0%} (goal ≥ 75 %)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=100_000, help="closed tasks beside the due ones; tasks for /task")
    parser.add_argument("--due", type=int, default=1000)
    parser.add_argument("--commands", type=int, default=300)
    parser.add_argument("--database-url", help="a PostgreSQL server's admin database; default: a throw-away one")
    parser.add_argument("--province", type=int, nargs="+", metavar="TASKS", help="PostgreSQL only, these sizes side by side")
    parser.add_argument("--steps", nargs="+", choices=STEPS, default=STEPS, help="with --province: only these")
    parser.add_argument("--step", choices=STEPS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step:
        figures = asyncio.run(step(args.step, args.database_url, shape(args.tasks), args.commands))
        figures["peak MB"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(figures, ensure_ascii=False))
        return
    print(f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs; load average {load()}")
    with ExitStack() as stack:
        admin = args.database_url or stack.enter_context(postgres_server.server())
        if args.province:
            province(args.province, admin, args.commands, args.steps)
        else:
            ratios(args, admin)


if __name__ == "__main__":
    main()
