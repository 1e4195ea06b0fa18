"""The one global error handler: log with the traceback, tell the user something short.

A handler lets a ``DomainError`` (a refused action: bad input, no right, a stale button) rise
to here: it is answered with what to do instead, and the update goes no further, so no later
handler group (the "not understood" catch-all) answers it a second time.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import BadRequest
from telegram.ext import ApplicationHandlerStop

from bot.domain.errors import DomainError
from bot.texts import explain
from bot.channels.telegram.adapter import TelegramAnswer
from bot.channels.telegram.context import DubanApplication, DubanContext

log = logging.getLogger(__name__)


async def on_error(update: object, context: DubanContext) -> None:
    """Domain refusals are answered; anything else is logged and answered with a generic line."""
    error = context.error
    if isinstance(update, Update):
        if update.callback_query is not None and message_gone(error):
            # A button on a message deleted since (or never sent: a forged press).
            log.info("update %s: the pressed message is gone (%s)", update.update_id, error)
            error = DomainError("button_message_gone")
        if not isinstance(error, DomainError):
            log.error("update %s failed", update.update_id, exc_info=error)
        try:
            refusal = explain(error if isinstance(error, DomainError) else DomainError("unexpected"))
            answer = TelegramAnswer(update, context)
            await (answer.alert(refusal) if update.callback_query is not None else answer.say(refusal))
        except Exception:  # the chat may be gone; the log above has what matters
            log.warning("could not tell the user about the error", exc_info=True)
        raise ApplicationHandlerStop
    else:
        log.error("background error", exc_info=error)


GONE = ("message to edit not found", "message to delete not found", "message can't be edited", "message_id_invalid")
"""Telegram's words for a message that is no longer there to change."""


def message_gone(error: object) -> bool:
    """Whether ``error`` is Telegram refusing to change a message that no longer exists."""
    return isinstance(error, BadRequest) and any(words in error.message.lower() for words in GONE)


def register(application: DubanApplication) -> None:
    """Install the error handler."""
    application.add_error_handler(on_error)  # type: ignore[arg-type]
