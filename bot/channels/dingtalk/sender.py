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
A card sent again after a crash is the same ``outTrackId``: 钉钉 delivers it once.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from pathlib import Path

from bot.channels.dingtalk import render
from bot.channels.dingtalk.adapter import DINGTALK
from bot.channels.dingtalk.errors import DingTalkError, QuotaExceeded, TokenRejected
from bot.channels.dingtalk.openapi import DingTalkApi
from bot.channels.outbox_sender import HeldBack, OutboxSender, QuotaRefused, Refused, chat_key
from bot.edge import Change, File, Menu, Notice, Outgoing
from bot.services.context import Office
from bot.storage import outbox
from bot.storage.outbox import OutboxMessage

log = logging.getLogger(__name__)

FLOW_CONTROL_WAIT = timedelta(seconds=5)
"""A person held back by 钉钉's per-person flow control gets the row again after this."""

__all__ = ["DingTalkSender", "chat_key"]


class DingTalkSender(OutboxSender):
    """Drains the 钉钉 rows of the outbox; ``committed`` is the database's commit hook."""

    CHANNEL = DINGTALK
    NAME = "钉钉"

    def __init__(self, office: Office, api: DingTalkApi, template_id: str, per_second: float, max_in_flight: int = 8) -> None:
        super().__init__(office, per_second, max_in_flight)
        self.api = api
        self.template_id = template_id

    async def deliver(self, row: OutboxMessage, item: Outgoing | None) -> None:
        try:
            await self._deliver(row, item)
        except QuotaExceeded as exc:
            raise QuotaRefused(exc.wait, exc.code or str(exc)) from exc

    async def fetch(self, file: File, limit: int) -> bytes:
        try:
            return await self._fetch_file(file, limit)
        except QuotaExceeded as exc:
            raise QuotaRefused(exc.wait, exc.code or str(exc)) from exc

    def passing(self, exc: Exception) -> bool | None:
        if not isinstance(exc, DingTalkError):
            return None
        return exc.retryable or isinstance(exc, TokenRejected)

    async def _deliver(self, row: OutboxMessage, item: Outgoing | None) -> None:
        """The requests that put ``item`` in the person's chat."""
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
            return  # 钉钉's robot has no per-person command menu: /help lists the commands
        else:
            raise ValueError(f"outbox {row.id}: {row.kind} has no 钉钉 form")

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
        """The bytes of a file a notice carries, where this channel can reach them."""
        if file.kept:
            return await asyncio.to_thread((Path(self.office.settings.archive_dir) / file.kept).read_bytes)
        if file.channel == DINGTALK and file.received:
            return await self.api.download(file.received)
        log.warning("a file received on %s cannot be sent on 钉钉 (%s); the text goes without it", file.channel, file.name)
        return None

    async def _fetch_file(self, file: File, limit: int) -> bytes:
        """``bot.edge.FetchFile`` of files received on 钉钉."""
        if file.channel != DINGTALK:
            raise ValueError(f"not a file received on 钉钉: {file.name}")
        data = await self.api.download(file.received)
        if len(data) > limit:
            raise ValueError(f"{file.name} is over {limit} bytes")
        return data
