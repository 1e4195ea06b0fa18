"""The monthly cycle (notice, section 四; SPEC section 5) and the year-end ranking.

"市政府办公室相关科室每月要对交办工作落实情况、会议参会情况及材料上报情况进行加减分汇总，分析情况、找出问题、
提出建议，经市政府分管领导审阅后报市政府办公室政务监督室汇总，按程序报市政府主要领导审阅。"
"市政府办公室政务监督室负责每月通报各单位加减分情况。"

1. On the 1st — or the first working day after it, as the daily check runs (bot/domain/
   escalation.py) — once: each section's analysis of the month before goes to its 分管市领导
   with 已审阅.
2. When every analysis is reviewed, or ``review_wait_days`` (a setting) after step 1, 政务监督室 gets the
   consolidated report with 发布通报.
3. Publishing sends each unit its own figures and the principal the ranking, with the .xlsx
   (native bar chart) and the PNG chart a button away.
4. On the first working day of January, the year's ranking goes to 政务监督室 and the principal.

Each step writes its row and its messages in one transaction, so a rerun finds it done.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

import aiosqlite

from bot import actions
from bot.domain import reporting
from bot.domain.calendar import WorkCalendar
from bot.domain.escalation import CheckDays, check_runs_on, first_check_day_on_or_after
from bot.domain.errors import DomainError
from bot.domain.org import Person, Role
from bot.domain.permissions import Deed, check
from bot.domain.scores import ScoreCategory
from bot.services import scoring
from bot.services.context import Office
from bot.services.notify import Keyboard, button, tell
from bot.services.scoring import Period, format_points
from bot.storage import analysis, history, org, runs
from bot.texts import label

@dataclass(frozen=True)
class SectionAnalysis:
    """One section's month: its tasks and the 加减分 it recorded or its slips caused."""

    section_name: str
    issued: int
    completed: int
    overdue: int
    counts: dict[ScoreCategory, int]
    points: dict[ScoreCategory, object]
    reports_due: int = 0
    """阶段汇报 dates of the section's tasks that fell in the month."""
    reports_made: int = 0
    """Of those, how many a 阶段进展 answered (bot/domain/reporting.py)."""


async def section_analysis(
    conn: aiosqlite.Connection, section_id: int, period: Period, calendar: WorkCalendar | None = None,
) -> SectionAnalysis:
    """Completion, attendance, materials and plus/minus points of one section's month; with a
    calendar, also the 阶段汇报 due in the month and made."""
    section = await org.section(conn, section_id)
    # 月末仍逾期: 逾期 (bot/domain/clock.py) as the month closes, on the 1st that follows.
    issued, completed, overdue = await analysis.section_tasks(
        conn, section_id, period.start, period.end, period.end + timedelta(days=1)
    )
    counts: dict[ScoreCategory, int] = defaultdict(int)
    points: dict[ScoreCategory, object] = {}
    from decimal import Decimal

    sums: dict[ScoreCategory, Decimal] = defaultdict(Decimal)
    for category, value in await analysis.section_points(conn, section_id, period.start, period.end):
        counts[ScoreCategory(category)] += 1
        sums[ScoreCategory(category)] += Decimal(value)
    points.update(sums)
    due, made = await _reports_in(conn, section_id, period, calendar) if calendar is not None else (0, 0)
    return SectionAnalysis(
        section.name if section else "", issued, completed, overdue, dict(counts), points, due, made,
    )


async def _reports_in(conn: aiosqlite.Connection, section_id: int, period: Period, calendar: WorkCalendar) -> tuple[int, int]:
    """阶段汇报 of the section's scheduled tasks: dates in the month, and how many were answered."""
    due_total = made_total = 0
    rows = await analysis.scheduled_tasks(conn, section_id, period.start, period.end)
    for task_id, schedule, issued_on, deadline, completed_on in rows:
        due = reporting.report_dates(
            reporting.ReportSchedule.decode(schedule), date.fromisoformat(issued_on), date.fromisoformat(deadline), calendar,
        )
        # a task 办结 early is asked no more reports after it closed
        due = tuple(d for d in due if completed_on is None or d <= date.fromisoformat(completed_on))
        made = await analysis.progress_days(conn, task_id)
        in_month = [d for d in due if period.start <= d <= period.end]
        due_total += len(in_month)
        made_total += len(reporting.answered_dates(due, made) & set(in_month))
    return due_total, made_total


