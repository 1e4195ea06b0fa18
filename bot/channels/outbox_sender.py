"""The skeleton every sender but Telegram's shares: drain one channel's outbox rows, paced, crash-safe.

A channel's sender subclasses :class:`OutboxSender` and says only how a row becomes that
channel's requests (``deliver``), how a file received on it is fetched (``fetch``) and which of
its errors are passing ones (``passing``). The rest is here, the same for every channel:

* Pacing: at most ``per_second`` rows a second overall, one row at a time per person, in the
  order queued, at most ``max_in_flight`` rows at once.
* The channel refusing for a quota (:class:`QuotaRefused`) pauses every send for the time it
  asks, growing with each refusal in a row, and puts the row back: a notice is delayed, never
  dropped. A person held back for now (:class:`HeldBack`) gets the row again a little later.
  Passing failures (``passing``: the network, 5xx, the platform busy) are retried with growing
  backoff for :data:`PATIENCE`; a refusal that cannot succeed is recorded as failed with the
  platform's words, and an address the platform does not know (:class:`Refused`) marks the
  person unreachable (as Telegram's 403 does).
* Crash safety is the Telegram sender's (``bot.channels.telegram.sender``): a row is claimed
  (``sending``) in its own transaction before the request, the platform's acceptance is written
  at once to the sent log, and the row is marked sent when the write lock comes; at start the
  sent log's entries of this channel are marked sent before anything is claimed. A channel
  whose row leaves something to ask the platform about later (钉钉's 工作通知 task id) returns
  it from ``deliver`` as :class:`Accepted`: the sent log keeps its id in place of the row's, and
  ``accepted`` records it in the transaction that marks the row sent, after a crash too.
* A ``Download`` row (a file received on the channel, for the evidence archive) is fetched here.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta

import aiosqlite

from bot.channels.files import FileUnreachable
from bot.edge import Download, File, Outgoing
from bot.services import delivery, evidence
from bot.services.context import Office
from bot.storage import outbox
from bot.storage.outbox import OutboxMessage

log = logging.getLogger(__name__)

PATIENCE = timedelta(days=3)
"""How long a notice is retried after passing failures, from when it was queued."""
IDLE_POLL = 1.0
BACKOFF_CAP = timedelta(minutes=10)
QUOTA_CAP = 60.0
"""The longest pause after quota refusals in a row (per-minute quotas clear within it)."""
BATCH = 200
MAX_IN_FLIGHT = 8

def chat_key(address: str) -> int:
    """The sent log's ``chat_id`` of an address: the number a numeric one reads as, else 0 (the
    value a Telegram sender's recovery reads for it too, so either recovery marks the row sent)."""
    try:
        return int(address)
    except ValueError:
        return 0


@dataclass(frozen=True)
class Accepted:
    """What ``deliver`` may say of a row the platform took, beyond its being sent: ``logged``, an
    id of the platform's the sent log keeps with the row (so a row accepted just before a crash
    still has it), or None and ``detail``, the platform's words on why there is none."""

    logged: int | None = None
    detail: str = ""


class QuotaRefused(Exception):
    """The platform refused for a quota: every send waits ``wait`` seconds (growing)."""

    def __init__(self, wait: float, reason: str) -> None:
        super().__init__(reason)
        self.wait = wait


class HeldBack(Exception):
    """The platform holds this person's messages back for now: the row again after ``wait``."""

    def __init__(self, wait: timedelta, reason: str) -> None:
        super().__init__(reason)
        self.wait = wait


class Refused(Exception):
    """The platform will not deliver to this address (a member it does not know)."""


class PerAddressWindow:
    """At most ``limit`` sends to one address in any ``window`` seconds (a platform that drops
    what goes over its per-person limit without a word, as 企业微信 does, must never be asked
    for more). ``take`` waits for a free slot."""

    def __init__(self, limit: int, window: float = 60.0) -> None:
        self.limit = limit
        self.window = window
        self._sent: dict[str, deque[float]] = {}

    def wait_for(self, address: str) -> float:
        """Seconds until a send to ``address`` fits (0: now)."""
        sent = self._sent.get(address)
        if not sent:
            return 0.0
        now = time.monotonic()
        while sent and now - sent[0] >= self.window:
            sent.popleft()
        if len(sent) < self.limit:
            return 0.0
        return self.window - (now - sent[0])

    async def take(self, address: str) -> None:
        """Wait for a slot and use it."""
        while (wait := self.wait_for(address)) > 0:
            await asyncio.sleep(wait)
        self._sent.setdefault(address, deque()).append(time.monotonic())


