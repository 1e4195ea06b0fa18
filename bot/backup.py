"""Backups of the live database and the attachment archive, and restoring one.

A backup is a folder::

    PATH/duban.db     the database, a consistent copy made with SQLite's online backup API
    PATH/archive/     the feedback attachments kept in ``settings.archive_dir``

A folder, not a tarball, so that an operator can open the copy with ``sqlite3`` and copy it
off the machine with any tool, and so that the attachments, which never change once written,
are hard-linked rather than copied when the backup lies on the same disk (the daily backups
then cost the database's size, not the archive's). The database is copied first and the
archive second, so every attachment the copied database mentions is in the copy.

``sqlite3.Connection.backup`` copies every page in one step under one read transaction: the
copy is the database as of one moment, and in WAL mode the bot's writer is not held up while
it runs. It runs in a thread so the bot's event loop keeps serving.
"""

from __future__ import annotations

import asyncio
import logging
import glob
import os
import subprocess
import shutil
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any


from bot.config import Settings
from bot.channels.telegram.context import DubanApplication, DubanContext

log = logging.getLogger(__name__)

DB_NAME = "duban.db"
PG_DUMP_NAME = "duban.dump"
ARCHIVE_NAME = "archive"
DAILY_PREFIX = "duban-"
BUSY_TIMEOUT = 30.0


class BackupError(Exception):
    """A backup or restore cannot go ahead; ``template`` (under ``messages/ops/``) says why."""

    def __init__(self, template: str, **params: Any) -> None:
        super().__init__(template, params)
        self.template = template
        self.params = params


@dataclass(frozen=True)
class BackupReport:
    """What a backup or restore wrote."""

    path: Path
    database_bytes: int
    archive_files: int
    database_name: str = DB_NAME
    """The database's file in the backup folder: ``duban.db``, or ``duban.dump`` from PostgreSQL."""


def copy_database(source: Path, target: Path) -> None:
    """A consistent copy of the SQLite database ``source`` at ``target`` (a new file).

    The copy is switched out of WAL mode so that it is one self-contained file.
    """
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    src = sqlite3.connect("file:%s?mode=ro" % source, uri=True, timeout=BUSY_TIMEOUT)
    try:
        dst = sqlite3.connect(partial)
        try:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode = DELETE")
        finally:
            dst.close()
    finally:
        src.close()
    with open(partial, "rb") as f:
        os.fsync(f.fileno())
    os.replace(partial, target)


def _pg_tool(name: str) -> str:
    found = shutil.which(name) or next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None)
    if found is None:
        raise BackupError("pg_tool_missing", tool=name)
    return found


