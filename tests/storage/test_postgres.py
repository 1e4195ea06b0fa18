"""PostgreSQL as the database of several bot instances: slip numbers without gap when several
processes issue at once, a periodic job run once across instances and taken up by another
when the one running it dies, backup and restore through pg_dump, and the dialect's rules.

These run on a throw-away server (``tests/postgres_server.py``) whatever the suite's backend,
and skip, saying why, where PostgreSQL is not installed."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.backup import restore_backup, take_backup
from bot.config import Secret, Settings
from bot.edge import TELEGRAM, Account, Notice
from bot.emulators.telegram import EmulatorServer, Simulator
from bot.channels.telegram.pacing import ChatPacer
from bot.channels.telegram.sender import Sender, paced_bot
from bot.storage import outbox
from bot.domain.org import UnitKind
from bot.domain.tasks import SourceType
from bot.services import onboarding
from bot.services.context import Office
from bot.services.daily import run_daily
from bot.services.issuing import AssignmentDraft, issue_assignment
from bot.storage.postgres import translate
from tests import postgres_server

from .conftest import NOW, Org

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def url(postgres: str) -> str:
    return postgres_server.fresh_database(postgres)


@pytest.fixture
async def office(url: str, tmp_path: Path) -> AsyncIterator[Office]:
    """The office on a fresh PostgreSQL database (this module's ``org`` is built on it)."""
    office = await Office.open(Settings(database_url=url, archive_dir=tmp_path / "archive"))
    try:
        yield office
    finally:
        await office.db.close()


def draft(org: Org, i: int) -> AssignmentDraft:
    return AssignmentDraft(
        title=f"第{i}项工作事项", requirements="按要求办理", basis="市政府常务会议纪要",
        source=SourceType.OTHER, unit_ids=(org.town.id,), period_days=7,
    )


ISSUER = """
import asyncio, sys
from datetime import datetime
from zoneinfo import ZoneInfo
from bot.config import Secret, Settings
from bot.emulators.telegram import EmulatorServer, Simulator
from bot.channels.telegram.pacing import ChatPacer
from bot.channels.telegram.sender import Sender, paced_bot
from bot.storage import outbox
from bot.domain.tasks import SourceType
from bot.services.context import Office
from bot.services.issuing import AssignmentDraft, issue_assignment
from bot.storage import org

async def main(url, clerk_id, unit_id, first, count):
    office = await Office.open(Settings(database_url=url))
    clerk = await org.person(office.db.reader, clerk_id)
    now = datetime(2026, 11, 24, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
    async def one(i):
        draft = AssignmentDraft(f"第{i}项工作事项", "按要求办理", "市政府常务会议纪要", SourceType.OTHER, (unit_id,), 7)
        (issued,) = await issue_assignment(office, draft, clerk, now)
        return issued.task.number.seq
    numbers = await asyncio.gather(*(one(i) for i in range(first, first + count)))
    print(" ".join(map(str, numbers)))
    await office.db.close()

asyncio.run(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])))
"""


async def test_three_processes_issuing_at_once_get_1_to_n(office: Office, org: Org, url: str) -> None:
    """Three bot instances sign 交办单 at the same moment: 〔2026〕1号 … 〔2026〕N号, none twice,
    none missing (the write lock is PostgreSQL's, shared by every process)."""
    per_process, processes = 40, 3
    children = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-c", ISSUER, url, str(org.clerk.id), str(org.town.id), str(k * per_process), str(per_process),
            stdout=asyncio.subprocess.PIPE, cwd=ROOT,
        )
        for k in range(processes)
    ]
    outputs = [await child.communicate() for child in children]
    assert all(child.returncode == 0 for child in children)
    returned = sorted(int(n) for out, _ in outputs for n in out.split())
    n = per_process * processes
    assert returned == list(range(1, n + 1))
    async with office.db.reader.execute("SELECT seq FROM slips WHERE type = 'assignment' ORDER BY seq") as cur:
        assert [r[0] async for r in cur] == list(range(1, n + 1))
    async with office.db.reader.execute("SELECT last FROM slip_sequences WHERE type = 'assignment' AND year = 2026") as cur:
        assert (await cur.fetchone())[0] == n


async def test_the_daily_check_run_by_two_instances_at_once_issues_each_催办单_once(office: Office, org: Org, url: str) -> None:
    for i in range(5):
        await issue_assignment(office, draft(org, i), org.clerk, NOW)
    other = await Office.open(Settings(database_url=url))
    day = NOW.date() + timedelta(days=10)  # a Friday, three days past every deadline

    async def instance(o: Office):  # what scheduling.daily_job does on each instance
        async with o.db.job_lock("daily-check"):
            return await run_daily(o, day)

    try:
        outcomes = await asyncio.gather(instance(office), instance(other))
    finally:
        await other.db.close()
    assert sorted(o.already_done for o in outcomes) == [False, True]
    async with office.db.reader.execute("SELECT count(*) FROM slips WHERE type = 'reminder'") as cur:
        assert (await cur.fetchone())[0] == 5
    async with office.db.reader.execute("SELECT count(*) FROM history WHERE kind = 'reminder_issued'") as cur:
        assert (await cur.fetchone())[0] == 5


HOLDER = """
import asyncio, sys
from bot.storage.db import Database

async def main(url):
    db = await Database(url).open()
    async with db.job_lock("daily-check"):
        print("held", flush=True)
        await asyncio.sleep(3600)

asyncio.run(main(sys.argv[1]))
"""