def month_to_report(today: date) -> Period:
    """The month whose report is due on ``today``: the one before."""
    return Period(today.year, today.month).previous_month()


def runs_on(office: Office, day: date) -> bool:
    """Whether the periodic papers go out on ``day``: the days the daily check runs (working
    days by default), so none is made or dated on a rest day."""
    return check_runs_on(day, office.calendar, office.settings.daily_check_days)


async def run_monthly(office: Office, today: date, now: datetime | None = None) -> bool:
    """Send the analyses of the month before ``today`` (once); True when this call sent them.
    Nothing on a rest day: the first working day of the month sends them."""
    if not runs_on(office, today):
        return False
    now = now or office.now()
    period = month_to_report(today)
    async with office.db.transaction() as conn:
        if await runs.monthly_run(conn, period.key) is not None:
            return False
        await runs.monthly_started(conn, period.key, now)
        for section in await org.sections(conn):
            leader = await org.person(conn, section.leader_id) if section.leader_id else None
            await runs.add_review(conn, period.key, section.id, leader.id if leader else None, now)
            if leader is None:
                continue
            analysis = await section_analysis(conn, section.id, period, office.calendar)
            keyboard = [[button(label("reports", "reviewed"), actions.REVIEWED(month=period.key, section_id=section.id))]]
            await tell(conn, leader, "reports/analysis", now, keyboard=keyboard, a=analysis, period=period,
                       pts=format_points, purpose="monthly")
        await history.append(conn, "monthly_analyses_sent", now, period=period.key)
        await _consolidate_on(conn, office, period.key, today, now)  # at once when no section has a leader to review
    return True


async def review(office: Office, person: Person, key: str, section_id: int, now: datetime) -> bool:
    """已审阅 by the section's 分管市领导; True when it completed the reviews (report goes on).

    Raises:
        DomainError: ``not_allowed``; ``report_already_reviewed``.
    """
    async with office.db.transaction() as conn:
        row = await runs.review(conn, key, section_id)
        section = await org.section(conn, section_id)
        if row is None or section is None:
            raise DomainError("not_allowed")
        # the section's 分管市领导 the analysis was sent to
        check(person, Deed.REVIEW_ANALYSIS, section=replace(section, leader_id=row.leader_id))
        if row.reviewed_at is not None:
            raise DomainError("report_already_reviewed")
        await runs.mark_reviewed(conn, key, section_id, now)
        await history.append(conn, "monthly_reviewed", now, actor_id=person.id, period=key, section_id=section_id)
        # the last 已审阅 and the consolidated report commit together: a crash between them,
        # the press redelivered, would find it reviewed and leave the report for the next day
        return await _consolidate_on(conn, office, key, now.date(), now)


async def consolidate_if_due(office: Office, today: date, now: datetime, key: str | None = None) -> bool:
    """政务监督室 gets the consolidated report once every review is in, or after the wait (on
    the first working day it has passed)."""
    if not runs_on(office, today):
        return False
    async with office.db.transaction() as conn:
        return await _consolidate_on(conn, office, key or month_to_report(today).key, today, now)


async def _consolidate_on(conn: aiosqlite.Connection, office: Office, key: str, today: date, now: datetime) -> bool:
    """:func:`consolidate_if_due` within the caller's transaction."""
    row = await runs.monthly_run(conn, key)
    if row is None or row.consolidated_at is not None:
        return False
    waiting = await runs.reviews_waiting(conn, key)
    started = row.started_at.date()
    if waiting and today < started + timedelta(days=office.settings.review_wait_days):
        return False
    await runs.mark_consolidated(conn, key, now)
    period = scoring.parse_period(key)
    table = await scoring.table(office, period, today)
    keyboard = [[button(label("reports", "publish"), actions.PUBLISH(month=key))]]
    for staff in await org.with_role(conn, Role.SUPERVISOR):
        await tell(conn, staff, "reports/consolidated", now, keyboard=keyboard, t=table, waiting=waiting,
                   lines=table.lines[:REPORT_LINES], pts=format_points, purpose="monthly")
    return True


REPORT_LINES = 40
"""Lines of the ranking in a chat message; the .xlsx holds all of them."""


