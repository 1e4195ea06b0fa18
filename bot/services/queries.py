"""Read-side use cases: a person's 台账 lines, one task with its slips and history, overdue tasks.

Nothing here writes. Every query starts from the person asking and their scope (SPEC section 2):
政务监督室, the principal and the administrator see every task; a clerk the tasks its 科室 issued;
a 责任单位's official the unit's; a 分管市领导 the tasks of the units in their charge. A person
holding several roles sees the union.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from datetime import date

import aiosqlite

from bot.domain import clock, reporting
from bot.domain.calendar import WorkCalendar
from bot.domain.errors import DomainError
from bot.domain.minutes import UnitDirectory
from bot.domain.org import Person, Unit
from bot.domain.escalation import reminder_by_hand, voidable_reminder
from bot.domain.receipts import Receipt, receipt
from bot.domain.permissions import Deed, Reach, can_see, may, sees_everything, sight
from bot.domain.slip_numbers import parse_slip_reference, slips_meant, year_before
from bot.domain.sharing import PartState, UnitRole
from bot.domain.slips import Slip, SlipReference, SlipType
from bot.domain.tasks import EscalationStage, Task, TaskStatus
from bot.services import directory
from bot.services.context import Office
from bot.services.task_changes import matter_clock, matter_parts
from bot.storage import feedback as feedback_store
from bot.storage import history, org, receipts, slips, tasks
from bot.storage.feedback import Feedback
from bot.storage.history import HistoryEntry
from bot.storage.reader import nothing, read_at_once, together

PAGE_SIZE = 10
"""Lines per page of /tasks and /overdue: ten short lines stay far below Telegram's 4096."""

SUGGESTIONS = 10
"""Open slips offered when a number was not found."""

STATUS_ORDER = (TaskStatus.ISSUED, TaskStatus.ACKNOWLEDGED, TaskStatus.FEEDBACK_PENDING, TaskStatus.COMPLETED)


@dataclass(frozen=True)
class Part:
    """One piece of a person's scope, as ``tasks.in_scope`` filters: a unit, a section, or all."""

    unit_id: int | None = None
    section_id: int | None = None


@dataclass(frozen=True)
class Scope:
    """The tasks a person may read; an empty ``parts`` means none."""

    parts: tuple[Part, ...]
    units: tuple[Unit, ...]
    """The units the person may filter by (every unit for those who see everything); read only
    when asked for (``scope_of(..., units=True)``): a province has thousands."""

    @property
    def empty(self) -> bool:
        """A person whose roles show no task (a leader with no unit in charge, say)."""
        return not self.parts


@dataclass(frozen=True)
class TaskLine:
    """One 台账 line as a list shows it."""

    task: Task
    unit_name: str
    days_left: int
    """Calendar days to the current deadline; negative once past it."""
    overdue: bool
    """逾期 (bot/domain/clock.py): the clock is running against the unit."""
    missed_report: date | None = None
    """超期未汇报 (bot/domain/reporting.py): the 阶段汇报 date the unit let pass."""
    stage: EscalationStage = EscalationStage.NONE
    """督办阶段 shown: the task's own, or on a 配合单位's copy the matter's (:func:`clock.shown_clock`)."""
    held: bool = False
    """The clock waits for this copy's own review or 延期 decision (暂停计时)."""


async def task_line(conn: aiosqlite.Connection, task: Task, unit_name: str, today: date, calendar: WorkCalendar) -> TaskLine:
    """One line of a list: a 配合单位's copy shows the matter's deadline, 逾期 and stage, which are
    its 牵头单位's, so one matter reads the same on each of its lines."""
    shown = await matter_clock(conn, task)
    return TaskLine(
        task, unit_name, clock.days_left(shown, today), clock.is_overdue(shown, today),
        reporting.task_missed_report(task, today, calendar), shown.stage, task.is_held,
    )


@dataclass(frozen=True)
class TaskPage:
    """One page of a list, lines grouped by status in the order of the lifecycle."""

    page: int
    has_next: bool
    groups: tuple[tuple[TaskStatus, tuple[TaskLine, ...]], ...]
    unit: Unit | None = None
    """The unit the list was narrowed to, if any."""

    @property
    def empty(self) -> bool:
        """No line on this page."""
        return not self.groups


