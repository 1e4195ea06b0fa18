"""The command menu each person sees, fitted to their roles (``setMyCommands`` per chat). Who may
use what is the table of ``bot.domain.permissions`` (``COMMANDS``)."""

from __future__ import annotations

from typing import Any

from bot.domain.org import Person
from bot.services.permissions import commands_for, may_use
from bot.texts import label

__all__ = ["commands_for", "may_use", "menu_payload"]


def menu_payload(person: Person, chat_id: int, implemented: frozenset[str] | None = None) -> dict[str, Any]:
    """setMyCommands for this person's chat only."""
    return {
        "commands": [{"command": c, "description": label("commands", c)} for c in commands_for(person, implemented)],
        "scope": {"type": "chat", "chat_id": chat_id},
    }
