"""Doubled messages after a crash: the bot process is killed (SIGKILL) while its sender pushes
hundreds of messages and another writer holds the database's write lock in bursts (as the
daily check does), again and again; after the last restart every message has arrived, and the
test counts how many arrived twice per kill.

A message is recorded sent as soon as Telegram's answer arrives (``bot.storage.sent_log``),
not when the write lock comes free, so only a message truly on the wire at the kill may come
twice. ``DUBAN_SENDER_KILLS`` kills (3 by default; 25 or more for the figure in
bench/README.md)."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sqlite3
import threading
import time
from collections import Counter
from pathlib import Path

from bot.config import Secret, Settings
from bot.edge import TELEGRAM, Account, Notice
from bot.emulators.telegram import EmulatorServer, Simulator
from bot.emulators.telegram.rules import Rules
from bot.services.context import Office
from bot.storage import outbox
from tests.e2e.test_crash import Bots, count, wait_until

KILLS = int(os.environ.get("DUBAN_SENDER_KILLS", "3"))
CHATS = 60
PER_KILL = 600
"""Messages waiting at each start (topped up to it): ten to each chat, pushed in seconds."""


class LockHolder:
    """Another writer (a daily check, ``duban`` on the command line): takes SQLite's write lock
    for 50–400 ms at a time, in a thread of the test's own."""

    def __init__(self, db: Path, seed: int) -> None:
        self.db = db
        self.rng = random.Random(seed)
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> LockHolder:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        self.thread.join()

    def _run(self) -> None:
        conn = sqlite3.connect(self.db, timeout=30, isolation_level=None)
        try:
            while not self.stopping.is_set():
                conn.execute("BEGIN IMMEDIATE")
                time.sleep(self.rng.uniform(0.05, 0.4))
                conn.execute("COMMIT")
                time.sleep(self.rng.uniform(0.01, 0.1))
        finally:
            conn.close()


async def queue(db: Path, settings: Settings, chats: list[int], kill: int) -> int:
    """Top the outbox up to ``PER_KILL`` unsent messages; how many were added."""
    office = await Office.open(settings)
    added = PER_KILL - count(db, "SELECT count(*) FROM outbox WHERE status != 'sent'")
    try:
        async with office.db.transaction() as conn:
            for i in range(added):
                chat = chats[i % len(chats)]
                await outbox.enqueue(conn, Account(TELEGRAM, str(chat)), Notice(f"第{kill}轮第{i}条通知", purpose="notice"), office.now())
    finally:
        await office.db.close()
    return added


def arrived(users: dict[int, object]) -> int:
    return sum(len(u.messages()) for u in users.values())  # type: ignore[attr-defined]


async def test_a_kill_during_a_busy_push_doubles_only_what_is_on_the_wire(tmp_path: Path):
    db = tmp_path / "duban.db"
    config = tmp_path / "duban.toml"
    config.write_text("[telegram]\nmessages_per_second = 0\nchat_interval_seconds = 0\n[schedule]\ndaily_time = \"23:59\"\n", encoding="utf-8")
    rng = random.Random(21)
    bots = Bots()
    try:
        async with EmulatorServer(rules=Rules(rate_limits=False)) as server:
            settings = Settings(token=Secret(server.token), api_url=server.url, db_path=db)
            simulator = Simulator(server)
            users = {u.id: u for u in [await simulator.create_user(f"责任人{i}") for i in range(CHATS)]}
            in_sending = []
            queued = 0
            for kill in range(KILLS):
                queued += await queue(db, settings, list(users), kill)
                before = arrived(users)
                bot = await bots.start(server, db, config)
                pushing = await wait_until(lambda: arrived(users) - before >= 50, timeout=60, step=0.002)
                assert pushing, "the sender did not start pushing"
                with LockHolder(db, kill):
                    await asyncio.sleep(rng.uniform(0.1, 0.8))
                    bot.send_signal(signal.SIGKILL)
                    await bot.wait()
                in_sending.append(count(db, "SELECT count(*) FROM outbox WHERE status = 'sending'"))
                assert count(db, "SELECT count(*) FROM outbox WHERE status != 'sent'") > 0, "killed after the push"

            bot = await bots.start(server, db, config)
            pending = "SELECT count(*) FROM outbox WHERE status != 'sent'"
            done = await wait_until(lambda: count(db, pending) == 0, timeout=180, step=0.1)
            bot.send_signal(signal.SIGTERM)
            _, err = await bot.communicate()
            assert done, err.decode()[-3000:]
            assert bot.returncode == 0, err.decode()[-2000:]
    finally:
        await bots.close()

    texts = Counter(m.text for u in users.values() for m in u.messages())
    assert len(texts) == queued, "every message arrived"
    doubled = sum(n - 1 for n in texts.values())
    print(f"{KILLS} kills: {doubled} doubled messages ({doubled / KILLS:.2f} a kill); rows left sending at each kill: {in_sending}")
    assert doubled <= 2 * KILLS
