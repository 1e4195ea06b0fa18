"""Two ``duban run --webhook`` processes on one PostgreSQL database behind a small round-robin
forwarder: both catch up on today's daily check at start (one runs it, the other waits), the one
running it is SIGKILLed half-way, and the other finishes it. Every 催办单 is issued once, every
point booked once, every official gets their slip (at most the messages the dead instance had
in flight come twice), and updates spread over both instances, a 反馈 dialog included, apply
once. ``DUBAN_INSTANCE_TRIALS`` trials (1 by default; 20 to check a change to this part)."""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import socket
import sys
from collections import Counter
from pathlib import Path

import aiohttp
import psycopg
import pytest
from aiohttp import web

from bot.config import Secret, Settings
from bot.emulators.telegram import EmulatorServer, Simulator
from bot.emulators.telegram.rules import Rules
from bot.channels.telegram.sender import MAX_IN_FLIGHT
from bot.services.context import Office
from tests import postgres_server

from .test_crash import UNITS, seed, wait_until

pytestmark = pytest.mark.skipif(
    postgres_server.BACKEND != "postgresql", reason="several instances share a PostgreSQL database (make test-pg)"
)

TRIALS = int(os.environ.get("DUBAN_INSTANCE_TRIALS", "1"))
SECRET = "instances-test-secret"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Forwarder:
    """Round-robin over the instances' webhook ports; an instance that does not answer is
    skipped for that update (as Caddy's lb_retries does)."""

    def __init__(self, ports: list[int]) -> None:
        self.ports = ports
        self.turn = itertools.cycle(range(len(ports)))
        self.served: Counter[int] = Counter()
        self.port = free_port()

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        headers = {k: v for k, v in request.headers.items() if k.lower() in ("content-type", "x-telegram-bot-api-secret-token")}
        first = next(self.turn)
        async with aiohttp.ClientSession() as session:
            for k in range(len(self.ports)):
                port = self.ports[(first + k) % len(self.ports)]
                try:
                    async with session.post(f"http://127.0.0.1:{port}{request.path}", data=body, headers=headers) as answer:
                        self.served[port] += 1
                        return web.Response(status=answer.status, body=await answer.read())
                except aiohttp.ClientError:
                    continue
        return web.Response(status=502)

    async def __aenter__(self) -> Forwarder:
        app = web.Application()
        app.router.add_post("/{tail:.*}", self.handle)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.runner.cleanup()


def listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def query(url: str, sql: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(sql).fetchall()


def count(url: str, sql: str) -> int:
    return int(query(url, sql)[0][0])


async def start(server: EmulatorServer, url: str, config: Path, port: int, forwarder: Forwarder) -> asyncio.subprocess.Process:
    env = {
        **os.environ, "DUBAN_TELEGRAM_TOKEN": server.token, "DUBAN_TELEGRAM_BASE_URL": server.url,
        "DUBAN_DATABASE_URL": url, "DUBAN_CONFIG": str(config), "DUBAN_DAILY_TIME": "00:00", "DUBAN_HEALTH_PORT": "0",
        "DUBAN_WEBHOOK_URL": f"http://127.0.0.1:{forwarder.port}/telegram", "DUBAN_WEBHOOK_LISTEN": "127.0.0.1",
        "DUBAN_WEBHOOK_PORT": str(port), "DUBAN_WEBHOOK_SECRET": SECRET,
    }
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "run", "--webhook", env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )


def daily_check_holder(url: str) -> int | None:
    """The pid of the instance holding the daily check's job lock (``Database.job_lock``)."""
    rows = query(url, """SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
                         WHERE l.locktype = 'advisory' AND l.granted
                           AND l.objid::bigint = (hashtext('daily-check')::bigint & 4294967295)""")
    return int(rows[0][0].split("/")[1]) if rows else None


