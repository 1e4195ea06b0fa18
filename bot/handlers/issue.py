"""/new: issuing a 工作交办单, by a guided dialog or in one message (SPEC sections 3 and 8).

The dialog asks 事项, 要求, 根据, the source type, the 责任单位 (several may be chosen), a 责任人
per unit, the 时限, 专项台账 and an optional 工作任务分解台账, then shows the slip exactly as the
first unit will receive it. 确认签发 issues one numbered 交办单 per unit through
``issuing.issue_assignment``.

``/new`` followed by lines (``事项：… / 单位：… / 期限：7天``) issues at once, or names the lines
to fix and issues nothing.

Every button of a dialog carries the dialog's id: a button of a cancelled, timed-out or
replaced dialog is answered with a notice and changes nothing.
"""

from __future__ import annotations

import secrets
import warnings
from dataclasses import dataclass, field
from datetime import timedelta
from enum import IntEnum
from typing import Any

from markupsafe import Markup
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from bot.domain.errors import DomainError
from bot.domain.org import Person, Role
from bot.domain.reporting import ReportSchedule, check_schedule, parse_schedule, task_report_dates
from bot.domain.sharing import reports_progress, role_of
from bot.domain.tasks import SourceType, Task
from bot.handlers import dialogs
from bot.handlers.common import current_person, refuse, reply
from bot.handlers.context import DubanApplication, DubanContext
from bot.handlers.conversation import Callback, end, final, open_draft, step_button
from bot.handlers.menu import may_use
from bot.services import directory, form_issuing, issue_form, issuing
from bot.services.issue_form import FormProblem
from bot.services.issuing import MAX_TEXT, MAX_TITLE, AssignmentDraft
from bot.services.slip_texts import assignment_text, schedule_text
from bot.domain.feedback import Attachment
from bot.message_size import fits_in_message
from bot.texts import explain, label, plain, render

IDLE_TIMEOUT = timedelta(minutes=30)
"""A dialog left alone this long ends with a message; read when the bot is built (tests shorten it)."""
UNITS_PER_PAGE = 8
PERIOD_CHOICES = (3, 5, 7, 15, 30)
PREFIX = "nw"
"""Callback data of this module: ``nw:<dialog id>:<action>:<value>``."""
DIALOG_KEY = "issue_dialog"

CLERK_SOURCES = (SourceType.LEADER_ASSIGNMENT, SourceType.OTHER)
SUPERVISOR_SOURCES = tuple(SourceType)


class Step(IntEnum):
    """The dialog's states: the question waiting for an answer."""

    TITLE = 1
    REQUIREMENTS = 2
    BASIS = 3
    SOURCE = 4
    UNITS = 5
    RESPONSIBLE = 6
    PERIOD = 7
    SPECIAL = 8
    ATTACHMENT = 9
    PREVIEW = 10
    EDIT = 11
    LEAD = 12
    SCHEDULE = 13


EDITABLE = ("title", "requirements", "basis", "source", "units", "period", "schedule", "special", "attachment")
SCHEDULE_CHOICES = tuple(label("issue", "schedule_choices").split("、"))
LONG_TASK_DAYS = 30
"""The dialog asks for a 阶段汇报 schedule only on a task longer than this (or when the clerk
chooses 修改 → 阶段汇报): a short task's final feedback is report enough, and offices are told to
ask only what is needed."""
"""The 阶段汇报 schedules offered as buttons; any other is typed."""
TEXT_FIELDS = {Step.TITLE: ("title", MAX_TITLE), Step.REQUIREMENTS: ("requirements", MAX_TEXT), Step.BASIS: ("basis", MAX_TEXT)}


