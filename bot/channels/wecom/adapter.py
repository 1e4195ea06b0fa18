"""The conversation layer on 企业微信: a callback made a neutral ``Said``, each ``Answer`` a
server API call.

In: a text is the ``Said``'s text (``/cmd args`` a command; someone not yet bound who sends an
invite code alone is read as ``/start CODE``); a file or picture comes as ``Received``, fetched
with 「获取临时素材」; a card press carries the button's key, its action's data
(``actions.offer_of``). A quoted reply carries the text only (企业微信 gives no id of the quoted
message; a slip number typed in the text is read as ever).

Out (``WecomAnswer``): ``say`` is a markdown message, or a 模板卡片 with buttons; ``mark``,
``clear`` and ``redraw`` change the pressed card once, after the work is committed, with the
press's ``ResponseCode`` (it works once, so the changes of one press are gathered and made in
``finish``); ``alert`` and ``toast`` are short text messages (企业微信 has no notice a person
dismisses; a toast is dropped when the card changed, which shows what was done);
``clear_at``/``mark_at`` change an earlier card with the code its sending gave, where this
process still holds it; ``busy`` shows nothing. 企业微信's 应用消息 carry no read receipts: no
answer ever claims a message was read. Every message to a person waits its turn in the
per-person window (``[wecom] member_per_minute``): 企业微信 drops what goes over its limit.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from bot import actions
from bot.channels.intake import command_of
from bot.channels.outbox_sender import PerAddressWindow
from bot.channels.wecom import render
from bot.channels.wecom.api import Media, WecomApi, WecomError
from bot.channels.wecom.inputs import CardPress, FileInput, TextInput
from bot.conversation.said import DialogStore, Received, Said
from bot.edge import Account, Buttons
from bot.services.context import Office
from bot.storage import channel_cards, inbox
from bot.storage.channel_cards import StoredCard
from bot.texts import label

log = logging.getLogger(__name__)

WECOM = "wecom"
"""The channel of 企业微信 (and 政务微信)."""

class Cards:
    """The application's cards (``bot.storage.channel_cards``): what each shows, its buttons'
    labels and the codes left to change it. Its writes never mark the input being handled as
    handled (``inbox.aside``): they are bookkeeping, not what the input asked for."""

    def __init__(self, office: Office) -> None:
        self.office = office

    async def get(self, task_id: str) -> StoredCard | None:
        return await channel_cards.read(self.office.db.reader, WECOM, task_id)

    async def sent(self, task_id: str, html: str, buttons: Buttons, code: str | None) -> None:
        """A card was sent (``code``: the one its sending gave)."""
        await self._update(task_id, lambda _: StoredCard(html, _labels(buttons), [code] if code else []))

    async def changed(self, task_id: str, html: str | None, buttons: Buttons) -> None:
        """A card was changed: new text (when given), these buttons."""
        def change(card: StoredCard | None) -> StoredCard:
            card = card or StoredCard(html or "")
            card.html, card.labels = html or card.html, _labels(buttons)
            return card

        await self._update(task_id, change)

    async def take_code(self, task_id: str) -> str | None:
        """The freshest code left (spent by taking it)."""
        taken: list[str] = []

        def take(card: StoredCard | None) -> StoredCard | None:
            if card is not None and card.codes:
                taken.append(card.codes.pop())
            return card

        await self._update(task_id, take)
        return taken[0] if taken else None

    async def keep_code(self, task_id: str, code: str, html: str | None) -> None:
        """A press's code the answer did not spend: kept for a later change of the card."""
        def keep(card: StoredCard | None) -> StoredCard:
            card = card or StoredCard(html or "")
            if code not in card.codes:
                card.codes.append(code)
            return card

        await self._update(task_id, keep)

    async def _update(self, task_id: str, change: Callable[[StoredCard | None], StoredCard | None]) -> None:
        with inbox.aside():
            async with self.office.db.transaction() as conn:
                card = change(await channel_cards.read(conn, WECOM, task_id))
                if card is not None:
                    await channel_cards.write(conn, WECOM, task_id, card, self.office.now())


def _labels(buttons: Buttons) -> dict[str, str]:
    return {b.offer.data: b.label for row in buttons for b in row}


