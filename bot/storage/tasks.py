"""Tasks (台账 lines). Updates check the version read, so a change made meanwhile by someone
else is never overwritten silently."""

from __future__ import annotations

from dataclasses import fields, replace
from datetime import date

import aiosqlite

from bot.domain.errors import DomainError
from bot.domain.reporting import ReportSchedule
from bot.domain.sharing import UnitRole
from bot.domain.slips import SlipNumber, SlipType
from bot.domain.tasks import EscalationStage, SourceType, Task, TaskStatus
from bot.storage.rows import day, iso

_SELECT = """
    SELECT t.*, s.year AS slip_year, s.seq AS slip_seq
    FROM tasks t JOIN slips s ON s.task_id = t.id AND s.type = 'assignment'
"""

_COLUMNS = [f.name for f in fields(Task) if f.name not in ("id", "number")]


def _task(row: aiosqlite.Row) -> Task:
    return Task(
        id=row["id"],
        number=SlipNumber(SlipType.ASSIGNMENT, row["slip_year"], row["slip_seq"]),
        title=row["title"],
        requirements=row["requirements"],
        basis=row["basis"],
        source=SourceType(row["source"]),
        unit_id=row["unit_id"],
        section_id=row["section_id"],
        issued_by=row["issued_by"],
        issued_on=date.fromisoformat(row["issued_on"]),
        period_days=row["period_days"],
        original_deadline=date.fromisoformat(row["original_deadline"]),
        deadline=date.fromisoformat(row["deadline"]),
        responsible_id=row["responsible_id"],
        contact_name=row["contact_name"],
        contact_phone=row["contact_phone"],
        special_ledger=bool(row["special_ledger"]),
        status=TaskStatus(row["status"]),
        stage=EscalationStage(row["stage"]),
        extension_pending=bool(row["extension_pending"]),
        interview_proposed_on=day(row["interview_proposed_on"]),
        transfer_proposed_on=day(row["transfer_proposed_on"]),
        completed_on=day(row["completed_on"]),
        window_until=day(row["window_until"]),
        matter_id=row["matter_id"],
        unit_role=UnitRole(row["unit_role"]),
        report_schedule=ReportSchedule.decode(row["report_schedule"]) if row["report_schedule"] else None,
        last_report_on=day(row["last_report_on"]),
        named_late=bool(row["named_late"]),
        waiting_on_partner=bool(row["waiting_on_partner"]),
        version=row["version"],
    )


def _values(task: Task) -> list[object]:
    out: list[object] = []
    for name in _COLUMNS:
        value = getattr(task, name)
        if isinstance(value, date):
            value = iso(value)
        elif isinstance(value, ReportSchedule):
            value = value.encode()
        elif isinstance(value, bool):
            value = int(value)
        elif hasattr(value, "value"):
            value = value.value
        out.append(value)
    return out


async def insert(conn: aiosqlite.Connection, task: Task) -> Task:
    """Store a new task (its id is assigned here); its 交办单 is added separately."""
    placeholders = ", ".join("?" for _ in _COLUMNS)
    cur = await conn.execute(
        f"INSERT INTO tasks ({', '.join(_COLUMNS)}) VALUES ({placeholders})", _values(task)
    )
    return replace(task, id=cur.lastrowid or 0)


async def set_attachment(conn: aiosqlite.Connection, task_id: int, file_id: str, file_name: str | None) -> None:
    """The file issued with the 交办单 (Telegram's file id and its name), kept to send again."""
    await conn.execute(
        "UPDATE tasks SET attachment_file_id = ?, attachment_name = ? WHERE id = ?", (file_id, file_name, task_id)
    )


async def attachment_name(conn: aiosqlite.Connection, task_id: int) -> str:
    """The name of the file issued with the 交办单 ("" without one): a corrected slip names it again."""
    async with conn.execute("SELECT attachment_name FROM tasks WHERE id = ?", (task_id,)) as cur:
        row = await cur.fetchone()
    return (row[0] or "") if row else ""


async def update(conn: aiosqlite.Connection, before: Task, after: Task) -> None:
    """Write ``after`` over ``before``; fail if the stored task is no longer ``before``."""
    assignments = ", ".join(f"{c} = ?" for c in _COLUMNS)
    cur = await conn.execute(
        f"UPDATE tasks SET {assignments} WHERE id = ? AND version = ?",
        [*_values(after), before.id, before.version],
    )
    if cur.rowcount != 1:
        raise DomainError("task_changed", number=str(before.number))


