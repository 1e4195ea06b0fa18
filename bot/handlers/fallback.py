"""What nothing else answered: unknown users, group chats, stickers, unknown commands, edits."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.handlers.common import current_person, not_understood, reply
from bot.handlers.context import DubanApplication, DubanContext
from bot.texts import render

log = logging.getLogger(__name__)

FALLBACK_GROUP = 0
"""Same group as the features, registered after them: it answers only what none of them took."""


async def group_chat(update: Update, context: DubanContext) -> None:
    """The bot works in private chats only: say so once, briefly, when addressed in a group."""
    message = update.effective_message
    if message is None or not message.text:
        return
    if message.text.startswith("/") or (context.bot.username and f"@{context.bot.username}" in message.text):
        await reply(update, "fallback/group")


async def anything(update: Update, context: DubanContext) -> None:
    """A message no handler took: unknown users are refused, known ones told what to send."""
    person = await current_person(update, context)
    if person is None:
        await reply(update, "start/unknown")
        return
    message = update.effective_message
    if message is not None and message.text and message.text.startswith("/"):
        await reply(update, "fallback/unknown_command")
    else:
        await not_understood(update, person)


async def nothing_to_cancel(update: Update, context: DubanContext) -> None:
    """/cancel with no dialog open (inside one, the dialog's own /cancel answers first)."""
    if await current_person(update, context) is None:
        await reply(update, "start/unknown")
        return
    await reply(update, "fallback/nothing_to_cancel")


async def edited(update: Update, context: DubanContext) -> None:
    """An edit of an old message changes nothing already recorded."""
    await reply(update, "fallback/edited")


async def stale_button(update: Update, context: DubanContext) -> None:
    """A button no handler recognises (an old keyboard): answer, change nothing."""
    assert update.callback_query is not None
    await update.callback_query.answer(render("fallback/stale_button"), show_alert=True)


def register(application: DubanApplication) -> None:
    """Add the catch-alls in a late group."""
    application.add_handler(MessageHandler(filters.ChatType.GROUPS, group_chat), group=FALLBACK_GROUP)
    application.add_handler(CommandHandler("cancel", nothing_to_cancel, filters=filters.ChatType.PRIVATE), group=FALLBACK_GROUP)
    application.add_handler(MessageHandler(filters.UpdateType.EDITED, edited), group=FALLBACK_GROUP)
    application.add_handler(MessageHandler(filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE, anything), group=FALLBACK_GROUP)
    application.add_handler(CallbackQueryHandler(stale_button), group=FALLBACK_GROUP)
