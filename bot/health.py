"""Is the bot well? ``GET /healthz`` for a container's HEALTHCHECK or a monitor, and ``duban status``.

The report is the same in both places: whether the database answers, the last day whose daily
check finished, how many messages wait in the outbox, how long the bot has been up, and, when
the 钉钉 channel runs, whether its Stream connection is open (``dingtalk_stream``: ``connected``
or ``disconnected``; the client reconnects by itself, so a drop is something to watch), and
when the 企业微信 channel runs, whether its callback server listens (``wecom_callback``). It is
unhealthy (HTTP 503) only when the database does not answer: a backlog or a late daily check is
something to look at, not a reason for an orchestrator to restart the bot.

The endpoint is a small aiohttp server of its own, on ``health.listen:health.port``, in polling
and in webhook mode alike: PTB's webhook server is a tornado application reachable only through
PTB's private attributes, and one server in both modes keeps one HEALTHCHECK line.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import aiosqlite
from aiohttp import web

from bot.storage import outbox

log = logging.getLogger(__name__)

PROBE_TIMEOUT = 5.0
"""Seconds the database may take to answer before it counts as unreachable."""


@dataclass(frozen=True)
class Health:
    """One look at the bot's state."""

    database_ok: bool
    database_error: str | None = None
    last_daily_run: date | None = None
    outbox_backlog: int | None = None
    uptime_seconds: float | None = None
    """None when the bot is not running (``duban status`` with no bot up)."""
    dingtalk_stream: bool | None = None
    """Whether the 钉钉 Stream connection is open; None when no 钉钉 channel runs."""
    wecom_callback: bool | None = None
    """Whether the 企业微信 callback server listens; None when no 企业微信 channel runs."""

    @property
    def healthy(self) -> bool:
        """Healthy means the database answers."""
        return self.database_ok

    def to_json(self) -> dict[str, Any]:
        """The /healthz body."""
        return {
            "status": "ok" if self.healthy else "unhealthy",
            "database": "ok" if self.database_ok else "unreachable",
            "database_error": self.database_error,
            "last_daily_run": self.last_daily_run.isoformat() if self.last_daily_run else None,
            "outbox_backlog": self.outbox_backlog,
            "uptime_seconds": None if self.uptime_seconds is None else round(self.uptime_seconds, 1),
            "dingtalk_stream": None if self.dingtalk_stream is None else "connected" if self.dingtalk_stream else "disconnected",
            "wecom_callback": None if self.wecom_callback is None else "listening" if self.wecom_callback else "stopped",
        }


async def probe(conn: aiosqlite.Connection | None, uptime_seconds: float | None) -> Health:
    """Ask the database (read-only queries) how things stand."""
    try:
        if conn is None:
            raise RuntimeError("database is closed")
        return await asyncio.wait_for(_read(conn, uptime_seconds), PROBE_TIMEOUT)
    except Exception as exc:  # any failure of the database is the answer, not an error of ours
        return Health(False, database_error=f"{type(exc).__name__}: {exc}"[:200], uptime_seconds=uptime_seconds)


async def _read(conn: aiosqlite.Connection, uptime_seconds: float | None) -> Health:
    async with conn.execute("SELECT max(run_date) FROM daily_runs WHERE finished_at IS NOT NULL") as cur:
        row = await cur.fetchone()
    last = date.fromisoformat(row[0]) if row and row[0] else None
    return Health(True, last_daily_run=last, outbox_backlog=await outbox.backlog(conn), uptime_seconds=uptime_seconds)


class HealthServer:
    """``GET /healthz`` on its own port, answered from the running bot's reader connection."""

    def __init__(self, reader: Callable[[], aiosqlite.Connection], host: str, port: int,
                 dingtalk_stream: Callable[[], bool] | None = None, wecom_callback: Callable[[], bool] | None = None) -> None:
        """``reader`` returns the connection to ask (the office's reader, None when closed);
        ``dingtalk_stream`` whether the 钉钉 Stream connection is open (when 钉钉 runs)."""
        self._reader = reader
        self._dingtalk_stream = dingtalk_stream
        self._wecom_callback = wecom_callback
        self.host = host
        self.port = port
        self._started = time.monotonic()
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        """Listen; ``port`` is updated when 0 was asked for by a test."""
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        try:
            await web.TCPSite(self._runner, self.host, self.port).start()
        except OSError:
            await self._runner.cleanup()
            self._runner = None
            raise
        self.port = self._runner.addresses[0][1]
        log.info("health endpoint on http://%s:%s/healthz", self.host, self.port)

    async def stop(self) -> None:
        """Stop listening."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _healthz(self, request: web.Request) -> web.Response:
        health = await probe(self._connection(), time.monotonic() - self._started)
        if self._dingtalk_stream is not None:
            health = replace(health, dingtalk_stream=self._dingtalk_stream())
        if self._wecom_callback is not None:
            health = replace(health, wecom_callback=self._wecom_callback())
        return web.json_response(health.to_json(), status=200 if health.healthy else 503)

    def _connection(self) -> aiosqlite.Connection | None:
        try:
            return self._reader()
        except AssertionError:  # Database.reader asserts it is open
            return None
