"""What the ConversationHandler dialog of /new uses: a step that ends the update's handling,
and the buttons of a dialog, whose callback data carry the dialog's id. (The other dialogs are
kept in ``user_data`` by ``bot.handlers.dialogs``.)"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from functools import wraps
from typing import Any, TypeVar

from telegram import Update
from telegram.ext import ApplicationHandlerStop, CallbackQueryHandler, ConversationHandler

from bot.handlers.context import DubanContext

Callback = Callable[[Update, DubanContext], Coroutine[Any, Any, Any]]
D = TypeVar("D")


def open_draft(context: DubanContext, key: str, kind: type[D]) -> D | None:
    """The dialog's draft kept under ``key`` in the person's ``user_data``, if one is open."""
    found = (context.user_data or {}).get(key)
    return found if isinstance(found, kind) else None


def end(context: DubanContext, key: str) -> int:
    """Forget the dialog's draft; the ConversationHandler's END."""
    if context.user_data is not None:
        context.user_data.pop(key, None)
    return ConversationHandler.END


def final(callback: Callback) -> Callback:
    """Run ``callback`` and end the update's handling there.

    The catch-alls registered after the dialogs must not also answer an update the dialog took
    (a "not understood" reply after each answer, a second answer to a pressed button).
    """

    @wraps(callback)
    async def run(update: Update, context: DubanContext) -> object:
        raise ApplicationHandlerStop(await callback(update, context))

    return run


def step_button(prefix: str, dialog_id: str, action: str, callback: Callback) -> CallbackQueryHandler[DubanContext, object]:
    """The handler of one kind of button (``action``) of a dialog: data ``prefix:<id>:action:…``,
    the dialog id matching the pattern ``dialog_id``."""
    return CallbackQueryHandler(final(callback), pattern=rf"^{prefix}:{dialog_id}:{action}:")
