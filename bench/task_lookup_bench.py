"""/task lookup benchmark: the real 督办 bot on a 100,000-task SQLite file (not a test).

Measures handled updates per second for ``/task <编号>`` sent by a 政务监督室 member (who sees
every task, so each command resolves the number, checks ``can_see`` and renders the full task
with its slips and history), against the local Bot API emulator with flood control off. The
bot handles updates one after another (PTB's default), long-polling with ``poll_interval=0``;
N commands are sent, ``IN_FLIGHT`` unanswered at a time, and the clock stops when all N
answers have arrived. The same run measures the bare PTB echo bot of ``echo_bench.py`` as the
floor, its messages sent the same way (and, for comparison with ``echo_bench.py``, all at once).

The same bot then answers as many ``/tasks`` and ``/overdue`` (the first page of the whole
city's open tasks, and of the overdue ones).

Run: ``.venv/bin/python bench/task_lookup_bench.py [--tasks 100000] [--commands 500]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from echo_bench import bench_echo, wait_bot_messages  # noqa: E402

from bot.channels.telegram.app import build_application, start_bot, stop_bot  # noqa: E402
from bot.config import Secret, Settings  # noqa: E402
from bot.domain.org import Role, UnitKind  # noqa: E402
from bot.edge import TELEGRAM, Account  # noqa: E402
from bot.emulators.telegram import EmulatorServer, Rules, Simulator  # noqa: E402
from bot.services.context import Office  # noqa: E402
from bot.storage import org  # noqa: E402

UNITS = 300
"""A city's 乡镇, 街区 and 部门, with room to spare."""

YEAR = 2026
BATCH = 10_000


async def fill(office: Office, count: int) -> None:
    """``count`` tasks, each with its 交办单 and two history entries, inserted in bulk."""
    now = office.now()
    async with office.db.transaction() as conn:
        supervision = await org.add_section(conn, "政务监督室", is_supervision_office=True)
        section = await org.add_section(conn, "综合一科")
        units = [await org.add_unit(conn, f"单位{i:03d}", UnitKind.DEPARTMENT) for i in range(UNITS)]
        clerk = await org.add_person(conn, "王科员", frozenset({Role.CLERK}), now, section_id=section.id)
        await org.add_person(conn, "赵督查", frozenset({Role.SUPERVISOR}), now, section_id=supervision.id)
    rng = random.Random(127)
    start = date(YEAR, 1, 5)
    stamp = now.isoformat(timespec="seconds")
    for first in range(1, count + 1, BATCH):
        seqs = range(first, min(first + BATCH, count + 1))
        task_rows, slip_rows, history_rows = [], [], []
        for seq in seqs:
            issued = start + timedelta(days=seq % 300)
            deadline = issued + timedelta(days=7)
            unit = units[seq % UNITS]
            status = rng.choice(("issued", "acknowledged", "feedback_pending", "completed"))
            task_rows.append((
                seq, seq, f"第{seq}项工作事项：老旧小区改造与道路维修", "按期完成并书面反馈办理结果情况" * 3,
                "市政府常务会议纪要〔2026〕15号", "other", unit.id, section.id, clerk.id, issued.isoformat(), 7,
                deadline.isoformat(), deadline.isoformat(), "王科员", "0377-6228", 0, status, "none",
                None if status != "completed" else deadline.isoformat(),
            ))
            slip_rows.append((seq, seq, "assignment", YEAR, seq, issued.isoformat(), clerk.id, "（交办单全文）"))
            history_rows.append((seq, clerk.id, "assignment_issued", stamp, json.dumps({"number": f"交办单〔{YEAR}〕{seq}号"}, ensure_ascii=False)))
            history_rows.append((seq, clerk.id, "acknowledged", stamp, "{}"))
        async with office.db.transaction() as conn:
            await conn.executemany(
                """INSERT INTO tasks (id, matter_id, title, requirements, basis, source, unit_id, section_id,
                       issued_by, issued_on, period_days, original_deadline, deadline, contact_name,
                       contact_phone, special_ledger, status, stage, completed_on)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                task_rows,
            )
            await conn.executemany(
                """INSERT INTO slips (id, task_id, type, year, seq, issued_on, issued_by, text)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
                slip_rows,
            )
            await conn.executemany(
                "INSERT INTO history (task_id, actor_id, kind, at, details) VALUES (?, ?, ?, ?, ?)", history_rows
            )
    async with office.db.transaction() as conn:
        await conn.execute(
            "INSERT INTO slip_sequences (type, year, last) VALUES ('assignment', ?, ?)", (YEAR, count)
        )


async def open_office(server: EmulatorServer, folder: str, database_url: str | None = None) -> Office:
    """A fresh office with its database in ``folder`` (or on PostgreSQL at ``database_url``),
    talking to the emulator ``server``."""
    return await Office.open(Settings(
        token=Secret(server.token), api_url=server.url, db_path=Path(folder) / "duban.db", database_url=database_url,
        archive_dir=Path(folder) / "archive", bot_username="duban_demo_bot",
    ))


