"""The sender: drains the outbox's 钉钉 notices into the OpenAPI, within 钉钉's quotas.

A notice without buttons is a robot one-to-one markdown message (``batchSend``); one with buttons
an interactive card (``render``) created and delivered as ``duban-<outbox id>``, so a later
change of it (``bot.edge.Change``) updates that card (``PUT /v1.0/card/instances``). A change of
a notice that went as a plain message cannot edit it (钉钉's robot messages are not editable):
new text goes as a new message, buttons taken away need nothing. A notice with a file uploads
the file (one the bot keeps, or one received on 钉钉, fetched by its download code) and sends it
as a file message, the text after it. A person's menu of commands has no 钉钉 form and is done
at once. A download into the evidence archive of a file received on 钉钉 fetches it here.

Pacing: at most ``[dingtalk] send_per_second`` requests a second, and one request at a time
per person, in the order queued. 钉钉 refusing for a quota (``QuotaExceeded``: the per-API
QPS/QPM limits, or the gateway throttling the address) pauses every send for the time it asks,
growing with each refusal in a row, and puts the row back: a notice is delayed, never dropped.
A person held back by 钉钉's per-person flow control (``flowControlledStaffIdList``) gets the
row again a little later. Passing failures (the network, 5xx, 钉钉 busy) are retried with
growing backoff for three days; a refusal that cannot succeed is recorded as failed with 钉钉's
words, and a userid 钉钉 does not know marks the person unreachable (as Telegram's 403 does).

Crash safety is the Telegram sender's (``bot.channels.telegram.sender``): a row is claimed
(``sending``) in its own transaction before the request, 钉钉's acceptance is written at once to
the sent log (with a slip's 工作通知 task id), and the row is marked sent when the write lock
comes; at start the sent log's entries are marked sent before anything is claimed. A card sent again after a crash is the same
``outTrackId``: 钉钉 delivers it once.

Read receipts. A card in the robot chat tells nothing of being read (钉钉 has no read status for
cards), so a slip (交办单, 催办单, 督办通知单: a notice of purpose ``slip``) goes twice: the card
with 签收 · 反馈 · 申请延期 in the robot chat, as every message with buttons does, and the same
text as a 工作通知 (``asyncsend_v2``). The 工作通知 is what a 钉钉 office expects of an official
document: it stands in the 工作通知 list under the app's name — 钉钉's 消息必达, the place people
look for what they are sent to act on — and ``getsendresult`` lists who has read it and who has
not. The other way, a robot markdown message whose ``processQueryKey`` is polled
(``readStatus``), would put the slip in the same chat twice, once without its buttons, and a
robot message is held back by per-person flow control where a 工作通知 is not. The 工作通知 says
where to press 签收 (``labels.toml`` ``[dingtalk] work_notice_footer``): it has no buttons that
call back.

The card goes first: a quota refusal of the 工作通知 puts the row back, and the card sent again
is the same card. Any other refusal of the 工作通知 is recorded (``dingtalk_work_notices``, with
钉钉's words) and the slip counts as delivered: the card went. 钉钉 delivers a 工作通知 of the
same content to the same person once a day and 500 a day, silently: ``getsendresult`` lists such a
person as forbidden, and the poll records it so (not delivered; the card is the copy). A slip's
text carries its own number and dates, so two slips — a 催办单 after a 交办单, a second 催办单
the same day — are never the same content.

The read poll (``[dingtalk] read_poll_seconds``, 300 by default) asks ``getsendresult`` of each
工作通知 not yet read, oldest-asked first, for at most :data:`READ_POLL_DAYS` days, paced with
the sends; a read is recorded by ``delivery.read_notice`` at the time of the poll that saw it
(``getsendresult`` lists who has read, not when: 已读 is at most one poll late), and each turn
ends with ``delivery.chase_read_unacknowledged``. Calls: one per unread slip per turn; 20 unread
slips polled every 5 minutes are 5,760 calls a day, within 钉钉's 20 calls a second per API and
far from the daily caps; a slip read stops being asked about.
"""

from __future__ import annotations

import asyncio
import logging
import time
from contextvars import ContextVar
from datetime import timedelta
from pathlib import Path

from bot.channels.dingtalk import render
from bot.channels.dingtalk.adapter import DINGTALK
from bot.channels.dingtalk.errors import DingTalkError, QuotaExceeded, TokenRejected
from bot.channels.dingtalk.openapi import DingTalkApi
from bot.edge import Change, Download, File, Menu, Notice, Outgoing
from bot.services import delivery, evidence
from bot.services.context import Office
from bot.storage import outbox, work_notices
from bot.storage.outbox import OutboxMessage
from bot.texts import label

log = logging.getLogger(__name__)

