"""The floors of the house: handlers parse an update, call a service and answer; they read no
table and import no repository (README, "How it is built")."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

HANDLERS = sorted((Path(__file__).resolve().parents[1] / "bot" / "handlers").glob("*.py"))


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


@pytest.mark.parametrize("path", HANDLERS, ids=lambda p: p.name)
def test_a_handler_imports_no_storage_and_touches_no_database(path: Path) -> None:
    assert not {m for m in _imports(path) if m.startswith(("bot.storage", "aiosqlite", "sqlite3"))}
    assert ".db." not in path.read_text(encoding="utf-8"), "ask a service instead of the database"



BOT = Path(__file__).resolve().parents[1] / "bot"
WAKERS = {BOT / "sender.py", BOT / "app.py"}
"""The sender itself, and the application that sets the commit hook."""


@pytest.mark.parametrize(
    "path", sorted(set(BOT.rglob("*.py")) - WAKERS), ids=lambda p: str(p.relative_to(BOT))
)
def test_nothing_wakes_the_sender_by_hand(path: Path) -> None:
    """The database's commit hook wakes the sender (bot/app.py): a handler, a scheduled job or
    the demo's calendar only commits."""
    assert ".wake()" not in path.read_text(encoding="utf-8")
