"""The reader connection: each query is read to its end in one step, so no snapshot outlives it.

In WAL mode a SELECT reads the database as it was when its statement started, and the
connection keeps that snapshot while any of its statements is still open. aiosqlite steps a
cursor in several hops through its thread; between them other coroutines run their queries
on the same connection and read the same, older snapshot. A query that started just before a
commit would then make a later query miss it: the sender could take a row it had just marked
sent for one still to send, and send it twice.

Here ``execute`` runs the statement and fetches every row in one hop, and the statement is
finished before anything else runs on the connection: every query sees every commit made
before it was issued. Scans too large to hold in memory belong on their own connection.

``read_at_once`` goes further for a use case that reads many small things (``/task`` reads a
task, its unit, section, people, slips, feedback and history): the whole read runs in one hop
of the thread, inside one read transaction, so it costs one round trip instead of a dozen and
sees one snapshot. The repositories' own functions are used unchanged.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator, Iterable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite
from aiosqlite.context import contextmanager

from bot.storage.postgres import PgConnection, PgPool

T = TypeVar("T")


class Rows:
    """A query's rows, already read: the part of aiosqlite's cursor that queries use."""

    def __init__(self, rows: list[sqlite3.Row], description: Any, rowcount: int) -> None:
        self._rows: Iterator[sqlite3.Row] = iter(rows)
        self.description = description
        self.rowcount = rowcount

    async def fetchone(self) -> sqlite3.Row | None:
        return next(self._rows, None)

    async def fetchmany(self, size: int = 1) -> list[sqlite3.Row]:
        return [row for _, row in zip(range(size), self._rows)]

    async def fetchall(self) -> list[sqlite3.Row]:
        return list(self._rows)

    async def close(self) -> None:
        self._rows = iter(())

    def __aiter__(self) -> Rows:
        return self

    async def __anext__(self) -> sqlite3.Row:
        try:
            return next(self._rows)
        except StopIteration:
            raise StopAsyncIteration from None


class ReaderConnection(aiosqlite.Connection):
    """An aiosqlite connection whose ``execute`` returns ``Rows`` read in one step."""

    @contextmanager
    async def execute(self, sql: str, parameters: Iterable[Any] | None = None) -> Rows:  # type: ignore[override]
        return await self._execute(self._read, sql, list(parameters or ()))

    def _read(self, sql: str, parameters: list[Any]) -> Rows:
        cursor = self._conn.execute(sql, parameters)
        try:
            rows = cursor.fetchall()
            return Rows(rows, cursor.description, cursor.rowcount)
        finally:
            cursor.close()

    async def read_at_once(self, work: Callable[[aiosqlite.Connection], Awaitable[T]]) -> T:
        """``await work(conn)`` in one hop of the thread and one snapshot.

        ``work`` may await only the queries of the connection it is given (repository
        functions): they run at once in the thread, so the coroutine never has to wait.
        """
        return await self._execute(self._drive, work)

    def _drive(self, work: Callable[[aiosqlite.Connection], Awaitable[T]]) -> T:
        self._conn.execute("BEGIN")
        try:
            steps = work(_InThread(self._conn)).__await__()  # type: ignore[arg-type]
            try:
                steps.send(None)
            except StopIteration as done:
                return done.value  # type: ignore[no-any-return]
            steps.close()
            raise RuntimeError("read_at_once: the work awaited something other than its queries")
        finally:
            self._conn.execute("COMMIT")


class _Answered:
    """A query already run: awaitable and an async context manager, like aiosqlite's."""

    def __init__(self, rows: Rows) -> None:
        self._rows = rows

    def __await__(self) -> Generator[Any, None, Rows]:
        return self._rows
        yield  # pragma: no cover - makes this a generator that never suspends

    async def __aenter__(self) -> Rows:
        return self._rows

    async def __aexit__(self, *exc: object) -> None:
        return None


class _InThread:
    """The connection as ``read_at_once``'s work sees it, on the database's own thread."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def execute(self, sql: str, parameters: Iterable[Any] | None = None) -> _Answered:
        cursor = self._conn.execute(sql, list(parameters or ()))
        try:
            return _Answered(Rows(cursor.fetchall(), cursor.description, cursor.rowcount))
        finally:
            cursor.close()


def connect_reader(path: Path) -> ReaderConnection:
    """Like ``aiosqlite.connect(path, isolation_level=None)``, for the reader."""
    return ReaderConnection(lambda: sqlite3.connect(str(path), isolation_level=None), 64)


async def together(conn: aiosqlite.Connection, works: Iterable[Awaitable[Any]]) -> list[Any]:
    """Pieces of work on ``conn`` that do not depend on each other, their results in the order
    given. On PostgreSQL they run side by side, so their statements share round trips
    (``bot.storage.postgres``): a hundred look-ups cost about one. On SQLite, where a statement
    is a call into the process, one after another (as ``read_at_once``'s work must)."""
    pending = list(works)
    if isinstance(conn, (PgConnection, PgPool)):
        return list(await asyncio.gather(*pending))
    return [await work for work in pending]


async def nothing() -> None:
    """A piece of ``together``'s work where there is nothing to read."""
    return None


async def read_at_once(conn: aiosqlite.Connection, work: Callable[[aiosqlite.Connection], Awaitable[T]]) -> T:
    """``work(conn)`` in one hop where the connection can (the reader), else as it stands."""
    if isinstance(conn, ReaderConnection):
        return await conn.read_at_once(work)
    return await work(conn)


async def batches(conn: aiosqlite.Connection, sql: str, parameters: Iterable[Any], size: int) -> AsyncGenerator[list[Any], None]:
    """A query's rows ``size`` at a time, never all of them at once: on a connection of its own
    (``Database.snapshot``), since the shared reader reads each query whole. On PostgreSQL
    through a server-side cursor, on SQLite by stepping the statement."""
    if isinstance(conn, PgConnection):
        async for batch in conn.batches(sql, parameters, size):
            yield batch
        return
    async with conn.execute(sql, list(parameters)) as cur:
        while batch := await cur.fetchmany(size):
            yield list(batch)
