"""Migrations on a blank SQLite file: the schema, the record of what ran, and the pragmas."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import datetime
from pathlib import Path

import aiosqlite
import pytest

from bot.channels.telegram import render
from bot.edge import TELEGRAM, Account
from bot.services.context import Office
from bot.storage.db import Database
from bot.storage.migrations import MIGRATIONS, applied, migrate

TABLES = {
    "migrations",
    "people",
    "person_roles",
    "units",
    "sections",
    "invites",
    "slip_sequences",
    "tasks",
    "slips",
    "feedback",
    "attachments",
    "extension_requests",
    "score_events",
    "history",
    "outbox",
    "daily_runs",
    "calendar_overrides",
    "accounts",
}

KEY_COLUMNS = {
    # 工作事项、工作要求、责任单位、责任人、时限要求 (notice, section 一), plus the lifecycle
    "tasks": {
        "title", "requirements", "basis", "source", "unit_id", "section_id", "responsible_id",
        "issued_on", "period_days", "original_deadline", "deadline", "special_ledger",
        "status", "stage", "extension_pending", "version",
    },
    "slips": {"task_id", "type", "year", "seq", "issued_on", "window_days", "overdue_days", "text"},
    "slip_sequences": {"type", "year", "last"},
    "score_events": {"unit_id", "category", "points", "occurred_on", "slip_id", "void_reason", "voided_by"},
    "history": {"task_id", "actor_id", "kind", "at", "details"},
    "outbox": {"channel", "address", "person_id", "kind", "notice", "status", "attempts", "not_before", "message_id"},
    "accounts": {"person_id", "channel", "address", "bound_at"},
    "invites": {"code", "person_id", "expires_at", "used_at"},
    "migrations": {"name", "applied_at"},
}


async def columns(db: Database, table: str) -> dict[str, sqlite3.Row]:
    async with db.reader.execute(f"PRAGMA table_info({table})") as cur:
        return {row["name"]: row async for row in cur}


async def test_blank_database_migrates(db_path: Path) -> None:
    assert not db_path.exists()
    async with Database(db_path) as db:
        async with db.reader.execute("SELECT name FROM sqlite_master WHERE type = 'table'") as cur:
            tables = {row[0] async for row in cur}
        assert TABLES <= tables
        for table, expected in KEY_COLUMNS.items():
            assert expected <= set(await columns(db, table)), table


async def test_migration_is_recorded_with_its_time(db_path: Path) -> None:
    """STYLE (simonw/llm): "records each applied name with its time in a table"."""
    before = datetime.now().astimezone()
    async with Database(db_path) as db:
        async with db.reader.execute("SELECT name, applied_at FROM migrations ORDER BY rowid") as cur:
            rows = [(r[0], r[1]) async for r in cur]
    assert [name for name, _ in rows] == [fn.__name__ for fn in MIGRATIONS]
    assert rows[0][0] == "m001_initial"
    at = datetime.fromisoformat(rows[0][1])
    assert at.tzinfo is not None
    assert abs((at - before).total_seconds()) < 60


async def test_points_are_stored_as_text_and_slip_numbers_unique(db_path: Path) -> None:
    """Exact decimal text for points; a slip number can exist once per type and year."""
    async with Database(db_path) as db:
        points = (await columns(db, "score_events"))["points"]
        assert points["type"] == "TEXT"
        async with db.reader.execute("PRAGMA index_list(slips)") as cur:
            unique = [r["name"] async for r in cur if r["unique"]]
        index_columns = set()
        for name in unique:
            async with db.reader.execute(f"PRAGMA index_info({name})") as cur:
                index_columns.add(tuple([r["name"] async for r in cur]))
        assert ("type", "year", "seq") in index_columns


@pytest.mark.parametrize("connection", ["writer", "reader"])
async def test_wal_and_foreign_keys(db_path: Path, connection: str) -> None:
    """WAL so readers never wait for the writer; foreign keys enforced on every connection."""
    async with Database(db_path) as db:
        conn = db._writer if connection == "writer" else db.reader
        assert conn is not None
        async with conn.execute("PRAGMA journal_mode") as cur:
            assert (await cur.fetchone())[0] == "wal"
        async with conn.execute("PRAGMA foreign_keys") as cur:
            assert (await cur.fetchone())[0] == 1


async def test_foreign_keys_are_enforced(db_path: Path) -> None:
    async with Database(db_path) as db:
        with pytest.raises(sqlite3.IntegrityError):
            async with db.transaction() as conn:
                await conn.execute(
                    "INSERT INTO person_roles (person_id, role) VALUES (?, ?)", (999, "clerk")
                )


async def test_reopening_applies_nothing_twice(db_path: Path) -> None:
    async with Database(db_path) as db:
        async with db.transaction() as conn:
            await conn.execute("INSERT INTO units (name, kind) VALUES ('穰东镇人民政府', 'town')")
        first = await applied(db.reader)
    async with Database(db_path) as db:
        assert await applied(db.reader) == first
        async with db.reader.execute("SELECT count(*) FROM migrations") as cur:
            assert (await cur.fetchone())[0] == len(MIGRATIONS)
        async with db.reader.execute("SELECT name FROM units") as cur:
            assert [r[0] async for r in cur] == ["穰东镇人民政府"]  # data kept
        assert db._writer is not None
        assert await migrate(db._writer) == []


async def test_two_processes_opening_at_once_migrate_once(db_path: Path) -> None:
    """The bot and a CLI command may start together on a blank file."""
    first, second = Database(db_path), Database(db_path)
    await asyncio.gather(first.open(), second.open())
    try:
        assert await applied(first.reader) == [fn.__name__ for fn in MIGRATIONS]
    finally:
        await first.close()
        await second.close()


async def test_office_opens_a_migrated_database(office: Office) -> None:
    assert await applied(office.db.reader) == [fn.__name__ for fn in MIGRATIONS]


async def test_m007_gives_a_chased_task_back_its_deadline(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Before m007 a 催办单's window overwrote ``deadline``. The migration moves it to
    ``window_until`` and restores the current deadline: the date of the latest approved 延期 or
    退回 with a new date, else the 交办单's own."""
    from bot.storage import migrations

    conn = await aiosqlite.connect(db_path)
    monkeypatch.setattr(migrations, "MIGRATIONS", MIGRATIONS[:6])
    await migrate(conn)
    rows = [
        # id, stage, original deadline, deadline as stored before m007
        (1, "none", "2026-12-01", "2026-12-01"),
        (2, "reminded", "2026-11-27", "2026-12-04"),
        (3, "supervised", "2026-11-20", "2026-12-11"),
    ]
    for task_id, stage, original, stored in rows:
        await conn.execute(
            """INSERT INTO tasks (id, title, requirements, basis, source, unit_id, section_id, issued_by,
               issued_on, period_days, original_deadline, deadline, status, stage)
               VALUES (?, '事项', '要求', '依据', 'other', 1, 1, 1, '2026-11-10', 7, ?, ?, 'acknowledged', ?)""",
            (task_id, original, stored, stage),
        )
    history = [
        (3, "extension_approved", '{"until": "2026-12-02", "previous_deadline": "2026-11-20"}'),
        (3, "feedback_returned", '{"reason": "不全", "new_deadline": null}'),
        (3, "extension_rejected", '{"until": null}'),
    ]
    for task_id, kind, details in history:
        await conn.execute(
            "INSERT INTO history (task_id, kind, at, details) VALUES (?, ?, '2026-12-01T10:00:00+08:00', ?)",
            (task_id, kind, details),
        )
    await conn.commit()
    monkeypatch.setattr(migrations, "MIGRATIONS", MIGRATIONS)
    assert await migrate(conn) == [fn.__name__ for fn in MIGRATIONS[6:]]
    async with conn.execute("SELECT id, deadline, window_until FROM tasks ORDER BY id") as cur:
        got = [tuple(r) async for r in cur]
    await conn.close()
    assert got == [(1, "2026-12-01", None), (2, "2026-11-27", "2026-12-04"), (3, "2026-12-02", "2026-12-11")]


