"""The conversation layer on 钉钉: a robot message or a card press made a neutral ``Said``, each
``Answer`` a 钉钉 call.

In:

* A robot message's text is the ``Said``'s text; ``/cmd args`` (or ``／cmd``, as a Chinese
  keyboard types it) is a command. Someone not yet bound who sends just an invite code is read
  as ``/start CODE``: 钉钉 has no deep links that carry one.
* Files and pictures come as ``Received`` whose bytes are fetched with their download code,
  which is also their reference: a notice that carries the file on, or its copy into the
  evidence archive, fetches it again by it.
* A card press carries the button's action data (``render.pressed_data``); ``actions.offer_of``
  reads it back to its action, and data no action writes is ``pressed_unknown``.

Out (``DingTalkAnswer``):

* ``say`` is a robot markdown message, or a card when it has buttons.
* ``mark``, ``clear`` and ``redraw`` change the pressed card. The change rides back on the
  press's acknowledgement (钉钉's 回传请求的响应), which is sent only after the work is
  committed: the card changes exactly when what was pressed is done.
* ``alert`` — 钉钉 has no callback notice a person dismisses — is a short robot message in the
  chat, so a refused press is never silent.
* ``toast`` — a notice that passes — is dropped when the pressed card changes (the card shows
  what was done, as a 钉钉 user expects), and otherwise sent as a short robot message.
* ``send_file`` and ``send_picture`` upload the file and send it as a file message (the robot's
  one-to-one messages have no picture type that takes an upload), the caption after it.
* ``busy`` shows nothing: 钉钉 has no "sending a file" indicator.
* ``clear_at`` and ``mark_at`` change an earlier card of the chat (a dialog's question, a
  request decided later) by its ``outTrackId``; ``quote`` is a message after the card (a robot's
  one-to-one message quotes nothing); ``later`` work is done before the acknowledgement.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

from bot import actions
from bot.channels.dingtalk import render
from bot.channels.intake import command_of
from bot.channels.dingtalk.errors import DingTalkError, QuotaExceeded
from bot.channels.dingtalk.openapi import DingTalkApi
from bot.channels.dingtalk.stream import CardAction, IncomingFile, RobotMessage
from bot.conversation.said import DialogStore, Received, Said
from bot.edge import Account, Buttons
from bot.services.context import Office
from bot.texts import plain

log = logging.getLogger(__name__)

DINGTALK = "dingtalk"
"""The channel of 钉钉 (and its government editions)."""

QUOTA_TRIES = 3
"""A direct answer refused for a quota is tried this many times (waiting as told) before the
press or message is left unacknowledged for 钉钉 to push again."""

REMEMBERED_CARDS = 2000
"""Texts of answer cards kept in memory, so a later mark can be written under them."""


# ------------------------------------------------------------------------------ in


def received(api: DingTalkApi, file: IncomingFile) -> Received:
    """A file of a robot message, its bytes fetched when read."""

    async def read() -> bytes:
        return await api.download(file.download_code)

    kind = "photo" if file.kind == "picture" else "document"
    name = file.name or (f"{file.download_code[-12:]}.jpg" if kind == "photo" else file.download_code[-12:])
    return Received(name, kind, None, read, reference=file.download_code)


def said_of_message(office: Office, api: DingTalkApi, message: RobotMessage, dialogs: DialogStore, commands: frozenset[str]) -> Said:
    """What a robot message says, in the conversation layer's terms."""
    command, args = command_of(message.text)
    return Said(
        office=office,
        account=Account(DINGTALK, message.sender),
        text=message.text,
        command=command,
        args=args,
        files=tuple(received(api, f) for f in message.files),
        reply_to=message.replied.msg_id if message.replied is not None and message.replied.from_robot else None,
        replied_text=message.replied.text if message.replied is not None and message.replied.from_robot else None,
        in_group=not message.one_to_one,
        commands=commands,
        dialogs=dialogs,
    )


def said_of_action(
    office: Office, action: CardAction, label: str | None, dialogs: DialogStore, commands: frozenset[str], text: str | None = None,
) -> Said:
    """What a card press says: the action of the button's data (or ``pressed_unknown``), on the
    card known by its ``outTrackId`` (showing ``text``, where known)."""
    offer = actions.offer_of(render.pressed_data(action.action_ids, action.params))
    return Said(
        office=office,
        account=Account(DINGTALK, action.userid),
        pressed=offer,
        pressed_label=label if offer is not None else None,
        pressed_unknown=offer is None,
        pressed_on=action.out_track_id,
        pressed_html=text,
        commands=commands,
        dialogs=dialogs,
    )


# ------------------------------------------------------------------------------ out


class CardTexts:
    """The text each card shows now, as far as this process knows it (a mark goes under it)."""

    def __init__(self, size: int = REMEMBERED_CARDS) -> None:
        self._texts: OrderedDict[str, str] = OrderedDict()
        self._size = size

    def get(self, out_track_id: str) -> str | None:
        """The card's text (HTML), if known."""
        return self._texts.get(out_track_id)

    def put(self, out_track_id: str, html: str) -> None:
        """Remember what the card shows."""
        self._texts[out_track_id] = html
        self._texts.move_to_end(out_track_id)
        while len(self._texts) > self._size:
            self._texts.popitem(last=False)


