"""``duban status``, ``duban backup PATH`` and ``duban restore PATH``: looking after a deployment.

All three work beside a running bot: ``status`` and ``backup`` only read the database, and
``restore`` refuses while a bot holds the run lock (see :mod:`bot.running`).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import datetime
from pathlib import Path

import aiosqlite

from bot.backup import BackupError, restore_backup, take_backup
from bot.config import Settings
from bot.health import Health, probe
from bot.texts import plain, render

EXIT_FAILED = 1


def add_to(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``status``, ``backup`` and ``restore``."""
    p = sub.add_parser(
        "status", help="查看运行状态",
        description="显示机器人是否在运行、数据库是否可访问、最近一次每日检查的日期、待发送消息数和已运行时间"
        "（与健康检查端点 /healthz 的内容相同）。数据库无法访问时退出码为 1。",
    )
    p.set_defaults(run=cmd_status)

    p = sub.add_parser(
        "backup", help="在线备份数据库和附件",
        description="把数据库（用 SQLite 在线备份接口，机器人运行时也可执行）和附件目录备份到新目录 PATH："
        "PATH/duban.db 和 PATH/archive/。",
    )
    p.add_argument("path", help="备份目录（须不存在或为空）")
    p.set_defaults(run=cmd_backup)

    p = sub.add_parser(
        "restore", help="从备份恢复",
        description="先检查备份的完整性（PRAGMA integrity_check 和迁移记录表），再用它替换数据库，并复制附件。"
        "机器人运行时拒绝执行。原数据库另存为 duban.db.before-restore-时间。",
    )
    p.add_argument("path", help="duban backup 生成的目录，或一个数据库文件")
    p.set_defaults(run=cmd_restore)


async def cmd_status(args: argparse.Namespace, settings: Settings) -> int:
    """Print what /healthz reports, read from the database directly."""
    from bot.running import running_bot

    running = running_bot(settings.db_path)
    now = datetime.now(settings.timezone)
    uptime = (now - running.started_at).total_seconds() if running else None
    if settings.db_path.is_file():
        conn = await aiosqlite.connect("file:%s?mode=ro" % settings.db_path, uri=True)
        try:
            health = await probe(conn, uptime)
        finally:
            await conn.close()
    else:
        health = Health(False, database_error=f"文件不存在：{settings.db_path}", uptime_seconds=uptime)
    print(plain(render("ops/status", running=running, settings=settings, health=health, uptime=_duration(uptime or 0))))
    return 0 if health.healthy else EXIT_FAILED


async def cmd_backup(args: argparse.Namespace, settings: Settings) -> int:
    """Back up the live database and the archive."""
    try:
        report = await asyncio.to_thread(take_backup, settings, Path(args.path))
    except BackupError as exc:
        return _refused(exc)
    print(plain(render("ops/backup_done", report=report)))
    return 0


async def cmd_restore(args: argparse.Namespace, settings: Settings) -> int:
    """Restore a backup, unless a bot is running on the database."""
    from bot.running import RunLock, running_bot

    lock = RunLock(settings.db_path)
    # On PostgreSQL the instances run on other hosts: stopping them first is the operator's step
    if settings.database_url is None and not lock.acquire(attempts=1):
        running = running_bot(settings.db_path)
        print(plain(render("ops/restore_refused_running", running=running, path=settings.db_path)), file=sys.stderr)
        return EXIT_FAILED
    try:
        # Holding the lock keeps a `duban run` from starting half-way through.
        report, kept = await asyncio.to_thread(restore_backup, settings, Path(args.path), datetime.now(settings.timezone))
    except BackupError as exc:
        return _refused(exc)
    finally:
        lock.release()
    print(plain(render("ops/restore_done", report=report, kept=kept, settings=settings)))
    return 0


def _refused(exc: BackupError) -> int:
    print(plain(render(f"ops/{exc.template}", **exc.params)), file=sys.stderr)
    return EXIT_FAILED


def _duration(seconds: float) -> str:
    minutes, _ = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    return f"{days}天{hours}小时{minutes}分" if days else f"{hours}小时{minutes}分"