@dataclass
class Dialog:
    """One clerk's 交办单 in the making, kept in ``user_data`` between updates."""

    id: str
    supervisor: bool
    """政务监督室 may choose the three special sources."""
    title: str = ""
    requirements: str = ""
    basis: str = ""
    source: SourceType | None = None
    unit_ids: list[int] = field(default_factory=list)
    units_done: bool = False
    page: int = 0
    pending_units: list[int] = field(default_factory=list)
    """Units whose 责任人 is still to be asked."""
    responsible: dict[int, int] = field(default_factory=dict)
    period_days: int | None = None
    special: bool | None = None
    attachment: Attachment | None = None
    attachment_done: bool = False
    lead_id: int | None = None
    """牵头单位 among ``unit_ids``; None: each unit on its own."""
    lead_done: bool = False
    schedule: ReportSchedule | None = None
    """阶段汇报; None for none."""
    schedule_done: bool = False
    schedule_wanted: bool = False
    """修改 → 阶段汇报 on a short task: ask it although the task is not long."""

    def data(self, action: str, value: object = "") -> str:
        """Callback data for a button of this dialog."""
        return f"{PREFIX}:{self.id}:{action}:{value}"

    def sources(self) -> tuple[SourceType, ...]:
        """The source types this issuer may choose (section 一 of the notice)."""
        return SUPERVISOR_SOURCES if self.supervisor else CLERK_SOURCES

    def clear(self, name: str) -> None:
        """Forget one answer so the dialog asks it again (修改)."""
        if name in ("title", "requirements", "basis"):
            setattr(self, name, "")
        elif name == "source":
            self.source = None
            self.special = None
        elif name == "units":
            self.units_done = False
            self.page = 0
            self.pending_units = []
            self.responsible = {}
            self.lead_id = None
            self.lead_done = False
        elif name == "period":
            self.period_days = None
            # the schedule is checked against the deadline: ask it again after the new 时限
            self.schedule = None
            self.schedule_done = False
        elif name == "schedule":
            self.schedule = None
            self.schedule_done = False
            self.schedule_wanted = True
        elif name == "special":
            self.special = None
        elif name == "attachment":
            self.attachment = None
            self.attachment_done = False




def _dialog(context: DubanContext) -> Dialog | None:
    return open_draft(context, DIALOG_KEY, Dialog)


def _end(context: DubanContext) -> int:
    return end(context, DIALOG_KEY)


def _may_issue(person: Person) -> bool:
    return may_use(person, "new") and person.section_id is not None


def _field_name(name: str) -> str:
    return label("issue", f"field_{name}")


def _markup(rows: list[list[tuple[str, str]]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(text, callback_data=data) for text, data in row] for row in rows if row])


async def _send(update: Update, text: str, rows: list[list[tuple[str, str]]] | None = None) -> None:
    assert update.effective_chat is not None
    await update.effective_chat.send_message(text, reply_markup=_markup(rows) if rows else None)


async def _settle(update: Update, context: DubanContext) -> None:
    """The message whose button was just used shows the choice and loses its keyboard."""
    await dialogs.echo_choice(update, context)


async def _next_question(update: Update, context: DubanContext, dialog: Dialog) -> int:
    """After a button answer: the next question first, then the answered keyboard comes off.

    The question is what the person waits for. Both go to the same chat, one a second, so
    the tidy-up runs in the background and takes the next turn instead of delaying the question.
    """
    step = await _advance(update, context, dialog)
    context.application.create_task(_settle(update, context), update=update, name="issue-settle")
    return step


# --------------------------------------------------------------------------- entry


async def new(update: Update, context: DubanContext) -> int:
    """/new alone starts the dialog; /new with lines issues the one-message form."""
    person = await current_person(update, context)
    if person is None:
        await reply(update, "start/unknown")
        return _end(context)
    if not _may_issue(person):
        await refuse(update, DomainError("not_allowed"))
        return _end(context)
    message = update.effective_message
    assert message is not None
    if issue_form.after_command(message.text or ""):
        _end(context)
        await _issue_form(update, context, person, message.text or "")
        return ConversationHandler.END
    dialog = Dialog(id=secrets.token_urlsafe(3), supervisor=person.has(Role.SUPERVISOR))
    assert context.user_data is not None
    context.user_data[DIALOG_KEY] = dialog
    return await _advance(update, context, dialog)


