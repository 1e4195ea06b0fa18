"""The callback context every handler gets: the office's services as typed properties."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeAlias

from telegram.ext import Application, CallbackContext, ExtBot, JobQueue

from bot.services.context import Office

if TYPE_CHECKING:
    from bot.channels.telegram.sender import Sender


class DubanContext(CallbackContext[ExtBot[int], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """``context.office`` and ``context.sender`` instead of ``bot_data[...]`` look-ups."""

    def __init__(self, application: DubanApplication, chat_id: int | None = None, user_id: int | None = None) -> None:
        super().__init__(application=application, chat_id=chat_id, user_id=user_id)

    @property
    def duban(self) -> DubanApplication:
        """The bot's application, typed."""
        return self.application  # type: ignore[return-value]

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
        """The outbox sender (woken by every commit: ``bot.channels.telegram.app.build_application``)."""
        return self.application.bot_data["sender"]  # type: ignore[no-any-return]


DubanApplication: TypeAlias = Application[
    ExtBot[int], DubanContext, dict[Any, Any], dict[Any, Any], dict[Any, Any], JobQueue[Any]
]
"""The bot's ``Application``, as ``bot.channels.telegram.app.build_application`` builds it."""