PATIENCE = timedelta(days=3)
"""How long a notice is retried after passing failures, from when it was queued."""
IDLE_POLL = 1.0
BACKOFF_CAP = timedelta(minutes=10)
QUOTA_CAP = 60.0
"""The longest pause after quota refusals in a row (钉钉's per-minute quotas clear within it)."""
FLOW_CONTROL_WAIT = timedelta(seconds=5)
"""A person held back by 钉钉's per-person flow control gets the row again after this."""
BATCH = 200
MAX_IN_FLIGHT = 8
READ_POLL_DAYS = 3
"""How long a 工作通知 not read is asked about: past it, the slip has long been chased by the
daily check's 催办, and asking on costs calls for nothing."""
READ_POLL_BATCH = 500
"""工作通知 asked about in one turn at most (the least recently asked first)."""

_SENDING: ContextVar[bool] = ContextVar("dingtalk_sending", default=False)


def chat_key(address: str) -> int:
    """The sent log's ``chat_id`` of a 钉钉 address: the number a numeric userid reads as, else
    0 (the value a Telegram sender's recovery reads for it too, so either recovery marks the
    row sent)."""
    try:
        return int(address)
    except ValueError:
        return 0


class Refused(Exception):
    """钉钉 will not deliver this row (a userid it does not know)."""


class FlowControlled(Exception):
    """钉钉 held the person's message back for now."""


