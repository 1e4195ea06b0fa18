"""``duban run`` as an operator runs it, in a subprocess: SIGTERM drains (the message in flight
is finished and recorded, the rest wait in the outbox, the database closes cleanly, exit 0); a
missing or refused token stops start-up with one line; /healthz and ``duban status`` report;
``duban restore`` refuses to overwrite a running bot's database."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sqlite3
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from bot.config import Settings
from bot.domain.org import Role, UnitKind
from bot.domain.tasks import SourceType
from bot.emulators.telegram import EmulatorServer, Simulator
from bot.emulators.telegram.rules import Rules
from bot.health import HealthServer
from bot.edge import TELEGRAM, Account
from bot.services import onboarding
from bot.services.context import Office
from bot.services.issuing import AssignmentDraft, issue_assignment

UNITS = 20
SEND_DELAY = 0.2
"""Seconds the emulator takes over each sendMessage, so that SIGTERM finds one in flight."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def count(db: Path, sql: str) -> int:
    conn = sqlite3.connect(db, timeout=30)
    try:
        return int(conn.execute(sql).fetchone()[0])
    finally:
        conn.close()


def environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DUBAN_")}
    env.update(extra)
    return env


async def duban(*args: str, env: dict[str, str]) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", *args, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    return proc.returncode or 0, out.decode(), err.decode()


async def wait_until(predicate, timeout: float, step: float = 0.01) -> bool:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        if predicate():
            return True
        await asyncio.sleep(step)
    return predicate()


def healthz(port: int) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())
    except OSError:
        return 0, {}


class SlowSends:
    """Emulator middleware: every sendMessage takes SEND_DELAY; counts the ones in flight."""

    def __init__(self) -> None:
        self.in_flight = 0
        self.answered = 0

        @web.middleware
        async def middleware(request: web.Request, handler):  # type: ignore[no-untyped-def]
            if not request.path.lower().endswith("/sendmessage"):
                return await handler(request)
            self.in_flight += 1
            try:
                await asyncio.sleep(SEND_DELAY)
                response = await handler(request)
                self.answered += 1
                return response
            finally:
                self.in_flight -= 1

        self.middleware = middleware


@pytest.fixture
async def slow() -> SlowSends:
    return SlowSends()


@pytest.fixture
async def emulator(slow: SlowSends) -> AsyncIterator[EmulatorServer]:
    server = EmulatorServer(rules=Rules(rate_limits=False))
    server.app.middlewares.append(slow.middleware)
    async with server:
        yield server


async def seed(settings: Settings, simulator: Simulator) -> dict[int, object]:
    """UNITS units, each with a bound official, and one 交办单 to all of them: UNITS messages queued."""
    office = await Office.open(settings)
    now = office.now()
    await onboarding.add_section(office, "综合一科", False, None, now)
    users = {}
    for i in range(UNITS):
        await onboarding.add_unit(office, f"单位{i:02d}", UnitKind.DEPARTMENT, None, now)
        person = await onboarding.add_person(office, f"责任人{i:02d}", frozenset({Role.RESPONSIBLE}), now, unit_name=f"单位{i:02d}")
        user = await simulator.create_user(person.name)
        invite = await onboarding.create_invite(office, person.id, now)
        await onboarding.redeem_invite(office, invite.code, Account(TELEGRAM, str(user.id)), now)
        users[user.id] = user
    clerk = await onboarding.add_person(office, "王科员", frozenset({Role.CLERK}), now, section_name="综合一科")
    invite = await onboarding.create_invite(office, clerk.id, now)
    clerk = await onboarding.redeem_invite(office, invite.code, Account(TELEGRAM, str((await simulator.create_user("王科员")).id)), now)
    unit_ids = tuple(range(1, UNITS + 1))
    await issue_assignment(office, AssignmentDraft("防汛物资清点", "清点并上报", "市政府安排", SourceType.OTHER, unit_ids, 7), clerk, now)
    await office.db.close()
    return users


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    config = tmp_path / "duban.toml"
    config.write_text("[telegram]\nmessages_per_second = 0\nchat_interval_seconds = 0\n", encoding="utf-8")
    return {"db": tmp_path / "data" / "duban.db", "config": config, "archive": tmp_path / "data" / "archive"}


def bot_env(server: EmulatorServer, files: dict[str, Path], health_port: int, token: str | None = None) -> dict[str, str]:
    return environment(
        DUBAN_TELEGRAM_TOKEN=token or server.token, DUBAN_TELEGRAM_BASE_URL=server.url, DUBAN_DB=str(files["db"]),
        DUBAN_ARCHIVE=str(files["archive"]), DUBAN_CONFIG=str(files["config"]), DUBAN_HEALTH_PORT=str(health_port),
        DUBAN_DAILY_TIME="23:59",
    )


async def start(env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "run", env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
    )


SENT = "SELECT count(*) FROM outbox WHERE status = 'sent'"
SENDING = "SELECT count(*) FROM outbox WHERE status = 'sending'"
PENDING = "SELECT count(*) FROM outbox WHERE status IN ('pending', 'sending')"
TOTAL = "SELECT count(*) FROM outbox"


