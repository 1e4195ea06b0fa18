"""The sender: drains the outbox's Telegram notices into the Bot API, within Telegram's limits.

Each notice is rendered to its Bot API call here (``render``); a download into the evidence
archive fetches the file through this channel (``files``).

Up to ``MAX_IN_FLIGHT`` requests are in flight at once, never two to the same chat: a chat's
next message is its oldest unsent row, and it is not looked at while that chat has a request
out, so each chat's messages keep their order, and a request that hangs or waits to be retried
holds up its own chat only. The pace (at most 30 messages a second overall and one a second
per chat) is the bot's ``ChatPacer``, shared with the handlers' direct replies; the sender
skips a chat whose slot has not come yet. ``RetryAfter`` pauses that chat (not everything);
network errors and 5xx are retried with growing backoff (at most ten minutes apart) for three
days, so an outage of the network or of Telegram delays messages but loses none; a 400 is
recorded as failed with Telegram's description; a 403 marks the person unreachable and tells
whoever sent them the slip.

Several bot instances on one PostgreSQL database share the outbox: a claim is a lease
(``telegram.claim_lease_seconds``, five minutes: longer than any request takes, an archive
download of 20 MB included) that keeps the row and its chat from the other senders, and a sent row holds
its chat's next rows for the chat interval, so two senders never send one row and keep 1/s per
chat together; 30/s overall is kept by giving each instance its share
(``telegram.messages_per_second``, deploy/README.md).

A row is marked ``sending`` in its own transaction before the request. Telegram's answer is
written at once to the sent log (``bot.storage.sent_log``), which does not wait for the
database's write lock, and the row is marked ``sent`` when that lock comes (behind a daily
check, seconds later). After a crash the sender first marks sent what the log holds; a
``sending`` row not in it is sent again. So a message comes twice only if it was on the wire
when the process died (its answer not yet read), never not at all.

A request that times out may have reached Telegram: it is logged, and so is the attempt after
it ("again after a timeout"), so a message that came twice can be told from one sent twice.
"""

from __future__ import annotations

import asyncio
from contextvars import ContextVar
from dataclasses import replace
import logging
import time
import warnings
from collections import deque
from datetime import timedelta

from telegram import Message
from telegram.ext import ExtBot
from telegram.request import BaseRequest, HTTPXRequest
from telegram.warnings import PTBUserWarning
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut

from bot.channels import files
from bot.channels.telegram import render
from bot.channels.telegram.files import fetcher
from bot.channels.telegram.pacing import NO_RETRY, ChatPacer, retry_seconds
from bot.edge import TELEGRAM, Change, Download, File, Notice, Outgoing
from bot.services import delivery, evidence
from bot.services.context import Office
from bot.storage import outbox
from bot.storage.outbox import OutboxMessage

log = logging.getLogger(__name__)

# A notice is rendered as a method name + JSON parameters, which is exactly what
# do_api_request takes; PTB's nudge towards the typed methods does not apply here.
warnings.filterwarnings("ignore", message=r"Please use 'Bot\.", category=PTBUserWarning)

PATIENCE = timedelta(days=3)
"""How long a message is retried after network errors or 5xx answers, from when it was queued."""
IDLE_POLL = 1.0
"""Seconds between looks at an empty outbox: one indexed query a second."""
BACKOFF_CAP = timedelta(minutes=10)
RECOVER_EVERY = 60.0
"""Several instances: seconds between looks at the sent log for rows a dead instance left."""
TIMED_OUT = "timed out"
"""How ``last_error`` of a row whose request timed out begins."""


BATCH = 200
"""Rows read per look at the outbox (at most one per chat)."""
MAX_IN_FLIGHT = 24
"""Requests out at once. At 30 messages a second, a 10 s hang every twentieth request keeps
about 8 of them waiting for their timeout; the rest keep the pace. Bounded, so a Telegram
outage does not open hundreds of connections."""
CONNECTIONS = MAX_IN_FLIGHT + 8
"""HTTP connections of a sender's own client: the sends, plus room for other calls."""


