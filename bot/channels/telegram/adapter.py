"""The conversation layer on Telegram: each update made a neutral ``Said``, each neutral route a
PTB handler, each ``Answer`` a Bot API call.

The routes of ``bot.conversation`` become PTB handlers in the order they are declared, so PTB's
dispatch (the first handler that fits) keeps their precedence. A pressed button's
``callback_data`` is decoded here, by its action of ``bot.actions``; the handler gets the
typed values.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Message, Update
from telegram.error import BadRequest
from telegram.ext import BaseHandler

from bot import actions
from bot.channels.telegram.context import DubanApplication, DubanContext
from bot.conversation import routes
from bot.conversation.said import Received, Said
from bot.edge import TELEGRAM, Account, Buttons
from bot.texts import plain

log = logging.getLogger(__name__)


# ------------------------------------------------------------------------------ in


def said_of(update: Update, application: DubanApplication) -> Said:
    """What the update says, in the conversation layer's terms (made once per update)."""
    if _made[0] is update:
        return _made[1]
    user = update.effective_user
    chat = update.effective_chat
    message = update.effective_message
    query = update.callback_query
    text = ""
    files: tuple[Received, ...] = ()
    command = None
    args: tuple[str, ...] = ()
    if message is not None and query is None:
        text = message.text or message.caption or ""
        files = _files(message, application)
        if message.text and message.text.startswith("/"):
            command = message.text.split(maxsplit=1)[0][1:].split("@", 1)[0]
            args = tuple(message.text.split()[1:])
    pressed = actions.offer_of(query.data or "") if query is not None else None
    replied = message.reply_to_message if message is not None and query is None else None
    said = Said(
        office=application.bot_data["office"],
        account=Account(TELEGRAM, str(user.id if user is not None else chat.id if chat is not None else "")),
        text=text,
        command=command,
        args=args,
        pressed=pressed,
        pressed_label=_pressed_label(update) if pressed is not None else None,
        pressed_unknown=query is not None and pressed is None,
        pressed_on=str(query.message.message_id) if query is not None and query.message is not None else None,
        pressed_html=html_of(query.message) if query is not None else None,
        reply_to=str(replied.message_id) if replied is not None else None,
        album=message.media_group_id if message is not None and query is None else None,
        files=files,
        in_group=chat is not None and chat.type != "private",
        edited=update.edited_message is not None,
        bot_name=application.bot.username if application.bot._bot_user is not None else "",
        commands=application.bot_data.get("commands", frozenset()),
        dialogs=application.user_data[user.id] if user is not None else {},
    )
    _made[:] = [update, said]
    return said


_made: list[Any] = [None, None]
"""The update last read and its ``Said``: every route's check reads the same one."""


def _files(message: Message, application: DubanApplication) -> tuple[Received, ...]:
    def reader(file_id: str) -> Callable[[], Awaitable[bytes]]:
        async def read() -> bytes:
            return bytes(await (await application.bot.get_file(file_id)).download_as_bytearray())
        return read

    if message.document is not None:
        d = message.document
        return (Received(d.file_name or "", "document", d.file_size, reader(d.file_id), d.file_id, d.file_unique_id, d.mime_type),)
    if message.photo:
        p = message.photo[-1]
        return (Received(f"{p.file_unique_id}.jpg", "photo", p.file_size, reader(p.file_id), p.file_id, p.file_unique_id, "image/jpeg"),)
    return ()


def _pressed_label(update: Update) -> str | None:
    query = update.callback_query
    message = query.message if query is not None else None
    if query is None or not isinstance(message, Message) or message.reply_markup is None:
        return None
    return next((b.text for row in message.reply_markup.inline_keyboard for b in row if b.callback_data == query.data), None)


# ------------------------------------------------------------------------------ out


def markup(rows: Buttons) -> InlineKeyboardMarkup | None:
    """Inline buttons of these rows (an empty row left out); None for none."""
    drawn = [[InlineKeyboardButton(b.label, callback_data=b.offer.data) for b in row] for row in rows if row]
    return InlineKeyboardMarkup(drawn) if drawn else None


def short_notice(html: str) -> str:
    """Rendered HTML as a callback notice: plain text of at most 200 characters."""
    flat = plain(html)
    return flat if len(flat) <= 200 else flat[:199] + "…"


def query_place(update: Update) -> tuple[int | None, int | None]:
    """Chat and message id of the pressed button's message."""
    query = update.callback_query
    if query is None or query.message is None:
        return None, None
    return query.message.chat.id, query.message.message_id


def html_of(message: object) -> str | None:
    """A message's text as it reads (HTML), to add a mark under it; None when not at hand."""
    return message.text_html if isinstance(message, Message) and message.text else None


async def clear_buttons(context: DubanContext, chat_id: int | None, message_id: int | None) -> None:
    """Take the buttons off a message whose question has been answered."""
    if chat_id is None or message_id is None:
        return
    try:
        await context.bot.edit_message_reply_markup(chat_id, message_id, reply_markup=None)
    except BadRequest:
        pass  # already without buttons, or too old to edit: nothing is lost


