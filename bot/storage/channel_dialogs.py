"""A person's open dialogs on a channel other than Telegram, kept per account (``bot.edge.Account``).

The conversation layer keeps a person's drafts in a mapping (``Said.dialogs``); a channel that
takes messages over a connection any instance may hold (钉钉's Stream mode) reads it here before
a message and writes it back after, so the next answer finds the dialog where the last one left
it, on any instance and after a restart. The mapping is pickled (drafts are dataclasses of plain
values); one that no longer unpickles after an upgrade is dropped: the dialog starts again.
"""

from __future__ import annotations

import logging
import pickle
from datetime import datetime
from typing import Any

import aiosqlite

from bot.edge import Account
from bot.storage.rows import stamp

log = logging.getLogger(__name__)


def dumps(dialogs: dict[str, Any]) -> bytes:
    """The stored form of an account's dialogs."""
    return pickle.dumps(dict(dialogs))


def loads(data: bytes | None) -> dict[str, Any]:
    """The dialogs of a stored form (none for nothing stored, or for a form an upgrade can no
    longer read)."""
    if data is None:
        return {}
    try:
        loaded = pickle.loads(data)
    except Exception:  # a draft class changed by an upgrade: the dialog is started again
        log.warning("dialog state could not be read; the person's open dialog is dropped")
        return {}
    return loaded if isinstance(loaded, dict) else {}


async def read(conn: aiosqlite.Connection, account: Account) -> bytes | None:
    """The stored dialogs of ``account``, as stored (None: none)."""
    async with conn.execute(
        "SELECT data FROM channel_dialogs WHERE channel = ? AND address = ?", (account.channel, account.address)
    ) as cur:
        row = await cur.fetchone()
    return bytes(row[0]) if row is not None else None


async def write(conn: aiosqlite.Connection, account: Account, data: bytes, now: datetime) -> None:
    """Keep ``data`` as ``account``'s dialogs (an empty mapping's form: the row goes)."""
    if data == dumps({}):
        await conn.execute("DELETE FROM channel_dialogs WHERE channel = ? AND address = ?", (account.channel, account.address))
        return
    await conn.execute(
        "INSERT OR REPLACE INTO channel_dialogs (channel, address, data, updated_at) VALUES (?, ?, ?, ?)",
        (account.channel, account.address, data, stamp(now)),
    )
