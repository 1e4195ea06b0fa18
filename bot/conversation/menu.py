"""The command menu each person sees, fitted to their roles (``setMyCommands`` per chat)."""

from __future__ import annotations

from typing import Any

from bot.domain.org import Person, Role
from bot.texts import label

EVERYONE = frozenset(Role)
OFFICE = frozenset({Role.CLERK, Role.SUPERVISOR})

READERS = frozenset({Role.CLERK, Role.SUPERVISOR, Role.LEADER, Role.PRINCIPAL, Role.ADMIN})
SUPERVISION = frozenset({Role.SUPERVISOR})

COMMAND_ROLES: dict[str, frozenset[Role]] = {
    "start": EVERYONE,
    "help": EVERYONE,
    "new": OFFICE,
    "withdraw": OFFICE,
    "correct": OFFICE,
    "tasks": EVERYONE,
    "task": EVERYONE,
    "feedback": frozenset({Role.RESPONSIBLE}),
    "extend": frozenset({Role.RESPONSIBLE}),
    "late": frozenset({Role.RESPONSIBLE}),
    "overdue": EVERYONE,
    "board": EVERYONE,
    "scores": EVERYONE,
    "ledger": READERS,
    "report": READERS,
    "meeting": OFFICE,
    "material": OFFICE,
    "praise": SUPERVISION,
    "criticize": SUPERVISION,
    "void": SUPERVISION,
    "interview": SUPERVISION,
    "transfer": SUPERVISION,
    "units": frozenset({Role.ADMIN}),
    "people": frozenset({Role.ADMIN}),
    "invite": frozenset({Role.ADMIN}),
    "minutes": OFFICE,
    "instruct": frozenset({Role.LEADER, Role.PRINCIPAL}),
    "aliases": frozenset({Role.ADMIN}),
    "cancel": EVERYONE,
}
"""Which roles may use each command (SPEC section 2); the order is the menu's order. A command
shows in a menu only once a handler module declares it in its ``COMMANDS``."""


def commands_for(person: Person, implemented: frozenset[str] | None = None) -> list[str]:
    """The commands ``person`` may use (of those ``implemented``, when given)."""
    return [
        name for name, roles in COMMAND_ROLES.items()
        if person.roles & roles and (implemented is None or name in implemented)
    ]


def may_use(person: Person, command: str) -> bool:
    """Whether ``person``'s roles allow ``command``."""
    return bool(person.roles & COMMAND_ROLES.get(command, frozenset()))


def menu_payload(person: Person, chat_id: int, implemented: frozenset[str] | None = None) -> dict[str, Any]:
    """setMyCommands for this person's chat only."""
    return {
        "commands": [{"command": c, "description": label("commands", c)} for c in commands_for(person, implemented)],
        "scope": {"type": "chat", "chat_id": chat_id},
    }