class DingTalkSender:
    """Drains the 钉钉 rows of the outbox; ``committed`` is the database's commit hook."""

    def __init__(self, office: Office, api: DingTalkApi, template_id: str, per_second: float,
                 max_in_flight: int = MAX_IN_FLIGHT, read_poll: float | None = None) -> None:
        self.office = office
        self.read_poll = office.settings.dingtalk.read_poll_seconds if read_poll is None else read_poll
        self.reads = 0
        """Reads recorded by the poll so far (health, tests)."""
        self.work_notices_lost = 0
        """工作通知 钉钉 refused or did not deliver so far."""
        self._poll_task: asyncio.Task[None] | None = None
        self._stopped = asyncio.Event()
        self.api = api
        self.template_id = template_id
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

    def committed(self) -> None:
        """Anything committed may have queued notices: look (the sender's own commits aside)."""
        if not _SENDING.get():
            self._look.set()

    def start(self) -> None:
        """Run in the background until ``stop``."""
        self._task = asyncio.create_task(self._run(), name="dingtalk-sender")
        if self.read_poll > 0:
            self._poll_task = asyncio.create_task(self._poll_reads(), name="dingtalk-read-poll")

    async def stop(self) -> None:
        """Finish the requests in flight, then stop."""
        self._stopping = True
        self._stopped.set()
        self._look.set()
        if self._poll_task is not None:
            await self._poll_task
            self._poll_task = None
        if self._task is not None:
            await self._task
            self._task = None
        while self._in_flight:
            await asyncio.gather(*self._in_flight.values(), return_exceptions=True)

    async def _run(self) -> None:
        _SENDING.set(True)
        try:
            await self.recover()
        except Exception:
            log.exception("could not mark the 钉钉 rows of the sent log sent")
        while not self._stopping:
            self._look.clear()
            try:
                idle = await self.drain_once()
            except Exception:
                log.exception("钉钉 sender failed; retrying")
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
        """Mark sent the 钉钉 rows 钉钉 accepted before a crash (the sent log's entries)."""
        sent_log = await self.office.db.sent_log()
        entries = await sent_log.entries()
        done: list[int] = []
        now = self.office.now()
        async with self.office.db.transaction() as conn:
            for entry in entries:
                row = await outbox.message(conn, entry.outbox_id)
                if row is None or row.channel != DINGTALK or chat_key(row.address) != entry.chat_id:
                    continue
                if await outbox.mark_sent(conn, row.id, row.id, now):
                    await delivery.delivered(conn, row, now)
                    if entry.message_id is not None and entry.message_id != row.id:
                        # a slip's 工作通知: the log kept its task id, so the poll asks about it
                        await work_notices.record(conn, row.id, entry.message_id, now)
                done.append(row.id)
        if done:
            await sent_log.forget(done)
            log.info("%s 钉钉 messages accepted before a restart marked sent", len(done))

    async def drain_once(self) -> float:
        """Start what may be sent now; how long to wait before looking again."""
        pause = self._paused_until - time.monotonic()
        if pause > 0:
            return pause
        rows = await outbox.heads(self.office.db.reader, self.office.now(), limit=BATCH, channel=DINGTALK)
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
            self._in_flight[row.address] = asyncio.create_task(self._send_one(row), name=f"dingtalk-send:{row.id}")
        return wait if self._in_flight or wait < IDLE_POLL else IDLE_POLL

    async def _send_one(self, row: OutboxMessage) -> None:
        try:
            await self._send(row)
        except Exception:
            log.exception("outbox %s to 钉钉 %s: sending failed; it stays queued", row.id, row.address)
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
        notice: tuple[int | None, str] | None = None
        try:
            if isinstance(item, Download):
                kept = await evidence.download(self._fetch, item.file, self.office.settings.archive_dir, item.folder, item.name)
            else:
                notice = await self._deliver(row, item)
        except QuotaExceeded as exc:
            self.quota_refusals += 1
            self._refusals_in_a_row += 1
            pause = min(exc.wait * 2 ** (self._refusals_in_a_row - 1), QUOTA_CAP)
            self._paused_until = max(self._paused_until, time.monotonic() + pause)
            log.warning("钉钉 quota (%s): outbox %s waits %.1f s, and every send with it", exc.code, row.id, pause)
            await self._later(row, timedelta(seconds=pause), f"quota: {exc}")
        except FlowControlled as exc:
            await self._later(row, FLOW_CONTROL_WAIT, str(exc))
        except Refused as exc:
            async with self.office.db.transaction() as conn:
                await outbox.mark_failed(conn, row.id, str(exc))
                await delivery.blocked(conn, row, self.office.now())
        except ValueError as exc:  # a file over the limit, a change of a notice never delivered
            log.warning("outbox %s: %s", row.id, exc)
            async with self.office.db.transaction() as conn:
                await outbox.mark_failed(conn, row.id, str(exc))
        except DingTalkError as exc:
            if (exc.retryable or isinstance(exc, TokenRejected)) and self.office.now() - row.created_at < PATIENCE:
                delay = min(timedelta(seconds=2 ** row.attempts), BACKOFF_CAP)
                log.warning("outbox %s to 钉钉 %s: %s; tried again in %s s", row.id, row.address, exc, delay.total_seconds())
                await self._later(row, delay, str(exc))
            else:
                log.error("outbox %s to 钉钉 %s refused: %s", row.id, row.address, exc)
                async with self.office.db.transaction() as conn:
                    await outbox.mark_failed(conn, row.id, str(exc))
        else:
            self._refusals_in_a_row = 0
            sent_log = await self.office.db.sent_log()
            if kept is None:
                task_id = notice[0] if notice is not None else None
                await sent_log.record(row.id, chat_key(row.address), row.id if task_id is None else task_id)
            async with self.office.db.transaction() as conn:
                if await outbox.mark_sent(conn, row.id, row.id, self.office.now()):
                    if kept is not None and isinstance(item, Download):
                        await evidence.record(conn, item.attachment_id, kept, self.office.now())
                    else:
                        await delivery.delivered(conn, row, self.office.now())
                    if notice is not None:
                        await work_notices.record(conn, row.id, notice[0], self.office.now(), notice[1])
            if kept is None:
                await sent_log.forget([row.id])
            self.sent += 1

    async def _deliver(self, row: OutboxMessage, item: Outgoing | None) -> tuple[int | None, str] | None:
        """The requests that put ``item`` in the person's chat; for a slip, its 工作通知's task
        id (None: refused, with 钉钉's words)."""
        userid = row.address
        if isinstance(item, Notice):
            for file in item.files:
                data = await self._bytes_of(file)
                if data is None:
                    continue
                name = file.name or "file"
                media_id = await self.api.upload(name, data)
                self._check(await self.api.send_file([userid], media_id, name), userid)
            if any(item.buttons):
                await self._card(render.notice_card(row.id), render.card(item.text, item.buttons), userid)
            elif item.text:
                self._check(await self.api.send_markdown([userid], render.title(item.text), render.markdown(item.text)), userid)
            if row.purpose == "slip" and row.slip_id is not None and item.text:
                return await self._work_notice(row, item.text, retry_on_quota=any(item.buttons))
        elif isinstance(item, Change):
            earlier = await outbox.message(self.office.db.reader, item.notice_id)
            if earlier is None or earlier.channel != DINGTALK:
                raise ValueError(f"notice {item.notice_id} is no 钉钉 notice")
            if earlier.values.get("buttons"):
                params = render.card_change(item.text, item.buttons)
                if params:
                    await self.api.update_card(render.notice_card(earlier.id), params)
            elif item.text is not None:
                self._check(await self.api.send_markdown([userid], render.title(item.text), render.markdown(item.text)), userid)
        elif isinstance(item, Menu):
            return None  # 钉钉's robot has no per-person command menu: /help lists the commands
        else:
            raise ValueError(f"outbox {row.id}: {row.kind} has no 钉钉 form")
        return None

    async def _work_notice(self, row: OutboxMessage, text: str, retry_on_quota: bool) -> tuple[int | None, str]:
        """The slip's 工作通知 (the module's docstring says why); its task id, or None and why not.

        A quota refusal is raised where the row can be sent again without showing the slip twice
        (its card is found again by its ``outTrackId``); anything else only loses the read receipt."""
        msg = render.work_notice(text, label("dingtalk", "work_notice_footer"))
        try:
            return await self.api.send_work_notice([row.address], msg), ""
        except QuotaExceeded:
            if retry_on_quota:
                raise
            self.work_notices_lost += 1
            return None, "quota"
        except DingTalkError as exc:
            self.work_notices_lost += 1
            log.warning("outbox %s: the 工作通知 to 钉钉 %s was refused (%s); the slip went as its card", row.id, row.address, exc)
            return None, str(exc)

    async def _poll_reads(self) -> None:
        _SENDING.set(True)
        while not self._stopping:
            try:
                await self.poll_reads_once()
            except Exception:
                log.exception("钉钉 read poll failed; asked again next turn")
            try:
                await asyncio.wait_for(self._stopped.wait(), timeout=self.read_poll)
            except TimeoutError:
                pass

    async def poll_reads_once(self) -> int:
        """One turn of the read poll: ask 钉钉 about each 工作通知 not yet read, record the reads
        (``delivery.read_notice``) and the notices 钉钉 did not deliver, then tell the issuers of
        slips now 「已读未签收」. Returns the reads recorded."""
        read = 0
        for notice in await work_notices.waiting(self.office.db.reader, READ_POLL_BATCH):
            if self._stopping:
                break
            now = self.office.now()
            if now - notice.sent_at > timedelta(days=READ_POLL_DAYS):
                async with self.office.db.transaction() as conn:
                    await work_notices.settle(conn, notice.outbox_id, work_notices.UNKNOWN, now)
                continue
            pause = max(self._paused_until, self._next_slot) - time.monotonic()
            if pause > 0:
                await asyncio.sleep(pause)
            self._next_slot = max(self._next_slot, time.monotonic()) + self.interval
            try:
                result = await self.api.work_notice_result(notice.task_id)
            except QuotaExceeded as exc:
                self.quota_refusals += 1
                self._paused_until = max(self._paused_until, time.monotonic() + exc.wait)
                log.warning("钉钉 quota (%s) on getsendresult: the rest are asked next turn", exc.code)
                break
            except DingTalkError as exc:
                log.warning("getsendresult of 工作通知 %s: %s; asked again next turn", notice.task_id, exc)
                continue
            now = self.office.now()
            if notice.userid in result.read:
                if await delivery.read_notice(self.office, notice.outbox_id, now):
                    read += 1
                state, detail = work_notices.READ, ""
            elif why := [name for name, ids in (("forbidden", result.forbidden), ("invalid", result.invalid),
                                                 ("failed", result.failed)) if notice.userid in ids]:
                state, detail = work_notices.NOT_DELIVERED, f"getsendresult: {', '.join(why)}"
                self.work_notices_lost += 1
                log.warning("钉钉 did not deliver the 工作通知 of outbox %s (%s); the slip went as its card",
                            notice.outbox_id, detail)
            else:  # unread, or not listed yet (asyncsend_v2 delivers in the background)
                state, detail = work_notices.SENT, ""
            async with self.office.db.transaction() as conn:
                await work_notices.settle(conn, notice.outbox_id, state, now, detail)
        self.reads += read
        await delivery.chase_read_unacknowledged(self.office, self.office.now())
        return read

    async def _card(self, out_track_id: str, params: dict[str, str], userid: str) -> None:
        if not await self.api.send_card(out_track_id, self.template_id, params, userid):
            raise Refused(f"钉钉 did not deliver card {out_track_id} to {userid}")

    def _check(self, result: object, userid: str) -> None:
        invalid = getattr(result, "invalid", ())
        if userid in invalid:
            raise Refused(f"钉钉 does not know userid {userid}")
        if userid in getattr(result, "flow_controlled", ()):
            raise FlowControlled(f"钉钉 flow control held back the message to {userid}")

    async def _bytes_of(self, file: File) -> bytes | None:
        """The bytes of a file a notice carries, where this channel can reach them."""
        if file.kept:
            return await asyncio.to_thread((Path(self.office.settings.archive_dir) / file.kept).read_bytes)
        if file.channel == DINGTALK and file.received:
            return await self.api.download(file.received)
        log.warning("a file received on %s cannot be sent on 钉钉 (%s); the text goes without it", file.channel, file.name)
        return None

    async def _fetch(self, file: File, limit: int) -> bytes:
        """``bot.edge.FetchFile`` of files received on 钉钉."""
        if file.channel != DINGTALK:
            raise ValueError(f"not a file received on 钉钉: {file.name}")
        data = await self.api.download(file.received)
        if len(data) > limit:
            raise ValueError(f"{file.name} is over {limit} bytes")
        return data

    async def _later(self, row: OutboxMessage, delay: timedelta, error: str) -> None:
        async with self.office.db.transaction() as conn:
            await outbox.retry_later(conn, row.id, self.office.now() + delay, error)
