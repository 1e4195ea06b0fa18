"""Backups: a copy taken while the daily check writes is whole and consistent, and a restore
brings back exactly what the backup held — and refuses anything that is not a sound copy."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest

from bot import backup
from bot.backup import BackupError, check_backup, daily_backup, take_backup
from bot.cli import main
from bot.config import Settings
from bot.domain.escalation import CheckDays
from bot.domain.org import Role, UnitKind
from bot.domain.tasks import SourceType
from bot.running import RunLock
from bot.edge import TELEGRAM, Account
from bot.services import onboarding
from bot.services.context import Office
from bot.services.daily import run_daily
from bot.services.issuing import AssignmentDraft, issue_assignment

UNITS = 200


def query(db: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def count(db: Path, sql: str) -> int:
    return int(query(db, sql)[0][0])


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        db_path=tmp_path / "data" / "duban.db", archive_dir=tmp_path / "data" / "archive",
        backup_dir=tmp_path / "backups", backup_keep=3,
        # The daily check runs on today's real date, which may be a rest day.
        daily_check_days=CheckDays.EVERY_DAY,
    )


@pytest.fixture
async def office(settings: Settings) -> AsyncIterator[Office]:
    office = await Office.open(settings)
    try:
        yield office
    finally:
        await office.db.close()


async def overdue_city(office: Office) -> None:
    """UNITS units, each with a bound 责任人 and a task three weeks overdue: the daily check
    issues UNITS 催办单, each in its own transaction."""
    now = office.now()
    await onboarding.add_section(office, "政务监督室", True, None, now)
    await onboarding.add_section(office, "综合一科", False, None, now)
    for i in range(UNITS):
        await onboarding.add_unit(office, f"单位{i:03d}", UnitKind.DEPARTMENT, None, now)
        person = await onboarding.add_person(office, f"责任人{i:03d}", frozenset({Role.RESPONSIBLE}), now, unit_name=f"单位{i:03d}")
        invite = await onboarding.create_invite(office, person.id, now)
        await onboarding.redeem_invite(office, invite.code, Account(TELEGRAM, str(10_000 + i)), now)
    clerk = await onboarding.add_person(office, "王科员", frozenset({Role.CLERK}), now, section_name="综合一科")
    invite = await onboarding.create_invite(office, clerk.id, now)
    clerk = await onboarding.redeem_invite(office, invite.code, Account(TELEGRAM, str(9_999)), now)
    issued = datetime.combine(now.date() - timedelta(days=21), time(10), office.settings.timezone)
    async with office.db.reader.execute("SELECT id FROM units ORDER BY id") as cur:
        unit_ids = tuple([r[0] async for r in cur])
    await issue_assignment(
        office, AssignmentDraft("年度安全生产检查", "全面自查并报送报告", "市政府安排", SourceType.OTHER, unit_ids, 3), clerk, issued
    )


REMINDERS = "SELECT count(*) FROM slips WHERE type = 'reminder'"


async def test_a_backup_taken_during_the_daily_check_is_sound_and_holds_what_was_committed(office: Office, settings: Settings, tmp_path: Path):
    await overdue_city(office)
    (settings.archive_dir / "2026").mkdir(parents=True)
    (settings.archive_dir / "2026" / "feedback-1.pdf").write_bytes(b"%PDF-1.4 report")

    daily = asyncio.create_task(run_daily(office, office.now().date()))
    while count(settings.db_path, REMINDERS) < 20:
        await asyncio.sleep(0.005)
    committed = count(settings.db_path, REMINDERS)
    report = await asyncio.to_thread(take_backup, settings, tmp_path / "copy")
    still_running = not daily.done() and count(settings.db_path, REMINDERS) < UNITS
    await daily

    copy = tmp_path / "copy" / "duban.db"
    assert still_running, "the backup must overlap the daily check's writes"
    assert query(copy, "PRAGMA integrity_check") == [("ok",)]
    assert check_backup(tmp_path / "copy") == copy
    in_copy = count(copy, REMINDERS)
    assert committed <= in_copy < UNITS
    # Each 催办单 was committed with its −0.2 and its message: the copy has all three or none.
    assert count(copy, "SELECT count(*) FROM score_events WHERE category = 'reminder_slip'") == in_copy
    assert count(copy, "SELECT count(*) FROM outbox JOIN slips ON slips.id = outbox.slip_id WHERE slips.type = 'reminder'") == in_copy
    assert count(copy, "SELECT count(*) FROM tasks") == UNITS
    assert (tmp_path / "copy" / "archive" / "2026" / "feedback-1.pdf").read_bytes() == b"%PDF-1.4 report"
    assert report.archive_files == 1
    assert count(settings.db_path, REMINDERS) == UNITS


@pytest.fixture(autouse=True)
def keep_logging():
    """``main`` points the root logger at the stderr of the moment (capsys's); put it back."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:], root.level = handlers, level


def write_config(tmp_path: Path, settings: Settings) -> Path:
    config = tmp_path / "duban.toml"
    config.write_text(
        f'[storage]\ndb = "{settings.db_path}"\narchive_dir = "{settings.archive_dir}"\n', encoding="utf-8"
    )
    return config


def unit_names(db: Path) -> list[str]:
    return [r[0] for r in query(db, "SELECT name FROM units ORDER BY id")]


async def add_units(settings: Settings, *names: str) -> None:
    office = await Office.open(settings)
    try:
        for name in names:
            await onboarding.add_unit(office, name, UnitKind.TOWN, None, office.now())
    finally:
        await office.db.close()


def test_restore_brings_back_the_backup_and_keeps_the_replaced_database(settings: Settings, tmp_path: Path, capsys):
    config = write_config(tmp_path, settings)
    asyncio.run(add_units(settings, "穰东镇"))
    settings.archive_dir.mkdir(parents=True)
    (settings.archive_dir / "a.jpg").write_bytes(b"photo")
    assert main(["--config", str(config), "backup", str(tmp_path / "b1")]) == 0
    assert "备份完成" in capsys.readouterr().out

    asyncio.run(add_units(settings, "古城街道"))
    (settings.archive_dir / "a.jpg").unlink()
    assert main(["--config", str(config), "restore", str(tmp_path / "b1")]) == 0
    out = capsys.readouterr().out
    assert "已从" in out and "before-restore" in out

    assert unit_names(settings.db_path) == ["穰东镇"]
    assert (settings.archive_dir / "a.jpg").read_bytes() == b"photo"
    kept = next(settings.db_path.parent.glob("duban.db.before-restore-*"))
    assert unit_names(kept) == ["穰东镇", "古城街道"]
    # The restored database opens, migrated, and takes writes again.
    asyncio.run(add_units(settings, "城区办"))
    assert unit_names(settings.db_path) == ["穰东镇", "城区办"]


def test_restore_refuses_a_damaged_or_foreign_copy_and_changes_nothing(settings: Settings, tmp_path: Path, capsys):
    config = write_config(tmp_path, settings)
    asyncio.run(add_units(settings, "穰东镇"))
    assert main(["--config", str(config), "backup", str(tmp_path / "b1")]) == 0

    damaged = tmp_path / "damaged.db"
    data = bytearray((tmp_path / "b1" / "duban.db").read_bytes())
    data[4096 * 3: 4096 * 3 + 512] = b"\xff" * 512  # scribble over a b-tree page
    damaged.write_bytes(bytes(data))
    foreign = tmp_path / "foreign.db"
    sqlite3.connect(foreign).execute("CREATE TABLE t (x)").connection.close()
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"not a database at all" * 100)

    for bad, words in ((damaged, "完整性检查"), (foreign, "migrations"), (garbage, "SQLite"), (tmp_path / "nowhere", "找不到备份")):
        assert main(["--config", str(config), "restore", str(bad)]) == 1
        err = capsys.readouterr().err
        assert words in err and "Traceback" not in err, err
    assert unit_names(settings.db_path) == ["穰东镇"]
    assert not list(settings.db_path.parent.glob("*.before-restore-*"))


