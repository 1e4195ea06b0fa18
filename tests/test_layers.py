"""The floors of the house: handlers parse an update, call a service and answer; they read no
table and import no repository. Services load, apply the domain and write through the
repositories of bot/storage: no SQL of their own (README, "How it is built")."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import pytest

from bot.actions import ACTIONS, Action

BOT = Path(__file__).resolve().parents[1] / "bot"
HANDLERS = sorted((BOT / "conversation").glob("*.py"))
SERVICES = sorted({*(BOT / "services").rglob("*.py"), *(BOT / "views").rglob("*.py"), *(BOT / "readers").rglob("*.py")})
"""The use cases, the views and the readers: none runs SQL of its own."""
FILE_READERS = sorted((BOT / "readers").rglob("*.py"))


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


@pytest.mark.parametrize("path", FILE_READERS, ids=lambda p: p.name)
def test_a_reader_reads_what_people_send_and_touches_no_database(path: Path) -> None:
    """A reader turns a message or a file into values; storing them is a use case's."""
    assert not {m for m in _imports(path) if m.startswith(("bot.storage", "bot.services", "aiosqlite", "psycopg"))}


READERS = {"bot.domain.dates"}
"""Pure readers of what a person typed, which a handler may use to read the update."""


@pytest.mark.parametrize("path", HANDLERS, ids=lambda p: p.name)
def test_a_handler_asks_a_service_for_the_notices_rules(path: Path) -> None:
    """From ``bot.domain`` a handler takes types only (Person, Task, DomainError …): a rule, a
    parser or a check is a service's to apply, so the chat asks it where every surface does."""
    import importlib
    import inspect

    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("bot.domain"):
            assert node.module != "bot.domain", f"{path.name} imports a domain module: {[a.name for a in node.names]}"
            if node.module in READERS:
                continue
            module = importlib.import_module(node.module)
            rules = [a.name for a in node.names if not inspect.isclass(getattr(module, a.name))]
            assert not rules, f"{path.name} applies {node.module}'s {rules} itself: ask a service"


WAKERS = {BOT / "channels" / "telegram" / "sender.py", BOT / "app.py"}
"""The sender itself, and the application that sets the commit hook."""


@pytest.mark.parametrize(
    "path", sorted(set(BOT.rglob("*.py")) - WAKERS), ids=lambda p: str(p.relative_to(BOT))
)
def test_nothing_wakes_the_sender_by_hand(path: Path) -> None:
    """The database's commit hook wakes the sender (bot/channels/telegram/app.py): a handler, a scheduled job or
    the demo's calendar only commits."""
    assert ".wake()" not in path.read_text(encoding="utf-8")


SQL_STATEMENT = re.compile(
    r"\b(SELECT|INSERT|UPDATE|DELETE|CREATE|DROP|ALTER|REPLACE|WITH)\b.*\b(FROM|INTO|SET|TABLE|INDEX|WHERE|VALUES|AS)\b", re.S
)
SQL_CONDITION = re.compile(r"(\b\w+\s*(=|!=|<>|<=|>=|<|>)|\b(IN|LIKE|BETWEEN|AND|OR|IS))\s*\(?\?")
"""A statement, or a fragment of one with a placeholder (``t.unit_id = ?``, ``IN (?``)."""

DB_CALLS = frozenset({"execute", "executemany", "executescript", "execute_fetchall", "fetchone", "fetchall", "cursor"})


def _docstrings(tree: ast.AST) -> set[int]:
    return {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
        and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)
    }


