"""Small steps most handlers share: who is asking, answering in Chinese, replying safely."""

from __future__ import annotations

from typing import Any

from telegram import Update

from bot.channels.telegram.adapter import short_notice
from bot.domain.org import Person
from bot.edge import TELEGRAM, Account
from bot.channels.telegram.context import DubanContext
from bot.services import onboarding
from bot.domain.errors import DomainError
from bot.conversation.menu import may_use
from bot.texts import explain, render


async def current_person(update: Update, context: DubanContext) -> Person | None:
    """The bound person behind this update, or None for an unknown Telegram account."""
    user = update.effective_user
    return None if user is None else await onboarding.person_asking(context.office, Account(TELEGRAM, str(user.id)))


async def bound_person(update: Update, context: DubanContext, command: str | None = None) -> Person | None:
    """The bound person asking, allowed ``command`` when one is named.

    Otherwise the refusal is given (an unknown account: the polite invite text; a role without
    the right: the not_allowed notice) as a callback notice or a message, and None returned.
    """
    person = await current_person(update, context)
    if person is None:
        if update.callback_query is not None:
            await update.callback_query.answer(short_notice(render("start/unknown")), show_alert=True)
        else:
            await reply(update, "start/unknown")
        return None
    if command is not None and not may_use(person, command):
        await refuse(update, DomainError("not_allowed"))
        return None
    return person




def command_text(update: Update) -> str:
    """What follows the command on its line (and the lines after it)."""
    message = update.effective_message
    text = (message.text or "") if message is not None else ""
    parts = text.split(maxsplit=1)
    return parts[1].strip() if len(parts) > 1 else ""


async def reply(update: Update, template: str, /, **ctx: Any) -> None:
    """Answer the update's chat with ``messages/<template>.j2``."""
    if update.effective_message is not None:
        await update.effective_message.reply_text(render(template, **ctx))


async def refuse(update: Update, error: Exception) -> None:
    """Answer a refused action with what to do instead (as a callback notice, or a message)."""
    text = explain(error)
    if update.callback_query is not None:
        await update.callback_query.answer(short_notice(text), show_alert=True)
    elif update.effective_message is not None:
        await update.effective_message.reply_text(text)