async def _advance(update: Update, context: DubanContext, dialog: Dialog) -> int:
    """Ask the first question not yet answered; the preview once all are."""
    if not dialog.title:
        await _send(update, render("issue/ask_title", limit=MAX_TITLE))
        return Step.TITLE
    if not dialog.requirements:
        await _send(update, render("issue/ask_requirements", limit=MAX_TEXT))
        return Step.REQUIREMENTS
    if not dialog.basis:
        await _send(update, render("issue/ask_basis", limit=MAX_TEXT))
        return Step.BASIS
    if dialog.source is None:
        rows = [[(label("source", s.value), dialog.data("s", s.value))] for s in dialog.sources()]
        await _send(update, render("issue/ask_source", special=dialog.supervisor), rows)
        return Step.SOURCE
    if not dialog.units_done:
        text, rows = await _units_question(context, dialog)
        await _send(update, text, rows)
        return Step.UNITS
    while dialog.pending_units:
        unit = await directory.unit(context.office, dialog.pending_units[0])
        members = await directory.unit_members(context.office, dialog.pending_units[0])
        if unit is not None and members:
            rows = [[(m.name, dialog.data("r", m.id))] for m in members]
            rows.append([(label("buttons", "skip"), dialog.data("r", 0))])
            await _send(update, render("issue/ask_responsible", unit=unit.name), rows)
            return Step.RESPONSIBLE
        dialog.pending_units.pop(0)
    if not dialog.lead_done:
        if len(dialog.unit_ids) < 2:
            dialog.lead_done = True
        else:
            units = [u for u in [await directory.unit(context.office, i) for i in dialog.unit_ids] if u is not None]
            rows = [[(label("issue", "lead_unit").format(name=u.name), dialog.data("ld", u.id))] for u in units]
            rows.append([(label("issue", "no_lead"), dialog.data("ld", 0))])
            await _send(update, render("issue/ask_lead", count=len(units)), rows)
            return Step.LEAD
    if dialog.period_days is None:
        rows = [[(label("issue", "period_days").format(days=n), dialog.data("p", n)) for n in PERIOD_CHOICES]]
        await _send(update, render("issue/ask_period"), rows)
        return Step.PERIOD
    if not dialog.schedule_done and (dialog.period_days > LONG_TASK_DAYS or dialog.schedule_wanted):
        rows = [[(text, dialog.data("rs", i + 1)) for i, text in enumerate(SCHEDULE_CHOICES)],
                [(label("issue", "no_schedule"), dialog.data("rs", 0))]]
        await _send(update, render("issue/ask_schedule", deadline=context.office.deadline_after(context.office.now().date(), dialog.period_days)), rows)
        return Step.SCHEDULE
    if dialog.special is None:
        if dialog.source.is_special:
            # 专项交办 always enters the 专项工作台账; no need to ask.
            dialog.special = True
        else:
            rows = [[(label("buttons", "yes"), dialog.data("sp", 1)), (label("buttons", "no"), dialog.data("sp", 0))]]
            await _send(update, render("issue/ask_special"), rows)
            return Step.SPECIAL
    if not dialog.attachment_done:
        await _send(update, render("issue/ask_attachment"), [[(label("buttons", "skip"), dialog.data("a"))]])
        return Step.ATTACHMENT
    return await _preview(update, context, dialog)


# --------------------------------------------------------------------------- answers


async def text_answer(update: Update, context: DubanContext) -> int | None:
    """事项, 要求 or 根据, length-checked; a refused answer is asked again."""
    dialog = _dialog(context)
    message = update.effective_message
    if dialog is None or message is None:
        return _end(context)
    step = Step.TITLE if not dialog.title else Step.REQUIREMENTS if not dialog.requirements else Step.BASIS
    name, limit = TEXT_FIELDS[step]
    value = (message.text or "").strip()
    if not value:
        await refuse(update, DomainError("answer_empty", field=_field_name(name)))
        return None
    if len(value) > limit:
        await refuse(update, DomainError("text_too_long", field=_field_name(name), length=len(value), limit=limit))
        return None
    setattr(dialog, name, value)
    return await _advance(update, context, dialog)