_SENDING: ContextVar[bool] = ContextVar("sending", default=False)
"""True inside the sender's own task."""


class Sender:
    """Drains the outbox; ``wake()`` after a transaction that queued messages."""

    def __init__(self, office: Office, bot: ExtBot[int], pacer: ChatPacer, max_in_flight: int = MAX_IN_FLIGHT) -> None:
        self.office = office
        self.bot = bot
        self.fetch = fetcher(bot)
        office.file_sources[TELEGRAM] = self.fetch
        self.pacer = pacer
        """The bot's own rate limiter: handlers' direct replies and the sender share its pace."""
        self.max_in_flight = max_in_flight
        self._wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self._in_flight: dict[int, asyncio.Task[None]] = {}
        """The request out to each chat that has one."""
        self._batch: deque[OutboxMessage] = deque()
        self._batch_read_at = 0.0
        self.sent = 0

    def wake(self) -> None:
        """New rows are waiting."""
        self._batch_read_at = 0.0
        self._wake.set()

    def committed(self) -> None:
        """The database's commit hook: anything committed may have queued messages, so look.
        The sender's own commits (marking rows sent) do not wake it again."""
        if not _SENDING.get():
            self.wake()

    def start(self) -> None:
        """Run in the background until ``stop``."""
        self._task = asyncio.create_task(self._run(), name="outbox-sender")

    async def stop(self) -> None:
        """Finish the messages in flight, then stop."""
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            await self._task
            self._task = None
        while self._in_flight:
            await asyncio.gather(*self._in_flight.values())

    async def _run(self) -> None:
        _SENDING.set(True)  # this task's context only, and the tasks it starts
        try:
            await self.recover()
        except Exception:  # the database is down: the rows stay in the log for the next start
            log.exception("could not mark the rows of the sent log sent")
        await self._settle()
        recovered_at = time.monotonic()
        while not self._stopping:
            # Cleared before looking, not after: a wake() while a batch is being sent must
            # not be lost, or its rows would wait for the next idle poll.
            self._wake.clear()
            try:
                if self.office.db.url is not None and time.monotonic() - recovered_at > RECOVER_EVERY:
                    # Another instance may have died with rows in the sent log: nobody claims
                    # them again (outbox.claim), so they are marked sent here.
                    recovered_at = time.monotonic()
                    await self.recover()
                idle = await self.drain_once()
            except Exception:  # the sender must outlive any one bad row or database hiccup
                log.exception("outbox sender failed; retrying")
                idle = 1.0
            if self._stopping:
                break
            if idle <= 0:
                continue
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=idle)
            except TimeoutError:
                pass

    async def recover(self) -> None:
        """Mark sent what Telegram accepted before a crash (the sent log's entries), before any
        row is claimed: those rows must not go a second time."""
        sent_log = await self.office.db.sent_log()
        entries = await sent_log.entries()
        if not entries:
            return
        now = self.office.now()
        async with self.office.db.transaction() as conn:
            marked = 0
            for entry in entries:
                row = await outbox.message(conn, entry.outbox_id)
                # The chat checked too: a log left beside a database restored from a backup
                # must not mark another message sent.
                if row is None or _chat(row) != entry.chat_id:
                    continue
                if await outbox.mark_sent(conn, row.id, entry.message_id, now):
                    await delivery.delivered(conn, row, now)
                    marked += 1
        await sent_log.forget([e.outbox_id for e in entries])
        log.info("%s messages accepted by Telegram before a restart marked sent (%s in the sent log)", marked, len(entries))

    async def _settle(self) -> None:
        # A process that stopped a moment ago (a restart) may have filled Telegram's windows,
        # which this one cannot see: let one window pass before the first message.
        window = max(self.pacer.chat_interval, 1.0 if self.pacer.per_second > 0 else 0.0)
        deadline = time.monotonic() + window
        while not self._stopping and (left := deadline - time.monotonic()) > 0:
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=left)
            except TimeoutError:
                pass

    async def drain_once(self) -> float:
        """Start sending what may be sent now; return how long to wait before looking again
        (a request that ends wakes the sender sooner)."""
        # The heads read from the outbox are used up before it is read again (or after a
        # second, or a wake()): reading them again at each answer, with 24 answers coming in
        # and thousands of rows queued, would cost more than the sending.
        if not self._batch or time.monotonic() - self._batch_read_at > IDLE_POLL:
            # One row per chat, its oldest: a chat's messages arrive in order, and one busy
            # chat cannot fill the batch and hold up everyone else.
            rows = await outbox.heads(self.office.db.reader, self.office.now(), limit=BATCH, channel=TELEGRAM)
            self._batch = deque(r for r in rows if _chat(r) not in self._in_flight)
            self._batch_read_at = time.monotonic()
            if not rows:
                # Another process (``duban daily``, ``duban`` admin commands) may have queued rows.
                return IDLE_POLL
        wait = IDLE_POLL
        started = False
        waiting: deque[OutboxMessage] = deque()
        while self._batch:
            row = self._batch.popleft()
            if self._stopping or len(self._in_flight) >= self.max_in_flight:
                waiting.append(row)
                continue
            chat = _chat(row)
            if chat in self._in_flight:
                continue  # its head is the row in flight: the next one comes after the answer
            ready_in = self.pacer.ready_in(chat)
            if ready_in > 0:
                wait = min(wait, ready_in)
                waiting.append(row)
                continue
            self._in_flight[chat] = asyncio.create_task(self._send_one(row), name="send:%s" % row.id)
            started = True
        self._batch = waiting
        # All started and room left: look at the outbox again at once for the chats' next rows.
        return 0.0 if started and not waiting and len(self._in_flight) < self.max_in_flight else wait

    async def _send_one(self, row: OutboxMessage) -> None:
        try:
            await self._send(row)
        except Exception:  # one row's trouble (a database hiccup) must not end the sender
            log.exception("outbox %s to chat %s: sending failed; it stays queued", row.id, row.address)
        finally:
            del self._in_flight[_chat(row)]
            self._wake.set()

    async def _send(self, row: OutboxMessage) -> bool:
        """Send one row; False when it turned out to be no longer due (nothing went out)."""
        shared = self.office.db.url is not None  # other bot instances send from this outbox too
        sent_log = await self.office.db.sent_log()
        async with self.office.db.transaction() as conn:
            lease = timedelta(seconds=self.office.settings.claim_lease_seconds) if shared else None
            if not await outbox.claim(conn, row.id, self.office.now(), lease):
                return False
        kept: evidence.KeptFile | None = None
        chat = _chat(row)
        item = _outgoing(row)
        try:
            if isinstance(item, Download):
                kept = await evidence.download(self.fetch, item.file, self.office.settings.archive_dir, item.folder, item.name)
                result: object = None
            else:
                delivered = None
                if isinstance(item, Change):
                    place = await outbox.delivered_at(self.office.db.reader, item.notice_id)
                    delivered = place[2] if place is not None else None
                data = None
                if isinstance(item, Notice) and item.files and files.foreign(item.files[0], TELEGRAM):
                    data = await files.bytes_of(self.office, item.files[0])
                    if data is None:  # no messenger here reaches it: its words go alone
                        if not item.text:
                            raise ValueError(f"{item.files[0].name}: its bytes are not at hand, and it has no words")
                        item = replace(item, files=())
                method, kwargs = render.call(item, row.kind, row.values, chat, delivered, data)
                if method not in render.SCOPED_METHODS:
                    kwargs.setdefault("chat_id", chat)
                if row.last_error is not None and row.last_error.startswith(TIMED_OUT):
                    log.warning(
                        "outbox %s to chat %s: sent again after a timeout (attempt %s); if the first reached "
                        "Telegram, the person gets it twice", row.id, row.address, row.attempts + 1,
                    )
                # NO_RETRY: the pacer waits for the slot but leaves a 429 to us, so the row is put
                # back with its not_before instead of holding the sender up.
                result = await self.bot.do_api_request(method, api_kwargs=kwargs, rate_limit_args=NO_RETRY)
        except ValueError as exc:  # an archive download or a change that can never succeed
            log.warning("outbox %s: %s", row.id, exc)
            async with self.office.db.transaction() as conn:
                await outbox.mark_failed(conn, row.id, str(exc))
        except RetryAfter as exc:
            await self._later(row, timedelta(seconds=retry_seconds(exc)), str(exc))
        except Forbidden as exc:
            async with self.office.db.transaction() as conn:
                await outbox.mark_failed(conn, row.id, exc.message)
                await delivery.blocked(conn, row, self.office.now())
        except BadRequest as exc:
            log.warning("outbox %s to chat %s refused: %s", row.id, row.address, exc.message)
            async with self.office.db.transaction() as conn:
                await outbox.mark_failed(conn, row.id, exc.message)
        except (NetworkError, TelegramError, files.FileUnreachable) as exc:
            if self.office.now() - row.created_at >= PATIENCE:
                log.error("outbox %s to chat %s given up after %s attempts: %s", row.id, row.address, row.attempts + 1, exc)
                async with self.office.db.transaction() as conn:
                    await outbox.mark_failed(conn, row.id, str(exc))
            else:
                # A first timeout has waited its read timeout already: tried again at once (a hung
                # connection, not an outage); after that, and after other errors, growing backoff.
                first_timeout = isinstance(exc, TimedOut) and row.attempts == 0
                delay = timedelta(0) if first_timeout else min(timedelta(seconds=2 ** row.attempts), BACKOFF_CAP)
                error = str(exc)
                if isinstance(exc, TimedOut):
                    # It may have reached Telegram all the same: the next attempt says so.
                    log.warning(
                        "outbox %s to chat %s: no answer in time (attempt %s, %s); tried again in %s s",
                        row.id, row.address, row.attempts + 1, exc, delay.total_seconds(),
                    )
                    error = f"{TIMED_OUT}: {exc}"
                await self._later(row, delay, error)
        else:
            message_id = _message_id(result)
            if kept is None:
                await sent_log.record(row.id, chat, message_id)
            async with self.office.db.transaction() as conn:
                if await outbox.mark_sent(conn, row.id, message_id, self.office.now()):
                    if shared and self.pacer.chat_interval > 0:
                        await outbox.space_chat(conn, row.channel, row.address, self.office.now() + timedelta(seconds=self.pacer.chat_interval))
                    if kept is not None and isinstance(item, Download):
                        await evidence.record(conn, item.attachment_id, kept, self.office.now())
                    else:
                        await delivery.delivered(conn, row, self.office.now())
            if kept is None:
                await sent_log.forget([row.id])
            self.sent += 1
        return True

    async def _later(self, row: OutboxMessage, delay: timedelta, error: str) -> None:
        async with self.office.db.transaction() as conn:
            await outbox.retry_later(conn, row.id, self.office.now() + delay, error)


def paced_bot(token: str, base_url: str, pacer: ChatPacer, request: BaseRequest | None = None) -> ExtBot[int]:
    """A Bot API client going through ``pacer`` — for a sender outside the Application (with
    connections enough for ``MAX_IN_FLIGHT`` requests at once)."""
    if request is None:
        request = HTTPXRequest(connection_pool_size=CONNECTIONS)
    return ExtBot(token, base_url=base_url, rate_limiter=pacer, request=request)


def _chat(row: OutboxMessage) -> int:
    return render.chat_of(row.address)


def _outgoing(row: OutboxMessage) -> Outgoing | None:
    if row.kind == "archiveFile":  # a download queued before notices
        v = row.values
        return Download(v["attachment_id"], File(channel=TELEGRAM, received=v["file_id"]), v["folder"], v["name"], row.task_id)
    return row.notice


def _message_id(result: object) -> int | None:
    if isinstance(result, dict):
        value = result.get("message_id")
        return int(value) if value is not None else None
    if isinstance(result, Message):
        return result.message_id
    return None

