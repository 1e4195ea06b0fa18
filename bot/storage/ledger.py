"""What the 台账 .xlsx and the 红/黄/绿 board read: one row per 交办单 with its slips, 签收, 反馈,
约谈 and 移交, the feedback files behind them, and the open tasks' clocks. Rows come back as
stored (tuples), since the workbook is written straight from them (bench/report_bench.py)."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import aiosqlite

from bot.edge import READ_RECEIPTS
from bot.storage.reader import batches
from bot.storage.tasks import OPEN, OVERDUE, scope_terms

_REPORTING = ", ".join(f"'{channel}'" for channel in sorted(READ_RECEIPTS))
"""The channels that report reads, as SQL (constants of ``bot.edge``, never input)."""


@dataclass(frozen=True)
class LedgerScope:
    """Which 交办单 the 台账 holds: the asker's scope (pairs of unit id and section id, None
    meaning any; no pair meaning nothing) narrowed by the filters typed."""

    parts: Sequence[tuple[int | None, int | None]]
    special: bool = False
    """专项台账 only."""
    unit_id: int | None = None
    section_id: int | None = None
    status: str | None = None
    """A task status, or ``open`` (not 办结) or ``overdue`` (逾期)."""
    issued_between: tuple[date, date] | None = None


def _where(scope: LedgerScope, today: date) -> tuple[str, list[object]]:
    parts: list[str] = []
    args: list[object] = []
    for unit_id, section_id in scope.parts:
        terms, part_args = scope_terms(unit_id, section_id)
        args += part_args
        parts.append("(" + (" AND ".join(terms) or "1 = 1") + ")")
    where = ["(" + (" OR ".join(parts) or "0") + ")"]
    if scope.special:
        where.append("(t.special_ledger = 1 OR t.stage IN ('supervised', 'interviewed', 'transferred'))")
    terms, scope_args = scope_terms(scope.unit_id, scope.section_id)
    where += terms
    args += scope_args
    if scope.status == "open":  # 在办: open as a task is (``Task.is_open``), not only not yet 办结
        where.append(f"({OPEN})")
    elif scope.status == "overdue":
        where.append(OVERDUE)
        args.append(today.isoformat())
    elif scope.status is not None:
        where.append("t.status = ?")
        args.append(scope.status)
    if scope.issued_between is not None:
        where.append("t.issued_on BETWEEN ? AND ?")
        args += [scope.issued_between[0].isoformat(), scope.issued_between[1].isoformat()]
    return " AND ".join(where), args


LEDGER_QUERY = """
    SELECT s.year, s.seq, t.title, t.requirements, t.unit_id, t.section_id, p.name,
           t.issued_on, ack.on_day, fb.on_day, t.deadline, t.status, t.stage, ({overdue}),
           esc.reminders, esc.notices, iv.on_day, tr.on_day, t.completed_on, COALESCE(att.n, 0),
           t.unit_role, t.matter_id, t.report_schedule, t.last_report_on, t.named_late,
           (SELECT MIN(o.sent_at) FROM outbox o WHERE o.slip_id = s.id AND o.purpose = 'slip'),
           (SELECT MIN(o.read_at) FROM outbox o WHERE o.slip_id = s.id AND o.purpose = 'slip' AND o.channel IN ({reporting})),
           (SELECT COUNT(*) FROM outbox o WHERE o.slip_id = s.id AND o.purpose = 'slip' AND o.sent_at IS NOT NULL
              AND o.channel IN ({reporting}))
    FROM tasks t
    JOIN slips s ON s.task_id = t.id AND s.type = 'assignment'
    LEFT JOIN people p ON p.id = t.responsible_id
    LEFT JOIN (SELECT task_id, MIN(substr(at, 1, 10)) AS on_day FROM history
               WHERE kind = 'acknowledged' GROUP BY task_id) ack ON ack.task_id = t.id
    LEFT JOIN (SELECT task_id, MAX(substr(submitted_at, 1, 10)) AS on_day FROM feedback
               GROUP BY task_id) fb ON fb.task_id = t.id
    LEFT JOIN (SELECT task_id,
                      GROUP_CONCAT(CASE WHEN type = 'reminder' THEN '〔' || year || '〕' || seq || '号' END, '、') AS reminders,
                      GROUP_CONCAT(CASE WHEN type = 'supervision' THEN '〔' || year || '〕' || seq || '号' END, '、') AS notices
               FROM slips WHERE type != 'assignment' AND void_reason IS NULL GROUP BY task_id) esc ON esc.task_id = t.id
    LEFT JOIN (SELECT task_id, MAX(json_extract(details, '$.held_on')) AS on_day FROM history
               WHERE kind = 'interview_recorded' GROUP BY task_id) iv ON iv.task_id = t.id
    LEFT JOIN (SELECT task_id, MAX(substr(at, 1, 10)) AS on_day FROM history
               WHERE kind = 'transfer_recorded' GROUP BY task_id) tr ON tr.task_id = t.id
    LEFT JOIN (SELECT task_id, COUNT(*) AS n FROM attachments WHERE feedback_id IS NOT NULL
               GROUP BY task_id) att ON att.task_id = t.id
    WHERE {where} ORDER BY s.year, s.seq