class Messenger:
    """The sends to one person, each in the per-person window; shared by answers and the sender."""

    def __init__(self, api: WecomApi, window: PerAddressWindow, cards: Cards) -> None:
        self.api = api
        self.window = window
        self.cards = cards
        self._turns: dict[str, asyncio.Lock] = {}

    def turn(self, userid: str) -> asyncio.Lock:
        """A person's turn: their inputs are taken one at a time, and a change of one of their
        cards waits for the input in hand (a press brings a fresh update code, kept as it ends)."""
        return self._turns.setdefault(userid, asyncio.Lock())

    def parts(self, userid: str, html: str, buttons: Buttons = (), task_id: str = "") -> list[Callable[[], Awaitable[list[str]]]]:
        """The messages of ``html`` (with ``buttons``: its card(s) under ``task_id``, the whole
        text first when a card cannot hold it), each a call that sends it and returns the
        ``invaliduser`` of the send: a sender that must try again goes on where it stopped."""
        texts = render.pieces(render.markdown(html)) if not any(buttons) or not render.fits_card(html) else []
        made = render.cards(task_id, html, buttons) if any(buttons) else []

        def text(part: str) -> Callable[[], Awaitable[list[str]]]:
            async def send() -> list[str]:
                await self.window.take(userid)
                return list((await self.api.send_markdown([userid], part)).invalid_users)
            return send

        def card(one: dict[str, Any]) -> Callable[[], Awaitable[list[str]]]:
            async def send() -> list[str]:
                await self.window.take(userid)
                sent = await self.api.send_card([userid], one)
                await self.cards.sent(one["task_id"], html, buttons, sent.response_code)
                return list(sent.invalid_users)
            return send

        return [text(t) for t in texts] + [card(c) for c in made]

    async def text(self, userid: str, html: str) -> None:
        for send in self.parts(userid, html):
            await send()

    async def plain(self, userid: str, html: str) -> None:
        for part in render.pieces(render.plain(html)):
            await self.window.take(userid)
            await self.api.send_text([userid], part)

    async def card(self, userid: str, task_id: str, html: str, buttons: Buttons) -> None:
        """The card(s) of ``html`` with ``buttons``."""
        for send in self.parts(userid, html, buttons, task_id):
            await send()

    async def file(self, userid: str, name: str, data: bytes, picture: bool) -> list[str]:
        kind = "image" if picture else "file"
        media_id = await self.api.upload_media(kind, name, data)
        await self.window.take(userid)
        sent = await (self.api.send_image if picture else self.api.send_file)([userid], media_id)
        return list(sent.invalid_users)

    async def change(self, userid: str, task_id: str, code: str, html: str | None, buttons: Buttons) -> None:
        """Change a card once with ``code``: new buttons (a new card), or none (greyed out, saying
        ``html``'s first words or that it is done)."""
        if any(buttons):
            state = await self.cards.get(task_id)
            shown = html or (state.html if state else "")
            [made, *_] = render.cards(task_id, shown, buttons)
            await self.api.update_card([userid], code, made)
            await self.cards.changed(task_id, shown, buttons)
        else:
            name = render.replace_name(html) if html else label("wecom", "card_closed")
            await self.api.update_card_buttons([userid], code, name)
            await self.cards.changed(task_id, None, ())


# ------------------------------------------------------------------------------ in


def said_of_text(office: Office, item: TextInput, dialogs: DialogStore, commands: frozenset[str]) -> Said:
    """What a text says."""
    command, args = command_of(item.text)
    return Said(office=office, account=Account(WECOM, item.origin.userid), text=item.text, command=command, args=args,
                commands=commands, dialogs=dialogs)


def said_of_file(office: Office, item: FileInput, media: Media, dialogs: DialogStore, commands: frozenset[str]) -> Said:
    """What a file or picture says (its bytes already fetched: 企业微信 names it only then)."""
    kind = "photo" if item.kind == "image" else "document"
    name = media.filename or (f"{item.media_id[-12:]}.jpg" if kind == "photo" else item.media_id[-12:])

    async def read() -> bytes:
        return media.content

    received = Received(name, kind, len(media.content), read, reference=item.media_id, mime=media.content_type or None)
    return Said(office=office, account=Account(WECOM, item.origin.userid), files=(received,), commands=commands, dialogs=dialogs)


