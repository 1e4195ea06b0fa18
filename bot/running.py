"""Running the bot until asked to stop: long polling or a webhook, then a clean drain on SIGTERM/SIGINT.

While it runs, ``duban run`` holds an advisory lock (``flock``) on ``<db>.lock`` beside the
database, and writes its pid, mode and start time into that file. ``duban restore`` refuses to
run while the lock is held, and a second ``duban run`` on the same database refuses to start.
The kernel drops the lock when the process ends, however it ends (even SIGKILL), so a stale
file never blocks anything; its content only tells ``duban status`` who holds it.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import logging
import os
import secrets
import signal
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO

from bot import backup
from bot.channels import ChannelRefused, ChannelUnreachable
from bot.channels.dingtalk import DingTalkError
from bot.channels.dingtalk.channel import DingTalkChannel
from bot.channels.wecom.api import WecomError
from bot.channels.wecom.channel import WecomChannel
from bot.channels.telegram.app import Webhook, build_application, start_bot, stop_bot
from bot.health import HealthServer
from bot.config import Settings
from bot.scheduling import run_periodic
from bot.services.context import Office
from bot.services.daily import is_done, latest_due_day, run_daily, run_time
from bot.texts import render

log = logging.getLogger(__name__)


class StartupError(RuntimeError):
    """The bot cannot start; the message is one clear line for the operator."""


def stop_on_signals() -> asyncio.Event:
    """An event set by SIGTERM or SIGINT."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    return stop


# --------------------------------------------------------------------------- the run lock


def lock_path(db_path: Path) -> Path:
    """The run lock beside the database: ``duban.db`` → ``duban.db.lock``."""
    return db_path.with_name(db_path.name + ".lock")


@dataclass(frozen=True)
class RunInfo:
    """What a running bot wrote into its lock file."""

    pid: int
    mode: str
    started_at: datetime


class RunLock:
    """The advisory lock that says "a bot is running on this database"."""

    def __init__(self, db_path: Path) -> None:
        self.path = lock_path(db_path)
        self._file: IO[str] | None = None

    def acquire(self, info: RunInfo | None = None, attempts: int = 10) -> bool:
        """Take the lock (False if another process holds it); with ``info``, record who holds it.

        A few quick retries cover ``duban status`` peeking at the lock at the same moment.
        """
        self.path.parent.mkdir(parents=True, exist_ok=True)
        f = open(self.path, "a+", encoding="utf-8")
        for attempt in range(attempts):
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if attempt == attempts - 1:
                    f.close()
                    return False
                time.sleep(0.1)
        if info is not None:
            f.seek(0)
            f.truncate()
            f.write(json.dumps({"pid": info.pid, "mode": info.mode, "started_at": info.started_at.isoformat()}))
            f.flush()
        self._file = f
        return True

    def release(self) -> None:
        """Let go (the file stays; its content is stale from now on)."""
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None


def running_bot(db_path: Path) -> RunInfo | None:
    """The bot running on ``db_path``, if one holds the lock."""
    path = lock_path(db_path)
    if not path.is_file():
        return None
    with open(path, encoding="utf-8") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            try:
                raw = json.loads(f.read() or "{}")
                return RunInfo(int(raw["pid"]), str(raw["mode"]), datetime.fromisoformat(raw["started_at"]))
            except (ValueError, KeyError):
                return RunInfo(0, "?", datetime.now().astimezone())
        fcntl.flock(f, fcntl.LOCK_UN)
    return None


# --------------------------------------------------------------------------- serving


