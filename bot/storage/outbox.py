"""The outbox: every notice the bot owes someone, written with the change that causes it.

A sender drains it after the transaction commits. A row is ``pending`` until a sender claims
it (``sending``), then ``sent`` or ``failed``. After a crash, rows left ``sending`` are sent
again: a message may arrive twice, but none is lost.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import aiosqlite

from bot.edge import Account, Outgoing, outgoing, record
from bot.storage.rows import stamp


@dataclass(frozen=True)
class OutboxMessage:
    """One notice to deliver (``bot.edge``): to whom, on which channel and address, and what."""

    id: int
    channel: str
    address: str
    """Where on the channel it goes (a chat)."""
    kind: str
    values: dict[str, Any]
    """The notice as stored (``bot.edge.record``)."""
    person_id: int | None
    task_id: int | None
    slip_id: int | None
    purpose: str
    attempts: int
    created_at: datetime
    """When the change that caused it was made."""
    last_error: str | None = None
    """Why the last attempt failed, if it did (a timeout: it may have arrived all the same)."""

    @property
    def notice(self) -> Outgoing | None:
        """The notice; None for a row queued by an earlier version in its channel's terms."""
        return outgoing(self.kind, self.values, self.task_id, self.slip_id, self.purpose)


async def enqueue(
    conn: aiosqlite.Connection,
    account: Account,
    item: Outgoing,
    now: datetime,
    *,
    person_id: int | None = None,
) -> int:
    """Add a notice for ``account`` (``person_id``'s, if a person's); call inside the
    transaction of the change that causes it."""
    kind, values = record(item)
    task_id = getattr(item, "task_id", None)
    slip_id = getattr(item, "slip_id", None)
    cur = await conn.execute(
        """INSERT INTO outbox (channel, address, person_id, kind, notice, task_id, slip_id, purpose, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        (account.channel, account.address, person_id, kind, json.dumps(values, ensure_ascii=False), task_id, slip_id,
         item.purpose, stamp(now)),
    )
    return cur.lastrowid or 0


def _message(row: aiosqlite.Row) -> OutboxMessage:
    return OutboxMessage(
        row["id"], row["channel"], str(row["address"]), row["kind"], json.loads(row["notice"]), row["person_id"],
        row["task_id"], row["slip_id"], row["purpose"], row["attempts"], datetime.fromisoformat(row["created_at"]),
        row["last_error"],
    )


async def message(conn: aiosqlite.Connection, message_id: int) -> OutboxMessage | None:
    """One row by its id."""
    async with conn.execute("SELECT * FROM outbox WHERE id = ?", (message_id,)) as cur:
        row = await cur.fetchone()
    return _message(row) if row else None


async def due(conn: aiosqlite.Connection, now: datetime, limit: int = 100) -> list[OutboxMessage]:
    """Pending rows (and rows a crashed sender left ``sending``) whose time has come, oldest first."""
    async with conn.execute(
        """SELECT * FROM outbox WHERE status IN ('pending', 'sending')
           AND (not_before IS NULL OR not_before <= ?) ORDER BY id LIMIT ?""",
        (stamp(now), limit),
    ) as cur:
        return [_message(r) async for r in cur]


async def heads(conn: aiosqlite.Connection, now: datetime, limit: int = 200, channel: str | None = None) -> list[OutboxMessage]:
    """Each address's oldest unsent row, if its time has come, oldest first (on ``channel``, if given).

    What the sender may send next. A chat whose oldest row waits (a 429's ``retry_after``, a
    network backoff) sends nothing until that row has gone, so its messages keep their order;
    and a chat with hundreds of rows queued takes one place in the batch, not all of them.
    """
    # INDEXED BY: left to itself SQLite groups by chat through the (address, message_id)
    # index, reading every message ever sent; the partial index holds only the unsent ones.
    async with conn.execute(
        """SELECT * FROM outbox WHERE id IN (
               SELECT min(id) FROM outbox INDEXED BY outbox_pending
               WHERE status IN ('pending', 'sending') GROUP BY channel, address)
           AND (not_before IS NULL OR not_before <= ?)""" + (" AND channel = ?" if channel else "") + " ORDER BY id LIMIT ?",
        (stamp(now), *([channel] if channel else []), limit),
    ) as cur:
        return [_message(r) async for r in cur]


async def claim(conn: aiosqlite.Connection, message_id: int, now: datetime, lease: timedelta | None = None) -> bool:
    """Mark a row as being sent, before the request goes out; False when it is no longer due
    (sent, failed or put back for later since it was read), and then it must not be sent.

    The check is made here, under the write lock, and not trusted to the read that found
    the row: a row is sent once per claim.

    With several senders on one database (bot instances on PostgreSQL), ``lease``: the row
    is not due for anyone until it has passed, so another sender neither claims it while
    its request is out nor sends the chat's next row meanwhile (``heads`` skips the chat);
    a row whose sender died is taken up by another once the lease has passed.
    """
    if lease is not None:
        # Not a row in the sent log (bot.storage.sent_log): Telegram has it, whoever sent it
        # died before marking it sent.
        cursor = await conn.execute(
            """UPDATE outbox SET status = 'sending', attempts = attempts + 1, not_before = ?
               WHERE id = ? AND status IN ('pending', 'sending') AND (not_before IS NULL OR not_before <= ?)
               AND NOT EXISTS (SELECT 1 FROM sent_log WHERE sent_log.outbox_id = outbox.id)""",
            (stamp(now + lease), message_id, stamp(now)),
        )
        return cursor.rowcount == 1
    cursor = await conn.execute(
        """UPDATE outbox SET status = 'sending', attempts = attempts + 1
           WHERE id = ? AND status IN ('pending', 'sending') AND (not_before IS NULL OR not_before <= ?)""",
        (message_id, stamp(now)),
    )
    return cursor.rowcount == 1


async def mark_sent(conn: aiosqlite.Connection, message_id: int, delivered_id: int | None, now: datetime) -> bool:
    """The channel accepted it; keep the id it gave the message there, so replies to it find
    their slip and a change finds it. False when it was marked sent already (from the sent
    log), and what follows a delivery is done."""
    cursor = await conn.execute(
        "UPDATE outbox SET status = 'sent', sent_at = ?, message_id = ?, last_error = NULL WHERE id = ? AND status != 'sent'",
        (stamp(now), delivered_id, message_id),
    )
    return cursor.rowcount == 1


async def space_chat(conn: aiosqlite.Connection, channel: str, address: str, until: datetime) -> None:
    """With several senders on one database: a chat's next rows wait until ``until``, so that
    the chat gets one message a second whichever sender sends it (each sender's own pacer
    knows only its own sends)."""
    await conn.execute(
        """UPDATE outbox SET not_before = ? WHERE channel = ? AND address = ? AND status = 'pending'
           AND (not_before IS NULL OR not_before < ?)""",
        (stamp(until), channel, address, stamp(until)),
    )


async def retry_later(conn: aiosqlite.Connection, message_id: int, not_before: datetime, error: str) -> None:
    """A passing failure (429, network, 5xx): try again at ``not_before``."""
    await conn.execute(
        "UPDATE outbox SET status = 'pending', not_before = ?, last_error = ? WHERE id = ?",
        (stamp(not_before), error, message_id),
    )


async def mark_failed(conn: aiosqlite.Connection, message_id: int, error: str) -> None:
    """A final failure (400, 403): recorded with the channel's description, never retried."""
    await conn.execute("UPDATE outbox SET status = 'failed', last_error = ? WHERE id = ?", (error, message_id))


async def sent_message(conn: aiosqlite.Connection, channel: str, address: str, delivered_id: str) -> OutboxMessage | None:
    """The notice delivered as a given message, by the channel's id of it (to resolve a reply
    to it or a button pressed on it)."""
    if not delivered_id.isdigit():
        return None  # every channel's message ids are numbers so far
    async with conn.execute(
        "SELECT * FROM outbox WHERE address = ? AND message_id = ? AND channel = ? ORDER BY id DESC LIMIT 1",
        (address, int(delivered_id), channel),
    ) as cur:
        row = await cur.fetchone()
    return _message(row) if row else None


async def delivered_at(conn: aiosqlite.Connection, notice_id: int) -> tuple[str, str, int] | None:
    """Where a notice was delivered: its channel, address and the message's id there."""
    async with conn.execute(
        "SELECT channel, address, message_id FROM outbox WHERE id = ? AND message_id IS NOT NULL", (notice_id,)
    ) as cur:
        row = await cur.fetchone()
    return (row[0], str(row[1]), int(row[2])) if row else None


async def backlog(conn: aiosqlite.Connection) -> int:
    """How many messages wait to be sent."""
    async with conn.execute("SELECT count(*) FROM outbox WHERE status IN ('pending', 'sending')") as cur:
        row = await cur.fetchone()
    return int(row[0]) if row else 0


async def slip_sent_before(conn: aiosqlite.Connection, slip_id: int, other_than: int) -> bool:
    """Whether another copy of the slip (a row other than ``other_than``) was already sent."""
    async with conn.execute(
        "SELECT 1 FROM outbox WHERE slip_id = ? AND purpose = 'slip' AND status = 'sent' AND id != ? LIMIT 1",
        (slip_id, other_than),
    ) as cur:
        return await cur.fetchone() is not None


async def slip_recipients(conn: aiosqlite.Connection, slip_id: int) -> list[int]:
    """The people a slip was sent to (each bound person of its unit), in the order it was queued."""
    async with conn.execute(
        "SELECT DISTINCT person_id, min(id) FROM outbox WHERE slip_id = ? AND purpose = 'slip' AND person_id IS NOT NULL"
        " GROUP BY person_id ORDER BY min(id)",
        (slip_id,),
    ) as cur:
        return [int(row[0]) async for row in cur]


async def delivered_slips(conn: aiosqlite.Connection, task_id: int) -> list[OutboxMessage]:
    """The task's slip notices already delivered (a change of them goes where each went)."""
    return await delivered_notices(conn, task_id, "slip")


async def delivered_notices(conn: aiosqlite.Connection, task_id: int, purpose: str) -> list[OutboxMessage]:
    """The task's notices of ``purpose`` already delivered, oldest first."""
    async with conn.execute(
        "SELECT * FROM outbox WHERE task_id = ? AND purpose = ? AND message_id IS NOT NULL ORDER BY id",
        (task_id, purpose),
    ) as cur:
        return [_message(r) async for r in cur]


async def notices_of(conn: aiosqlite.Connection, task_id: int, purpose: str) -> list[OutboxMessage]:
    """The task's notices of ``purpose`` delivered or still on their way (failed ones aside),
    oldest first. A change of them goes where each went, after it: each address's rows go in
    the order queued, so a change of a notice not yet sent follows it, never overtakes it."""
    async with conn.execute(
        "SELECT * FROM outbox WHERE task_id = ? AND purpose = ? AND status != 'failed' ORDER BY id",
        (task_id, purpose),
    ) as cur:
        return [_message(r) async for r in cur]


async def retire_slip_messages(conn: aiosqlite.Connection, task_id: int) -> list[OutboxMessage]:
    """The task's slip notices, delivered or on their way, no longer counted as its slips (a 更正
    moved the task to another unit): later changes do not give them buttons again. Returns them."""
    retired = await notices_of(conn, task_id, "slip")
    await conn.execute(
        "UPDATE outbox SET purpose = 'slip_replaced' WHERE task_id = ? AND purpose = 'slip' AND status != 'failed'",
        (task_id,),
    )
    return retired
