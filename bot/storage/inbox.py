"""The inbox of what the channels deliver (the transactional-inbox pattern): Telegram's updates
by their number, and other channels' messages by a channel-qualified text key (``handling_key``:
a 钉钉 message's ``dingtalk:msg:<msgId>``, a card press's ``dingtalk:card:<messageId>``).

While an update is being handled, ``handling`` holds its id; every write transaction opened in
that time (``Database.transaction``) records the id in ``inbox`` before it commits, so "the
update's effect is committed" and "the update is known as handled" are one fact. An update
delivered again (Telegram repeats what was not acknowledged when the bot died) is looked up
here first and not applied a second time.

An update that changed nothing (a lookup such as ``/task``) leaves no row: handling it again
only answers again. Bookkeeping a handler does on the way, harmless to repeat and not what the
update asked for (someone who had blocked the bot writes again: they are reachable), runs
``aside()``: were it to mark the update, a crash before the update's own transaction would
leave it marked and never applied.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta

import aiosqlite

handling: ContextVar[int | None] = ContextVar("handling_update", default=None)
"""The id of the Telegram update whose handlers are running in this task (None outside one).

A context variable, so the tasks a handler starts carry the id along, and the sender or the
daily check, started outside any update, never write it."""

handling_key: ContextVar[str | None] = ContextVar("handling_key", default=None)
"""The key of the message of another channel whose handling runs in this task (None outside
one): recorded in ``inbox_keys`` as ``handling`` is in ``inbox``."""

KEEP = timedelta(days=3)
"""How long a handled update's id is kept: Telegram keeps an unconfirmed update for 24 hours."""


_interrupted: set[int | str] = set()


def interrupt() -> None:
    """The database went away while the update being handled (if any) was at work: whatever it
    did is rolled back or never happened, so it must not be confirmed (``interrupted``)."""
    update_id = handling.get()
    if update_id is not None:
        _interrupted.add(update_id)
    key = handling_key.get()
    if key is not None:
        _interrupted.add(key)


def interrupted(update_id: int | str) -> bool:
    """Whether the database went away while ``update_id`` was handled (asked once, at its end):
    the update is then left unconfirmed and handled again once the database is back."""
    if update_id in _interrupted:
        _interrupted.discard(update_id)
        return True
    return False


@contextmanager
def aside() -> Iterator[None]:
    """Transactions opened inside do not mark the update being handled as handled."""
    token = handling.set(None)
    key_token = handling_key.set(None)
    try:
        yield
    finally:
        handling_key.reset(key_token)
        handling.reset(token)


async def record(conn: aiosqlite.Connection) -> None:
    """Inside a write transaction: mark the update being handled (if any) as handled.

    The time is the machine's (UTC), not the office's clock a demo moves: it only says when
    the id may be forgotten."""
    update_id = handling.get()
    if update_id is not None:
        await conn.execute(
            "INSERT OR IGNORE INTO inbox (update_id, handled_at) VALUES (?, ?)",
            (update_id, datetime.now(UTC).isoformat(timespec="seconds")),
        )
    key = handling_key.get()
    if key is not None:
        await conn.execute(
            "INSERT OR IGNORE INTO inbox_keys (message_key, handled_at) VALUES (?, ?)",
            (key, datetime.now(UTC).isoformat(timespec="seconds")),
        )


async def handled(conn: aiosqlite.Connection, update_id: int) -> bool:
    """Whether what ``update_id`` caused is already committed."""
    async with conn.execute("SELECT 1 FROM inbox WHERE update_id = ?", (update_id,)) as cur:
        return await cur.fetchone() is not None


async def handled_key(conn: aiosqlite.Connection, key: str) -> bool:
    """Whether what the message of ``key`` caused is already committed."""
    async with conn.execute("SELECT 1 FROM inbox_keys WHERE message_key = ?", (key,)) as cur:
        return await cur.fetchone() is not None


async def prune(conn: aiosqlite.Connection) -> None:
    """Inside a write transaction: forget ids and keys older than ``KEEP``."""
    cutoff = (datetime.now(UTC) - KEEP).isoformat(timespec="seconds")
    await conn.execute("DELETE FROM inbox WHERE handled_at < ?", (cutoff,))
    await conn.execute("DELETE FROM inbox_keys WHERE handled_at < ?", (cutoff,))
