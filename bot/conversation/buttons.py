"""The handlers of the buttons: each registered for one action of ``bot.actions``, and handed
the values its button carries."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.actions import Action, Offer
from bot.channels.telegram.adapter import Pressed
from bot.channels.telegram.context import DubanApplication, DubanContext
from bot.edge import Button

V = TypeVar("V", bound=tuple[Any, ...])


def on(application: DubanApplication, action: Action[V], takes: Callable[[Update, DubanContext, V], Awaitable[None]]) -> None:
    """``takes`` answers the buttons of ``action`` (after the handlers added before it)."""

    async def read(update: Update, context: DubanContext) -> None:
        assert update.callback_query is not None
        await takes(update, context, action.read(update.callback_query.data or ""))

    application.add_handler(Pressed(action, takes, read))


def button(text: str, offer: Offer) -> InlineKeyboardButton:
    """One inline button offering ``offer``."""
    return InlineKeyboardButton(text, callback_data=offer.data)


def markup(rows: list[list[tuple[str, Offer]]]) -> InlineKeyboardMarkup:
    """Inline buttons from (label, offer) rows; an empty row is left out."""
    return InlineKeyboardMarkup([[button(t, o) for t, o in row] for row in rows if row])


def drawn(rows: Sequence[Sequence[Button]]) -> list[list[InlineKeyboardButton]]:
    """The buttons of a keyboard a service drew (``notify.button``), to send as an answer."""
    return [[button(b.label, b.offer) for b in row] for row in rows]