def sql_in(source: str) -> list[str]:
    """Where ``source`` runs SQL: calls of a connection's or cursor's methods, and strings that
    read as SQL (docstrings aside)."""
    tree = ast.parse(source)
    docs = _docstrings(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in DB_CALLS:
            found.append(f"line {node.lineno}: .{node.func.attr}(")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs:
            if SQL_STATEMENT.search(node.value) or SQL_CONDITION.search(node.value):
                found.append(f"line {node.lineno}: {node.value.strip()[:60]!r}")
    return found


@pytest.mark.parametrize("path", SERVICES, ids=lambda p: str(p.relative_to(BOT)))
def test_a_service_runs_no_sql_of_its_own(path: Path) -> None:
    """State is read and written through bot/storage, whose statements run on SQLite and
    PostgreSQL alike (bot/storage/postgres.py)."""
    assert sql_in(path.read_text(encoding="utf-8")) == [], "move the statement into a repository of bot/storage"


@pytest.mark.parametrize(
    "source",
    [
        'async def f(conn):\n    await conn.execute("DELETE FROM drafts")\n',
        'async def f(db):\n    async with db.reader.execute(q) as cur:\n        return await cur.fetchone()\n',
        'Q = """SELECT id FROM tasks t WHERE t.unit_id = ?"""\n',
        'def f(where):\n    where.append("t.section_id = ?")\n',
        'def f(where):\n    where.append("(t.special_ledger = 1 OR t.stage IN (?, ?))")\n',
        "Q = 'INSERT OR IGNORE INTO calendar_year_warnings (year, warned_at) VALUES (?, ?)'\n",
    ],
)
def test_the_sql_check_finds_statements_and_fragments(source: str) -> None:
    assert sql_in(source)


def test_the_sql_check_lets_words_and_docstrings_be() -> None:
    source = (
        'def link(code):\n    """https://t.me/<bot>?start=<code>; SELECT … FROM in prose."""\n'
        '    return f"https://t.me/duban_bot?start={code}"\n'
        'WORDS = {"在办": "open", "逾期": "overdue"}\n'
        'HINT = "Update the deadline, then set it from the table."\n'
    )
    assert sql_in(source) == []


# ------------------------------------------------------------------------------ buttons


BUTTON_DATA = re.compile(r"""f["'][a-z]{2,8}:\{""")
"""A button's data written by hand (「ack:{id}」): only ``bot/actions.py`` writes them."""


@pytest.mark.parametrize("path", sorted(BOT.rglob("*.py")), ids=lambda p: str(p.relative_to(BOT)))
def test_no_button_data_is_built_or_parsed_outside_the_table_of_actions(path: Path) -> None:
    if path == BOT / "actions.py":
        return
    source = path.read_text(encoding="utf-8")
    assert not BUTTON_DATA.findall(source)
    if "emulator" not in path.parts:
        assert "CallbackQueryHandler(" not in source or path.name == "adapter.py"
        assert "context.match" not in source and "query.data.split" not in source


TELEGRAM_TERMS = re.compile(
    r"parse_mode|reply_markup|callback_data|telegram_id"
    r"|\b(?:send|edit|set|get|delete|answer|forward|copy)(?:Message|Document|Photo|MediaGroup|MyCommands|File|Caption|ReplyMarkup|Text)\w*\b"
)
"""What only the Telegram adapter knows: its payload fields, its user ids and its Bot API methods."""
CORE = sorted(
    {*SERVICES, *(BOT / "storage").rglob("*.py"), *(BOT / "domain").rglob("*.py"), BOT / "edge.py"}
    - {BOT / "storage" / "migrations.py"}  # released migrations record the schema as it was
)


@pytest.mark.parametrize("path", CORE, ids=lambda p: str(p.relative_to(BOT)))
def test_the_core_speaks_notices_not_telegram(path: Path) -> None:
    """Services, storage, the domain and the channel edge queue notices for people; rendering
    them as Bot API calls and reaching a Telegram account is bot/channels/telegram/'s."""
    source = path.read_text(encoding="utf-8")
    assert not TELEGRAM_TERMS.findall(source)
    assert "telegram" not in _imports(path) and not any(m.startswith(("telegram.", "bot.channels")) for m in _imports(path))


@pytest.mark.parametrize("source", ['{"parse_mode": "HTML"}', 'method="editMessageReplyMarkup"', "p.telegram_id", '"setMyCommands"'])
def test_the_telegram_check_finds_its_terms(source: str) -> None:
    assert TELEGRAM_TERMS.findall(source)


def test_every_action_has_one_handler_and_every_button_handler_an_action() -> None:
    from bot import actions
    from bot.conversation import routes
    from bot.conversation.router import ROUTES

    taken = [r for r in ROUTES if isinstance(r, routes.Pressed)]
    # the one other: any button no action knows (a stale one of a removed kind) is answered
    others = [r for r in ROUTES if isinstance(r, routes.AnyPress)]
    assert [r.takes.__module__ for r in others] == ["bot.conversation.fallback"]
    assert sorted(r.action.name for r in taken) == sorted(a.name for a in actions.ACTIONS)
    for r in taken:
        assert f"{r.takes.__module__}.{r.takes.__qualname__}" == r.action.handler


def test_telegram_hands_every_update_to_the_one_router() -> None:
    from telegram.ext import ApplicationBuilder, ContextTypes

    from bot.channels.telegram.adapter import Conversation
    from bot.channels.telegram.app import add_handlers
    from bot.channels.telegram.context import DubanContext

    application = ApplicationBuilder().token("1:x").updater(None).context_types(ContextTypes(context=DubanContext)).build()
    add_handlers(application)  # type: ignore[arg-type]
    assert [type(h) for hs in application.handlers.values() for h in hs] == [Conversation]


def test_the_answers_of_new_are_the_steps_it_takes() -> None:
    from bot import actions
    from bot.conversation import issue

    assert set(actions.NEW_ANSWER.formats["step"].split("|")) == set(issue.CHOICES)


@pytest.mark.parametrize("action", ACTIONS, ids=lambda a: a.name)
def test_an_action_reads_back_what_it_wrote(action: Action[Any]) -> None:
    sample = {"int": 123456789012, "dialog_id": "a1b2c3", "value": "x:y", "rest": "old:1", "number": "J2026-10",
              "period": "2026-11", "month": "2026-11", "code": "Ab_9-" * 12}
    values: dict[str, Any] = {}
    for name, kind in action._types.items():
        if name in action.formats:
            values[name] = action.formats[name].split("|")[0]
        else:
            values[name] = sample["int"] if kind in (int, int | None) else sample[name]
    offer = action(**values)
    assert len(offer.data.encode()) <= 64
    assert action.read(offer.data) == offer.values


# ------------------------------------------------------------------------------ who may do what


RETIRED_CHECKS = frozenset({
    "acts_for_unit", "can_review", "can_decide_extension", "can_remind", "is_supervision_office", "can_put_right",
    "can_see", "sees_everything", "_may_issue",
})
"""The checks the table of ``bot/domain/permissions.py`` replaced."""


def role_decisions(source: str) -> list[str]:
    """Where code decides who may do what itself instead of asking a service (which reads the
    table of ``bot/domain/permissions.py``): a ``Role.`` named, ``person.has(...)`` or
    ``person.roles`` asked, the table imported, or a retired check called."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "Role":
            found.append(f"line {node.lineno}: Role.{node.attr}")
        elif isinstance(node, ast.Attribute) and node.attr == "has":
            found.append(f"line {node.lineno}: .has")
        elif isinstance(node, (ast.BinOp, ast.Compare, ast.BoolOp)) and any(
            isinstance(part, ast.Attribute) and part.attr == "roles" for part in ast.iter_child_nodes(node)
        ):
            found.append(f"line {node.lineno}: a comparison of .roles")
        elif isinstance(node, ast.ImportFrom) and node.module in ("bot.domain.permissions", "bot.domain.org"):
            found += [f"line {node.lineno}: imports {a.name}" for a in node.names if a.name == "Role" or node.module.endswith("permissions")]
        elif isinstance(node, (ast.Name, ast.Attribute)) and (node.id if isinstance(node, ast.Name) else node.attr) in RETIRED_CHECKS:
            found.append(f"line {node.lineno}: {node.id if isinstance(node, ast.Name) else node.attr}")
    return found


@pytest.mark.parametrize("path", HANDLERS, ids=lambda p: p.name)
def test_a_handler_decides_no_role(path: Path) -> None:
    """Who may do what is one table (``bot.domain.permissions``), read by the services' checks
    and, for the menus and a command's first refusal, by ``may_use``: a handler asks them."""
    assert role_decisions(path.read_text(encoding="utf-8")) == [], "ask a service (its check reads the table)"


@pytest.mark.parametrize(
    "source",
    [
        "def f(person):\n    return person.has(Role.LEADER)\n",
        "def f(person):\n    return bool(person.roles & OFFICE)\n",
        "def f(person):\n    return Role.CLERK in person.roles\n",
        "from bot.domain.org import Person, Role\n",
        "from bot.domain.permissions import may\n",
        "def f(person, task):\n    return permissions.can_remind(person, task)\n",
        "def f(person, task):\n    return acts_for_unit(person, task)\n",
    ],
)
def test_the_role_check_finds_a_decision(source: str) -> None:
    assert role_decisions(source)


def test_the_role_check_lets_a_service_be_asked() -> None:
    source = (
        "from bot.domain.org import Person\n"
        "def names(person):\n    return [label('roles', r.value) for r in sorted(person.roles)]\n"
        "async def f(update, person):\n"
        "    if not may_use(person, 'new') or not issuing.may_issue(person):\n"
        "        return\n"
    )
    assert role_decisions(source) == []


# ------------------------------------------------------------------------------ the channel edge


TELEGRAM_PACKAGE = BOT / "channels" / "telegram"

MIGRATIONS = BOT / "storage" / "migrations.py"
"""The schema's history: it names the columns it once had (``people.telegram_id``)."""


def _outside_telegram() -> list[Path]:
    """Every module of the bot but the Telegram package and the emulators."""
    return [
        p for p in sorted(BOT.rglob("*.py"))
        if not p.is_relative_to(TELEGRAM_PACKAGE) and "emulators" not in p.relative_to(BOT).parts
    ]


def test_only_the_telegram_package_imports_telegram() -> None:
    found = [p for p in _outside_telegram() if any(m == "telegram" or m.startswith("telegram.") for m in _imports(p))]
    assert [str(p.relative_to(BOT)) for p in found] == []


CONVERSATION = sorted((BOT / "conversation").glob("*.py"))
TELEGRAM_WORDS = re.compile(r"\b(callback_data|parse_mode|reply_markup|telegram_id|Update)\b")
BOT_API_WORDS = re.compile(r"\b(callback_data|parse_mode|reply_markup|telegram_id)\b")


@pytest.mark.parametrize("path", CONVERSATION, ids=lambda p: p.name)
def test_the_conversation_layer_speaks_no_telegram(path: Path) -> None:
    """A module reads a ``Said`` and answers through an ``Answer``: no platform's words."""
    assert TELEGRAM_WORDS.findall(path.read_text(encoding="utf-8")) == []


def test_nothing_outside_the_telegram_package_names_the_bot_apis_fields() -> None:
    found = {
        str(p.relative_to(BOT)): BOT_API_WORDS.findall(p.read_text(encoding="utf-8"))
        for p in _outside_telegram() if p != MIGRATIONS
    }
    assert {path: words for path, words in found.items() if words} == {}


def test_every_module_declares_routes_and_registers_no_handler() -> None:
    from bot.conversation.router import FEATURES

    for feature in FEATURES:
        assert hasattr(feature, "ROUTES") and not hasattr(feature, "register"), feature.__name__


def test_the_telegram_check_finds_an_import(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("from telegram import Update\nimport telegram.ext\n", encoding="utf-8")
    assert {"telegram", "telegram.ext"} <= _imports(sample)
    assert TELEGRAM_WORDS.search("reply_markup=markup") and not TELEGRAM_WORDS.search("updated_at")


# ------------------------------------------------------------------------------ the dialog kit


DIALOG_KIT = {BOT / "conversation" / "kit.py"}
KEPT_BY_HAND = re.compile(r"(?:user_data|dialogs)\[([\w.]+)\]\s*=")
NOT_DIALOGS = {"KEPT_FEEDBACK"}
"""What a person's dialog store keeps outside the kit that is no dialog: a file waiting for the
person to say which slip it answers (slip_actions)."""


@pytest.mark.parametrize("path", sorted(set((BOT / "conversation").glob("*.py")) - DIALOG_KIT), ids=lambda p: p.name)
def test_every_dialog_opens_with_the_kit_and_lets_it_keep_or_end_it(path: Path) -> None:
    """A dialog is opened with ``kit.open_dialog`` (which closes any other), and after a refused
    answer ``kit.refused`` / ``keep_or_end`` decide whether its question stays open."""
    source = path.read_text(encoding="utf-8")
    assert set(KEPT_BY_HAND.findall(source)) <= NOT_DIALOGS, "open the dialog with kit.open_dialog"
    assert "may_answer_again" not in source, "let kit.refused (or keep_or_end) keep the question open or end it"


def test_the_dialog_check_finds_a_draft_kept_by_hand() -> None:
    assert KEPT_BY_HAND.findall("    context.user_data[RETURN_DRAFT] = ReturnDraft(") == ["RETURN_DRAFT"]
