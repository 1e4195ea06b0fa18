"""Long and shared tasks in a real SQLite file: the SQL of 逾期 agrees with the domain on every
part a unit may have in a matter (alone, 牵头, 配合, 配合 named as late), and a task's schedule,
last report and part read back as written (m011)."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import date

from bot.domain import clock
from bot.domain.reporting import ReportSchedule, ScheduleKind
from bot.domain.sharing import UnitRole
from bot.domain.slips import SlipNumber, SlipType
from bot.domain.tasks import EscalationStage, SourceType, Task, TaskStatus
from bot.services.context import Office
from bot.storage import tasks
from tests.storage.conftest import Org

DAYS = [date(2026, 11, 30), date(2026, 12, 1), date(2026, 12, 3)]
PARTS = [(UnitRole.SOLE, False), (UnitRole.LEAD, False), (UnitRole.PARTNER, False), (UnitRole.PARTNER, True)]


def make(org: Org, n: int, **fields: object) -> Task:
    task = Task(
        id=0, number=SlipNumber(SlipType.ASSIGNMENT, 2026, n), title=f"事项{n}", requirements="要求",
        basis="依据", source=SourceType.OTHER, unit_id=org.town.id, section_id=org.section.id,
        issued_by=org.clerk.id, issued_on=date(2026, 11, 20), period_days=10,
        original_deadline=date(2026, 11, 30), deadline=date(2026, 11, 30), matter_id=1,
    )
    return replace(task, **fields)  # type: ignore[arg-type]


async def test_overdue_sql_agrees_with_the_domain_on_every_part(office: Office, org: Org) -> None:
    stored: list[Task] = []
    async with office.db.transaction() as conn:
        combos = itertools.product(PARTS, list(TaskStatus), (EscalationStage.NONE, EscalationStage.REMINDED), (False, True))
        for n, ((role, named), status, stage, waiting) in enumerate(combos, start=1):
            task = make(
                org, n, unit_role=role, named_late=named, waiting_on_partner=waiting and role is UnitRole.LEAD,
                status=status, stage=stage, window_until=date(2026, 12, 2) if stage is EscalationStage.REMINDED else None,
            )
            stored.append(await tasks.insert(conn, task))
    for today in DAYS:
        async with office.db.reader.execute(f"SELECT t.id FROM tasks t WHERE {tasks.OVERDUE}", (today.isoformat(),)) as cur:
            by_sql = {row[0] async for row in cur}
        by_domain = {t.id for t in stored if clock.is_overdue(t, today)}
        assert by_sql == by_domain, today
    late = {t.unit_role for t in stored if clock.is_overdue(t, DAYS[-1])}
    assert late == {UnitRole.SOLE, UnitRole.LEAD, UnitRole.PARTNER}  # the partner only when named
    assert not any(clock.is_overdue(t, DAYS[-1]) for t in stored if t.unit_role is UnitRole.PARTNER and not t.named_late)


async def test_schedule_report_and_part_read_back(office: Office, org: Org) -> None:
    schedule = ReportSchedule(ScheduleKind.DATES, dates=(date(2026, 12, 15), date(2027, 1, 15)))
    async with office.db.transaction() as conn:
        stored = await tasks.insert(conn, make(
            org, 1, unit_role=UnitRole.LEAD, report_schedule=schedule, last_report_on=date(2026, 12, 14),
        ))
        await conn.execute(
            "INSERT INTO slips (task_id, type, year, seq, issued_on, text) VALUES (?, 'assignment', 2026, 1, ?, '')",
            (stored.id, "2026-11-20"),
        )
    back = await tasks.get(office.db.reader, stored.id)
    assert back is not None
    assert (back.unit_role, back.report_schedule, back.last_report_on) == (UnitRole.LEAD, schedule, date(2026, 12, 14))
    assert [t.id for t in await tasks.open_scheduled(office.db.reader)] == [stored.id]
