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
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import aiosqlite
from aiosqlite.context import contextmanager


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


def connect_reader(path: Path) -> ReaderConnection:
    """Like ``aiosqlite.connect(path, isolation_level=None)``, for the reader."""
    return ReaderConnection(lambda: sqlite3.connect(str(path), isolation_level=None), 64)