async def trial(tmp: Path, postgres: str) -> None:
    url = postgres_server.fresh_database(postgres)
    config = tmp / "duban.toml"
    config.write_text(
        '[telegram]\nmessages_per_second = 0\nchat_interval_seconds = 0\nclaim_lease_seconds = 3\n'
        '[schedule]\ndaily_check_days = "every_day"\n',
        encoding="utf-8",
    )
    ports = [free_port(), free_port()]
    processes: list[asyncio.subprocess.Process] = []
    async with EmulatorServer(rules=Rules(rate_limits=False)) as server, Forwarder(ports) as forwarder:
        simulator = Simulator(server)
        office = await Office.open(Settings(token=Secret(server.token), api_url=server.url, database_url=url))
        users = await seed(office, simulator)
        await office.db.close()
        try:
            processes = [await start(server, url, config, port, forwarder) for port in ports]
            reminders = "SELECT count(*) FROM slips WHERE type = 'reminder'"
            assert await wait_until(lambda: 0 < count(url, reminders) < UNITS and daily_check_holder(url), 60, 0.02)
            holder = daily_check_holder(url)
            [victim] = [p for p in processes if p.pid == holder]
            victim.send_signal(signal.SIGKILL)
            await victim.wait()
            at_kill = count(url, reminders)
            assert 0 < at_kill < UNITS, f"the kill came outside the daily run ({at_kill} slips)"
            # The dead instance comes back (an orchestrator restarts it) while the other works on.
            processes.append(await start(server, url, config, ports[processes.index(victim)], forwarder))
            assert await wait_until(lambda: listening(ports[processes.index(victim)]), 60, 0.1), "the restarted instance serves"

            # Updates spread over both: each official asks for their tasks; the clerk's 反馈-like
            # dialog is the official's 反馈 button, then text, then /done, by turns on each instance.
            askers = [u for k, u in users.items() if k != "clerk"][:6]
            for user in askers:
                await user.send("/tasks")
            official = askers[0]
            def reminder():  # type: ignore[no-untyped-def]
                return next((m for m in official.messages() if m.from_bot and "工作催办单》" in m.text), None)

            assert await wait_until(lambda: reminder() is not None, 60, 0.05)
            slip = reminder()
            await official.press("反馈", message=slip)
            await official.wait_for(text_contains="请发送办理结果情况", timeout=20)
            await official.send("已全面自查，报告见附件。")
            await official.wait_for(text_contains="已记下", timeout=20)
            await official.send("/done")
            await official.wait_for(text_contains="已提交", timeout=20)

            finished = "SELECT count(*) FROM daily_runs WHERE finished_at IS NOT NULL"
            pending = "SELECT count(*) FROM outbox WHERE status != 'sent'"
            done = await wait_until(lambda: count(url, finished) == 1 and count(url, pending) == 0, 90, 0.1)
            assert done, (count(url, finished), count(url, pending))
        finally:
            for p in processes:
                if p.returncode is None:
                    p.send_signal(signal.SIGTERM)
            errors = [(await p.communicate())[1].decode()[-2000:] for p in processes if p is not None]
        assert all(p.returncode in (0, -signal.SIGKILL) for p in processes), errors
        assert min(forwarder.served.values()) > 0 and len(forwarder.served) == 2, "both instances took updates"

        seqs = sorted(r[0] for r in query(url, "SELECT seq FROM slips WHERE type = 'reminder'"))
        assert seqs == list(range(1, UNITS + 1)), "every 催办单 once, numbers without gap"
        assert query(url, "SELECT count(*), count(DISTINCT slip_id) FROM score_events WHERE category = 'reminder_slip'")[0] == (UNITS, UNITS)
        assert count(url, "SELECT count(*) FROM feedback") == 1, "the 反馈 recorded once"
        duplicates = 0
        for key, user in users.items():
            texts = Counter(m.text for m in user.messages() if m.from_bot)
            if key != "clerk":
                assert sum(n for t, n in texts.items() if "工作催办单》" in t) >= 1
            duplicates += sum(n - 1 for t, n in texts.items() if "工作催办单》" in t or "工作交办单》" in t)
        for user in askers:
            assert sum("年度安全生产检查" in m.text for m in user.messages() if m.from_bot and not m.inline_keyboard) >= 1
        assert duplicates <= MAX_IN_FLIGHT, "at most what the dead instance had in flight came twice"


async def test_two_instances_one_killed_during_the_daily_check_lose_nothing_and_double_nothing(tmp_path: Path, postgres: str):
    for n in range(TRIALS):
        (tmp_path / f"t{n}").mkdir()
        await trial(tmp_path / f"t{n}", postgres)
