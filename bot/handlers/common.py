"""Small steps most handlers share: who is asking, answering in Chinese, replying safely."""

from __future__ import annotations

from typing import Any

from telegram import Update

from bot.domain.org import Person
from bot.handlers.context import DubanContext
from bot.storage import org
from bot.texts import explain, render


async def current_person(update: Update, context: DubanContext) -> Person | None:
    """The bound person behind this update, or None for an unknown Telegram account."""
    user = update.effective_user
    if user is None:
        return None
    return await org.person_by_telegram(context.office.db.reader, user.id)


async def reply(update: Update, template: str, /, **ctx: Any) -> None:
    """Answer the update's chat with ``messages/<template>.j2``."""
    if update.effective_message is not None:
        await update.effective_message.reply_text(render(template, **ctx))


async def refuse(update: Update, error: Exception) -> None:
    """Answer a refused action with what to do instead (as a callback notice, or a message)."""
    text = explain(error)
    if update.callback_query is not None:
        await update.callback_query.answer(_plain_short(text), show_alert=True)
    elif update.effective_message is not None:
        await update.effective_message.reply_text(text)


def _plain_short(text: str) -> str:
    from bot.texts import plain

    # A callback answer is plain text of at most 200 characters.
    flat = plain(text)
    return flat if len(flat) <= 200 else flat[:199] + "…"


def is_private(update: Update) -> bool:
    """The bot works in private chats only; group messages get a short pointer."""
    chat = update.effective_chat
    return chat is not None and chat.type == "private"
