"""The daily check (SPEC section 5): once a day, deadlines pushed and escalation applied.

It runs in two phases. First each task that needs a step gets it in its own transaction (a
催办单, a 督办通知单, a draft, a proposal): a step changes the task's stage, so a rerun after a
crash finds nothing left to do for it and never issues a slip twice. Then, in one transaction
that also marks the day done, the digests and the summary are queued: they go out exactly once.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import aiosqlite

from bot import actions
from bot.config import EscalationMode
from bot.domain import audience, clock, reporting, sharing
from bot.domain.errors import DomainError
from bot.domain.escalation import Escalation, check_runs_on, escalation_due, next_check_day
from bot.domain.org import Person, Role
from bot.domain.scores import ScoreCategory
from bot.domain.slips import SlipType
from bot.domain.tasks import Task
from bot.domain.receipts import Receipt, receipt
from bot.domain.slips import Slip
from bot.services import delivery, drafts, escalating
from bot.services.context import Office
from bot.services.notify import button, message, send, tell
from bot.services.task_changes import issuer_and_section
from bot.storage import digests, history, org, receipts, runs, scores, slips, tasks
from bot.storage import drafts as slip_drafts
from bot.storage.reader import together
from bot.texts import label, render

log = logging.getLogger(__name__)

STEPS_TOGETHER = 50
"""On PostgreSQL, due tasks whose steps are taken side by side in one transaction: their
statements share round trips, so the check costs about as many round trips as one task's step.
On SQLite, where a statement is a call in the process, each step has its own transaction."""

DIGEST_LIMIT = 30
"""Lines per list in one digest message; the rest is counted, so a message stays < 4096."""


@dataclass
class DailyOutcome:
    """What one day's check did."""

    day: date
    already_done: bool = False
    steps: dict[Escalation, int] = field(default_factory=lambda: defaultdict(int))
    lapsed_drafts: int = 0
    """Confirm mode: drafts nobody decided whose slip is no longer due."""
    rest_day: bool = False
    """A rest day of the official calendar, on which the check (working days only) does nothing."""


def run_time(office: Office, day: date) -> datetime:
    """The moment the check of ``day`` counts as happening: the configured time that day."""
    return datetime.combine(day, office.settings.daily_time, office.settings.timezone)


def latest_due_day(office: Office, now: datetime) -> date:
    """The last day whose check time has come: today from the configured time on, else yesterday."""
    return now.date() if now >= run_time(office, now.date()) else now.date() - timedelta(days=1)


async def is_done(office: Office, day: date) -> bool:
    """Whether the check of ``day`` has finished."""
    _, finished = await runs.daily_run(office.db.reader, day)
    return finished


async def run_daily(office: Office, day: date) -> DailyOutcome:
    """Run the check of ``day`` once; a second call for the same day changes nothing."""
    outcome = DailyOutcome(day)
    now = run_time(office, day)
    await office.reload_calendar()  # holidays entered with `duban calendar` count from today's check on
    async with office.db.transaction() as conn:
        started, finished = await runs.daily_run(conn, day)
        if finished:
            outcome.already_done = True
            return outcome
        if not check_runs_on(day, office.calendar, office.settings.daily_check_days):
            # Nothing is issued, dated or reminded on a rest day; the next working day's check
            # finds every window that passed meanwhile, and the last one before reminded of it.
            await runs.daily_rest_day(conn, day, office.now())
            outcome.rest_day = True
            return outcome
        if not started:
            await runs.daily_started(conn, day, office.now())
    next_check = next_check_day(day, office.calendar, office.settings.daily_check_days)
    due = [(task, escalation_due(task, day, next_check)) for task in await tasks.open_due_by(office.db.reader, next_check)]
    together = STEPS_TOGETHER if office.db.shares_round_trips else 1
    for first in range(0, len(due), together):
        await _take_steps(office, due[first:first + together], now, outcome)
    async with office.db.transaction() as conn:
        outcome.lapsed_drafts = await drafts.lapse_stale(conn, day, now)
        await _digests(conn, office, day, next_check, now)
        await runs.daily_finished(conn, day, office.now())
    return outcome