async def test_m016_keeps_bound_accounts_and_the_messages_queued_before(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Before m016 a person's Telegram account was a column of ``people`` and the outbox held
    Bot API calls by chat. After it the person is reached through the accounts table, and a
    message queued before the upgrade still goes to its chat, as it was queued."""
    from bot.storage import migrations
    from bot.storage import org as org_store
    from bot.storage import outbox

    conn = await aiosqlite.connect(db_path)
    conn.row_factory = aiosqlite.Row
    m016 = [fn.__name__ for fn in MIGRATIONS].index("m016_notices_and_accounts")
    monkeypatch.setattr(migrations, "MIGRATIONS", MIGRATIONS[:m016])
    await migrate(conn)
    await conn.execute("INSERT INTO people (id, name, created_at, telegram_id) VALUES (1, '李住建', '2026-12-01T09:00:00+08:00', 100000002)")
    await conn.execute("INSERT INTO people (id, name, created_at) VALUES (2, '赵联络员', '2026-12-01T09:00:00+08:00')")
    await conn.execute(
        "INSERT INTO outbox (chat_id, person_id, method, payload, purpose, created_at)"
        " VALUES (100000002, 1, 'sendMessage', '{\"text\": \"<b>催办</b>\", \"parse_mode\": \"HTML\"}', 'reminder', '2026-12-01T09:00:00+08:00')"
    )
    await conn.commit()
    monkeypatch.setattr(migrations, "MIGRATIONS", MIGRATIONS)
    assert await migrate(conn) == [fn.__name__ for fn in MIGRATIONS[m016:]]
    bound, unbound = await org_store.people(conn)
    [queued] = await outbox.due(conn, datetime.fromisoformat("2026-12-01T10:00:00+08:00"))
    await conn.close()
    assert bound.account == Account(TELEGRAM, "100000002") and unbound.account is None
    assert (queued.channel, queued.address, queued.person_id, queued.notice) == (TELEGRAM, "100000002", 1, None)
    assert render.call(queued.notice, queued.kind, queued.values, int(queued.address)) == (
        "sendMessage", {"text": "<b>催办</b>", "parse_mode": "HTML"},
    )
