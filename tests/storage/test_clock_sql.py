"""The SQL of 逾期 (``bot.storage.tasks.OVERDUE``) selects exactly the tasks that
``bot.domain.clock.is_overdue`` calls 逾期: every combination of status, stage, hold, deadline
and escalation window, stored in a real SQLite file and asked about on several days."""

from __future__ import annotations

import itertools
from datetime import date

from bot.domain import clock
from bot.domain.slips import SlipNumber, SlipType
from bot.domain.tasks import EscalationStage, SourceType, Task, TaskStatus
from bot.services.context import Office
from bot.storage import tasks
from tests.storage.conftest import Org

DEADLINES = [date(2026, 11, 30), date(2026, 12, 1), date(2026, 12, 2)]
DAYS = [date(2026, 11, 30), date(2026, 12, 1), date(2026, 12, 2), date(2026, 12, 3)]


async def test_overdue_sql_selects_what_the_domain_calls_overdue(office: Office, org: Org) -> None:
    stored: list[Task] = []
    async with office.db.transaction() as conn:
        for n, (status, stage, pending, deadline, window) in enumerate(
            itertools.product(
                list(TaskStatus), list(EscalationStage), (False, True), DEADLINES, (None, date(2026, 12, 1))
            ),
            start=1,
        ):
            task = Task(
                id=0, number=SlipNumber(SlipType.ASSIGNMENT, 2026, n), title=f"事项{n}", requirements="要求",
                basis="依据", source=SourceType.OTHER, unit_id=org.town.id, section_id=org.section.id,
                issued_by=org.clerk.id, issued_on=date(2026, 11, 20), period_days=10,
                original_deadline=date(2026, 11, 30), deadline=deadline, status=status, stage=stage,
                extension_pending=pending, window_until=window if stage is not EscalationStage.NONE else None,
            )
            stored.append(await tasks.insert(conn, task))
    sizes = []
    for today in DAYS:
        async with office.db.reader.execute(
            f"SELECT t.id FROM tasks t WHERE {tasks.OVERDUE}", (today.isoformat(),)
        ) as cur:
            by_sql = {row[0] async for row in cur}
        by_domain = {t.id for t in stored if clock.is_overdue(t, today)}
        assert by_sql == by_domain, today
        sizes.append(len(by_domain))
    # 在办 too: ``Task.is_open`` (not 办结, not withdrawn, not 移交) and its SQL select the same tasks.
    async with office.db.reader.execute(f"SELECT t.id FROM tasks t WHERE {tasks.OPEN}") as cur:
        assert {row[0] async for row in cur} == {t.id for t in stored if t.is_open}
    # Nothing is 逾期 on the earliest deadline day; more each day after, never everything.
    assert sizes[0] == 0 and sizes == sorted(sizes) and 0 < sizes[-1] < len(stored)


async def test_a_chased_task_reads_back_with_its_own_window(office: Office, org: Org) -> None:
    """The window of a 催办单 is stored beside the deadline, not over it."""
    task = Task(
        id=0, number=SlipNumber(SlipType.ASSIGNMENT, 2026, 1), title="事项", requirements="要求", basis="依据",
        source=SourceType.OTHER, unit_id=org.town.id, section_id=org.section.id, issued_by=org.clerk.id,
        issued_on=date(2026, 11, 20), period_days=10, original_deadline=date(2026, 11, 30),
        deadline=date(2026, 11, 30), stage=EscalationStage.REMINDED, window_until=date(2026, 12, 4),
    )
    async with office.db.transaction() as conn:
        stored = await tasks.insert(conn, task)
        await conn.execute(
            "INSERT INTO slips (task_id, type, year, seq, issued_on, text) VALUES (?, 'assignment', 2026, 1, ?, '')",
            (stored.id, "2026-11-20"),
        )
    back = await tasks.get(office.db.reader, stored.id)
    assert back is not None
    assert (back.deadline, back.window_until) == (date(2026, 11, 30), date(2026, 12, 4))
    assert clock.step_deadline(back) == date(2026, 12, 4)
    assert back.is_overdue(date(2026, 12, 1)) and not back.is_overdue(date(2026, 11, 30))
