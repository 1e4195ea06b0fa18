"""The sender: drains the outbox's 企业微信 rows into 应用消息, within 企业微信's limits.

A notice without buttons is a markdown message (split at 2048 bytes); one with buttons a
模板卡片 (``render.cards``) whose ``task_id`` is ``duban-<outbox id>``, and the ``response_code``
its sending gives is kept (``adapter.Cards``, in the database) so a later change of the notice
(``bot.edge.Change``: new buttons, or none) updates that card. A change of a card with no code
left (spent, or over three days old) leaves the card as it is: its
buttons, pressed, are answered as still holding. Files are uploaded (临时素材) and sent as file
or picture messages before the text. A person's command menu has no 企业微信 form.

Pacing, quotas and crash safety are the shared skeleton's (``bot.channels.outbox_sender``),
plus the per-person window (``[wecom] member_per_minute``, shared with the direct answers):
企业微信 drops without a word what goes over 30 messages a minute to one member. 45009/45033
pause every send; -1 (系统繁忙), the network and token errors are retried; a member 企业微信
does not know (``invaliduser``, 81013) marks the person unreachable. A card sent again after a
crash meets its own ``task_id`` (40058): it was made, and counts as sent.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import aiohttp

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
            for file in item.files:
                data = await self._bytes_of(file)
                if data is not None:
                    self._check(await m.file(userid, file.name or "file", data, file.photo), userid)
            if any(item.buttons):
                try:
                    self._check(await m.card(userid, render.notice_card(row.id), item.text, item.buttons), userid)
                except WecomError as exc:
                    if exc.errcode != DUPLICATE_TASK or row.attempts == 0:
                        raise
                    log.info("outbox %s: its card was made before a restart", row.id)
            elif item.text:
                await m.text(userid, item.text)
        elif isinstance(item, Change):
            earlier = await outbox.message(self.office.db.reader, item.notice_id)
            if earlier is None or earlier.channel != WECOM:
                raise ValueError(f"notice {item.notice_id} is no 企业微信 notice")
            if not earlier.values.get("buttons") or item.buttons is None:
                if item.text:
                    await m.text(userid, item.text)
                return
            task_id = render.notice_card(earlier.id)
            code = await m.cards.take_code(task_id)
            if code is None:
                log.info("outbox %s: card %s has no update code left; it stays as it is", row.id, task_id)
                return
            await m.change(userid, task_id, code, item.text, item.buttons)
        elif isinstance(item, Menu):
            return
        else:
            raise ValueError(f"outbox {row.id}: {row.kind} has no 企业微信 form")

    def _check(self, invalid: list[str], userid: str) -> None:
        if userid in invalid:
            raise Refused(f"企业微信 does not know member {userid}")

    async def _bytes_of(self, file: File) -> bytes | None:
        if file.kept:
            return await asyncio.to_thread((Path(self.office.settings.archive_dir) / file.kept).read_bytes)
        if file.channel == WECOM and file.received:
            return (await self.messenger.api.download_media(file.received)).content
        log.warning("a file received on %s cannot be sent on 企业微信 (%s); the text goes without it", file.channel, file.name)
        return None
