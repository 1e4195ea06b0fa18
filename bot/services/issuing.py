"""Issuing a 工作交办单: one task and one numbered slip per 责任单位, delivered through the outbox."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import aiosqlite

from bot.domain import reporting, sharing
from bot.domain.calendar import arrangement_known
from bot.domain.deadlines import DeadlineMode
from bot.domain.errors import DomainError
from bot.domain.org import Person, Role, Unit
from bot.domain.permissions import Deed, check, may
from bot.domain.reporting import ReportSchedule
from bot.domain.slips import SlipType
from bot.domain.tasks import EscalationStage, SourceType, Task, TaskStatus, in_special_ledger
from bot.services.context import Office
from bot.services.notify import message, received, send, tell, with_file
from bot.views.slip_keyboard import slip_keyboard
from bot.views.slip_texts import AssignmentWords, assignment_wording, schedule_text
from bot.texts import render
from bot.storage import history, org, runs, slips, tasks
from bot.message_size import MESSAGE_LIMIT, fits_in_message, message_length
from bot.domain.feedback import Attachment
from bot.domain.slips import MAX_TEXT as MAX_TEXT, MAX_TITLE as MAX_TITLE



@dataclass(frozen=True)
class AssignmentDraft:
    """What a clerk fills in before signing a 交办单 (notice, section 一)."""

    title: str
    """工作事项."""
    requirements: str
    """工作要求."""
    basis: str
    """根据."""
    source: SourceType
    unit_ids: tuple[int, ...]
    """责任单位: one task and one slip each."""
    period_days: int
    """时限要求: N of "在收件之日起N天内"."""
    special_ledger: bool = False
    responsible: dict[int, int] = field(default_factory=dict)
    """责任人 per unit id (optional)."""
    contact_name: str = ""
    contact_phone: str = ""
    attachment: Attachment | None = None
    """工作任务分解台账."""
    lead_unit_id: int | None = None
    """牵头单位, one of ``unit_ids``; the others are its 配合单位. None: each unit alone."""
    report_schedule: ReportSchedule | None = None
    """阶段汇报 before the final deadline; None for none."""


@dataclass(frozen=True)
class IssuedAssignment:
    """A signed 交办单 and who could not be reached with it."""

    task: Task
    unit_name: str
    delivered_to: tuple[str, ...]
    unreachable: tuple[str, ...]


def check_slip_length(text: str) -> None:
    """A 交办单 goes to its unit as one Telegram message: a text longer than one message could
    never be delivered, so it is refused before anything is issued.

    Raises:
        DomainError: ``slip_too_long`` with the length and the limit.
    """
    if not fits_in_message(text):
        raise DomainError("slip_too_long", length=message_length(text), limit=MESSAGE_LIMIT)


def may_issue(person: Person) -> bool:
    """A 科室's clerk or 政务监督室 issues 交办单 (in their section's name)."""
    return may(person, Deed.ISSUE)


def may_issue_special(person: Person) -> bool:
    """专项交办 (the three special sources) is 政务监督室's."""
    return may(person, Deed.ISSUE_SPECIAL)


def sources_for(special: bool) -> tuple[SourceType, ...]:
    """The source types an issuer may choose (section 一 of the notice); ``special``: one who
    may issue 专项交办 (:func:`may_issue_special`)."""
    return tuple(source for source in SourceType if special or not source.is_special)


def check_draft(draft: AssignmentDraft, issuer: Person) -> None:
    """The rules of section 一 on who issues what, and the fields a 交办单 must have."""
    check(issuer, Deed.ISSUE)
    if draft.source.is_special and not may(issuer, Deed.ISSUE_SPECIAL):
        raise DomainError("special_source_needs_supervision_office", source=draft.source.value)
    for name, value, limit in (("title", draft.title, MAX_TITLE), ("requirements", draft.requirements, MAX_TEXT), ("basis", draft.basis, MAX_TEXT)):
        if not value.strip():
            raise DomainError("field_missing", field=name)
        if len(value) > limit:
            raise DomainError("field_too_long", field=name, limit=limit)
    if not draft.unit_ids:
        raise DomainError("field_missing", field="units")
    if len(set(draft.unit_ids)) != len(draft.unit_ids):
        raise DomainError("unit_repeated")
    if not 1 <= draft.period_days <= 365:
        raise DomainError("deadline_days_invalid", days=draft.period_days)
    if draft.lead_unit_id is not None and draft.lead_unit_id not in draft.unit_ids:
        raise DomainError("lead_unknown")
    sharing.check_shared(draft.lead_unit_id, draft.unit_ids)


def report_dates(office: Office, draft: AssignmentDraft, today: date) -> tuple[date, ...]:
    """The 阶段汇报 dates of a draft issued today; () without a schedule.

    Raises:
        DomainError: ``schedule_past_deadline`` when the schedule asks nothing before the
            deadline, or names a date on or after it.
    """
    if draft.report_schedule is None:
        return ()
    deadline = office.deadline_after(today, draft.period_days)
    return reporting.check_schedule(draft.report_schedule, today, deadline, office.calendar)