async def _take_steps(office: Office, steps: list[tuple[Task, Escalation]], now: datetime, outcome: DailyOutcome) -> None:
    """Each task's step, side by side in one transaction; a task changed meanwhile (feedback
    arrived, a clerk chased it by hand) is skipped, its state now decides.

    Side by side the steps' statements share round trips (``Database.shares_round_trips``).
    Should one task be refused half-way, the others' work is not kept in a transaction it
    has spoilt: the batch is rolled back and taken again one task at a time."""
    if len(steps) > 1:
        try:
            async with office.db.transaction() as conn:
                done = await asyncio.gather(
                    *(_apply(conn, office, task, step, now) for task, step in steps), return_exceptions=True
                )
                refused = next((d for d in done if isinstance(d, BaseException)), None)
                if refused is not None:
                    raise refused
        except DomainError:
            pass
        else:
            for _, step in steps:
                outcome.steps[step] += 1
            return
    for task, step in steps:
        try:
            async with office.db.transaction() as conn:
                await _apply(conn, office, task, step, now)
        except DomainError as exc:
            log.info("daily check %s: task %s skipped: %s", now.date(), task.id, exc)
            continue
        outcome.steps[step] += 1


async def _apply(conn: aiosqlite.Connection, office: Office, task: Task, step: Escalation, now: datetime) -> None:
    confirm = office.settings.escalation_mode is EscalationMode.CONFIRM
    if step is Escalation.REMINDER_SLIP:
        if confirm:
            await draft_on(conn, task, SlipType.REMINDER, now)
        else:
            await escalating.escalation_slip_on(conn, office, SlipType.REMINDER, task.id, now)
    elif step is Escalation.SUPERVISION_NOTICE:
        if confirm:
            await draft_on(conn, task, SlipType.SUPERVISION, now)
        else:
            await escalating.escalation_slip_on(conn, office, SlipType.SUPERVISION, task.id, now)
    elif step in (Escalation.PROPOSE_INTERVIEW, Escalation.PROPOSE_TRANSFER):
        await escalating.propose_on(conn, task.id, now)


async def draft_on(conn: aiosqlite.Connection, task: Task, slip_type: SlipType, now: datetime) -> None:
    """Confirm mode: a draft waits for one tap (签发 / 暂缓) by the clerk or 政务监督室."""
    draft_id = await slip_drafts.add(conn, task.id, slip_type, now.date())
    if draft_id is None:
        return
    readers = (
        await org.with_role(conn, Role.SUPERVISOR) if slip_type is SlipType.SUPERVISION else await issuer_and_section(conn, task)
    )
    keyboard = [[button(label("buttons", "issue_draft"), actions.ISSUE_DRAFT(draft_id=draft_id)), button(label("buttons", "hold_draft"), actions.HOLD_DRAFT(draft_id=draft_id))]]
    unit = await org.unit(conn, task.unit_id)
    text = render("daily/draft", task=task, unit=unit, slip_type=slip_type, today=now.date())
    for reader in readers:
        await send(conn, reader, message(text, keyboard), now, task_id=task.id, purpose="draft")


