"""The weekly digests (notice section 三, SPEC section 5).

"政务监督室要定期向市政府主要领导报送市政府常务会议、市长批示件等工作落实情况，向市政府各分管领导通报各战线
纳入专项台账管理的工作落实情况": each 分管市领导 gets the progress of their units' 专项台账 items, and
the principal the state of 常务会议议定事项 and 主要领导批示件 — once a week, on the configured
weekday or on the first working day after it (as the daily check runs), never twice.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import aiosqlite

from bot.domain import clock
from bot.domain.escalation import check_runs_on
from bot.domain.org import Role
from bot.domain.sharing import UnitRole
from bot.domain.tasks import SourceType, Task, TaskStatus
from bot.services.context import Office
from bot.services.daily import run_time
from bot.services.notify import tell
from bot.services.task_changes import matter_clock
from bot.storage import org, runs, tasks

LIMIT = 30
"""Items listed per group in one message; the rest are counted, so a message stays < 4096."""


@dataclass(frozen=True)
class Progress:
    """A group of tasks as a digest shows them."""

    open: list[Task]
    completed: list[Task]
    overdue: int


def week_of(day: date) -> str:
    """The ISO week, e.g. 2026-W48."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def progress(items: list[Task], today: date) -> Progress:
    """Open and newly 办结 items, and how many of the open ones are 逾期 (bot/domain/clock.py)."""
    open_items = [t for t in items if t.is_open]
    done = [t for t in items if t.status is TaskStatus.COMPLETED]
    overdue = sum(1 for t in open_items if clock.is_overdue(t, today))
    return Progress(open_items, done, overdue)


async def run_weekly(office: Office, day: date) -> bool:
    """Send this week's digests if ``day`` is on or after the digest weekday and a day the check
    runs (a Monday that is a holiday sends them on Tuesday, dated Tuesday); True if sent now."""
    if day.isoweekday() < office.settings.digest_weekday:
        return False
    if not check_runs_on(day, office.calendar, office.settings.daily_check_days):
        return False
    week = week_of(day)
    since = day - timedelta(days=7)
    now: datetime = run_time(office, day)
    async with office.db.transaction() as conn:
        if await runs.weekly_sent(conn, week):
            return False
        units = await org.units(conn)
        for leader in await org.with_role(conn, Role.LEADER):
            mine = [u for u in units if u.leader_id == leader.id]
            if not mine:
                continue
            items = await tasks.special_ledger(conn, [u.id for u in mine], since)
            by_unit: dict[int, list[Task]] = defaultdict(list)
            for task in items:
                by_unit[task.unit_id].append(task)
            await tell(
                conn, leader, "digests/leader", now,
                week=week, day=day, since=since, units=mine, by_unit=by_unit,
                summary=progress(items, day), limit=LIMIT, clocks=await _clocks(conn, items),
            )
        sources = [SourceType.STANDING_MEETING, SourceType.PRINCIPAL_INSTRUCTION]
        items = await tasks.of_sources(conn, [s.value for s in sources], since)
        groups = [(s, progress([t for t in items if t.source is s], day)) for s in sources]
        unit_names = {u.id: u.name for u in units}
        for principal in await org.with_role(conn, Role.PRINCIPAL):
            await tell(
                conn, principal, "digests/principal", now,
                week=week, day=day, since=since, groups=groups, units=unit_names, limit=LIMIT,
                clocks=await _clocks(conn, items),
            )
        await runs.mark_weekly_sent(conn, week, office.now())
    return True


async def _clocks(conn: aiosqlite.Connection, items: list[Task]) -> dict[int, Task]:
    """For each 配合单位's copy listed, the task whose 逾期 and stage its line shows: the matter's."""
    return {t.id: await matter_clock(conn, t) for t in items if t.unit_role is UnitRole.PARTNER}