async def bench_lookup(tasks: int, commands: int, database_url: str | None = None) -> tuple[float, float, float, int]:
    """(seconds to fill, /task updates per second, /tasks + /overdue updates per second,
    longest /task answer in characters)."""
    async with EmulatorServer(rules=Rules(rate_limits=False)) as server:
        with tempfile.TemporaryDirectory() as folder:
            office = await open_office(server, folder, database_url)
            started = time.perf_counter()
            await fill(office, tasks)
            if database_url:
                async with office.db.transaction() as conn:
                    await conn.sync_identities()  # type: ignore[attr-defined]
                # planner statistics for the bulk-loaded tables, as autovacuum gathers them soon after
                await office.db.reader.execute("ANALYZE")
            filled = time.perf_counter() - started
            try:
                lookup_rate, page_rate, longest = await lookup_rates(server, office, tasks, commands)
            finally:
                await office.db.close()
    return filled, lookup_rate, page_rate, longest


async def lookup_rates(server: EmulatorServer, office: Office, tasks: int, commands: int) -> tuple[float, float, int]:
    """The real bot on ``office``'s database, tasks numbered ``YEAR``-1 … ``YEAR``-``tasks``, asked by
    its 政务监督室 member: (/task updates per second, /tasks + /overdue updates per second, longest
    /task answer in characters)."""
    user = await Simulator(server).create_user("赵督查")
    async with office.db.transaction() as conn:
        supervisor = (await org.with_role(conn, Role.SUPERVISOR))[0]
        await org.bind_account(conn, supervisor.id, Account(TELEGRAM, str(user.id)), office.now())
    app = build_application(office, per_second=0, per_chat_interval=0, schedule=False)
    await start_bot(app, poll_timeout=10)
    try:
        rng = random.Random(2018)
        warmup = 20
        for _ in range(warmup):
            await user.send(f"/task {YEAR}-{rng.randint(1, tasks)}")
        await wait_bot_messages(server, user.id, warmup)
        forms = ("{y}-{n}", "〔{y}〕{n}号", "交办{n}号", "J{y}-{n}")
        lookups = ["/task " + rng.choice(forms).format(y=YEAR, n=rng.randint(1, tasks)) for _ in range(commands)]
        lookup_rate = await answered_per_second(server, user, lookups, warmup)
        answers = user.messages()
        assert sum("工作事项" in m.text for m in answers if m.from_bot) == warmup + commands
        longest = max(len(m.text) for m in answers if m.from_bot)
        pages = [("/tasks", "/overdue")[i % 2] for i in range(commands)]
        page_rate = await answered_per_second(server, user, pages, warmup + commands)
    finally:
        await stop_bot(app)
    return lookup_rate, page_rate, longest


IN_FLIGHT = 5
"""Commands sent and not yet answered at any time. All at once, the bench measured polling
instead: while the first is handled, every ``getUpdates`` returns the (up to 100) updates
queued behind it again, and PTB reads each of them anew (``bot.updates``)."""


async def answered_per_second(server: EmulatorServer, user, commands: list[str], answered: int) -> float:  # type: ignore[no-untyped-def]
    """Send ``commands``, ``IN_FLIGHT`` unanswered at a time; answers per second until every one has come."""
    started = time.perf_counter()
    for i, command in enumerate(commands):
        if i >= IN_FLIGHT:
            await wait_bot_messages(server, user.id, answered + i - IN_FLIGHT + 1, timeout=600)
        await user.send(command)
    await wait_bot_messages(server, user.id, answered + len(commands), timeout=600)
    return len(commands) / (time.perf_counter() - started)


def main() -> None:
    """Fill, measure /task, measure the echo floor, print both."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--commands", type=int, default=500)
    parser.add_argument("--echo-updates", type=int, default=2000)
    args = parser.parse_args()
    print(f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs")
    filled, rate, pages, longest = asyncio.run(bench_lookup(args.tasks, args.commands))
    print(f"fill: {args.tasks:,} tasks (+ slips, 2 history entries each) in {filled:.1f} s")
    print(f"/task <编号> by 政务监督室: {rate:,.0f} updates/s ({args.commands} commands, {1e3 / rate:.2f} ms per update, longest answer {longest} chars)")
    print(f"/tasks and /overdue (first page, whole city): {pages:,.0f} updates/s ({1e3 / pages:.2f} ms per update)")
    echo = asyncio.run(bench_echo(args.echo_updates, in_flight=IN_FLIGHT))
    print(f"PTB echo bot (floor), {IN_FLIGHT} in flight as above: {echo:,.0f} updates/s ({args.echo_updates} updates, {1e3 / echo:.2f} ms per update)")
    print(f"/task costs {1e3 / rate - 1e3 / echo:.2f} ms per update above the echo floor ({rate / echo:.0%} of its rate)")
    flood = asyncio.run(bench_echo(args.echo_updates))
    print(f"PTB echo bot, all sent at once (echo_bench.py's figure): {flood:,.0f} updates/s")


if __name__ == "__main__":
    main()