def files_keyboard(key: str) -> Keyboard:
    """下载Excel（含图表） · 柱状图 for a report message."""
    return [[button(label("exports", "download_xlsx"), actions.REPORT_FILE(kind="x", period=key)), button(label("exports", "chart"), actions.REPORT_FILE(kind="c", period=key))]]


async def publish(office: Office, person: Person, key: str, now: datetime) -> None:
    """发布通报: every unit its figures, the principal the ranking (once).

    Raises:
        DomainError: ``not_allowed``; ``report_unknown``; ``report_not_ready``; ``report_already_published``.
    """
    check(person, Deed.PUBLISH)
    period = scoring.parse_period(key)
    table = await scoring.table(office, period, now.date())
    async with office.db.transaction() as conn:
        row = await runs.monthly_run(conn, key)
        if row is None:
            raise DomainError("report_unknown", month=key)
        if row.consolidated_at is None:
            raise DomainError("report_not_ready", month=key)
        if row.published_at is not None:
            raise DomainError("report_already_published", month=key)
        await runs.mark_published(conn, key, person.id, now)
        await history.append(conn, "monthly_published", now, actor_id=person.id, period=key)
        for line in table.lines:
            for member in await org.unit_members(conn, line.unit.id):
                await tell(conn, member, "reports/unit_figures", now, line=line, t=table, pts=format_points,
                           label=label, purpose="monthly")
        for principal in await org.with_role(conn, Role.PRINCIPAL):
            await tell(conn, principal, "reports/ranking", now, keyboard=files_keyboard(key), t=table,
                       lines=table.lines[:REPORT_LINES], pts=format_points, state="published", ready_by=None,
                       files_follow=False, purpose="monthly")


def first_working_day(office: Office, year: int) -> date:
    """The first working day of January (the year-end ranking goes out then)."""
    return first_check_day_on_or_after(date(year, 1, 1), office.calendar, CheckDays.WORKING)


async def run_annual(office: Office, today: date, now: datetime | None = None) -> bool:
    """On (or after) the first working day of January, on a day the check runs: last year's
    ranking, once."""
    now = now or office.now()
    if today.month != 1 or today < first_working_day(office, today.year) or not runs_on(office, today):
        return False
    period = Period(today.year - 1)
    async with office.db.transaction() as conn:
        if await runs.monthly_run(conn, period.key) is not None:
            return False
        await runs.annual_sent(conn, period.key, now)
        table = await scoring.table(office, period, today)
        readers = await org.with_role(conn, Role.SUPERVISOR) + await org.with_role(conn, Role.PRINCIPAL)
        for reader in {p.id: p for p in readers}.values():
            await tell(conn, reader, "reports/annual", now, keyboard=files_keyboard(period.key), t=table,
                       lines=table.lines[:REPORT_LINES], pts=format_points, purpose="annual")
        await history.append(conn, "annual_ranking_sent", now, period=period.key)
    return True


async def periodic(office: Office, today: date) -> list[str]:
    """What the daily job runs for the periodic reports: catch-up safe, idempotent. Returns what
    went out now: ``monthly`` (the analyses), ``consolidated`` (the report to 政务监督室), ``annual``."""
    done = []
    if await run_monthly(office, today):
        done.append("monthly")
    if await consolidate_if_due(office, today, office.now()):
        done.append("consolidated")
    if await run_annual(office, today):
        done.append("annual")
    return done


async def is_published(office: Office, key: str) -> bool:
    """Whether the month's 通报 went out."""
    row = await runs.monthly_run(office.db.reader, key)
    return bool(row and row.published_at)


async def publication(office: Office, period: Period, today: date) -> tuple[str, date | None]:
    """Whether a month's 通报 is out, for /report: ``published``; ``month_running`` with the
    day (the 1st, or the first working day after it) on which its analyses go to the 分管市领导;
    ``in_review`` with the last day the consolidated report waits for their review; or
    ``to_publish``, waiting for 政务监督室."""
    if await is_published(office, period.key):
        return "published", None
    first = first_check_day_on_or_after(period.end + timedelta(days=1), office.calendar, office.settings.daily_check_days)
    if today < first:
        return "month_running", first
    last_wait = first + timedelta(days=office.settings.review_wait_days)
    if today < last_wait:
        return "in_review", last_wait
    return "to_publish", None
