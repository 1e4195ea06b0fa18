"""The command menu each person sees, fitted to their roles (``setMyCommands`` per chat). Who may
use what is the table of ``bot.domain.permissions`` (``COMMANDS``)."""

from __future__ import annotations


from bot.domain.org import Person
from bot.edge import Command, Menu
from bot.services.permissions import commands_for, may_use
from bot.texts import label

__all__ = ["commands_for", "may_use", "menu_of"]


def menu_of(person: Person, implemented: frozenset[str] | None = None) -> Menu:
    """This person's command menu (their chat only)."""
    return Menu(tuple(Command(c, label("commands", c)) for c in commands_for(person, implemented)))