@dataclass(frozen=True)
class TaskDetail:
    """Everything about one task that /task shows."""

    task: Task
    unit: Unit | None
    section_name: str
    responsible_name: str
    issuer_name: str
    slips: tuple[Slip, ...]
    pending_feedback: Feedback | None
    feedback_by: str
    history: tuple[HistoryEntry, ...]
    days_left: int
    attachments: tuple[feedback_store.KeptAttachment, ...] = ()
    """Every file sent with the task's feedback, and whether the archive holds it."""
    report_dates: tuple[date, ...] = ()
    """阶段汇报 dates up to the current deadline; () without a schedule."""
    missed_report: date | None = None
    """超期未汇报: the report date the unit let pass, if any."""
    overdue: bool = False
    """逾期, on the clock the copy shows (:func:`clock.shown_clock`)."""
    stage: EscalationStage = EscalationStage.NONE
    """督办阶段 shown: on a 配合单位's copy, the matter's."""
    parts: tuple[PartState, ...] = ()
    """On a 牵头单位's task: each 配合单位 and whether its part has been sent."""
    next_report: date | None = None
    """「下次」: the next report date no report answers yet."""
    lead_name: str = ""
    """牵头单位 of a shared matter."""
    partner_names: tuple[str, ...] = ()
    """配合单位 of a shared matter (the other copies)."""
    working_days: bool = False
    """N of 时限要求 counts working days (``deadline_mode = "working"``)."""
    receipts: dict[int, Receipt] = field(default_factory=dict)
    """Each slip's 已送达 / 已读 / 已签收 (bot/domain/receipts.py), by slip id; a slip no copy of
    which has been delivered has none."""


@dataclass(frozen=True)
class DetailActions:
    """What /task offers the person beside 下载Word."""

    remind: bool
    """催办: the issuing section (or 政务监督室), on an overdue task not chased yet."""
    put_right: bool
    """撤回 · 更正: the issuing section (or 政务监督室), on an open task."""
    void_reminder: Slip | None
    """作废催办单: the 催办单 that may be voided, for them too."""


def detail_actions(person: Person, detail: TaskDetail, today: date) -> DetailActions:
    """The buttons of /task for ``person``: the table of who may do what, and the steps due."""
    task = detail.task
    put_right = may(person, Deed.PUT_RIGHT, task=task) and task.is_open
    return DetailActions(
        remind=may(person, Deed.REMIND, task=task) and reminder_by_hand(task, today),
        put_right=put_right,
        void_reminder=voidable_reminder(task, detail.slips) if put_right else None,
    )


async def scope_of(conn: aiosqlite.Connection, person: Person, *, units: bool = True) -> Scope:
    """The union of what the person's roles show: the reaches of ``Deed.SEE``
    (``bot.domain.permissions``), which :func:`bot.domain.permissions.can_see` checks task by task.
    Without ``units`` the scope's units are left unread (a list that filters by none)."""
    in_charge = Reach.UNITS_IN_CHARGE in sight(person) and not sees_everything(person)
    all_units = await org.units(conn) if units or in_charge else []
    if sees_everything(person):
        return Scope((Part(),), tuple(all_units))
    parts: list[Part] = []
    visible: dict[int, Unit] = {}
    for reach in sight(person):
        if reach is Reach.ISSUING_SECTION and person.section_id is not None:
            parts.append(Part(section_id=person.section_id))
            visible.update((u.id, u) for u in all_units)  # a section issues to any unit
        elif reach is Reach.OWN_UNIT and person.unit_id is not None:
            parts.append(Part(unit_id=person.unit_id))
            visible.update((u.id, u) for u in all_units if u.id == person.unit_id)
        elif reach is Reach.UNITS_IN_CHARGE:
            for unit in all_units:
                if unit.leader_id == person.id:
                    parts.append(Part(unit_id=unit.id))
                    visible[unit.id] = unit
    return Scope(tuple(dict.fromkeys(parts)), tuple(sorted(visible.values(), key=lambda u: u.id)))


def narrow(scope: Scope, unit: Unit) -> Scope:
    """The scope cut down to one unit (a filter only ever removes tasks)."""
    parts: list[Part] = []
    for part in scope.parts:
        if part.unit_id is None:
            parts.append(Part(unit_id=unit.id, section_id=part.section_id))
        elif part.unit_id == unit.id:
            parts.append(part)
    return Scope(tuple(dict.fromkeys(parts)), (unit,))