async def issue_assignment(office: Office, draft: AssignmentDraft, issuer: Person, now: datetime) -> list[IssuedAssignment]:
    """签发: number, store and deliver one 交办单 per unit, all in one transaction."""
    async with office.db.transaction() as conn:
        issued = await issue_assignment_on(conn, office, draft, issuer, now)
        deadline = issued[0].task.deadline
        await tell(
            conn, issuer, "issue/issued", now, issued=issued, deadline=deadline,
            unknown_year=unknown_calendar_year(office, deadline), counted=counted_deadline(office, now.date(), draft.period_days),
            schedule=schedule_text(draft.report_schedule) if draft.report_schedule else "",
        )
    return issued


async def issue_assignment_on(
    conn: aiosqlite.Connection, office: Office, draft: AssignmentDraft, issuer: Person, now: datetime
) -> list[IssuedAssignment]:
    """签发 inside the caller's transaction, so several drafts (the 议定事项 of one 会议纪要) take
    consecutive numbers together or not at all. The issuer is not told here: the caller sums up."""
    check_draft(draft, issuer)
    today = now.date()
    deadline = office.deadline_after(today, draft.period_days)
    report_dates(office, draft, today)  # a schedule past the deadline is refused before any number is taken
    issued: list[IssuedAssignment] = []
    section = await org.section(conn, issuer.section_id or 0)
    assert section is not None
    matter_id = await tasks.next_matter_id(conn)
    named = {u: await org.unit(conn, u) for u in draft.unit_ids}
    names = {u: unit.name for u, unit in named.items() if unit is not None}
    for unit_id in draft.unit_ids:
        unit = await org.unit(conn, unit_id)
        if unit is None:
            raise DomainError("unit_unknown", unit=str(unit_id))
        members = await org.unit_members(conn, unit_id)
        responsible_id = draft.responsible.get(unit_id)
        responsible = next((m for m in members if m.id == responsible_id), None)
        role = sharing.role_of(unit_id, draft.lead_unit_id)
        number = await slips.next_number(conn, SlipType.ASSIGNMENT, today.year)
        task = await tasks.insert(
            conn,
            Task(
                id=0, number=number, title=draft.title.strip(), requirements=draft.requirements.strip(),
                basis=draft.basis.strip(), source=draft.source, unit_id=unit_id, section_id=section.id,
                issued_by=issuer.id, issued_on=today, period_days=draft.period_days,
                original_deadline=deadline, deadline=deadline, responsible_id=responsible_id,
                contact_name=draft.contact_name or issuer.name, contact_phone=draft.contact_phone or issuer.phone,
                special_ledger=bool(in_special_ledger(draft.source, draft.special_ledger)),
                status=TaskStatus.ISSUED, stage=EscalationStage.NONE, matter_id=matter_id,
                unit_role=role,
                report_schedule=draft.report_schedule if sharing.reports_progress(role) else None,
            ),
        )
        if draft.attachment:
            await tasks.set_attachment(conn, task.id, draft.attachment.file_id, draft.attachment.file_name)
        words = slip_words(office, draft, issuer, today, str(number), unit, section.name, responsible.name if responsible else "", names)
        text = assignment_wording(office.settings.organisation, words)
        check_slip_length(text)
        slip = await slips.add(conn, task.id, number, today, issuer.id, text)
        await history.append(
            conn, "assignment_issued", now, task_id=task.id, actor_id=issuer.id,
            number=number.full, unit=unit.name, deadline=deadline.isoformat(),
        )
        delivered: list[str] = []
        unreachable: list[str] = []
        for member in members:
            ok = await send(
                conn, member, message(text, slip_keyboard(task)), now,
                task_id=task.id, slip_id=slip.id, purpose="slip",
            )
            (delivered if ok and not member.unreachable else unreachable).append(member.name)
            if ok and draft.attachment:
                file = received(draft.attachment.file_id, "document", draft.attachment.file_name or "", draft.attachment.channel)
                await send(
                    conn, member, with_file(file, number.full), now, task_id=task.id, slip_id=slip.id, purpose="attachment",
                )
        issued.append(IssuedAssignment(task, unit.name, tuple(delivered), tuple(unreachable)))
    year = unknown_calendar_year(office, deadline)
    if year is not None:
        await warn_unknown_year(conn, year, now)
    return issued


@dataclass(frozen=True)
class AssignmentPreview:
    """What /new shows before 确认签发: the slip as the first unit will receive it, and what
    will be issued (``issue/preview``)."""

    slip: str
    first_unit: str
    units: tuple[str, ...]
    lead: str
    """The 牵头单位's name; "" when each unit is on its own."""
    deadline: date
    counted: date | None
    """The day before it was moved off a rest day (``counted_deadline``)."""
    responsible: tuple[str, ...]
    """「单位 责任人」 for each unit whose 责任人 was chosen."""
    attachment: str
    schedule: str
    working_days: bool
    """N counts working days: the preview says 「时限：N个工作日」."""


