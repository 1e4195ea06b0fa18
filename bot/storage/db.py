"""The database: WAL, foreign keys, one writer at a time, migrations applied at open.

Every state change runs inside ``async with db.transaction() as conn``: ``BEGIN IMMEDIATE``
takes SQLite's write lock at once, so two writers (two handlers, or the bot and a CLI command
in another process) never interleave, and a slip number read and bumped inside it has no gap
and no duplicate. Either everything written in the block is committed, or nothing is.

Given a ``postgresql://`` URL instead of a path, the same holds on PostgreSQL
(``bot.storage.postgres``): the same migrations and statements, and ``BEGIN IMMEDIATE`` takes an
advisory lock that every process on that database shares.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import cast

import aiosqlite

from bot.storage import inbox
from bot.storage.migrations import migrate
from bot.storage.postgres import PgConnection, PgPool, is_url
from bot.storage.reader import connect_reader
from bot.storage.sent_log import SentLog

BUSY_TIMEOUT_MS = 30_000

POOL_SIZE = 4
"""PostgreSQL: reader connections by default (``storage.pool_size``)."""


class Database:
    """A writer connection guarded by a lock, and a reader connection for queries."""

    def __init__(self, path: Path | str, pool_size: int = POOL_SIZE) -> None:
        self.url = str(path) if is_url(path) else None
        self.pool_size = pool_size
        """PostgreSQL: connections the readers share (``storage.pool_size``); besides them, one
        writer, the sent log's and one per periodic job running."""
        self.path = Path(path) if self.url is None else Path()
        self._writer: aiosqlite.Connection | None = None
        self._reader: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()
        self._sent_log: SentLog | None = None
        self.on_commit: Callable[[], None] | None = None
        """Called after every commit of ``transaction`` (the sender's wake-up: messages queued)."""

    async def open(self) -> Database:
        """Connect, apply pending migrations, and return self."""
        if self.url is not None:
            # PgConnection offers the part of aiosqlite.Connection the repositories use
            self._writer = cast(aiosqlite.Connection, await PgConnection.connect(self.url))
            await migrate(self._writer)
            self._reader = cast(aiosqlite.Connection, await PgPool(self.url, self.pool_size).open())
            return self
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._writer = await _connect(self.path)
        await migrate(self._writer)
        self._reader = await _connect(self.path, reader=True)
        return self

    async def close(self) -> None:
        """Close the connections (a no-op when already closed)."""
        if self._sent_log is not None:
            await self._sent_log.close()
            self._sent_log = None
        for conn in (self._reader, self._writer):
            if conn is not None:
                await conn.close()
        self._reader = self._writer = None

    async def __aenter__(self) -> Database:
        return await self.open()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """One atomic unit of work on the writer connection.

        Inside the handling of a Telegram update, the update's id is recorded with the work
        (``bot.storage.inbox``), so a redelivered update is known to be applied already.
        """
        assert self._writer is not None, "database is not open"
        async with self._lock:
            writer = self._writer
            if isinstance(writer, PgConnection) and writer.broken:
                # the server was restarted or failed over since: a new connection, or
                # DatabaseUnavailable while it is still away
                await writer.close()
                self._writer = cast(aiosqlite.Connection, await PgConnection.connect(writer.url))
            await self._writer.execute("BEGIN IMMEDIATE")
            try:
                yield self._writer
                await inbox.record(self._writer)
            except BaseException:
                await self._writer.rollback()
                raise
            else:
                await self._writer.commit()
                if self.on_commit is not None:
                    self.on_commit()

    @asynccontextmanager
    async def snapshot(self) -> AsyncIterator[aiosqlite.Connection]:
        """A connection of its own holding one read snapshot, for a read too large for the shared
        reader (the whole 台账 of a province): small queries through ``execute`` as anywhere, the
        large one a batch at a time (:func:`bot.storage.reader.batches`); closed afterwards.
        Everything read through it is the database at one moment, the shared reader meanwhile
        free for everyone else."""
        if self.url is not None:
            pg = await PgConnection.connect(self.url)
            try:
                await pg.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                try:
                    yield cast(aiosqlite.Connection, pg)
                finally:
                    await pg.rollback()
            finally:
                await pg.close()
            return
        conn = await _connect(self.path)
        try:
            await conn.execute("BEGIN")
            try:
                yield conn
            finally:
                await conn.rollback()
        finally:
            await conn.close()

    @asynccontextmanager
    async def job_lock(self, name: str) -> AsyncIterator[None]:
        """Held while a periodic job (the daily check, the monthly cycle, the weekly digests, a
        backup) runs, so that it runs on one bot instance at a time.

        On SQLite one bot serves a file (``bot.running.RunLock``), so there is nothing to wait
        for. On PostgreSQL it is a session advisory lock on a connection of its own: a second
        instance waits, then finds the period done (each job records what it finished) and does
        nothing; if the instance running it dies, its connection closes, the lock is released,
        and the waiting instance takes the job up and finishes what was left.
        """
        if self.url is None:
            yield
            return
        lock = await PgConnection.connect(self.url)
        try:
            await lock.execute("SELECT pg_advisory_lock(hashtext(?))", (name,))
            yield
        finally:
            await lock.close()  # ends the session: the lock goes with it

    async def sent_log(self) -> SentLog:
        """The sender's log of rows Telegram accepted (``bot.storage.sent_log``), opened at
        first use: it is written without waiting for ``transaction``'s lock."""
        if self._sent_log is None:
            self._sent_log = await SentLog.open(self.path, self.url)
        return self._sent_log

    @property
    def shares_round_trips(self) -> bool:
        """Whether statements issued side by side share a round trip to the server (PostgreSQL,
        ``bot.storage.postgres``): work that can run side by side is cheaper so. On SQLite a
        statement is a call into the process and they run one after another."""
        return self.url is not None

    @property
    def reader(self) -> aiosqlite.Connection:
        """A connection for queries; in WAL mode it never waits for the writer, and each query
        sees every commit made before it (see ``bot.storage.reader``)."""
        assert self._reader is not None, "database is not open"
        return self._reader


async def _enable_wal(conn: aiosqlite.Connection) -> None:
    # Switching a new file to WAL needs an exclusive lock and does not wait on busy_timeout:
    # when the bot and a CLI command open a blank file together, one of them retries.
    for attempt in range(100):
        try:
            await conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == 99:
                raise
            await asyncio.sleep(0.05)


async def _connect(path: Path, reader: bool = False) -> aiosqlite.Connection:
    # isolation_level=None: we issue BEGIN ourselves, so Python's sqlite3 never opens an
    # implicit transaction behind our back.
    conn = await (connect_reader(path) if reader else aiosqlite.connect(path, isolation_level=None))
    conn.row_factory = aiosqlite.Row
    await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    await _enable_wal(conn)
    await conn.execute("PRAGMA foreign_keys = ON")
    await conn.execute("PRAGMA synchronous = NORMAL")
    return conn
