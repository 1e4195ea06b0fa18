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



@pytest.mark.parametrize("path", HANDLERS, ids=lambda p: p.name)
def test_a_handler_wakes_no_sender_by_hand(path: Path) -> None:
    """The database's commit hook wakes the sender (bot/app.py)."""
    assert ".wake()" not in path.read_text(encoding="utf-8")