"""
"""One line per 交办单 with its slips, 签收, 反馈, 约谈 and 移交 (times are stored in local time,
so their first ten characters are the day); and its 交办单's 已送达 and 已读 (bot/domain/receipts.py):
the first copy delivered, the first read where the channel reports reads, and how many copies
went to such a channel (none: no 已读 or 未读 is shown)."""

EVIDENCE_QUERY = """
    SELECT s.year, s.seq, t.unit_id, a.file_name, a.kind, substr(f.submitted_at, 1, 10), a.local_path, a.sha256
    FROM attachments a
    JOIN feedback f ON f.id = a.feedback_id
    JOIN tasks t ON t.id = a.task_id
    JOIN slips s ON s.task_id = t.id AND s.type = 'assignment'
    WHERE {where} ORDER BY s.year, s.seq, a.id
"""
"""The feedback files of the same lines: where the archive keeps each (blank until kept) and its
SHA-256, so the 台账's 附件数 can be traced to the evidence itself."""


LINES_AT_ONCE = 2000
"""The 台账's lines held at a time while it is written: a province's million lines would take
gigabytes as rows, and the sheet is written one line after another anyway."""


async def line_count(conn: aiosqlite.Connection, scope: LedgerScope, today: date) -> int:
    """How many lines the 台账 has (the date line says so above them)."""
    where, args = _where(scope, today)
    async with conn.execute(
        f"SELECT count(*) FROM tasks t JOIN slips s ON s.task_id = t.id AND s.type = 'assignment' WHERE {where}", args,
    ) as cur:
        row = await cur.fetchone()
    return int(row[0]) if row else 0


def lines(conn: aiosqlite.Connection, scope: LedgerScope, today: date) -> AsyncGenerator[list[Sequence[Any]], None]:
    """The 台账's lines (:data:`LEDGER_QUERY`), 逾期 as of ``today``, :data:`LINES_AT_ONCE` at a
    time; ``conn`` is a connection of its own (``Database.snapshot``)."""
    where, args = _where(scope, today)
    return batches(conn, LEDGER_QUERY.format(where=where, overdue=OVERDUE, reporting=_REPORTING), [today.isoformat(), *args], LINES_AT_ONCE)


async def evidence(conn: aiosqlite.Connection, scope: LedgerScope, today: date) -> list[aiosqlite.Row]:
    """The feedback files of the same lines (:data:`EVIDENCE_QUERY`)."""
    where, args = _where(scope, today)
    async with conn.execute(EVIDENCE_QUERY.format(where=where), args) as cur:
        return list(await cur.fetchall())


async def lead_units(conn: aiosqlite.Connection) -> dict[int, int]:
    """Each shared matter's 牵头单位, by matter id."""
    async with conn.execute("SELECT matter_id, unit_id FROM tasks WHERE unit_role = 'lead'") as cur:
        return {r[0]: r[1] async for r in cur}


async def matter_clocks(conn: aiosqlite.Connection, today: date) -> dict[int, tuple[str, int]]:
    """Each shared matter's clock, which is its 牵头单位's task's: the current deadline (ISO) and
    whether it is 逾期 on ``today`` (:data:`bot.storage.tasks.OVERDUE`), by matter id."""
    async with conn.execute(
        f"SELECT t.matter_id, t.deadline, {OVERDUE} FROM tasks t WHERE t.unit_role = 'lead'", [today.isoformat()],
    ) as cur:
        return {r[0]: (r[1], r[2]) async for r in cur}


async def board_clocks(
    conn: aiosqlite.Connection, today: date, unit_id: int | None, section_id: int | None
) -> list[aiosqlite.Row]:
    """The open tasks of a unit, a section, or all, as the board colours them: id, unit id,
    deadline, status, stage, extension pending, 逾期 on ``today``, 阶段汇报 schedule (encoded),
    issued_on, last report."""
    terms, args = scope_terms(unit_id, section_id)
    where = [OPEN, *terms]
    async with conn.execute(
        f"""SELECT t.id, t.unit_id, t.deadline, t.status, t.stage, t.extension_pending, {OVERDUE},
                   t.report_schedule, t.issued_on, t.last_report_on
            FROM tasks t WHERE {' AND '.join(where)}""",
        [today.isoformat(), *args],
    ) as cur:
        return list(await cur.fetchall())