async def preview_assignment(office: Office, draft: AssignmentDraft, issuer: Person, today: date) -> AssignmentPreview | None:
    """The preview of ``draft`` signed today; None when its units or the issuer's 科室 are gone.

    Raises:
        DomainError: ``not_allowed`` for an issuer who may not issue it; ``slip_too_long``
            when the slip could not be delivered as one message.
    """
    check_draft(draft, issuer)
    reader = office.db.reader
    section = await org.section(reader, issuer.section_id or 0)
    units = [u for u in [await org.unit(reader, i) for i in draft.unit_ids] if u is not None]
    if section is None or not units:
        return None
    chosen = {unit_id: await org.person(reader, person_id) for unit_id, person_id in draft.responsible.items()}
    responsible = {unit_id: p.name for unit_id, p in chosen.items() if p is not None}
    deadline = office.deadline_after(today, draft.period_days)
    first = units[0]
    names = {u.id: u.name for u in units}
    lead = names.get(draft.lead_unit_id or 0, "")
    attachment = (draft.attachment.file_name or "") if draft.attachment else ""
    unsigned = render("issue/unsigned_number", year=today.year)
    words = slip_words(office, draft, issuer, today, unsigned, first, section.name, responsible.get(first.id, ""), names)
    slip = assignment_wording(office.settings.organisation, words)
    check_slip_length(slip)
    return AssignmentPreview(
        slip=slip, first_unit=first.name, units=tuple(u.name for u in units), lead=lead, deadline=deadline,
        counted=counted_deadline(office, today, draft.period_days),
        responsible=tuple(f"{u.name} {responsible[u.id]}" for u in units if u.id in responsible),
        attachment=attachment, schedule=schedule_text(draft.report_schedule) if draft.report_schedule else "",
        working_days=office.counts_working_days,
    )


def slip_words(
    office: Office, draft: AssignmentDraft, issuer: Person, today: date, number: str, unit: Unit, section_name: str,
    responsible_name: str, names: Mapping[int, str],
) -> AssignmentWords:
    """The blanks of ``draft``'s 交办单 to ``unit``, signed today: one assembly for the slip
    issued and for the preview of /new (whose ``number`` is not taken yet). ``names``: the
    draft's units by id, in its order (the 牵头单位 and its 配合单位)."""
    role = sharing.role_of(unit.id, draft.lead_unit_id)
    schedule = draft.report_schedule if sharing.reports_progress(role) else None
    deadline = office.deadline_after(today, draft.period_days)
    return AssignmentWords(
        number=number, unit_name=unit.name, title=draft.title.strip(), requirements=draft.requirements.strip(),
        basis=draft.basis.strip(), period_days=draft.period_days, section_name=section_name,
        responsible_name=responsible_name, contact_name=draft.contact_name or issuer.name,
        contact_phone=draft.contact_phone or issuer.phone,
        attachment_name=(draft.attachment.file_name or "") if draft.attachment else "", issued_on=today, role=role,
        lead_name=names.get(draft.lead_unit_id or 0, ""),
        partner_names=tuple(name for unit_id, name in names.items() if unit_id != draft.lead_unit_id),
        schedule=schedule, report_dates=report_dates(office, draft, today) if schedule else (),
        working_days=office.counts_working_days,
        part_due=sharing.part_due(deadline, office.settings.part_lead_days, today, office.calendar)
        if role is sharing.UnitRole.PARTNER else None,
    )


def part_due_of(office: Office, task: Task) -> date | None:
    """The day a 配合单位's copy is due to send its part (None on any other copy); it follows the
    matter's deadline, so an extension granted to the 牵头单位 moves it too."""
    if task.unit_role is not sharing.UnitRole.PARTNER:
        return None
    return sharing.part_due(task.deadline, office.settings.part_lead_days, task.issued_on, office.calendar)


def unknown_calendar_year(office: Office, deadline: date) -> int | None:
    """The deadline's year when the official holiday calendar does not know it yet (rest days
    are then only guessed as weekends until `duban calendar` adds the year)."""
    return None if arrangement_known(office.calendar, deadline.year) else deadline.year


async def warn_unknown_year(conn: aiosqlite.Connection, year: int, now: datetime) -> None:
    """Tell 政务监督室, once a year, that deadlines fall in a year the holiday calendar lacks."""
    if not await runs.warn_year_once(conn, year, now):
        return
    for staff in await org.with_role(conn, Role.SUPERVISOR):
        await tell(conn, staff, "calendar/unknown_year", now, year=year)


def counted_deadline(office: Office, today: date, period_days: int) -> date | None:
    """The day N calendar days on, before 民法典 第二百零三条 moves it off a rest day: the
    issuer is told when the deadline is another day (None when N counts working days)."""
    if office.settings.deadline_mode is not DeadlineMode.CALENDAR:
        return None
    return today + timedelta(days=period_days)