async def mark_done(
    context: DubanContext, chat_id: int | None, message_id: int | None, html: str | None, mark: str
) -> None:
    """Show on a message what was done with its buttons (``mark``, under its text) and take the
    buttons off; where the text cannot be edited (unknown, too long), the buttons still go."""
    if chat_id is None or message_id is None:
        return
    if html is None:
        await clear_buttons(context, chat_id, message_id)
        return
    try:
        await context.bot.edit_message_text(f"{html}\n\n{mark}", chat_id, message_id, reply_markup=None)
    except BadRequest:
        await clear_buttons(context, chat_id, message_id)


async def redraw(update: Update, html: str, reply_markup: InlineKeyboardMarkup | None) -> None:
    """The pressed message drawn again (a list whose ✓ or page changed)."""
    query = update.callback_query
    assert query is not None
    try:
        await query.edit_message_text(html, reply_markup=reply_markup)
    except BadRequest as exc:
        if "not modified" not in str(exc).lower():  # the same page pressed twice changes nothing
            raise  # a message gone: the error handler tells the presser the button is stale


class TelegramAnswer:
    """``bot.conversation.answer.Answer`` by the Bot API, in the chat of the update."""

    def __init__(self, update: Update, context: DubanContext) -> None:
        self.update = update
        self.context = context

    def _chat_id(self) -> int:
        chat = self.update.effective_chat
        user = self.update.effective_user
        if chat is not None:
            return chat.id
        assert user is not None
        return user.id

    async def say(self, html: str, buttons: Buttons = ()) -> str | None:
        message = self.update.effective_message
        if message is not None:
            sent = await message.reply_text(html, reply_markup=markup(buttons))
        else:  # a button on a message the bot can no longer see: the chat is still there
            sent = await self.context.bot.send_message(self._chat_id(), html, reply_markup=markup(buttons))
        return str(sent.message_id)

    async def quote(self, html: str) -> None:
        message = self.update.effective_message
        if message is None:
            await self.say(html)
            return
        await message.reply_text(html, do_quote=True)

    async def alert(self, html: str) -> None:
        assert self.update.callback_query is not None
        await self.update.callback_query.answer(short_notice(html), show_alert=True)

    async def toast(self, html: str = "") -> None:
        assert self.update.callback_query is not None
        await self.update.callback_query.answer(short_notice(html) if html else None)

    async def mark(self, mark: str) -> None:
        query = self.update.callback_query
        assert query is not None
        await mark_done(self.context, *query_place(self.update), html_of(query.message), mark)

    async def clear(self) -> None:
        await clear_buttons(self.context, *query_place(self.update))

    async def redraw(self, html: str, buttons: Buttons = ()) -> None:
        await redraw(self.update, html, markup(buttons))

    def clear_at(self, message: str) -> None:
        self.context.application.create_task(clear_buttons(self.context, self._chat_id(), int(message)))

    async def mark_at(self, message: str, html: str | None, mark: str) -> None:
        await mark_done(self.context, self._chat_id(), int(message), html, mark)

    async def send_file(self, name: str, data: bytes, caption: str | None = None) -> None:
        await self.context.bot.send_document(self._chat_id(), InputFile(io.BytesIO(data), filename=name), caption=caption)

    async def send_picture(self, name: str, data: bytes, caption: str | None = None) -> None:
        await self.context.bot.send_photo(self._chat_id(), InputFile(io.BytesIO(data), filename=name), caption=caption)

    async def busy(self) -> None:
        await self.context.bot.send_chat_action(self._chat_id(), "upload_document")

    def later(self, work: Awaitable[None]) -> None:
        # The update stays unconfirmed (``Inbox.hold``) until the work is done; an error in it
        # reaches the error handler with the update, which answers it in the chat.
        release = self.context.bot_data["inbox"].hold()

        async def run() -> None:
            try:
                await work
            finally:
                release()

        self.context.application.create_task(run(), update=self.update)


# ------------------------------------------------------------------------------ routes


class Conversation(BaseHandler[Update, DubanContext, None]):
    """The one PTB handler of the conversation layer: every update is made a ``Said`` and handed
    to the route ``bot.conversation.router`` chooses (none: PTB's other handlers, if any, look)."""

    def __init__(self, application: DubanApplication) -> None:
        super().__init__(_never)
        self.application = application

    def check_update(self, update: object) -> tuple[Said, routes.Route] | None:
        from bot.conversation import router  # the router imports the modules, which import the kernel

        if not isinstance(update, Update) or (update.callback_query is None and update.effective_message is None):
            return None
        said = said_of(update, self.application)
        route = router.route_for(said)
        return None if route is None else (said, route)

    async def handle_update(  # type: ignore[override]
        self, update: Update, application: Any, check_result: tuple[Said, routes.Route], context: DubanContext
    ) -> None:
        from bot.conversation import router

        said, route = check_result
        await router.take(route, said, TelegramAnswer(update, context))


async def _never(update: Update, context: DubanContext) -> None:
    raise AssertionError("the conversation's updates are handled by Conversation.handle_update")
