"""Memory benchmark: peak RSS of the real bot process on a 100,000-task database (not a test).

The bench process runs the Bot API emulator and fills a SQLite file (``daily_bench``'s fill:
300 units with one bound official each, a clerk, 政务监督室; N tasks of which D are three days
overdue and the rest 办结 with their 交办单 and history). It then starts ``duban run`` as a
child process against the emulator (limits off, sender unpaced), which catches up on today's
daily check at start (D 催办单 and their messages) and sends them; then 政务监督室 sends a few
``/tasks``, ``/overdue`` and ``/task <编号>`` commands and waits for the answers; then SIGTERM.
The child's peak RSS is ``resource.getrusage(RUSAGE_CHILDREN).ru_maxrss`` after it exits.
The same run with no tasks at all gives the baseline.

Run: ``.venv/bin/python bench/memory_bench.py [--tasks 100000] [--due 1000]``
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import resource
import signal
import sqlite3
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from daily_bench import UNITS, fill_org, fill_tasks  # noqa: E402

from bot.config import Secret, Settings  # noqa: E402
from bot.emulators.telegram import EmulatorServer, Rules, Simulator  # noqa: E402
from bot.services.context import Office  # noqa: E402

COMMANDS = 6


def query(db: Path, sql: str) -> int:
    with sqlite3.connect(db, timeout=30) as conn:
        return int(conn.execute(sql).fetchone()[0])


async def until(predicate, timeout: float) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("the bot did not get there in time")
        await asyncio.sleep(0.1)


async def bench(tasks: int, due: int) -> dict[str, float]:
    """Fill, run the bot as a child, drive it, stop it; return its peak RSS and timings."""
    async with EmulatorServer(rules=Rules(rate_limits=False)) as server:
        simulator = Simulator(server)
        # Created in the order fill_org binds their ids: clerk, supervisor, then the officials.
        await simulator.create_user("王科员")
        supervisor = await simulator.create_user("赵督查")
        for i in range(UNITS):
            await simulator.create_user(f"责任人{i:03d}")
        with tempfile.TemporaryDirectory() as folder:
            db = Path(folder) / "duban.db"
            office = await Office.open(Settings(token=Secret(server.token), api_url=server.url, db_path=db))
            started = time.perf_counter()
            ids_of = await fill_org(office)
            today = office.now().date()
            if tasks:
                await fill_tasks(office, ids_of, due, tasks - due, day=today)
            filled = time.perf_counter() - started
            year = (today - timedelta(days=10)).year  # the overdue tasks' 交办单 were issued 10 days ago
            await office.db.close()

            config = Path(folder) / "duban.toml"
            # every_day: the bench runs on today's real date, which may be a rest day.
            config.write_text(
                "[telegram]\nmessages_per_second = 0\nchat_interval_seconds = 0\n"
                '[schedule]\ndaily_check_days = "every_day"\n',
                encoding="utf-8",
            )
            env = {
                **os.environ, "DUBAN_TELEGRAM_TOKEN": server.token, "DUBAN_TELEGRAM_BASE_URL": server.url,
                "DUBAN_DB": str(db), "DUBAN_CONFIG": str(config), "DUBAN_DAILY_TIME": "00:00",
            }
            before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
            started = time.perf_counter()
            bot = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot.cli", "run", env=env,
                stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
            )
            try:
                done = "SELECT count(*) FROM daily_runs WHERE finished_at IS NOT NULL"
                waiting = "SELECT count(*) FROM outbox WHERE status IN ('pending', 'sending')"
                await until(lambda: query(db, done) == 1 and query(db, waiting) == 0, timeout=110)
                daily = time.perf_counter() - started
                sent = query(db, "SELECT count(*) FROM outbox WHERE status = 'sent'")
                answered = len([m for m in supervisor.messages() if m.from_bot])
                closed = tasks - due
                commands = ["/tasks", "/overdue", "/tasks"] + [f"/task {year}-{closed + n}" for n in (1, due // 2, due)] if tasks else [
                    "/tasks", "/overdue", "/tasks", "/task 1", "/task 2", "/task 3"]
                for command in commands:
                    await supervisor.send(command)
                    await until(lambda: len([m for m in supervisor.messages() if m.from_bot]) > answered, timeout=30)
                    answered = len([m for m in supervisor.messages() if m.from_bot])
                last_answer = supervisor.messages()[-1].text or ""
            finally:
                bot.send_signal(signal.SIGTERM)
                _, err = await bot.communicate()
            if bot.returncode != 0:
                raise RuntimeError(err.decode()[-2000:])
            peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
            size = db.stat().st_size + sum(p.stat().st_size for p in db.parent.glob("duban.db-*"))
    if peak_kb <= before:
        raise RuntimeError("a previous child's peak hides this one's: run one measurement per process")
    return {"peak_mb": peak_kb / 1024, "filled": filled, "daily": daily, "sent": sent, "db_mb": size / 2**20,
            "answer": len(last_answer)}


def main() -> None:
    """Run the baseline (no tasks) and the full database, each in a fresh process; print both."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--due", type=int, default=1000)
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one is not None:
        figures = asyncio.run(bench(args.one, args.due if args.one else 0))
        print(" ".join(f"{k}={v}" for k, v in figures.items()))
        return
    print(f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs")
    # ru_maxrss of RUSAGE_CHILDREN is the largest child so far: each measurement in its own process.
    for tasks in (0, args.tasks):
        out = os.popen(f"{sys.executable} -W ignore {__file__} --one {tasks} --due {args.due}").read().strip()
        figures = dict(item.split("=", 1) for item in out.split()) if "=" in out else {}
        if not figures:
            print(f"{tasks:,} tasks: failed ({out[-500:]})")
            continue
        print(
            f"{tasks:,} tasks ({args.due if tasks else 0:,} overdue), database {float(figures['db_mb']):.0f} MB: "
            f"bot peak RSS {float(figures['peak_mb']):.0f} MB; start + daily check + {int(figures['sent']):,} messages sent "
            f"in {float(figures['daily']):.1f} s; {COMMANDS} commands answered (last {figures['answer']} chars)"
        )


if __name__ == "__main__":
    main()