async def get(conn: aiosqlite.Connection, task_id: int) -> Task | None:
    """One task by id."""
    async with conn.execute(_SELECT + " WHERE t.id = ?", (task_id,)) as cur:
        row = await cur.fetchone()
    return _task(row) if row else None


async def by_assignment_number(conn: aiosqlite.Connection, number: SlipNumber) -> Task | None:
    """The task of a 交办单 number."""
    async with conn.execute(_SELECT + " WHERE s.year = ? AND s.seq = ?", (number.year, number.seq)) as cur:
        row = await cur.fetchone()
    return _task(row) if row else None


OPEN = "t.status != 'completed' AND t.stage != 'transferred' AND t.status != 'withdrawn'"
"""``Task.is_open`` in SQL: not 办结, not withdrawn, not handed over to 市作风办. (Its first two
terms are the partial indexes' own, so the open-task indexes still serve it.)"""


def scope_terms(unit_id: int | None, section_id: int | None) -> tuple[list[str], list[object]]:
    """The terms (``t.unit_id = ?``, ``t.section_id = ?``) and arguments for a unit, a 科室, both
    or neither: every list of tasks narrows its scope the same way."""
    terms: list[str] = []
    args: list[object] = []
    if unit_id is not None:
        terms.append("t.unit_id = ?")
        args.append(unit_id)
    if section_id is not None:
        terms.append("t.section_id = ?")
        args.append(section_id)
    return terms, args

OVERDUE = (
    "t.status NOT IN ('completed', 'feedback_pending', 'withdrawn') AND t.stage != 'transferred'"
    " AND t.extension_pending = 0 AND (t.unit_role != 'partner' OR t.named_late = 1) AND t.deadline < ?"
)
"""逾期 in SQL, for a table aliased ``t``, with one parameter: today's date (ISO).

The same set as :func:`bot.domain.clock.is_overdue` — open, not held, past the current
deadline; ``tests/storage/test_clock_sql.py`` holds the two together on every kind of task.
"""


_OPEN_DUE_BY = """
    SELECT t.*,
        (SELECT s.year FROM slips s WHERE s.task_id = t.id AND s.type = 'assignment') AS slip_year,
        (SELECT s.seq FROM slips s WHERE s.task_id = t.id AND s.type = 'assignment') AS slip_seq
    FROM tasks t INDEXED BY tasks_open_deadline
"""
"""The open tasks by deadline, each 交办单's number looked up by its task. INDEXED BY: left to
itself SQLite started from the 交办单 (every task ever issued has one) and read the whole history;
the partial index holds only the open tasks. The number is asked per task, not joined: joined,
PostgreSQL hashed every slip ever issued to find the few hundred due, a read that grows with the
history where this one grows with what is due."""


async def open_due_by(conn: aiosqlite.Connection, last_day: date) -> list[Task]:
    """Open tasks whose current deadline is on or before ``last_day`` (uses the partial index).

    Every task whose running step falls due by ``last_day`` is among them: a step's date
    (:func:`bot.domain.clock.step_deadline`) is never before the current deadline.
    """
    async with conn.execute(_OPEN_DUE_BY + f" WHERE {OPEN} AND t.deadline <= ? ORDER BY t.deadline, t.id", (last_day.isoformat(),)) as cur:
        return [_task(r) async for r in cur]


async def in_scope(
    conn: aiosqlite.Connection,
    *,
    unit_id: int | None = None,
    section_id: int | None = None,
    overdue_on: date | None = None,
    limit: int = 1000,
    offset: int = 0,
) -> list[Task]:
    """Open tasks of a unit, a section, or all, newest deadline last."""
    terms, args = scope_terms(unit_id, section_id)
    where = [OPEN, *terms]
    if overdue_on is not None:
        where.append(OVERDUE)
        args.append(overdue_on.isoformat())
    args += [limit, offset]
    async with conn.execute(_in_scope_select(where), args) as cur:
        return [_task(r) async for r in cur]


def _in_scope_select(where: list[str], unit_name: bool = False) -> str:
    # CROSS JOIN: tasks first, through the open-task indexes (by unit, by section, or by
    # deadline alone), which give the page in order; left to itself SQLite started from the
    # 交办单 and read every task ever issued to sort it.
    select = _SELECT.replace("FROM tasks t JOIN", "FROM tasks t CROSS JOIN", 1)
    if unit_name:
        select = select.replace("SELECT t.*,", "SELECT t.*, (SELECT u.name FROM units u WHERE u.id = t.unit_id) AS unit_name,", 1)
    return select + f" WHERE {' AND '.join(where)} ORDER BY t.deadline, t.id LIMIT ? OFFSET ?"