def find_unit(scope: Scope, name: str, command: str = "tasks", names: UnitDirectory | None = None) -> Unit:
    """The unit a person typed: its exact name, an alias of it (``names``: 交通局 for 交通运输局), or
    the one unit whose name contains the text. ``command`` is the one typed, for the refusal's example."""
    name = name.strip()
    exact = [u for u in scope.units if u.name == name]
    if exact:
        return exact[0]
    unit_id = names.unit_for(name) if names is not None else None
    aliased = [u for u in scope.units if u.id == unit_id]
    if aliased:
        return aliased[0]
    partial = [u for u in scope.units if name and name in u.name]
    if len(partial) == 1:
        return partial[0]
    raise DomainError("unit_not_in_scope", unit=name, units=[u.name for u in scope.units], command=command)


async def _lines(
    conn: aiosqlite.Connection, scope: Scope, *, skip: int, take: int, overdue_on: date | None, today: date,
    calendar: WorkCalendar,
) -> list[TaskLine]:
    """Lines ``skip`` … ``skip + take`` of the scope, by deadline, merged across its parts."""
    single = len(scope.parts) == 1
    # Each part's first skip + take lines hold the union's first skip + take.
    per_part = await together(conn, (
        tasks.page_in_scope(
            conn, unit_id=p.unit_id, section_id=p.section_id, overdue_on=overdue_on,
            limit=take if single else skip + take, offset=skip if single else 0,
        )
        for p in scope.parts
    ))
    if single:
        window = per_part[0]
    else:
        # parts may overlap (a clerk's section issued to the clerk's own unit): each task counts once
        merged = heapq.merge(*per_part, key=lambda line: (line[0].deadline, line[0].id))
        window = list({line[0].id: line for line in merged}.values())[skip : skip + take]
    # each task's unit name comes with the page: every unit of a province is thousands of rows
    return await together(conn, (task_line(conn, t, name, today, calendar) for t, name in window))


def _grouped(lines: list[TaskLine]) -> tuple[tuple[TaskStatus, tuple[TaskLine, ...]], ...]:
    return tuple(
        (status, tuple(line for line in lines if line.task.status is status))
        for status in STATUS_ORDER
        if any(line.task.status is status for line in lines)
    )


async def task_page(
    office: Office, person: Person, today: date, *, page: int = 0, unit_name: str | None = None,
    unit_id: int | None = None, overdue: bool = False,
) -> TaskPage:
    """A page of the person's open tasks (or only the overdue ones), optionally for one unit.

    Raises:
        DomainError: ``unit_not_in_scope`` when the unit typed is not one the person may see.
    """
    async def read(conn: aiosqlite.Connection) -> TaskPage:
        scope = await scope_of(conn, person, units=bool(unit_name) or unit_id is not None)
        unit: Unit | None = None
        if unit_name:
            unit = find_unit(scope, unit_name, names=await directory.unit_names_on(conn))
        elif unit_id is not None:
            # From a button: the id is re-checked against the scope, never trusted.
            unit = next((u for u in scope.units if u.id == unit_id), None)
            if unit is None:
                raise DomainError("not_allowed")
        if unit is not None:
            scope = narrow(scope, unit)
        shown = max(0, page)
        if scope.empty:
            return TaskPage(shown, False, (), unit)
        lines = await _lines(
            conn, scope, skip=shown * PAGE_SIZE, take=PAGE_SIZE + 1, overdue_on=today if overdue else None, today=today,
            calendar=office.calendar,
        )
        return TaskPage(shown, len(lines) > PAGE_SIZE, _grouped(lines[:PAGE_SIZE]), unit)

    return await read_at_once(office.db.reader, read)


async def open_lines(office: Office, person: Person, today: date, limit: int = SUGGESTIONS) -> tuple[TaskLine, ...]:
    """The person's first open tasks by deadline, to suggest numbers they may have meant."""
    conn = office.db.reader
    scope = await scope_of(conn, person, units=False)
    if scope.empty:
        return ()
    return tuple(await _lines(conn, scope, skip=0, take=limit, overdue_on=None, today=today, calendar=office.calendar))