async def serve(office: Office, stop: asyncio.Event, *, webhook: bool = False) -> None:
    """Serve every configured channel until ``stop``; then drain and shut down.

    Telegram runs when a token is set (polling, or ``webhook``), 钉钉 when ``[dingtalk]`` names
    an app; one deployment may serve both at once, each person on the channel they are bound on.
    The daily check runs on Telegram's job queue, or, with 钉钉 alone, on ``run_schedule``.

    Raises:
        StartupError: no channel is configured, a channel refused the credentials or cannot be
            reached, or another bot runs on this database.
    """
    settings = office.settings
    telegram = settings.token is not None
    dingtalk = settings.dingtalk.client_id is not None
    wecom_on = settings.wecom.corp_id is not None
    if not telegram and not dingtalk and not wecom_on:
        raise StartupError(render("ops/no_channel"))
    if telegram and webhook and not settings.webhook_url:
        raise StartupError(render("ops/webhook_url_missing"))
    shared = settings.database_url is not None
    if shared and webhook and not settings.webhook_secret:
        # each instance's setWebhook would replace the others' fresh secret
        raise StartupError(render("ops/webhook_secret_needed"))
    # On SQLite one bot runs per file. On PostgreSQL several instances serve one database
    # behind a load balancer (webhook mode): the database's own locks keep them apart.
    lock = RunLock(settings.db_path) if not shared else None
    info = RunInfo(os.getpid(), "webhook" if webhook else "polling", office.now())
    if lock is not None and not lock.acquire(info):
        raise StartupError(render("ops/already_running", db=settings.db_path, lock=lock.path))
    channel = _dingtalk_channel(office) if dingtalk else None
    wecom = _wecom_channel(office) if wecom_on else None
    health = HealthServer(lambda: office.db.reader, settings.health_listen, settings.health_port,
                          dingtalk_stream=(lambda: channel.connected) if channel is not None else None,
                          wecom_callback=(lambda: wecom.serving) if wecom is not None else None)
    application = build_application(office) if telegram else None
    schedule: asyncio.Task[None] | None = None
    try:
        if application is not None:
            try:
                await start_bot(application, webhook=_webhook(settings) if webhook else None)
            except ChannelRefused as exc:
                raise StartupError(render("ops/token_rejected")) from exc
            except ChannelUnreachable as exc:
                raise StartupError(render("ops/api_unreachable", url=settings.api_url, error=exc.reason)) from exc
            except OSError as exc:
                raise StartupError(render("ops/webhook_listen_failed", settings=settings, error=exc.strerror)) from exc
            backup.schedule(application)
        if channel is not None:
            await _start_dingtalk(channel)
        if wecom is not None:
            await _start_wecom(wecom)
        if application is None:
            schedule = asyncio.create_task(run_schedule(office, stop), name="schedule")
        await _start_health(health)
        serving = [f"Telegram @{application.bot.username} {info.mode}"] if application is not None else []
        serving += ["钉钉 Stream"] * (channel is not None) + [f"企业微信 {wecom.url}" for _ in [wecom] if wecom is not None]
        log.info("bot is serving (%s)", ", ".join(serving))
        await stop.wait()
        log.info("stopping: finishing the message in flight")
    finally:
        await health.stop()
        if schedule is not None:
            schedule.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await schedule
        if wecom is not None:
            await wecom.stop()
        if channel is not None:
            await channel.stop()
        if application is not None:
            await stop_bot(application)
        if lock is not None:
            lock.release()


def _dingtalk_channel(office: Office) -> DingTalkChannel:
    try:
        return DingTalkChannel(office)
    except ValueError as exc:  # a setting [dingtalk] needs is missing
        raise StartupError(render("ops/dingtalk_incomplete", error=str(exc))) from exc


async def _start_dingtalk(channel: DingTalkChannel) -> None:
    """Ask 钉钉 for a token first, so refused credentials stop the start with one clear line;
    then the sender and the Stream connection (which reconnects by itself from then on)."""
    try:
        await channel.api.access_token()
    except DingTalkError as exc:
        await channel.api.close()
        if exc.retryable:
            raise StartupError(render("ops/dingtalk_unreachable", url=channel.app.endpoint, error=str(exc))) from exc
        raise StartupError(render("ops/dingtalk_refused", error=exc.code or str(exc))) from exc
    await channel.start()


def _wecom_channel(office: Office) -> WecomChannel:
    try:
        return WecomChannel(office)
    except ValueError as exc:  # a setting [wecom] needs is missing
        raise StartupError(render("ops/wecom_incomplete", error=str(exc))) from exc


async def _start_wecom(channel: WecomChannel) -> None:
    """Ask 企业微信 for a token first, so refused credentials stop the start with one clear line;
    then the sender and the callback server."""
    try:
        await channel.api.access_token()
    except (WecomError, OSError) as exc:
        await channel.api.close()
        raise StartupError(render("ops/wecom_refused", url=channel.api.api_url, error=str(exc))) from exc
    try:
        await channel.start()
    except OSError as exc:
        await channel.api.close()
        raise StartupError(render("ops/wecom_listen_failed", host=channel.host, port=channel.port, error=exc.strerror)) from exc


async def run_schedule(office: Office, stop: asyncio.Event) -> None:
    """The daily check and the periodic reports without Telegram's job queue: caught up at
    start, then each day at ``daily_time`` (each step runs once, across instances too)."""
    while not stop.is_set():
        day = latest_due_day(office, office.now())
        try:
            if not await is_done(office, day):
                async with office.db.job_lock("daily-check"):
                    await run_daily(office, day)
            async with office.db.job_lock("periodic-reports"):
                await run_periodic(office, day)
        except Exception:  # the schedule must outlive one bad day; the next look tries again
            log.exception("the daily check of %s failed", day)
        wake = run_time(office, day + timedelta(days=1))
        seconds = max(1.0, min((wake - office.now()).total_seconds(), 3600.0))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), seconds)


def _webhook(settings: Settings) -> Webhook:
    # Without a configured secret, a fresh one each start: Telegram learns it from setWebhook.
    assert settings.webhook_url is not None
    secret = settings.webhook_secret.reveal() if settings.webhook_secret else secrets.token_urlsafe(32)
    return Webhook(settings.webhook_listen, settings.webhook_port, settings.webhook_url, secret)


async def _start_health(health: HealthServer) -> None:
    # The health endpoint is for watching the bot, not a part of it: a port already taken
    # is logged (and the HEALTHCHECK then reports it), the bot serves on.
    if health.port == 0:
        return
    try:
        await health.start()
    except OSError as exc:
        log.warning("health endpoint not started on %s:%s: %s", health.host, health.port, exc.strerror)