async def test_a_job_lock_held_by_an_instance_that_dies_passes_to_the_next(office: Office, url: str) -> None:
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, url], stdout=subprocess.PIPE, cwd=ROOT)
    try:
        assert holder.stdout is not None
        assert (await asyncio.to_thread(holder.stdout.readline)).strip() == b"held"

        async def take() -> None:
            async with office.db.job_lock("daily-check"):
                pass

        waiting = asyncio.ensure_future(take())
        await asyncio.sleep(0.5)
        assert not waiting.done(), "the job ran while another instance was running it"
        os.kill(holder.pid, signal.SIGKILL)
        await asyncio.wait_for(waiting, timeout=10)
    finally:
        holder.kill()
        holder.wait()


async def test_backup_and_restore_with_pg_dump(office: Office, org: Org, url: str, tmp_path: Path) -> None:
    settings = Settings(database_url=url, archive_dir=tmp_path / "archive")
    report = await asyncio.to_thread(take_backup, settings, tmp_path / "backups" / "b1")
    assert report.database_name == "duban.dump" and report.database_bytes > 0
    await onboarding.add_unit(office, "城区办", UnitKind.STREET, None, NOW)
    await office.db.close()
    _, kept = await asyncio.to_thread(restore_backup, settings, tmp_path / "backups" / "b1", NOW)
    assert kept is not None and kept.is_file()
    office.db = await type(office.db)(url).open()
    async with office.db.reader.execute("SELECT name FROM units ORDER BY id") as cur:
        assert [r[0] async for r in cur] == ["穰东镇人民政府", "古城街道办事处"]
    await issue_assignment(office, draft(org, 1), org.clerk, NOW)  # identities carry on after the restore


def test_the_dialect_rules() -> None:
    assert translate("SELECT * FROM t WHERE a = ? AND b LIKE '%?%'") == "SELECT * FROM t WHERE a = %s AND b LIKE '%%?%%'"
    assert translate("INSERT OR IGNORE INTO inbox (update_id, handled_at) VALUES (?, ?)") == (
        "INSERT INTO inbox (update_id, handled_at) VALUES (%s, %s) ON CONFLICT DO NOTHING"
    )
    assert translate("INSERT OR REPLACE INTO daily_runs (run_date, started_at) VALUES (?, ?)") == (
        "INSERT INTO daily_runs (run_date, started_at) VALUES (%s, %s)"
        " ON CONFLICT ON CONSTRAINT daily_runs_pkey DO UPDATE SET run_date = EXCLUDED.run_date, started_at = EXCLUDED.started_at"
    )
    assert translate("INSERT INTO tasks (title) VALUES (?)", frozenset({"tasks"})).endswith(" RETURNING id")
    assert translate("SELECT GROUP_CONCAT(role) FROM person_roles") == "SELECT string_agg((role)::text, ',') FROM person_roles"
    assert translate("SELECT json_extract(h.details, '$.until') FROM history h INDEXED BY history_at") == (
        "SELECT ((h.details)::json ->> 'until') FROM history h"
    )
    assert "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY" in translate("CREATE TABLE x (id INTEGER PRIMARY KEY, n INTEGER)")


async def test_two_senders_on_one_outbox_send_each_row_once_in_order_at_1_a_second_per_chat(
    url: str, emulator: EmulatorServer, simulator: Simulator
) -> None:
    """Two bot instances' senders drain one outbox: every message arrives once, each chat's
    in order, and Telegram (the emulator, flood control on) never has to refuse one."""
    settings = Settings(token=Secret(emulator.token), api_url=emulator.url, database_url=url)
    offices = [await Office.open(settings), await Office.open(settings)]
    users = [await simulator.create_user(f"用户{i}") for i in range(4)]
    expected = {u.id: [f"{u.id}号第{k}条" for k in range(1, 5)] for u in users}
    async with offices[0].db.transaction() as conn:
        for k in range(4):
            for u in users:
                await outbox.enqueue(conn, Account(TELEGRAM, str(u.id)), Notice(expected[u.id][k], purpose="test"), offices[0].now())
    senders = []
    try:
        for o in offices:
            client = paced_bot(emulator.token, settings.base_url, ChatPacer())
            await client.initialize()
            sender = Sender(o, client, client.rate_limiter)  # type: ignore[arg-type]
            sender.start()
            senders.append((sender, client))
        deadline = asyncio.get_running_loop().time() + 30
        while sum(len([m for m in u.messages() if m.from_bot]) for u in users) < 16:
            assert asyncio.get_running_loop().time() < deadline, "not all sent in time"
            await asyncio.sleep(0.05)
        await asyncio.sleep(1.5)  # a second copy of any row would have come by now
    finally:
        for sender, client in senders:
            await sender.stop()
            await client.shutdown()
        for o in offices:
            await o.db.close()
    for u in users:
        assert [m.text for m in u.messages() if m.from_bot] == expected[u.id]
    assert emulator.methods.flood.refused == 0
    assert all(s.sent > 0 for s, _ in senders), "both instances took part"


async def test_daily_backups_on_postgres_are_made_once_a_day_and_the_old_ones_pruned(office: Office, url: str, tmp_path: Path) -> None:
    from bot import backup

    settings = Settings(database_url=url, archive_dir=tmp_path / "archive", backup_dir=tmp_path / "backups", backup_keep=1)
    assert not backup._made_today(settings, NOW)
    await asyncio.to_thread(backup.daily_backup, settings, NOW)
    assert backup._made_today(settings, NOW), "a second instance finds today's backup made"
    _, removed = await asyncio.to_thread(backup.daily_backup, settings, NOW + timedelta(days=1))
    assert [p.name for p in removed] == [f"duban-{NOW:%Y%m%d-%H%M%S}"]
