"""The callback context every handler gets: the office's services as typed properties."""

from __future__ import annotations

from typing import TYPE_CHECKING

from telegram.ext import Application, CallbackContext, ExtBot

from bot.services.context import Office

if TYPE_CHECKING:
    from bot.sender import Sender


class DubanContext(CallbackContext[ExtBot[int], dict, dict, dict]):  # type: ignore[type-arg]
    """``context.office`` and ``context.sender`` instead of ``bot_data[...]`` look-ups."""

    def __init__(self, application: Application, chat_id: int | None = None, user_id: int | None = None) -> None:  # type: ignore[type-arg]
        super().__init__(application=application, chat_id=chat_id, user_id=user_id)

    @property
    def office(self) -> Office:
        """Database, settings, calendar, clock."""
        return self.application.bot_data["office"]  # type: ignore[no-any-return]

    @property
    def implemented(self) -> frozenset[str]:
        """The commands the handler modules declare (the menu shows only these)."""
        return self.application.bot_data["commands"]  # type: ignore[no-any-return]

    @property
    def sender(self) -> Sender:
        """The outbox sender; ``context.sender.wake()`` after queuing messages."""
        return self.application.bot_data["sender"]  # type: ignore[no-any-return]
