"""The command menu each person sees, fitted to their roles (``setMyCommands`` per chat)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import aiosqlite

from bot.domain.org import Person, Role
from bot.storage import outbox
from bot.texts import label

EVERYONE = frozenset(Role)
OFFICE = frozenset({Role.CLERK, Role.SUPERVISOR})

COMMAND_ROLES: dict[str, frozenset[Role]] = {
    "start": EVERYONE,
    "help": EVERYONE,
    "new": OFFICE,
    "tasks": EVERYONE,
    "task": EVERYONE,
    "feedback": frozenset({Role.RESPONSIBLE}),
    "overdue": frozenset({Role.RESPONSIBLE, Role.CLERK, Role.SUPERVISOR, Role.LEADER, Role.PRINCIPAL, Role.ADMIN}),
    "cancel": EVERYONE,
}
"""Which roles may use each command; the order is the menu's order."""


def commands_for(person: Person) -> list[str]:
    """The commands ``person`` may use."""
    return [name for name, roles in COMMAND_ROLES.items() if person.roles & roles]


def may_use(person: Person, command: str) -> bool:
    """Whether ``person``'s roles allow ``command``."""
    return bool(person.roles & COMMAND_ROLES.get(command, frozenset()))


def menu_payload(person: Person, chat_id: int) -> dict[str, Any]:
    """setMyCommands for this person's chat only."""
    return {
        "commands": [{"command": c, "description": label("commands", c)} for c in commands_for(person)],
        "scope": {"type": "chat", "chat_id": chat_id},
    }


async def queue_menu(conn: aiosqlite.Connection, person: Person, chat_id: int, now: datetime) -> None:
    """Queue the person's menu, in the transaction that bound or changed them."""
    await outbox.enqueue(conn, chat_id, menu_payload(person, chat_id), now, method="setMyCommands", person_id=person.id, purpose="menu")