async def page_in_scope(
    conn: aiosqlite.Connection,
    *,
    unit_id: int | None = None,
    section_id: int | None = None,
    overdue_on: date | None = None,
    limit: int = 1000,
    offset: int = 0,
) -> list[tuple[Task, str]]:
    """:func:`in_scope` with each task's unit name, read in the same statement: a list names the
    units of its page, and a second round trip for them cost as much as the page."""
    terms, args = scope_terms(unit_id, section_id)
    where = [OPEN, *terms]
    if overdue_on is not None:
        where.append(OVERDUE)
        args.append(overdue_on.isoformat())
    args += [limit, offset]
    async with conn.execute(_in_scope_select(where, unit_name=True), args) as cur:
        return [(_task(r), r["unit_name"] or "") async for r in cur]


async def open_scheduled(conn: aiosqlite.Connection) -> list[Task]:
    """Open tasks with a 阶段汇报 schedule: the daily check's report reminders and 超期未汇报."""
    # Tasks first (CROSS JOIN), through the partial index of the open scheduled ones: left to
    # itself SQLite started from the 交办单 and read every task ever issued.
    select = _SELECT.replace("FROM tasks t JOIN", "FROM tasks t INDEXED BY tasks_open_scheduled CROSS JOIN", 1)
    async with conn.execute(select + f" WHERE t.report_schedule IS NOT NULL AND {OPEN} ORDER BY t.id") as cur:
        return [_task(r) async for r in cur]


async def partners_awaiting_part(conn: aiosqlite.Connection) -> list[Task]:
    """Open 配合单位 copies whose part has not been sent (the daily check reminds them of its date)."""
    async with conn.execute(
        _SELECT + f" WHERE {OPEN} AND t.unit_role = 'partner'"
        " AND NOT EXISTS (SELECT 1 FROM feedback f WHERE f.task_id = t.id AND f.kind = 'part') ORDER BY t.deadline, t.id"
    ) as cur:
        return [_task(r) async for r in cur]


async def part_sent(conn: aiosqlite.Connection, task_id: int) -> bool:
    """Whether this 配合单位's copy has sent its part to the 牵头单位."""
    async with conn.execute("SELECT 1 FROM feedback WHERE task_id = ? AND kind = 'part' LIMIT 1", (task_id,)) as cur:
        return await cur.fetchone() is not None


async def of_matter(conn: aiosqlite.Connection, task: Task) -> list[Task]:
    """The tasks of a shared matter (牵头单位 first, then its 配合单位); [] for a task issued alone."""
    if task.unit_role is UnitRole.SOLE or task.matter_id is None:
        return []
    async with conn.execute(
        _SELECT + " WHERE t.matter_id = ? AND t.unit_role != 'sole' ORDER BY t.unit_role = 'partner', t.id",
        (task.matter_id,),
    ) as cur:
        return [_task(r) async for r in cur]


async def next_matter_id(conn: aiosqlite.Connection) -> int:
    """A new id shared by the tasks of one issue to several units."""
    async with conn.execute("SELECT coalesce(max(matter_id), 0) + 1 FROM tasks") as cur:
        row = await cur.fetchone()
    return int(row[0]) if row else 1


async def special_ledger(conn: aiosqlite.Connection, unit_ids: list[int], completed_since: date) -> list[Task]:
    """The 专项台账 items of these units: open ones, and those 办结 since ``completed_since``."""
    if not unit_ids:
        return []
    marks = ", ".join("?" for _ in unit_ids)
    async with conn.execute(
        _SELECT + f""" WHERE t.special_ledger = 1 AND t.unit_id IN ({marks})
            AND (({OPEN}) OR t.completed_on >= ?) ORDER BY t.unit_id, t.deadline, t.id""",
        [*unit_ids, completed_since.isoformat()],
    ) as cur:
        return [_task(r) async for r in cur]


async def of_sources(conn: aiosqlite.Connection, sources: list[str], completed_since: date) -> list[Task]:
    """Tasks of these source types: open ones, and those 办结 since ``completed_since``."""
    marks = ", ".join("?" for _ in sources)
    async with conn.execute(
        _SELECT + f""" WHERE t.source IN ({marks}) AND (({OPEN}) OR t.completed_on >= ?)
            ORDER BY t.source, t.deadline, t.id""",
        [*sources, completed_since.isoformat()],
    ) as cur:
        return [_task(r) async for r in cur]