async def _digests(conn: aiosqlite.Connection, office: Office, day: date, next_check: date, now: datetime) -> None:
    """Each unit's deadlines, each section's waiting work, and 政务监督室's summary of the day."""
    due = await tasks.open_due_by(conn, next_check)
    per_unit: dict[int, dict[str, list[Task]]] = defaultdict(
        lambda: {"today": [], "tomorrow": [], "overdue": [], "report": [], "report_next": []}
    )
    for task in due:
        # 逾期 first: a chased task whose window ends today is listed once, as 逾期.
        step = escalation_due(task, day, next_check)
        if clock.is_overdue(task, day):
            per_unit[task.unit_id]["overdue"].append(task)
        elif step is Escalation.DUE_TOMORROW:
            per_unit[task.unit_id]["tomorrow"].append(task)
        elif step is Escalation.DUE_TODAY:
            per_unit[task.unit_id]["today"].append(task)
    # 阶段汇报: reminded on the last working day before a report date and on the date itself,
    # unless already reported; a date let pass is 超期未汇报 for 政务监督室's summary, not a
    # daily nag to the unit.
    unreported: list[Task] = []
    for task in await tasks.open_scheduled(conn):
        upcoming = reporting.task_report_reminder(task, day, next_check, office.calendar)
        if upcoming is not None:
            per_unit[task.unit_id]["report" if upcoming == day else "report_next"].append(task)
        missed = reporting.task_missed_report(task, day, office.calendar)
        if missed:
            unreported.append(task)
            await _book_missed_report(conn, office, task, missed, now)
    listed = [t.id for lists in per_unit.values() for group in lists.values() for t in group]
    cite = await slips.latest_escalation_numbers(conn, listed)

    async def unit_digest(unit_id: int, lists: dict[str, list[Task]]) -> None:
        for member in await org.unit_members(conn, unit_id):
            await tell(
                conn, member, "daily/unit_digest", now, day=day, lists=lists, limit=DIGEST_LIMIT, cite=cite,
                next_check=next_check,
            )

    await together(conn, (unit_digest(unit_id, lists) for unit_id, lists in per_unit.items()))
    await _remind_partners(conn, office, day, next_check, now)
    await _section_digests(conn, day, now)
    await delivery.tell_read_unacknowledged(conn, office, now)
    await _summary(conn, day, now, unreported, await _read_unacknowledged(conn))


@dataclass(frozen=True)
class PartDue:
    """A 配合单位's copy whose part is due soon, for its reminder."""

    task: Task
    due: date
    lead_name: str


async def _remind_partners(conn: aiosqlite.Connection, office: Office, day: date, next_check: date, now: datetime) -> None:
    """配合单位 whose part has not come are reminded of its date (``sharing.part_due``), on the last
    check before it and on the day: the matter's deadline and its slips are the 牵头单位's."""
    per_unit: dict[int, list[PartDue]] = defaultdict(list)
    for task in await tasks.partners_awaiting_part(conn):
        due = sharing.part_due(task.deadline, office.settings.part_lead_days, task.issued_on, office.calendar)
        if not sharing.part_reminded(due, day, next_check):
            continue
        lead = next((t for t in await tasks.of_matter(conn, task) if t.unit_role is sharing.UnitRole.LEAD), None)
        lead_unit = await org.unit(conn, lead.unit_id) if lead is not None else None
        per_unit[task.unit_id].append(PartDue(task, due, lead_unit.name if lead_unit else ""))
    for unit_id, parts in per_unit.items():
        for member in await org.unit_members(conn, unit_id):
            await tell(conn, member, "daily/partner_reminder", now, day=day, parts=parts)


async def _book_missed_report(conn: aiosqlite.Connection, office: Office, task: Task, missed: date, now: datetime) -> None:
    """超期未汇报 books the configured points (0 by default: then nothing), once per report date."""
    points = office.settings.score_rules.points_for(ScoreCategory.REPORT_MISSED)
    if not points:
        return
    if await scores.booked_for(conn, task.id, ScoreCategory.REPORT_MISSED, f"{task.number.full} {missed.isoformat()}"):
        return
    await scores.book(
        conn, task.unit_id, ScoreCategory.REPORT_MISSED, points, now.date(), now,
        note=f"{task.number.full} {missed.isoformat()}", task_id=task.id,
    )
    await history.append(conn, "report_missed", now, task_id=task.id, due=missed.isoformat())


