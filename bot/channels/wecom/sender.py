"""The sender: drains the outbox's 企业微信 rows into 应用消息, within 企业微信's limits.

A notice without buttons is a markdown message (split at 2048 bytes); one with buttons a
模板卡片 (``render.cards``) whose ``task_id`` is ``duban-<outbox id>``, and the ``response_code``
its sending gives is kept (``adapter.Cards``, in the database) so a later change of the notice
(``bot.edge.Change``: new buttons, or none) updates that card. A change of a card with no code
left (spent, or over three days old) leaves the card as it is: its
buttons, pressed, are answered as still holding; a change that only takes some buttons away is
not made with the last code, kept for one that matters more. Files are uploaded (临时素材) and sent as file
or picture messages before the text. A person's command menu has no 企业微信 form.

Pacing, quotas and crash safety are the shared skeleton's (``bot.channels.outbox_sender``),
plus the per-person window (``[wecom] member_per_minute``, shared with the direct answers):
企业微信 drops without a word what goes over 30 messages a minute to one member. 45009/45033
pause every send; -1 (系统繁忙), the network and token errors are retried; a member 企业微信
does not know (``invaliduser``, 81013) marks the person unreachable. A card sent again after a
crash meets its own ``task_id`` (40058): it was made, and counts as sent.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import aiohttp

from bot.channels import files
from bot.channels.outbox_sender import OutboxSender, QuotaRefused, Refused
from bot.channels.wecom import render
from bot.channels.wecom.adapter import WECOM, Messenger
from bot.channels.wecom.api import WecomAuthError, WecomError, WecomNoRecipient, WecomRateLimited
from bot.edge import Change, File, Menu, Notice, Outgoing
from bot.services.context import Office
from bot.storage import outbox
from bot.storage.outbox import OutboxMessage

log = logging.getLogger(__name__)

DUPLICATE_TASK = 40058


class WecomSender(OutboxSender):
    """Drains the 企业微信 rows of the outbox."""

    CHANNEL = WECOM
    NAME = "企业微信"

    def __init__(self, office: Office, messenger: Messenger, per_second: float) -> None:
        super().__init__(office, per_second)
        self.messenger = messenger
        self._progress: dict[int, int] = {}
        """Rows of several messages refused part-way: how many went (not sent twice on retry)."""

    def passing(self, exc: Exception) -> bool | None:
        if isinstance(exc, aiohttp.ClientError | TimeoutError):
            return True
        if isinstance(exc, WecomError):
            return exc.transient or isinstance(exc, WecomAuthError)
        return None

    async def deliver(self, row: OutboxMessage, item: Outgoing | None) -> None:
        try:
            await self._deliver(row, item)
        except WecomRateLimited as exc:
            raise QuotaRefused(exc.retry_after, str(exc.errcode)) from exc
        except WecomNoRecipient as exc:
            raise Refused(f"企业微信 does not know member {row.address}") from exc

    async def fetch(self, file: File, limit: int) -> bytes:
        if file.channel != WECOM:
            raise ValueError(f"not a file received on 企业微信: {file.name}")
        media = await self.messenger.api.download_media(file.received)
        if len(media.content) > limit:
            raise ValueError(f"{file.name} is over {limit} bytes")
        return media.content

    async def _deliver(self, row: OutboxMessage, item: Outgoing | None) -> None:
        userid = row.address
        m = self.messenger
        if isinstance(item, Notice):
            parts = [self._file_part(userid, f) for f in item.files]
            parts += m.parts(userid, item.text, item.buttons, render.notice_card(row.id)) if item.text or any(item.buttons) else []
            first_card = len(parts) - (len(render.cards("", item.text, item.buttons)) if any(item.buttons) else 0)
            done = self._progress.get(row.id, 0)
            for n, part in enumerate(parts):
                if n < done:
                    continue  # sent before a refusal for a quota or a passing failure
                try:
                    self._check(await part(), userid)
                except WecomError as exc:
                    if exc.errcode != DUPLICATE_TASK or row.attempts == 0 or n < first_card:
                        raise
                    log.info("outbox %s: its card was made before a restart", row.id)
                self._progress[row.id] = n + 1
            self._progress.pop(row.id, None)
        elif isinstance(item, Change):
            earlier = await outbox.message(self.office.db.reader, item.notice_id)
            if earlier is None or earlier.channel != WECOM:
                raise ValueError(f"notice {item.notice_id} is no 企业微信 notice")
            if not earlier.values.get("buttons") or item.buttons is None:
                if item.text:
                    await m.text(userid, item.text)
                return
            task_id = render.notice_card(earlier.id)
            async with m.turn(userid):
                if await self._not_worth_the_last_code(task_id, earlier, item):
                    log.info("outbox %s: card %s keeps its buttons, its last update code kept for a later change", row.id, task_id)
                    return
                code = await m.cards.take_code(task_id)
                if code is None:
                    log.info("outbox %s: card %s has no update code left; it stays as it is", row.id, task_id)
                    return
                await m.change(userid, task_id, code, item.text, item.buttons)
        elif isinstance(item, Menu):
            return
        else:
            raise ValueError(f"outbox {row.id}: {row.kind} has no 企业微信 form")

    async def _not_worth_the_last_code(self, task_id: str, earlier: OutboxMessage, change: Change) -> bool:
        """A change that only takes buttons away, some left, of a card changed before, is not
        made with the card's last code: a card gets one code when sent and one a press, and a
        slip's card changes more often than it is pressed (签收, each 反馈 submitted, 退回,
        办结). A button left on it a while is answered as still holding; the code kept is what
        shows 反馈 again after a 退回, or greys the card out at 办结. A card's first change (a
        slip 签收'd, even after a crash lost the press's code) is always made."""
        state = await self.messenger.cards.get(task_id)
        if state is None or len(state.codes) != 1:
            return False
        sent = {b["label"] for row in earlier.values.get("buttons", []) for b in row}
        labels = {b.label for row in change.buttons or () for b in row}
        shown = set(state.labels.values())
        return bool(labels) and labels < shown and shown != sent

    def _file_part(self, userid: str, file: File) -> Callable[[], Awaitable[list[str]]]:
        async def send() -> list[str]:
            data = await self._bytes_of(file)
            return [] if data is None else await self.messenger.file(userid, file.name or "file", data, file.photo)
        return send

    def _check(self, invalid: list[str], userid: str) -> None:
        if userid in invalid:
            raise Refused(f"企业微信 does not know member {userid}")

    async def _bytes_of(self, file: File) -> bytes | None:
        """The bytes of a file a notice carries: fetched here when it was received here, else
        the archive's copy or fetched through the messenger it came on (``bot.channels.files``)."""
        if file.channel == WECOM and file.received and not file.kept:
            return (await self.messenger.api.download_media(file.received)).content
        return await files.bytes_of(self.office, file)
