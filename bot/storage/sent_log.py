"""The sent log: the outbox rows Telegram has accepted, written the moment its answer arrives.

The sender marks a row ``sent`` in a transaction of the database, which waits for the write
lock: behind a daily check that holds it for seconds at a time, a dozen answered messages may
wait there, and a crash meanwhile leaves them ``sending``, to be sent again. The sent log does
not wait for that lock. On SQLite it is a small file of its own beside the database
(``<db>-sent``, its own lock); on PostgreSQL a table written on a connection of its own,
outside the advisory lock every transaction takes. An entry lives from the answer until the
row is marked sent; after a crash the sender marks what is left sent before anything else
(``bot.channels.telegram.sender``), and on PostgreSQL no instance claims a row that is in it (``outbox.claim``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import cast

import aiosqlite

from bot.storage.postgres import PgPool

SCHEMA = """CREATE TABLE IF NOT EXISTS sent_log (
    outbox_id BIGINT PRIMARY KEY, chat_id BIGINT NOT NULL, message_id BIGINT)"""


@dataclass(frozen=True)
class SentEntry:
    """An outbox row Telegram accepted, and the message id it gave."""

    outbox_id: int
    chat_id: int
    message_id: int | None


class SentLog:
    """One connection to the sent log; ``record`` and ``forget`` each commit at once."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    @classmethod
    async def open(cls, path: Path, url: str | None) -> SentLog:
        """The log beside the SQLite file ``path``, or in the PostgreSQL database ``url``."""
        if url is not None:
            # autocommit; a connection the server dropped is replaced
            conn = cast(aiosqlite.Connection, await PgPool(url, 1).open())
        else:
            conn = await aiosqlite.connect(path.with_name(path.name + "-sent"), isolation_level=None)
            await conn.execute("PRAGMA busy_timeout = 30000")
            await conn.execute("PRAGMA journal_mode = WAL")
            # NORMAL: a killed process loses nothing written (the OS keeps it); a power cut may
            # lose the last entries, and their messages then come twice.
            await conn.execute("PRAGMA synchronous = NORMAL")
        await conn.execute(SCHEMA)
        return cls(conn)

    async def close(self) -> None:
        """Close the connection."""
        await self._conn.close()

    async def record(self, outbox_id: int, chat_id: int, message_id: int | None) -> None:
        """Telegram accepted the row: noted before anything else happens."""
        await self._conn.execute(
            "INSERT INTO sent_log (outbox_id, chat_id, message_id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
            (outbox_id, chat_id, message_id),
        )

    async def forget(self, outbox_ids: list[int]) -> None:
        """The rows are marked sent in the outbox: their entries are no longer needed."""
        for outbox_id in outbox_ids:
            await self._conn.execute("DELETE FROM sent_log WHERE outbox_id = ?", (outbox_id,))

    async def entries(self) -> list[SentEntry]:
        """What a process that died left: rows accepted but perhaps not yet marked sent."""
        async with self._conn.execute("SELECT outbox_id, chat_id, message_id FROM sent_log ORDER BY outbox_id") as cur:
            return [SentEntry(int(r[0]), int(r[1]), None if r[2] is None else int(r[2])) async for r in cur]