def _run_pg_tool(argv: list[str]) -> None:
    done = subprocess.run(argv, capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError("pg_tool_failed", tool=Path(argv[0]).name, error=done.stderr.strip()[-2000:])


def take_backup(settings: Settings, path: Path) -> BackupReport:
    """Back up the live database and the archive into the new folder ``path``.

    On PostgreSQL the database goes in as ``duban.dump``, pg_dump's custom format: one
    consistent snapshot taken while the bot instances go on serving."""
    if settings.database_url is not None:
        if path.exists() and (not path.is_dir() or any(path.iterdir())):
            raise BackupError("backup_target_exists", path=path)
        path.mkdir(parents=True, exist_ok=True)
        _run_pg_tool([_pg_tool("pg_dump"), "--format=custom", "--no-owner", f"--file={path / PG_DUMP_NAME}", settings.database_url])
        return BackupReport(path, (path / PG_DUMP_NAME).stat().st_size, _copy_archive(settings, path), PG_DUMP_NAME)
    if not settings.db_path.is_file():
        raise BackupError("database_missing", path=settings.db_path)
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise BackupError("backup_target_exists", path=path)
    path.mkdir(parents=True, exist_ok=True)
    copy_database(settings.db_path, path / DB_NAME)
    return BackupReport(path, (path / DB_NAME).stat().st_size, _copy_archive(settings, path))


def _copy_archive(settings: Settings, path: Path) -> int:
    if not settings.archive_dir.is_dir():
        return 0
    shutil.copytree(settings.archive_dir, path / ARCHIVE_NAME, copy_function=_link_or_copy)
    return _count_files(path / ARCHIVE_NAME)


def check_backup(path: Path) -> Path:
    """The backup's database file, after ``PRAGMA integrity_check`` and a look for the migrations table.

    ``path`` is a backup folder, or a database file itself.
    """
    db = path / DB_NAME if path.is_dir() else path
    if not db.is_file():
        raise BackupError("backup_missing", path=path)
    try:
        conn = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
        try:
            result = [row[0] for row in conn.execute("PRAGMA integrity_check")]
            has_migrations = conn.execute(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'migrations'"
            ).fetchone()[0]
            applied = conn.execute("SELECT count(*) FROM migrations").fetchone()[0] if has_migrations else 0
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        if "not a database" in str(exc):
            raise BackupError("backup_not_sqlite", path=db, error=str(exc)) from exc
        raise BackupError("backup_corrupt", path=db, problems=[str(exc)]) from exc
    if result != ["ok"]:
        raise BackupError("backup_corrupt", path=db, problems=result[:5])
    if not applied:
        raise BackupError("backup_not_duban", path=db)
    return db


def restore_backup(settings: Settings, path: Path, now: datetime) -> tuple[BackupReport, Path | None]:
    """Put the backup at ``path`` in place of the database; the caller holds the run lock.

    The current database is first copied aside (``duban.db.before-restore-…``); that path is
    returned with the report. Attachments from the backup are copied into the archive; files
    the archive has that the backup lacks are left alone (no database row mentions them).
    """
    if settings.database_url is not None:
        return _restore_postgres(settings, path, now)
    db = check_backup(path)
    target = settings.db_path
    kept: Path | None = None
    if target.is_file():
        kept = target.with_name(f"{target.name}.before-restore-{now:%Y%m%d-%H%M%S}")
        copy_database(target, kept)
    target.parent.mkdir(parents=True, exist_ok=True)
    # Through the backup API rather than a file copy: SQLite replaces every page of the live
    # file itself, so a -wal file left beside it can never be replayed over the restored pages.
    src = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    try:
        dst = sqlite3.connect(target, timeout=BUSY_TIMEOUT)
        try:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode = WAL")
        finally:
            dst.close()
    finally:
        src.close()
    files = 0
    archive = db.parent / ARCHIVE_NAME if path.is_dir() else None
    if archive is not None and archive.is_dir():
        shutil.copytree(archive, settings.archive_dir, copy_function=_copy_unless_same, dirs_exist_ok=True)
        files = _count_files(archive)
    return BackupReport(path, target.stat().st_size, files), kept


def _restore_postgres(settings: Settings, path: Path, now: datetime) -> tuple[BackupReport, Path | None]:
    # Every bot instance must be stopped first (deploy/README.md): the restore replaces every
    # table in one transaction, and the database as it was is dumped beside the backup first.
    assert settings.database_url is not None
    dump = path / PG_DUMP_NAME if path.is_dir() else path
    if not dump.is_file():
        raise BackupError("backup_missing", path=path)
    kept = dump.parent.parent / f"before-restore-{now:%Y%m%d-%H%M%S}.dump"
    _run_pg_tool([_pg_tool("pg_dump"), "--format=custom", "--no-owner", f"--file={kept}", settings.database_url])
    _run_pg_tool([
        _pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction",
        f"--dbname={settings.database_url}", str(dump),
    ])
    files = 0
    archive = dump.parent / ARCHIVE_NAME
    if path.is_dir() and archive.is_dir():
        shutil.copytree(archive, settings.archive_dir, copy_function=_copy_unless_same, dirs_exist_ok=True)
        files = _count_files(archive)
    return BackupReport(path, dump.stat().st_size, files, PG_DUMP_NAME), kept


def daily_backup(settings: Settings, now: datetime) -> tuple[BackupReport, list[Path]]:
    """Today's backup under ``settings.backup_dir``, and the old ones deleted beyond ``backup_keep``."""
    assert settings.backup_dir is not None
    report = take_backup(settings, settings.backup_dir / f"{DAILY_PREFIX}{now:%Y%m%d-%H%M%S}")
    return report, prune(settings.backup_dir, settings.backup_keep)


def prune(folder: Path, keep: int) -> list[Path]:
    """Delete all but the ``keep`` newest daily backups in ``folder``; return what was deleted.

    Only folders named like a daily backup and holding a database are touched.
    """
    daily = sorted(
        (
            p for p in folder.iterdir()
            if p.is_dir() and p.name.startswith(DAILY_PREFIX) and ((p / DB_NAME).is_file() or (p / PG_DUMP_NAME).is_file())
        ),
        key=lambda p: p.name,
    )
    old = daily[:-keep] if keep > 0 else daily
    for p in old:
        shutil.rmtree(p)
    return old


async def backup_job(context: DubanContext) -> None:
    """The daily backup, on PTB's JobQueue; a failure is logged, the bot carries on."""
    office = context.application.bot_data["office"]
    try:
        # Several instances on PostgreSQL share backup.dir: the first to come makes today's.
        async with office.db.job_lock("daily-backup"):
            if _made_today(office.settings, office.now()):
                return
            report, removed = await asyncio.to_thread(daily_backup, office.settings, office.now())
    except Exception:
        log.exception("daily backup failed")
        return
    log.info("daily backup written to %s (%d old ones removed)", report.path, len(removed))


def _made_today(settings: Settings, now: datetime) -> bool:
    # Only where instances share the database: one SQLite bot backs up at each backup time.
    if settings.database_url is None or settings.backup_dir is None or not settings.backup_dir.is_dir():
        return False
    return any(p.name.startswith(f"{DAILY_PREFIX}{now:%Y%m%d}-") for p in settings.backup_dir.iterdir())


def schedule(application: DubanApplication) -> None:
    """Register the daily backup when ``backup.dir`` is configured."""
    settings: Settings = application.bot_data["office"].settings
    if settings.backup_dir is None:
        return
    assert application.job_queue is not None, "python-telegram-bot[job-queue] is required"
    application.job_queue.run_daily(
        backup_job, time=settings.backup_time.replace(tzinfo=settings.timezone), name="daily-backup"
    )


def _link_or_copy(src: str, dst: str) -> None:
    # Attachments are never modified once archived, so a hard link is as good as a copy.
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def _copy_unless_same(src: str, dst: str) -> None:
    if os.path.exists(dst) and os.path.samefile(src, dst):
        return
    shutil.copy2(src, dst)


def _count_files(folder: Path) -> int:
    return sum(1 for p in folder.rglob("*") if p.is_file())