def said_of_press(office: Office, item: CardPress, label_: str | None, html: str | None, dialogs: DialogStore,
                  commands: frozenset[str]) -> Said:
    """What a card press says: the action of the button's key (or ``pressed_unknown``)."""
    offer = actions.offer_of(item.event_key)
    return Said(office=office, account=Account(WECOM, item.origin.userid), pressed=offer,
                pressed_label=label_ if offer is not None else None, pressed_unknown=offer is None,
                pressed_on=item.task_id, pressed_html=html, commands=commands, dialogs=dialogs)


# ------------------------------------------------------------------------------ out


class WecomAnswer:
    """``bot.conversation.answer.Answer`` in one member's chat with the application.

    Args:
        messenger: The sends.
        userid: Whose chat.
        card: The pressed card's ``task_id``, for an answer to a press.
        code: The press's ``ResponseCode`` (changes that card once).
        card_text: The pressed card's text, when known.
    """

    def __init__(self, messenger: Messenger, userid: str, card: str | None = None, code: str | None = None,
                 card_text: str | None = None) -> None:
        self.messenger = messenger
        self.userid = userid
        self.card = card
        self.code = code
        self.card_text = card_text
        self.card_change: tuple[str | None, Buttons] | None = None
        """What the pressed card is to show now (text under it, buttons), made in ``finish``."""
        self._toasts: list[str] = []
        self._later: list[Awaitable[None]] = []

    async def say(self, html: str, buttons: Buttons = ()) -> str | None:
        if any(buttons):
            task_id = f"{render.ANSWER_PREFIX}{secrets.token_hex(10)}"
            await self.messenger.card(self.userid, task_id, html, buttons)
            return task_id
        await self.messenger.text(self.userid, html)
        return None

    async def quote(self, html: str) -> None:
        await self.say(html)

    def clear_at(self, message: str) -> None:
        if message == self.card:
            self.card_change = (None, ())
        else:
            self._later.append(self._change_earlier(message, None))

    async def mark_at(self, message: str, html: str | None, mark: str) -> None:
        if message == self.card:
            await self.mark(mark)
            return
        await self._change_earlier(message, mark)

    async def _change_earlier(self, task_id: str, mark: str | None) -> None:
        code = await self.messenger.cards.take_code(task_id)
        if code is None:
            log.info("企业微信 card %s not changed: no update code left for it", task_id)
            return
        try:
            await self.messenger.change(self.userid, task_id, code, mark, ())
        except WecomError as exc:  # a card too old keeps what it showed: nothing is lost
            log.info("企业微信 card %s not changed: %s", task_id, exc)

    def later(self, work: Awaitable[None]) -> None:
        self._later.append(work)

    async def alert(self, html: str) -> None:
        await self.messenger.plain(self.userid, html)

    async def toast(self, html: str = "") -> None:
        if html:
            self._toasts.append(html)

    async def mark(self, mark: str) -> None:
        if self.card is not None:
            self.card_change = (mark, ())

    async def clear(self) -> None:
        if self.card is not None:
            self.card_change = (None, ())

    async def redraw(self, html: str, buttons: Buttons = ()) -> None:
        if self.card is not None and not any(buttons) and render.fits_replace_name(html):
            self.card_change = (html, ())  # short enough to stand on the card, its buttons greyed out
            return
        if self.card is None or not any(buttons):
            await self.say(html, buttons)
            if self.card is not None:
                self.card_change = (None, ())
            return
        self.card_text = html
        self.card_change = (html, buttons)

    async def send_file(self, name: str, data: bytes, caption: str | None = None) -> None:
        await self.messenger.file(self.userid, name, data, picture=False)
        if caption:
            await self.say(caption)

    async def send_picture(self, name: str, data: bytes, caption: str | None = None) -> None:
        await self.messenger.file(self.userid, name, data, picture=True)
        if caption:
            await self.say(caption)

    async def busy(self) -> None:
        return None

    async def finish(self) -> None:
        """The pressed card's change (one call: its code works once), the work left for after
        the handler, then the passing notices a card change did not stand for."""
        if self.card_change is not None and self.card is not None and self.code:
            html, buttons = self.card_change
            try:
                await self.messenger.change(self.userid, self.card, self.code, html, buttons)
            except WecomError as exc:
                log.info("企业微信 card %s not changed: %s", self.card, exc)
        elif self.card is not None and self.code:
            await self.messenger.cards.keep_code(self.card, self.code, self.card_text)
        while self._later:
            await self._later.pop(0)
        if self.card_change is None:
            for html in self._toasts:
                await self.alert(html)
        self._toasts.clear()