async def task_detail(office: Office, person: Person, text: str, today: date) -> TaskDetail:
    """The task a typed slip number names, if the person may see it.

    Any of the three slips finds its task: 交办单〔2026〕12号, 催办单 3号, or a bare 12号 (the
    交办单 first). A task outside the person's scope is refused with ``not_allowed`` rather than
    reported unknown: slip numbers run without gaps, so that a number exists is no secret; the
    task's title, unit and history are, and none of them is shown.

    Raises:
        DomainError: ``slip_number_invalid`` for text that is no slip number; ``task_unknown``
            when no slip has that number; ``not_allowed`` when its task is out of scope.
    """
    reference = parse_slip_reference(text, today.year)

    async def named(conn: aiosqlite.Connection, reference: SlipReference) -> tuple[bool, list[tuple[Task, Unit | None]]]:
        # 交办单 first: "12号" on its own means the 交办单 people cite in feedback. One look-up per
        # type, so each uses the (type, year, seq) index rather than scanning every slip.
        types = [reference.type] if reference.type is not None else list(SlipType)
        per_type = await together(conn, (slips.find(conn, SlipReference(t, reference.year, reference.seq)) for t in types))
        candidates = [slip for found in per_type for slip in found]
        # each task and its unit side by side (one round trip on PostgreSQL, not two)
        task_ids = list(dict.fromkeys(slip.task_id for slip in candidates))
        read = await together(conn, (
            work for task_id in task_ids for work in (tasks.get(conn, task_id), org.unit_of_task(conn, task_id))
        ))
        seen = [(task, unit) for task, unit in zip(read[::2], read[1::2]) if task and can_see(person, task, unit)]
        return bool(candidates), seen

    async def look_up(conn: aiosqlite.Connection) -> TaskDetail:
        found, visible = await named(conn, reference)
        earlier = year_before(reference)
        if earlier is not None:
            # a short number in January: the year before's open slip, or both to choose from
            found_before, visible_before = await named(conn, earlier)
            meant = slips_meant(visible, [(t, u) for t, u in visible_before if t.is_open])
            if len(meant) > 1:
                raise DomainError("slip_ambiguous", text=text[:50], choices=tuple(t for t, _ in meant))
            found, visible = found or found_before, list(meant)
        if visible:
            task, unit = visible[0]
            return await _detail(conn, task, unit, today, office.calendar, office.counts_working_days)
        if not found:
            raise DomainError("task_unknown", text=text)
        raise DomainError("not_allowed")

    # One hop of the database thread for the whole look-up (bot/storage/reader.py).
    return await read_at_once(office.db.reader, look_up)


async def _detail(
    conn: aiosqlite.Connection, task: Task, unit: Unit | None, today: date, calendar: WorkCalendar, working_days: bool
) -> TaskDetail:
    # what the task names, read side by side (one round trip on PostgreSQL), then what those name
    section, responsible, issuer, pending, others, task_slips, entries, parts, attachments, copies, acknowledged = await together(conn, (
        org.section(conn, task.section_id),
        org.person(conn, task.responsible_id) if task.responsible_id else nothing(),
        org.person(conn, task.issued_by),
        feedback_store.pending_of_task(conn, task.id),
        tasks.of_matter(conn, task),
        slips.of_task(conn, task.id),
        history.of_task(conn, task.id),
        matter_parts(conn, task),
        feedback_store.of_task(conn, task.id),
        receipts.copies_of_task(conn, task.id),
        receipts.acknowledged_at(conn, task.id),
    ))
    submitter, *other_units = await together(conn, (
        org.person(conn, pending.submitted_by) if pending else nothing(),
        *(org.unit(conn, other.unit_id) for other in others),
    ))
    matter: list[tuple[Task, str]] = [
        (other, other_unit.name if other_unit else "") for other, other_unit in zip(others, other_units)
    ]
    shown = clock.shown_clock(task, next((t for t, _ in matter if t.unit_role is UnitRole.LEAD), None))
    return TaskDetail(
        task=task,
        unit=unit,
        section_name=section.name if section else "",
        responsible_name=responsible.name if responsible else "",
        issuer_name=issuer.name if issuer else "",
        slips=tuple(task_slips),
        pending_feedback=pending,
        feedback_by=submitter.name if submitter else "",
        history=tuple(entries),
        days_left=clock.days_left(shown, today),
        overdue=clock.is_overdue(shown, today),
        stage=shown.stage,
        parts=parts,
        attachments=tuple(attachments),
        report_dates=reporting.task_report_dates(task, calendar),
        missed_report=reporting.task_missed_report(task, today, calendar),
        next_report=reporting.task_next_report(task, today, calendar),
        lead_name=next((name for t, name in matter if t.unit_role is UnitRole.LEAD), ""),
        partner_names=tuple(name for t, name in matter if t.unit_role is UnitRole.PARTNER),
        working_days=working_days,
        receipts={slip_id: receipt(slip_copies, acknowledged) for slip_id, slip_copies in copies.items()},
    )