async def patiently(call: Callable[[], Awaitable[Any]]) -> Any:
    """A call retried while 钉钉 refuses it for a quota (at most :data:`QUOTA_TRIES` times)."""
    for attempt in range(1, QUOTA_TRIES + 1):
        try:
            return await call()
        except QuotaExceeded as exc:
            if attempt == QUOTA_TRIES:
                raise
            await asyncio.sleep(exc.wait * attempt)
    return None


class DingTalkAnswer:
    """``bot.conversation.answer.Answer`` in one person's chat with the robot.

    Args:
        api: The OpenAPI client.
        userid: Whose chat.
        template_id: The card template of messages with buttons.
        texts: What the cards show (shared by the channel).
        card: The pressed card's ``outTrackId``, for an answer to a press.
        card_text: The pressed card's text, when known.
    """

    def __init__(self, api: DingTalkApi, userid: str, template_id: str, texts: CardTexts,
                 card: str | None = None, card_text: str | None = None) -> None:
        self.api = api
        self.userid = userid
        self.template_id = template_id
        self.texts = texts
        self.card = card
        self.card_text = card_text
        self.card_change: dict[str, str] = {}
        """What the pressed card is to show now (sent with the acknowledgement)."""
        self._toasts: list[str] = []
        self._later: list[Awaitable[None]] = []

    async def say(self, html: str, buttons: Buttons = ()) -> str | None:
        if any(buttons):
            out_track_id = f"{render.ANSWER_PREFIX}{secrets.token_hex(12)}"
            self.texts.put(out_track_id, html)
            await patiently(lambda: self.api.send_card(out_track_id, self.template_id, render.card(html, buttons), self.userid))
            return out_track_id
        await patiently(lambda: self.api.send_markdown([self.userid], render.title(html), render.markdown(html)))
        return None

    async def quote(self, html: str) -> None:
        await self.say(html)  # a robot's one-to-one message quotes nothing: it follows the card

    def clear_at(self, message: str) -> None:
        if message == self.card:
            self.card_change.update(render.card_change(None, ()))
        else:
            self._later.append(self._change(message, render.card_change(None, ())))

    async def mark_at(self, message: str, html: str | None, mark: str) -> None:
        if message == self.card:
            await self.mark(mark)
            return
        html = html or self.texts.get(message)
        if html is not None:
            self.texts.put(message, f"{html}\n\n{mark}")
        await self._change(message, render.card_change(f"{html}\n\n{mark}" if html is not None else None, ()))

    async def _change(self, out_track_id: str, params: dict[str, str]) -> None:
        try:
            await patiently(lambda: self.api.update_card(out_track_id, params))
        except DingTalkError as exc:  # a card gone or too old keeps what it showed: nothing is lost
            log.info("钉钉 card %s not changed: %s", out_track_id, exc)

    def later(self, work: Awaitable[None]) -> None:
        self._later.append(work)

    async def alert(self, html: str) -> None:
        await patiently(lambda: self.api.send_text([self.userid], plain(html)))

    async def toast(self, html: str = "") -> None:
        if html:
            self._toasts.append(html)

    async def mark(self, mark: str) -> None:
        if self.card is None:
            return
        if self.card_text is None:
            self.card_change.update(render.card_change(None, ()))
            return
        marked = f"{self.card_text}\n\n{mark}"
        self.card_text = marked
        self.texts.put(self.card, marked)
        self.card_change.update(render.card_change(marked, ()))

    async def clear(self) -> None:
        if self.card is not None:
            self.card_change.update(render.card_change(None, ()))

    async def redraw(self, html: str, buttons: Buttons = ()) -> None:
        if self.card is None:
            await self.say(html, buttons)
            return
        self.card_text = html
        self.texts.put(self.card, html)
        self.card_change.update(render.card_change(html, buttons))

    async def send_file(self, name: str, data: bytes, caption: str | None = None) -> None:
        media_id = await patiently(lambda: self.api.upload(name, data))
        await patiently(lambda: self.api.send_file([self.userid], media_id, name))
        if caption:
            await self.say(caption)

    async def send_picture(self, name: str, data: bytes, caption: str | None = None) -> None:
        await self.send_file(name, data, caption)

    async def busy(self) -> None:
        return None

    async def finish(self) -> None:
        """Finishes the work left for after the handler (earlier cards' buttons taken off), then
        sends the passing notices a card change did not stand for; the message is acknowledged
        after."""
        while self._later:
            await self._later.pop(0)
        if not self.card_change:
            for html in self._toasts:
                await self.alert(html)
        self._toasts.clear()

    def acknowledgement(self) -> dict[str, Any] | None:
        """What the press's acknowledgement carries: the card's new data, if it changed."""
        if not self.card_change:
            return None
        return {"cardData": {"cardParamMap": dict(self.card_change)}, "cardUpdateOptions": {"updateCardDataByKey": True}}
