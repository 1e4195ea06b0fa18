"""The handlers of the buttons: each registered for one action of ``bot.actions``, and handed
the values its button carries."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler

from bot.actions import Action, Offer
from bot.edge import Button
from bot.handlers.context import DubanApplication, DubanContext

V = TypeVar("V", bound=tuple[Any, ...])


class Pressed(CallbackQueryHandler):  # type: ignore[type-arg]
    """The handler of one action's buttons; ``takes`` is the function that answers them."""

    def __init__(self, action: Action[Any], takes: Callable[..., Awaitable[None]]) -> None:
        async def read(update: Update, context: DubanContext) -> None:
            assert update.callback_query is not None
            await takes(update, context, action.read(update.callback_query.data or ""))

        super().__init__(read, pattern=action.pattern)
        self.action = action
        self.takes = takes


def on(application: DubanApplication, action: Action[V], takes: Callable[[Update, DubanContext, V], Awaitable[None]]) -> None:
    """``takes`` answers the buttons of ``action`` (after the handlers added before it)."""
    application.add_handler(Pressed(action, takes))


def button(text: str, offer: Offer) -> InlineKeyboardButton:
    """One inline button offering ``offer``."""
    return InlineKeyboardButton(text, callback_data=offer.data)


def markup(rows: list[list[tuple[str, Offer]]]) -> InlineKeyboardMarkup:
    """Inline buttons from (label, offer) rows; an empty row is left out."""
    return InlineKeyboardMarkup([[button(t, o) for t, o in row] for row in rows if row])


def drawn(rows: Sequence[Sequence[Button]]) -> list[list[InlineKeyboardButton]]:
    """The buttons of a keyboard a service drew (``notify.button``), to send as an answer."""
    return [[button(b.label, b.offer) for b in row] for row in rows]
