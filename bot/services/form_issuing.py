"""The one-message /new form (``bot.readers.issue_form`` reads it): its units and people looked
up in the organisation and the issuing rules applied, giving the draft the /new preview shows
(issued only on 确认签发, as the guided dialog's), or the problems named line by line."""

from __future__ import annotations

from bot.domain import sharing
from bot.domain.errors import DomainError
from bot.domain.org import Person
from bot.domain.reporting import ReportSchedule, check_schedule, is_long_task, parse_schedule
from bot.domain.tasks import SourceType
from bot.readers import issue_form
from bot.services import directory, issuing
from bot.services.context import Office
from bot.readers.issue_form import FormProblem, IssueForm
from bot.services.issuing import AssignmentDraft


async def checked_form(office: Office, text: str, person: Person) -> tuple[AssignmentDraft | None, list[FormProblem]]:
    """The form ``text`` as ``person`` would sign it: the draft, or the problems in line order."""
    form, problems = issue_form.read_form(text, office.now().date(), office.calendar, office.settings.deadline_mode)
    draft, found = await form_draft(office, form, person, check=not problems)
    problems = issue_form.in_line_order(problems + found)
    return (None if problems else draft), problems


async def form_draft(
    office: Office, form: IssueForm, person: Person, *, check: bool
) -> tuple[AssignmentDraft | None, list[FormProblem]]:
    """Look up the form's units and people; the draft, or the problems with them.

    ``check``: also apply the issuing rules (only once the form itself is complete).
    """
    units = await directory.units(office)
    unit_names = await directory.unit_names(office)
    by_id = {u.id: u for u in units}
    problems: list[FormProblem] = []
    unknown = [name for name in form.unit_names if unit_names.unit_for(name) is None]
    if unknown:
        problems.append(form.problem("form_unit_unknown", "units", units=unknown, known=[u.name for u in units]))
    # an alias is the unit it names: 「交通局」 is 交通运输局, and written beside it, the same unit once
    written = [by_id[unit_id] for name in form.unit_names if (unit_id := unit_names.unit_for(name)) is not None]
    lead = by_id.get(unit_names.unit_for(form.lead_name) or 0) if form.lead_name else None
    try:
        sharing.check_lead_once(lead.name if lead else None, [u.name for u in written])
    except DomainError as exc:
        problems.append(form.problem(exc.code, "units", **exc.details))
    chosen = list({u.id: u for u in written}.values())
    responsible: dict[int, int] = {}
    named: dict[int, list[str]] = {}
    members = {u.id: await directory.unit_members(office, u.id) for u in chosen}
    for name in form.responsible_names:
        found = next(((unit_id, m) for unit_id, people in members.items() for m in people if m.name == name), None)
        if found is None:
            known = [m.name for people in members.values() for m in people]
            problems.append(form.problem("form_responsible_unknown", "responsible", name=name, known=known))
            continue
        unit_id, member = found
        named.setdefault(unit_id, []).append(name)
        responsible.setdefault(unit_id, member.id)
    for unit_id, names in named.items():
        if len(names) > 1:
            problems.append(form.problem("form_responsible_repeated", "responsible", unit=next(u.name for u in chosen if u.id == unit_id), names=names))
    draft = AssignmentDraft(
        title=form.title, requirements=form.requirements, basis=form.basis,
        source=form.source or SourceType.OTHER, unit_ids=tuple(u.id for u in chosen),
        period_days=form.period_days, special_ledger=form.special_ledger, responsible=responsible,
        lead_unit_id=lead.id if lead else None,
        report_schedule=form.schedule,
    )
    if check and not problems:
        try:
            issuing.check_draft(draft, person)
            issuing.report_dates(office, draft, office.now().date())
        except DomainError as exc:
            problems.append(form.problem(exc.code, exc.asks_for or "units", **exc.details))
    return (None if problems or not check else draft), problems


def time_limit(office: Office, text: str) -> int:
    """A typed 时限 (``7天`` or a date) as the N of the slip, counted as the office counts.

    Raises:
        DomainError: the refusals of :func:`bot.readers.issue_form.parse_time_limit`.
    """
    return issue_form.parse_time_limit(text, office.now().date(), office.calendar, office.settings.deadline_mode)


def report_schedule(office: Office, text: str, period_days: int) -> ReportSchedule:
    """A 阶段汇报 schedule typed or chosen for a 交办单 signed today with ``period_days``, read and
    checked against its deadline.

    Raises:
        DomainError: the schedule is unreadable, or asks nothing before the deadline.
    """
    today = office.now().date()
    schedule = parse_schedule(text, today)
    check_schedule(schedule, today, office.deadline_after(today, period_days), office.calendar)
    return schedule


def asks_for_schedule(office: Office, period_days: int) -> bool:
    """Whether /new asks for a 阶段汇报 schedule for a 交办单 signed today with ``period_days``
    (:func:`bot.domain.reporting.is_long_task`; 修改 → 阶段汇报 asks it anyway)."""
    today = office.now().date()
    # the day N counts to, before a rest day moves it: a 30天 task is not long for ending on a Saturday
    counted = issuing.counted_deadline(office, today, period_days) or office.deadline_after(today, period_days)
    return is_long_task(today, counted)