async def test_sigterm_while_sending_finishes_the_messages_in_flight_and_loses_nothing(
    emulator: EmulatorServer, simulator: Simulator, slow: SlowSends, files: dict[str, Path]
):
    settings = Settings(db_path=files["db"], archive_dir=files["archive"])
    users = await seed(settings, simulator)
    db = files["db"]
    env = bot_env(emulator, files, free_port())

    bot = await start(env)
    caught_in_flight = await wait_until(lambda: count(db, SENT) >= 5 and slow.in_flight >= 1, timeout=30, step=0.002)
    answered_at_signal, in_flight_at_signal = slow.answered, slow.in_flight
    bot.send_signal(signal.SIGTERM)
    _, err = await asyncio.wait_for(bot.communicate(), 30)
    assert caught_in_flight, err.decode()[-2000:]
    assert bot.returncode == 0, err.decode()[-2000:]
    assert "Traceback" not in err.decode()

    # The messages in flight (several: the sender keeps some out at once) were answered and
    # recorded as sent; nothing was left half-sent.
    sent = count(db, SENT)
    assert slow.answered >= answered_at_signal + in_flight_at_signal and slow.answered == sent and slow.in_flight == 0
    assert count(db, SENDING) == 0
    assert 0 < sent < count(db, TOTAL) and count(db, PENDING) == count(db, TOTAL) - sent
    # The database was closed cleanly: its write-ahead log checkpointed and removed.
    wal = db.with_name(db.name + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0

    bot = await start(env)
    done = await wait_until(lambda: count(db, PENDING) == 0, timeout=60, step=0.1)
    bot.send_signal(signal.SIGTERM)
    _, err = await asyncio.wait_for(bot.communicate(), 30)
    assert done and bot.returncode == 0, err.decode()[-2000:]
    for user in users.values():
        slips = Counter(m.text for m in user.messages() if "工作交办单》" in m.text)  # type: ignore[attr-defined]
        assert list(slips.values()) == [1], "each official got the 交办单 once"


async def test_health_status_and_restore_while_the_bot_runs(emulator: EmulatorServer, simulator: Simulator, files: dict[str, Path], tmp_path: Path):
    settings = Settings(db_path=files["db"], archive_dir=files["archive"])
    await seed(settings, simulator)
    port = free_port()
    env = bot_env(emulator, files, port)
    bot = await start(env)
    try:
        assert await wait_until(lambda: healthz(port)[0] == 200, timeout=30, step=0.1)
        status, body = healthz(port)
        assert body["database"] == "ok" and body["last_daily_run"] is None
        assert isinstance(body["outbox_backlog"], int) and body["uptime_seconds"] >= 0

        rc, out, _ = await duban("status", env=env)
        assert rc == 0
        assert "机器人：运行中" in out and "数据库" in out and "待发送消息" in out and "最近一次每日检查：尚未执行" in out

        rc, out, err = await duban("backup", str(tmp_path / "b1"), env=env)
        assert rc == 0 and "备份完成" in out, err
        rc, _, err = await duban("restore", str(tmp_path / "b1"), env=env)
        assert rc == 1 and "机器人正在运行" in err and "Traceback" not in err

        # A second bot on the same database would poll against the first: it refuses to start.
        rc, _, err = await duban("run", env={**env, "DUBAN_HEALTH_PORT": "0"})
        assert rc == 1 and err.strip().splitlines()[-1].startswith("另一个机器人进程正在使用数据库")
    finally:
        bot.send_signal(signal.SIGTERM)
        await asyncio.wait_for(bot.communicate(), 30)
    assert bot.returncode == 0
    rc, out, _ = await duban("status", env=env)
    assert rc == 0 and "机器人：未运行" in out
    rc, out, err = await duban("restore", str(tmp_path / "b1"), env=env)
    assert rc == 0 and "已从" in out, err


async def test_health_answers_503_when_the_database_is_gone(tmp_path: Path):
    office = await Office.open(Settings(db_path=tmp_path / "duban.db"))
    health = HealthServer(lambda: office.db.reader, "127.0.0.1", 0)
    await health.start()
    try:
        status, body = await asyncio.to_thread(healthz, health.port)
        assert status == 200 and body["database"] == "ok"
        await office.db.close()
        status, body = await asyncio.to_thread(healthz, health.port)
        assert status == 503 and body["database"] == "unreachable" and body["status"] == "unhealthy"
    finally:
        await health.stop()


async def test_a_missing_token_stops_start_up_with_one_line(tmp_path: Path):
    rc, out, err = await duban("run", env=environment(DUBAN_DB=str(tmp_path / "duban.db")))
    assert rc == 2
    assert err.strip().splitlines() == ["缺少机器人令牌：请设置环境变量 DUBAN_TELEGRAM_TOKEN（或配置 telegram.token）"]


async def test_a_refused_token_stops_start_up_with_one_line(emulator: EmulatorServer, files: dict[str, Path]):
    # The emulator, like Telegram, answers 401 Unauthorized to a token it does not accept.
    env = bot_env(emulator, files, free_port(), token="123:not-a-real-token")
    rc, _, err = await duban("init-db", env=env)
    assert rc == 0, err
    started = time.monotonic()
    rc, _, err = await duban("run", env=env)
    assert rc == 1
    assert err.strip().splitlines() == ["Telegram 拒绝了机器人令牌（token），请检查 DUBAN_TELEGRAM_TOKEN"]
    assert time.monotonic() - started < 20