def test_restore_refuses_while_a_bot_holds_the_run_lock(settings: Settings, tmp_path: Path, capsys):
    config = write_config(tmp_path, settings)
    asyncio.run(add_units(settings, "穰东镇"))
    assert main(["--config", str(config), "backup", str(tmp_path / "b1")]) == 0
    lock = RunLock(settings.db_path)
    assert lock.acquire()
    try:
        assert main(["--config", str(config), "restore", str(tmp_path / "b1")]) == 1
        assert "机器人正在运行" in capsys.readouterr().err
    finally:
        lock.release()
    assert main(["--config", str(config), "restore", str(tmp_path / "b1")]) == 0


def test_backup_refuses_a_used_folder_and_a_missing_database(settings: Settings, tmp_path: Path):
    with pytest.raises(BackupError) as missing:
        take_backup(settings, tmp_path / "b")
    assert missing.value.template == "database_missing"
    asyncio.run(add_units(settings, "穰东镇"))
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "x").write_text("x")
    with pytest.raises(BackupError) as used:
        take_backup(settings, tmp_path / "used")
    assert used.value.template == "backup_target_exists"


def test_daily_backups_keep_the_newest_n(settings: Settings):
    asyncio.run(add_units(settings, "穰东镇"))
    start = datetime(2026, 11, 20, 3, 0, tzinfo=settings.timezone)
    for day in range(5):
        report, removed = daily_backup(settings, start + timedelta(days=day))
        assert check_backup(report.path)
    assert settings.backup_dir is not None
    kept = sorted(p.name for p in settings.backup_dir.iterdir())
    assert kept == ["duban-20261122-030000", "duban-20261123-030000", "duban-20261124-030000"]
    # Folders that are not daily backups are never deleted.
    (settings.backup_dir / "before-upgrade").mkdir()
    backup.prune(settings.backup_dir, 1)
    assert sorted(p.name for p in settings.backup_dir.iterdir()) == ["before-upgrade", "duban-20261124-030000"]
