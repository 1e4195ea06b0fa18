"""The sender: one worker that drains the outbox into the Bot API, within Telegram's limits.

It keeps at most ``per_second`` messages a second overall and one a second per chat, and
keeps each chat's messages in order. ``RetryAfter`` pauses that chat (not everything);
network errors and 5xx are retried with backoff; a 400 is recorded as failed with Telegram's
description; a 403 marks the person unreachable and tells whoever sent them the slip.

A row is marked ``sending`` in its own transaction before the request, and ``sent`` after:
after a crash a ``sending`` row is sent again, so a message may come twice, never not at all.
"""

from __future__ import annotations

import asyncio
import logging
import time
import warnings
from collections import deque
from datetime import timedelta

from telegram import Bot, Message
from telegram.warnings import PTBUserWarning
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.services import delivery
from bot.services.context import Office
from bot.storage import outbox
from bot.storage.outbox import OutboxMessage

log = logging.getLogger(__name__)

# The outbox stores Bot API calls as method name + JSON parameters, which is exactly what
# do_api_request takes; PTB's nudge towards the typed methods does not apply here.
warnings.filterwarnings("ignore", message=r"Please use 'Bot\.", category=PTBUserWarning)

MAX_ATTEMPTS = 8
IDLE_POLL = 1.0
"""Seconds between looks at an empty outbox: one indexed query a second."""
SCOPED_METHODS = {"setMyCommands", "deleteMyCommands"}
"""Methods addressed by a scope, not a chat_id (the row's chat_id only paces them)."""
BACKOFF_CAP = timedelta(minutes=10)


class Sender:
    """Drains the outbox; ``wake()`` after a transaction that queued messages."""

    def __init__(self, office: Office, bot: Bot, per_second: float = 30.0, per_chat_interval: float = 1.0) -> None:
        self.office = office
        self.bot = bot
        self.per_second = per_second
        self.per_chat_interval = per_chat_interval
        self._wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self._chat_free_at: dict[int, float] = {}
        self._recent: deque[float] = deque()
        self.sent = 0

    def wake(self) -> None:
        """New rows are waiting."""
        self._wake.set()

    def start(self) -> None:
        """Run in the background until ``stop``."""
        self._task = asyncio.create_task(self._run(), name="outbox-sender")

    async def stop(self) -> None:
        """Finish the message in flight, then stop."""
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            await self._task
            self._task = None

    async def _run(self) -> None:
        while not self._stopping:
            try:
                idle = await self.drain_once()
            except Exception:  # the sender must outlive any one bad row or database hiccup
                log.exception("outbox sender failed; retrying")
                idle = 1.0
            if self._stopping:
                break
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=idle)
            except TimeoutError:
                pass

    async def drain_once(self) -> float:
        """Send what may be sent now; return how long to wait before looking again."""
        now = self.office.now()
        rows = await outbox.due(self.office.db.reader, now, limit=200)
        if not rows:
            # Another process (``duban daily``, ``duban`` admin commands) may have queued rows.
            return IDLE_POLL
        held: set[int] = set()
        wait = IDLE_POLL
        for row in rows:
            if self._stopping:
                return 0.0
            if row.chat_id in held:
                continue
            ready_in = self._chat_free_at.get(row.chat_id, 0.0) - time.monotonic()
            if ready_in > 0:
                # Later rows of this chat wait too: a chat's messages arrive in order.
                held.add(row.chat_id)
                wait = min(wait, ready_in)
                continue
            await self._global_slot()
            await self._send(row)
        return 0.0 if len(rows) == 200 else wait

    async def _global_slot(self) -> None:
        if self.per_second <= 0:
            return
        while True:
            now = time.monotonic()
            while self._recent and now - self._recent[0] >= 1.0:
                self._recent.popleft()
            if len(self._recent) < self.per_second:
                self._recent.append(now)
                return
            await asyncio.sleep(1.0 - (now - self._recent[0]))

    async def _send(self, row: OutboxMessage) -> None:
        async with self.office.db.transaction() as conn:
            await outbox.claim(conn, row.id)
        self._chat_free_at[row.chat_id] = time.monotonic() + self.per_chat_interval
        try:
            kwargs = dict(row.payload)
            if row.method not in SCOPED_METHODS:
                kwargs.setdefault("chat_id", row.chat_id)
            result = await self.bot.do_api_request(row.method, api_kwargs=kwargs)
        except RetryAfter as exc:
            delay = exc.retry_after if isinstance(exc.retry_after, (int, float)) else exc.retry_after.total_seconds()
            self._chat_free_at[row.chat_id] = time.monotonic() + delay
            await self._later(row, timedelta(seconds=delay), str(exc))
        except Forbidden as exc:
            async with self.office.db.transaction() as conn:
                await outbox.mark_failed(conn, row.id, exc.message)
                await delivery.blocked(conn, row, self.office.now())
        except BadRequest as exc:
            log.warning("outbox %s to chat %s refused: %s", row.id, row.chat_id, exc.message)
            async with self.office.db.transaction() as conn:
                await outbox.mark_failed(conn, row.id, exc.message)
        except (NetworkError, TelegramError) as exc:
            if row.attempts + 1 >= MAX_ATTEMPTS:
                async with self.office.db.transaction() as conn:
                    await outbox.mark_failed(conn, row.id, str(exc))
            else:
                await self._later(row, min(timedelta(seconds=2 ** (row.attempts + 1)), BACKOFF_CAP), str(exc))
        else:
            message_id = _message_id(result)
            async with self.office.db.transaction() as conn:
                await outbox.mark_sent(conn, row.id, message_id, self.office.now())
                await delivery.delivered(conn, row, self.office.now())
            self.sent += 1

    async def _later(self, row: OutboxMessage, delay: timedelta, error: str) -> None:
        async with self.office.db.transaction() as conn:
            await outbox.retry_later(conn, row.id, self.office.now() + delay, error)
        self._wake.set()


def _message_id(result: object) -> int | None:
    if isinstance(result, dict):
        value = result.get("message_id")
        return int(value) if value is not None else None
    if isinstance(result, Message):
        return result.message_id
    return None

