"""SQLite and PostgreSQL side by side, same machine, same run (not a test).

The daily check (``daily_bench.py``: N overdue tasks beside 100,000 closed ones) and ``/task``
lookups (``task_lookup_bench.py``: the real bot on 100,000 tasks) on a SQLite file, then on a
throw-away local PostgreSQL server (``tests/postgres_server.py``, fsync off like the tests';
``--database-url`` names a server of your own instead, its admin database).

Run: ``.venv/bin/python bench/postgres_bench.py [--tasks 100000] [--due 1000] [--commands 300]``
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import sys
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from daily_bench import bench_daily  # noqa: E402
from task_lookup_bench import bench_lookup  # noqa: E402

from tests import postgres_server  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=100_000, help="closed tasks beside the due ones; tasks for /task")
    parser.add_argument("--due", type=int, default=1000)
    parser.add_argument("--commands", type=int, default=300)
    parser.add_argument("--database-url", help="a PostgreSQL server's admin database; default: a throw-away one")
    args = parser.parse_args()
    print(f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs")
    with ExitStack() as stack:
        admin = args.database_url or stack.enter_context(postgres_server.server())
        figures: dict[str, tuple[float, float, float]] = {}
        for name, url in (("SQLite", None), ("PostgreSQL", admin)):
            fresh = (lambda: postgres_server.fresh_database(admin, migrated=False)) if url else (lambda: None)
            filled, elapsed, did = asyncio.run(bench_daily(args.due, args.tasks, fresh()))
            print(
                f"{name:10} daily check: {args.due:,} overdue + {args.tasks:,} closed (filled in {filled:.0f} s): "
                f"{elapsed:.2f} s, {1e3 * elapsed / args.due:.2f} ms per due task; {did}"
            )
            filled, rate, pages, _ = asyncio.run(bench_lookup(args.tasks, args.commands, fresh()))
            print(
                f"{name:10} /task on {args.tasks:,} tasks (filled in {filled:.0f} s): {rate:,.0f} updates/s "
                f"({1e3 / rate:.2f} ms each); /tasks and /overdue {pages:,.0f} updates/s"
            )
            figures[name] = (elapsed, rate, pages)
        (daily_sqlite, task_sqlite, lists_sqlite), (daily_pg, task_pg, lists_pg) = figures["SQLite"], figures["PostgreSQL"]
        print(
            f"PostgreSQL against SQLite: daily check {daily_pg / daily_sqlite:.2f}× the time (goal ≤ 1.3×); "
            f"/task {task_pg / task_sqlite:.0%} of the rate, the lists {lists_pg / lists_sqlite:.0%} (goal ≥ 75 %)"
        )


if __name__ == "__main__":
    main()
