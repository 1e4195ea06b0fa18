"""Who may use which command, as the menus and the handlers ask it: the table of
``bot.domain.permissions`` read for a person. Every service checks its own deed there too; callback
data is never trusted."""

from __future__ import annotations

from bot.domain.org import Person, Role
from bot.domain.permissions import COMMANDS, Deed, may_at_all, roles_for


def command_roles() -> dict[str, frozenset[Role]]:
    """Which roles may use each command, in the menu's order."""
    return {command: roles_for(deed) for command, deed in COMMANDS.items()}


def may_use(person: Person, command: str) -> bool:
    """Whether ``person``'s roles allow ``command`` (an unknown command: no one)."""
    deed = COMMANDS.get(command)
    return deed is not None and deed is not Deed.ANYONE and may_at_all(person, deed)


def commands_for(person: Person, implemented: frozenset[str] | None = None) -> list[str]:
    """The commands ``person`` may use (of those ``implemented``, when given), in the menu's order."""
    return [name for name in COMMANDS if may_use(person, name) and (implemented is None or name in implemented)]