async def _pressed(update: Update, context: DubanContext, answer: bool = True) -> tuple[Dialog, str] | None:
    """The dialog and the value a button of it carries; None (answered) for a stale button."""
    query = update.callback_query
    assert query is not None
    parts = (query.data or "").split(":", 3)
    dialog = _dialog(context)
    if dialog is None or len(parts) != 4 or dialog.id != parts[1]:
        await query.answer(plain(render("issue/stale_button")), show_alert=True)
        return None
    if answer:
        await query.answer()
    return dialog, parts[3]


async def source_chosen(update: Update, context: DubanContext) -> int | None:
    """A source type; the special ones only for 政务监督室."""
    pressed = await _pressed(update, context, answer=False)
    if pressed is None:
        return None
    dialog, value = pressed
    try:
        source = SourceType(value)
    except ValueError:
        await refuse(update, DomainError("source_unknown", value=value, choices=[label("source", s.value) for s in dialog.sources()]))
        return None
    if source not in dialog.sources():
        await refuse(update, DomainError("special_source_needs_supervision_office", source=source.value))
        return None
    assert update.callback_query is not None
    await update.callback_query.answer()
    dialog.source = source
    return await _next_question(update, context, dialog)


async def _units_question(context: DubanContext, dialog: Dialog) -> tuple[str, list[list[tuple[str, str]]]]:
    units = await directory.units(context.office)
    pages = max(1, -(-len(units) // UNITS_PER_PAGE))
    dialog.page = min(max(dialog.page, 0), pages - 1)
    shown = units[dialog.page * UNITS_PER_PAGE:(dialog.page + 1) * UNITS_PER_PAGE]
    buttons = [
        (label("issue", "selected_unit").format(name=u.name) if u.id in dialog.unit_ids else u.name, dialog.data("u", u.id))
        for u in shown
    ]
    rows = [buttons[i:i + 2] for i in range(0, len(buttons), 2)]
    nav = []
    if dialog.page > 0:
        nav.append((label("buttons", "previous"), dialog.data("pg", dialog.page - 1)))
    if dialog.page < pages - 1:
        nav.append((label("buttons", "next"), dialog.data("pg", dialog.page + 1)))
    rows.append(nav)
    rows.append([(label("buttons", "done"), dialog.data("ud"))])
    chosen = [u.name for u in units if u.id in dialog.unit_ids]
    return render("issue/ask_units", chosen=chosen, page=dialog.page + 1, pages=pages), rows


async def _redraw_units(update: Update, context: DubanContext, dialog: Dialog) -> None:
    text, rows = await _units_question(context, dialog)
    assert update.callback_query is not None
    try:
        await update.callback_query.edit_message_text(text, reply_markup=_markup(rows))
    except BadRequest:  # "message is not modified": the same page pressed twice
        pass


async def unit_toggled(update: Update, context: DubanContext) -> int | None:
    """Choose or un-choose one 责任单位 (✓)."""
    pressed = await _pressed(update, context)
    if pressed is None:
        return None
    dialog, value = pressed
    unit = await directory.unit(context.office, int(value)) if value.isdigit() else None
    if unit is not None:
        if unit.id in dialog.unit_ids:
            dialog.unit_ids.remove(unit.id)
        else:
            dialog.unit_ids.append(unit.id)
    await _redraw_units(update, context, dialog)
    return None


async def units_paged(update: Update, context: DubanContext) -> int | None:
    """上一页 / 下一页 of the unit list."""
    pressed = await _pressed(update, context)
    if pressed is None:
        return None
    dialog, value = pressed
    dialog.page = int(value) if value.isdigit() else 0
    await _redraw_units(update, context, dialog)
    return None


async def units_done(update: Update, context: DubanContext) -> int | None:
    """选好了: at least one unit; then a 责任人 for each."""
    pressed = await _pressed(update, context, answer=False)
    if pressed is None:
        return None
    dialog, _ = pressed
    units = await directory.units(context.office)
    # The list's order, not the order of the taps, decides which slip gets which number.
    dialog.unit_ids = [u.id for u in units if u.id in dialog.unit_ids]
    if not dialog.unit_ids:
        await refuse(update, DomainError("units_none_selected"))
        return None
    assert update.callback_query is not None
    await update.callback_query.answer()
    dialog.units_done = True
    dialog.pending_units = list(dialog.unit_ids)
    dialog.responsible = {}
    return await _next_question(update, context, dialog)


async def responsible_chosen(update: Update, context: DubanContext) -> int | None:
    """The 责任人 of the unit being asked, or 跳过."""
    pressed = await _pressed(update, context)
    if pressed is None:
        return None
    dialog, value = pressed
    if not dialog.pending_units:
        return await _advance(update, context, dialog)
    unit_id = dialog.pending_units[0]
    members = await directory.unit_members(context.office, unit_id)
    person_id = int(value) if value.isdigit() else 0
    if person_id and any(m.id == person_id for m in members):
        dialog.responsible[unit_id] = person_id
    dialog.pending_units.pop(0)
    return await _next_question(update, context, dialog)


async def period_chosen(update: Update, context: DubanContext) -> int | None:
    """One of the 时限 buttons."""
    pressed = await _pressed(update, context)
    if pressed is None:
        return None
    dialog, value = pressed
    if not value.isdigit() or int(value) not in PERIOD_CHOICES:
        return None
    dialog.period_days = int(value)
    return await _next_question(update, context, dialog)


async def period_typed(update: Update, context: DubanContext) -> int | None:
    """A typed number of days or a date; a past date (or today) is refused and asked again."""
    dialog = _dialog(context)
    message = update.effective_message
    if dialog is None or message is None:
        return _end(context)
    try:
        dialog.period_days = issue_form.parse_time_limit(message.text or "", context.office.now().date())
    except DomainError as exc:
        await refuse(update, exc)
        return await _advance(update, context, dialog)
    return await _advance(update, context, dialog)


async def lead_chosen(update: Update, context: DubanContext) -> int | None:
    """The 牵头单位 among the chosen units, or none (each unit on its own)."""
    pressed = await _pressed(update, context)
    if pressed is None:
        return None
    dialog, value = pressed
    unit_id = int(value) if value.isdigit() else 0
    dialog.lead_id = unit_id if unit_id in dialog.unit_ids else None
    dialog.lead_done = True
    return await _next_question(update, context, dialog)


def _set_schedule(context: DubanContext, dialog: Dialog, text: str) -> None:
    """Read and check a 阶段汇报 schedule against the dialog's deadline.

    Raises:
        DomainError: the schedule is unreadable, or asks nothing before the deadline.
    """
    assert dialog.period_days is not None
    today = context.office.now().date()
    schedule = parse_schedule(text, today)
    deadline = context.office.deadline_after(today, dialog.period_days)
    check_schedule(schedule, today, deadline, context.office.calendar)
    dialog.schedule = schedule
    dialog.schedule_done = True


async def schedule_chosen(update: Update, context: DubanContext) -> int | None:
    """One of the 阶段汇报 buttons, or 不需要."""
    pressed = await _pressed(update, context, answer=False)
    if pressed is None:
        return None
    dialog, value = pressed
    assert update.callback_query is not None
    choice = int(value) if value.isdigit() else -1
    if not 0 <= choice <= len(SCHEDULE_CHOICES) or dialog.period_days is None:
        await update.callback_query.answer()
        return None
    if choice == 0:
        dialog.schedule, dialog.schedule_done = None, True
    else:
        try:
            _set_schedule(context, dialog, SCHEDULE_CHOICES[choice - 1])
        except DomainError as exc:
            await update.callback_query.answer()
            await refuse(update, exc)
            return None
    await update.callback_query.answer()
    return await _next_question(update, context, dialog)


async def schedule_typed(update: Update, context: DubanContext) -> int | None:
    """A typed schedule (每月10日前, 12月15日、1月15日 …); a bad one is explained and asked again."""
    dialog = _dialog(context)
    message = update.effective_message
    if dialog is None or message is None or dialog.period_days is None:
        return _end(context)
    try:
        _set_schedule(context, dialog, message.text or "")
    except DomainError as exc:
        await refuse(update, exc)
    return await _advance(update, context, dialog)


async def special_chosen(update: Update, context: DubanContext) -> int | None:
    """专项工作台账: 是 / 否."""
    pressed = await _pressed(update, context)
    if pressed is None:
        return None
    dialog, value = pressed
    dialog.special = value == "1"
    return await _next_question(update, context, dialog)


async def attachment_sent(update: Update, context: DubanContext) -> int | None:
    """The 工作任务分解台账 as a document."""
    dialog = _dialog(context)
    message = update.effective_message
    if dialog is None or message is None or message.document is None:
        return _end(context)
    document = message.document
    dialog.attachment = Attachment(
        kind="document", file_id=document.file_id, file_unique_id=document.file_unique_id,
        file_name=document.file_name, mime_type=document.mime_type, size=document.file_size,
    )
    dialog.attachment_done = True
    return await _advance(update, context, dialog)


async def attachment_skipped(update: Update, context: DubanContext) -> int | None:
    """No attachment."""
    pressed = await _pressed(update, context)
    if pressed is None:
        return None
    dialog, _ = pressed
    dialog.attachment = None
    dialog.attachment_done = True
    return await _next_question(update, context, dialog)


# --------------------------------------------------------------------------- preview and signing


@dataclass(frozen=True)
class _UnsignedNumber:
    """Stands in for the slip number in the preview: numbers are taken only when signing."""

    year: int

    def __str__(self) -> str:
        return render("issue/unsigned_number", year=self.year)


async def _preview(update: Update, context: DubanContext, dialog: Dialog) -> int:
    """The slip as the first unit will receive it, then what will be issued, with 确认签发
    (one message, or two when together they would pass Telegram's length limit)."""
    office = context.office
    person = await current_person(update, context)
    if person is None or not _may_issue(person):
        await refuse(update, DomainError("not_allowed"))
        return _end(context)
    section = await directory.section(context.office, person.section_id or 0)
    units = [u for u in [await directory.unit(context.office, i) for i in dialog.unit_ids] if u is not None]
    if section is None or not units or dialog.source is None or dialog.period_days is None:
        dialog.clear("units")
        return await _advance(update, context, dialog)
    today = office.now().date()
    deadline = office.deadline_after(today, dialog.period_days)
    first = units[0]
    responsible_names = {}
    for unit in units:
        if unit.id in dialog.responsible:
            chosen = await directory.person(context.office, dialog.responsible[unit.id])
            if chosen is not None:
                responsible_names[unit.id] = chosen.name
    task = Task(
        id=0, number=_UnsignedNumber(today.year),  # type: ignore[arg-type]
        title=dialog.title, requirements=dialog.requirements, basis=dialog.basis, source=dialog.source,
        unit_id=first.id, section_id=section.id, issued_by=person.id, issued_on=today,
        period_days=dialog.period_days, original_deadline=deadline, deadline=deadline,
        contact_name=person.name, contact_phone=person.phone, special_ledger=bool(dialog.special),
        unit_role=role_of(first.id, dialog.lead_id),
        report_schedule=dialog.schedule if reports_progress(role_of(first.id, dialog.lead_id)) else None,
    )
    attachment_name = (dialog.attachment.file_name or "") if dialog.attachment else ""
    lead_name = next((u.name for u in units if u.id == dialog.lead_id), "")
    slip = assignment_text(
        office.settings.organisation, task, first.name, section.name, responsible_names.get(first.id, ""), attachment_name,
        lead_name=lead_name, partner_names=[u.name for u in units if u.id != dialog.lead_id],
        report_dates=task_report_dates(task, office.calendar),
    )
    try:
        issuing.check_slip_length(slip)
    except DomainError as exc:  # it could not be delivered: shorten a field, or stop
        return await _edit_menu(update, dialog, explain(exc))
    summary = render(
        "issue/preview", first_unit=first.name, units=[u.name for u in units], source=label("source", dialog.source.value),
        period_days=dialog.period_days, deadline=deadline, special=bool(dialog.special),
        counted=issuing.counted_deadline(office, today, dialog.period_days),
        responsible=[f"{u.name} {responsible_names[u.id]}" for u in units if u.id in responsible_names],
        attachment=attachment_name, lead=lead_name, schedule=schedule_text(dialog.schedule) if dialog.schedule else "",
    )
    rows = [[(label("buttons", "confirm_issue"), dialog.data("ok"))],
            [(label("buttons", "edit"), dialog.data("ed")), (label("buttons", "cancel"), dialog.data("x"))]]
    if fits_in_message(f"{slip}\n\n{summary}"):
        await _send(update, f"{slip}\n\n{summary}", rows)  # one message: the clerk waits for one
    else:
        await _send(update, slip)
        await _send(update, summary, rows)
    return Step.PREVIEW


async def confirm(update: Update, context: DubanContext) -> int | None:
    """确认签发: one numbered 交办单 per unit, then the sender delivers them."""
    pressed = await _pressed(update, context, answer=False)
    if pressed is None:
        return None
    dialog, _ = pressed
    office = context.office
    person = await current_person(update, context)
    if person is None or not _may_issue(person) or dialog.source is None or dialog.period_days is None:
        await refuse(update, DomainError("not_allowed"))
        return _end(context)
    draft = AssignmentDraft(
        title=dialog.title, requirements=dialog.requirements, basis=dialog.basis, source=dialog.source,
        unit_ids=tuple(dialog.unit_ids), period_days=dialog.period_days, special_ledger=bool(dialog.special),
        responsible=dict(dialog.responsible), attachment=dialog.attachment,
        lead_unit_id=dialog.lead_id, report_schedule=dialog.schedule,
    )
    try:
        issued = await issuing.issue_assignment(office, draft, person, office.now())
    except DomainError as exc:
        await refuse(update, exc)
        return None
    assert update.callback_query is not None
    await update.callback_query.answer(plain(render("issue/signed_notice", count=len(issued))))
    await _settle(update, context)
    return _end(context)


async def edit(update: Update, context: DubanContext) -> int | None:
    """修改: choose the one field to answer again; the rest is kept."""
    pressed = await _pressed(update, context)
    if pressed is None:
        return None
    dialog, _ = pressed
    await _settle(update, context)
    return await _edit_menu(update, dialog)


async def _edit_menu(update: Update, dialog: Dialog, reason: str = "") -> int:
    """The fields that can be answered again, as buttons; after ``reason`` when there is one."""
    names = [n for n in EDITABLE if not (n == "special" and dialog.source is not None and dialog.source.is_special)]
    buttons = [(_field_name(n), dialog.data("ef", n)) for n in names]
    rows = [buttons[i:i + 4] for i in range(0, len(buttons), 4)]
    question = render("issue/edit_which")
    await _send(update, f"{reason}\n\n{question}" if reason else question, rows)
    return Step.EDIT


async def edit_field(update: Update, context: DubanContext) -> int | None:
    """The field to answer again."""
    pressed = await _pressed(update, context)
    if pressed is None:
        return None
    dialog, value = pressed
    if value not in EDITABLE:
        return None
    dialog.clear(value)
    return await _next_question(update, context, dialog)


async def cancel_button(update: Update, context: DubanContext) -> int | None:
    """取消 on the preview."""
    pressed = await _pressed(update, context)
    if pressed is None:
        return None
    await _settle(update, context)
    await reply(update, "issue/cancelled")
    return _end(context)


async def cancel(update: Update, context: DubanContext) -> int:
    """/cancel at any step: nothing is issued."""
    await reply(update, "issue/cancelled")
    return _end(context)


async def stray(update: Update, context: DubanContext) -> None:
    """Something the current question does not take: say what it does take."""
    dialog = _dialog(context)
    if dialog is None:
        return
    await reply(update, "issue/use_buttons", buttons=dialog.title != "" and dialog.requirements != "" and dialog.basis != "")


async def stale_button(update: Update, context: DubanContext) -> None:
    """A button of an ended dialog, or of a step already passed: a notice, nothing changes."""
    assert update.callback_query is not None
    await update.callback_query.answer(plain(render("issue/stale_button")), show_alert=True)


async def timed_out(update: Update, context: DubanContext) -> None:
    """The dialog was left idle for ``IDLE_TIMEOUT``: end it with a message."""
    _end(context)
    chat = update.effective_chat if isinstance(update, Update) else None
    if chat is not None:
        minutes = max(1, round(IDLE_TIMEOUT.total_seconds() / 60))
        await context.bot.send_message(chat.id, render("issue/timed_out", minutes=minutes))


# --------------------------------------------------------------------------- one message


async def _issue_form(update: Update, context: DubanContext, person: Person, text: str) -> None:
    """The one-message form: issue it, or name the lines to fix and issue nothing."""
    try:
        problems = await form_issuing.issue_from_form(context.office, text, person)
    except DomainError as exc:
        await refuse(update, exc)
        return
    if problems:
        await _refuse_form(update, problems)


async def _refuse_form(update: Update, problems: list[FormProblem]) -> None:
    shown = [
        {"line": p.line, "text": p.text, "reason": Markup(explain(p.error()))}
        for p in problems
    ]
    await reply(update, "issue/form_refused", problems=shown)


# --------------------------------------------------------------------------- registration


def _callback(action: str, callback: Callback) -> CallbackQueryHandler[DubanContext, object]:
    return step_button(PREFIX, r"[\w-]+", action, callback)


def build_conversation() -> ConversationHandler[DubanContext]:
    """The /new dialog; its idle timeout is ``IDLE_TIMEOUT`` as it is when this is called."""
    private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
    typed = private & filters.TEXT & ~filters.COMMAND
    states: dict[object, list[BaseHandler[Any, Any, Any]]] = {
        Step.TITLE: [MessageHandler(typed, final(text_answer))],
        Step.REQUIREMENTS: [MessageHandler(typed, final(text_answer))],
        Step.BASIS: [MessageHandler(typed, final(text_answer))],
        Step.SOURCE: [_callback("s", source_chosen)],
        Step.UNITS: [_callback("u", unit_toggled), _callback("pg", units_paged), _callback("ud", units_done)],
        Step.RESPONSIBLE: [_callback("r", responsible_chosen)],
        Step.PERIOD: [_callback("p", period_chosen), MessageHandler(typed, final(period_typed))],
        Step.SPECIAL: [_callback("sp", special_chosen)],
        Step.LEAD: [_callback("ld", lead_chosen)],
        Step.SCHEDULE: [_callback("rs", schedule_chosen), MessageHandler(typed, final(schedule_typed))],
        Step.ATTACHMENT: [_callback("a", attachment_skipped), MessageHandler(private & filters.Document.ALL, final(attachment_sent))],
        Step.PREVIEW: [_callback("ok", confirm), _callback("ed", edit), _callback("x", cancel_button)],
        Step.EDIT: [_callback("ef", edit_field)],
        ConversationHandler.TIMEOUT: [TypeHandler(Update, timed_out)],
    }
    with warnings.catch_warnings():
        # PTB warns that with per_message=False a CallbackQueryHandler is tracked per user, not
        # per message: that is what we want, and the dialog id in each button tells dialogs apart.
        warnings.filterwarnings("ignore", category=PTBUserWarning, message=".*per_message.*")
        return ConversationHandler(
            entry_points=[CommandHandler("new", final(new), filters=filters.ChatType.PRIVATE)],
            states=states,
            fallbacks=[
                CommandHandler("cancel", final(cancel), filters=filters.ChatType.PRIVATE),
                MessageHandler(private & ~filters.COMMAND, final(stray)),
            ],
            per_user=True,
            per_chat=True,
            allow_reentry=True,
            conversation_timeout=IDLE_TIMEOUT.total_seconds(),
            name="issue",
        )


COMMANDS = ("new",)
"""The commands this module adds to the menu."""


def register(application: DubanApplication) -> None:
    """Add /new (dialog and one-message form) and the answer to stale dialog buttons."""
    application.add_handler(build_conversation())
    application.add_handler(CallbackQueryHandler(final(stale_button), pattern=rf"^{PREFIX}:"))
