"""The sender: drains the outbox's 钉钉 notices into the OpenAPI, within 钉钉's quotas.

A notice without buttons is a robot one-to-one markdown message (``batchSend``); one with buttons
an interactive card (``render``) created and delivered as ``duban-<outbox id>``, so a later
change of it (``bot.edge.Change``) updates that card (``PUT /v1.0/card/instances``). A change of
a notice that went as a plain message cannot edit it (钉钉's robot messages are not editable):
new text goes as a new message, buttons taken away need nothing. A notice with a file uploads
the file (one the bot keeps, or one received on 钉钉, fetched by its download code) and sends it
as a file message, the text after it. A person's menu of commands has no 钉钉 form and is done
at once. A download into the evidence archive of a file received on 钉钉 fetches it here.

Pacing, quotas and crash safety are the shared skeleton's (``bot.channels.outbox_sender``): at
most ``[dingtalk] send_per_second`` requests a second; 钉钉 refusing for a quota
(``QuotaExceeded``: the per-API QPS/QPM limits, or the gateway throttling the address) pauses
every send; a person held back by 钉钉's per-person flow control (``flowControlledStaffIdList``)
gets the row again a little later; a userid 钉钉 does not know marks the person unreachable.
A card sent again after a crash is the same ``outTrackId``: 钉钉 delivers it once. A slip's
工作通知 task id is kept in the sent log (``Accepted``), so a notice accepted just before a crash
is still asked about by the read poll.

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
from datetime import datetime, timedelta

import aiosqlite

from bot.channels.dingtalk import render
from bot.channels.dingtalk.adapter import DINGTALK
from bot.channels.dingtalk.errors import DingTalkError, QuotaExceeded, TokenRejected
from bot.channels.dingtalk.openapi import DingTalkApi
from bot.channels import files
from bot.channels.outbox_sender import Accepted, HeldBack, OutboxSender, QuotaRefused, Refused, chat_key
from bot.edge import Change, File, Menu, Notice, Outgoing
from bot.services import delivery
from bot.services.context import Office
from bot.storage import outbox, work_notices
from bot.storage.outbox import OutboxMessage
from bot.texts import label

log = logging.getLogger(__name__)

FLOW_CONTROL_WAIT = timedelta(seconds=5)
"""A person held back by 钉钉's per-person flow control gets the row again after this."""
READ_POLL_DAYS = 3
"""How long a 工作通知 not read is asked about: past it, the slip has long been chased by the
daily check's 催办, and asking on costs calls for nothing."""
READ_POLL_BATCH = 500
"""工作通知 asked about in one turn at most (the least recently asked first)."""

__all__ = ["DingTalkSender", "chat_key"]


class DingTalkSender(OutboxSender):
    """Drains the 钉钉 rows of the outbox; ``committed`` is the database's commit hook."""

    CHANNEL = DINGTALK
    NAME = "钉钉"

    def __init__(self, office: Office, api: DingTalkApi, template_id: str, per_second: float, max_in_flight: int = 8,
                 read_poll: float | None = None) -> None:
        super().__init__(office, per_second, max_in_flight)
        self.api = api
        self.template_id = template_id
        self.read_poll = office.settings.dingtalk.read_poll_seconds if read_poll is None else read_poll
        self.reads = 0
        """Reads recorded by the poll so far (health, tests)."""
        self.work_notices_lost = 0
        """工作通知 钉钉 refused or did not deliver so far."""
        self._poll_task: asyncio.Task[None] | None = None
        self._stopped = asyncio.Event()

    def start(self) -> None:
        """Run in the background until ``stop``, and the read poll beside."""
        super().start()
        if self.read_poll > 0:
            self._poll_task = asyncio.create_task(self._poll_reads(), name="dingtalk-read-poll")

    async def stop(self) -> None:
        """Stop the read poll, finish the requests in flight, then stop."""
        self._stopping = True
        self._stopped.set()
        if self._poll_task is not None:
            await self._poll_task
            self._poll_task = None
        await super().stop()

    async def deliver(self, row: OutboxMessage, item: Outgoing | None) -> Accepted | None:
        try:
            return await self._deliver(row, item)
        except QuotaExceeded as exc:
            raise QuotaRefused(exc.wait, exc.code or str(exc)) from exc

    async def accepted(self, conn: aiosqlite.Connection, row: OutboxMessage, accepted: Accepted, now: datetime) -> None:
        """A slip's 工作通知: its task id, asked about by the read poll (or why 钉钉 refused it)."""
        await work_notices.record(conn, row.id, accepted.logged, now, accepted.detail)

    async def fetch(self, file: File, limit: int) -> bytes:
        try:
            return await self._fetch_file(file, limit)
        except QuotaExceeded as exc:
            raise QuotaRefused(exc.wait, exc.code or str(exc)) from exc

    def passing(self, exc: Exception) -> bool | None:
        if not isinstance(exc, DingTalkError):
            return None
        return exc.retryable or isinstance(exc, TokenRejected)

    async def _deliver(self, row: OutboxMessage, item: Outgoing | None) -> Accepted | None:
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

    async def _work_notice(self, row: OutboxMessage, text: str, retry_on_quota: bool) -> Accepted:
        """The slip's 工作通知 (the module's docstring says why); its task id, or None and why not.

        A quota refusal is raised where the row can be sent again without showing the slip twice
        (its card is found again by its ``outTrackId``); anything else only loses the read receipt."""
        msg = render.work_notice(text, label("dingtalk", "work_notice_footer"))
        try:
            return Accepted(await self.api.send_work_notice([row.address], msg))
        except QuotaExceeded:
            if retry_on_quota:
                raise
            self.work_notices_lost += 1
            return Accepted(None, "quota")
        except DingTalkError as exc:
            self.work_notices_lost += 1
            log.warning("outbox %s: the 工作通知 to 钉钉 %s was refused (%s); the slip went as its card", row.id, row.address, exc)
            return Accepted(None, str(exc))

    async def _poll_reads(self) -> None:
        self._sending.set(True)
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
            raise HeldBack(FLOW_CONTROL_WAIT, f"钉钉 flow control held back the message to {userid}")

    async def _bytes_of(self, file: File) -> bytes | None:
        """The bytes of a file a notice carries: fetched here when it was received here, else
        the archive's copy or fetched through the messenger it came on (``bot.channels.files``)."""
        if file.channel == DINGTALK and file.received and not file.kept:
            return await self.api.download(file.received)
        return await files.bytes_of(self.office, file)

    async def _fetch_file(self, file: File, limit: int) -> bytes:
        """``bot.edge.FetchFile`` of files received on 钉钉."""
        if file.channel != DINGTALK:
            raise ValueError(f"not a file received on 钉钉: {file.name}")
        data = await self.api.download(file.received)
        if len(data) > limit:
            raise ValueError(f"{file.name} is over {limit} bytes")
        return data