async def _section_digests(conn: aiosqlite.Connection, day: date, now: datetime) -> None:
    waiting = await digests.feedback_waiting_by_section(conn)
    drafts = await slip_drafts.pending_by_section(conn)
    steps = await _steps_for_issuers(conn, day, now)
    for section in await org.sections(conn):
        for person in await org.section_members(conn, section.id):
            if not (person.has(Role.CLERK) or person.has(Role.SUPERVISOR)):
                continue
            mine = steps.pop(person.id, [])
            if not waiting.get(section.id) and not drafts.get(section.id) and not mine:
                continue
            await tell(
                conn, person, "daily/section_digest", now, day=day, waiting=waiting.get(section.id, 0),
                drafts=drafts.get(section.id, {}), steps=mine, limit=DIGEST_LIMIT,
            )


async def _steps_for_issuers(conn: aiosqlite.Connection, day: date, now: datetime) -> dict[int, list[tuple[str, dict[str, object], Task]]]:
    """The daily check's steps today (催办单, 督办通知单, 约谈 and 移交 proposals), by the issuing
    科室's reader of each task: one message a day for all of them (bot/domain/audience.py).
    政务监督室's people read them in the summary instead."""
    start = datetime.combine(day, time(0), now.tzinfo)
    kinds = sorted(audience.ISSUING_SECTION_TOLD_OF)
    rows = await digests.system_steps(conn, start, start + timedelta(days=1), kinds)
    stepped = await together(conn, (tasks.get(conn, task_id) for _, _, task_id in rows))
    readers: dict[tuple[int, int], list[Person]] = {}
    out: dict[int, list[tuple[str, dict[str, object], Task]]] = defaultdict(list)
    for (kind, details, _), task in zip(rows, stepped):
        if task is None:
            continue
        # the readers of a task follow from its issuer and 科室: asked once for each pair
        key = (task.issued_by, task.section_id)
        if key not in readers:
            readers[key] = await issuer_and_section(conn, task)
        for reader in readers[key]:
            if not reader.has(Role.SUPERVISOR):
                out[reader.id].append((kind, details, task))
    return out


@dataclass(frozen=True)
class ReadUnacknowledged:
    """A slip 「已读未签收」 as the 督办日报 lists it."""

    slip: Slip
    task: Task
    unit_name: str
    receipt: Receipt


async def _read_unacknowledged(conn: aiosqlite.Connection) -> list[ReadUnacknowledged]:
    """The slips whose issuer was told they are 「已读未签收」 and whose task is still not 签收'd."""
    slip_ids = await receipts.told_still_unacknowledged(conn)
    copies = await receipts.copies_of_slips(conn, slip_ids)
    listed: list[ReadUnacknowledged] = []
    for slip_id in slip_ids:
        slip = await slips.get(conn, slip_id)
        task = await tasks.get(conn, slip.task_id) if slip is not None else None
        if slip is None or task is None:
            continue
        unit = await org.unit(conn, task.unit_id)
        listed.append(ReadUnacknowledged(slip, task, unit.name if unit else "", receipt(copies.get(slip_id, []), None)))
    return listed


async def _summary(
    conn: aiosqlite.Connection, day: date, now: datetime, unreported: list[Task], unacknowledged: list[ReadUnacknowledged],
) -> None:
    start = datetime.combine(day, time(0), now.tzinfo)
    events = await digests.escalations(conn, start, start + timedelta(days=1))
    # 逾期未办结: the same set as /overdue (bot/domain/clock.py, tasks.OVERDUE).
    overdue = await digests.overdue_count(conn, day)
    unbound = await org.units_without_bound_official(conn)
    for staff in await org.with_role(conn, Role.SUPERVISOR):
        await tell(
            conn, staff, "daily/summary", now, day=day, events=events, overdue=overdue, limit=DIGEST_LIMIT,
            unbound_units=unbound, unreported=unreported, unacknowledged=unacknowledged, tz=now.tzinfo,
        )