class OutboxSender:
    """Drains the rows of one channel; ``committed`` is the database's commit hook.

    Subclasses set :attr:`CHANNEL` and :attr:`NAME` and implement ``deliver``, ``fetch`` and
    ``passing``.
    """

    CHANNEL = ""
    """The channel whose rows this sender drains (``bot.edge.Account.channel``)."""
    NAME = ""
    """The platform's name, for the log."""

    def __init__(self, office: Office, per_second: float, max_in_flight: int = MAX_IN_FLIGHT) -> None:
        self.office = office
        self.interval = 1.0 / per_second if per_second > 0 else 0.0
        self.max_in_flight = max_in_flight
        self.sent = 0
        self.quota_refusals = 0
        """Refusals for a quota so far (health, tests)."""
        self._next_slot = 0.0
        self._paused_until = 0.0
        self._refusals_in_a_row = 0
        self._look = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self._in_flight: dict[str, asyncio.Task[None]] = {}
        self._sending: ContextVar[bool] = ContextVar(f"{self.CHANNEL}_sending", default=False)
        """Set in this sender's own task: its commits do not wake it (another sender's do)."""
        office.file_sources[self.CHANNEL] = self.fetch

    # ------------------------------------------------------------------ what a channel says

    async def deliver(self, row: OutboxMessage, item: Outgoing | None) -> Accepted | None:
        """The requests that put ``item`` in the person's chat (raise to refuse, see module);
        what the platform gave back to keep, if anything (:class:`Accepted`)."""
        raise NotImplementedError

    async def accepted(self, conn: aiosqlite.Connection, row: OutboxMessage, accepted: Accepted, now: datetime) -> None:
        """Record what ``deliver`` returned for ``row``, in the transaction that marks it sent
        (after a crash, from the sent log: ``logged`` only). Nothing by default."""

    async def fetch(self, file: File, limit: int) -> bytes:
        """``bot.edge.FetchFile`` of files received on this channel."""
        raise NotImplementedError

    def passing(self, exc: Exception) -> bool | None:
        """Whether a channel error may pass (retried), or not (failed); None: not the
        channel's error (logged, the row stays queued)."""
        return None

    # ------------------------------------------------------------------ running

    def committed(self) -> None:
        """Anything committed may have queued notices: look (the sender's own commits aside)."""
        if not self._sending.get():
            self._look.set()

    def start(self) -> None:
        """Run in the background until ``stop``."""
        self._task = asyncio.create_task(self._run(), name=f"{self.CHANNEL}-sender")

    async def stop(self) -> None:
        """Finish the requests in flight, then stop."""
        self._stopping = True
        self._look.set()
        if self._task is not None:
            await self._task
            self._task = None
        while self._in_flight:
            await asyncio.gather(*self._in_flight.values(), return_exceptions=True)

    async def _run(self) -> None:
        self._sending.set(True)
        try:
            await self.recover()
        except Exception:
            log.exception("could not mark the %s rows of the sent log sent", self.NAME)
        while not self._stopping:
            self._look.clear()
            try:
                idle = await self.drain_once()
            except Exception:
                log.exception("%s sender failed; retrying", self.NAME)
                idle = IDLE_POLL
            if self._stopping:
                break
            if idle <= 0:
                continue
            try:
                await asyncio.wait_for(self._look.wait(), timeout=idle)
            except TimeoutError:
                pass

    async def recover(self) -> None:
        """Mark sent the rows the platform accepted before a crash (the sent log's entries)."""
        sent_log = await self.office.db.sent_log()
        entries = await sent_log.entries()
        done: list[int] = []
        now = self.office.now()
        async with self.office.db.transaction() as conn:
            for entry in entries:
                row = await outbox.message(conn, entry.outbox_id)
                if row is None or row.channel != self.CHANNEL or chat_key(row.address) != entry.chat_id:
                    continue
                if await outbox.mark_sent(conn, row.id, row.id, now):
                    await delivery.delivered(conn, row, now)
                    if entry.message_id is not None and entry.message_id != row.id:
                        await self.accepted(conn, row, Accepted(entry.message_id), now)
                done.append(row.id)
        if done:
            await sent_log.forget(done)
            log.info("%s %s messages accepted before a restart marked sent", len(done), self.NAME)

    async def drain_once(self) -> float:
        """Start what may be sent now; how long to wait before looking again."""
        pause = self._paused_until - time.monotonic()
        if pause > 0:
            return pause
        rows = await outbox.heads(self.office.db.reader, self.office.now(), limit=BATCH, channel=self.CHANNEL)
        if not rows:
            return IDLE_POLL
        wait = IDLE_POLL
        for row in rows:
            if self._stopping or len(self._in_flight) >= self.max_in_flight:
                break
            if row.address in self._in_flight:
                continue
            slot = self._next_slot - time.monotonic()
            if slot > 0:
                wait = min(wait, slot)
                break
            self._next_slot = max(self._next_slot, time.monotonic()) + self.interval
            self._in_flight[row.address] = asyncio.create_task(self._send_one(row), name=f"{self.CHANNEL}-send:{row.id}")
        return wait if self._in_flight or wait < IDLE_POLL else IDLE_POLL

    async def _send_one(self, row: OutboxMessage) -> None:
        try:
            await self._send(row)
        except Exception:
            log.exception("outbox %s to %s %s: sending failed; it stays queued", row.id, self.NAME, row.address)
        finally:
            del self._in_flight[row.address]
            self._look.set()

    async def _send(self, row: OutboxMessage) -> None:
        shared = self.office.db.url is not None
        async with self.office.db.transaction() as conn:
            lease = timedelta(seconds=self.office.settings.claim_lease_seconds) if shared else None
            if not await outbox.claim(conn, row.id, self.office.now(), lease):
                return
        item = row.notice
        kept: evidence.KeptFile | None = None
        taken: Accepted | None = None
        try:
            if isinstance(item, Download):
                kept = await evidence.download(self.fetch, item.file, self.office.settings.archive_dir, item.folder, item.name)
            else:
                taken = await self.deliver(row, item)
        except QuotaRefused as exc:
            self.quota_refusals += 1
            self._refusals_in_a_row += 1
            pause = min(exc.wait * 2 ** (self._refusals_in_a_row - 1), QUOTA_CAP)
            self._paused_until = max(self._paused_until, time.monotonic() + pause)
            log.warning("%s quota (%s): outbox %s waits %.1f s, and every send with it", self.NAME, exc, row.id, pause)
            await self._later(row, timedelta(seconds=pause), f"quota: {exc}")
        except HeldBack as exc:
            await self._later(row, exc.wait, str(exc))
        except Refused as exc:
            async with self.office.db.transaction() as conn:
                await outbox.mark_failed(conn, row.id, str(exc))
                await delivery.blocked(conn, row, self.office.now())
        except ValueError as exc:  # a file over the limit, a change of a notice never delivered
            log.warning("outbox %s: %s", row.id, exc)
            async with self.office.db.transaction() as conn:
                await outbox.mark_failed(conn, row.id, str(exc))
        except Exception as exc:
            passing = True if isinstance(exc, FileUnreachable) else self.passing(exc)
            if passing is None:
                raise
            if passing and self.office.now() - row.created_at < PATIENCE:
                delay = min(timedelta(seconds=2 ** row.attempts), BACKOFF_CAP)
                log.warning("outbox %s to %s %s: %s; tried again in %s s", row.id, self.NAME, row.address, exc, delay.total_seconds())
                await self._later(row, delay, str(exc))
            else:
                log.error("outbox %s to %s %s refused: %s", row.id, self.NAME, row.address, exc)
                async with self.office.db.transaction() as conn:
                    await outbox.mark_failed(conn, row.id, str(exc))
        else:
            self._refusals_in_a_row = 0
            sent_log = await self.office.db.sent_log()
            if kept is None:
                logged = taken.logged if taken is not None and taken.logged is not None else row.id
                await sent_log.record(row.id, chat_key(row.address), logged)
            async with self.office.db.transaction() as conn:
                if await outbox.mark_sent(conn, row.id, row.id, self.office.now()):
                    if kept is not None and isinstance(item, Download):
                        await evidence.record(conn, item.attachment_id, kept, self.office.now())
                    else:
                        await delivery.delivered(conn, row, self.office.now())
                    if taken is not None:
                        await self.accepted(conn, row, taken, self.office.now())
            if kept is None:
                await sent_log.forget([row.id])
            self.sent += 1

    async def _later(self, row: OutboxMessage, delay: timedelta, error: str) -> None:
        async with self.office.db.transaction() as conn:
            await outbox.retry_later(conn, row.id, self.office.now() + delay, error)
