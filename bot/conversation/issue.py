"""/new: issuing a 工作交办单, by a guided dialog or in one message (SPEC sections 3 and 8).

The dialog asks 事项, 要求, 根据, the source type, the 责任单位 (several may be chosen), a 责任人
per unit, the 时限, 专项台账 and an optional 工作任务分解台账, then shows the slip exactly as the
first unit will receive it (``issuing.preview_assignment``). 确认签发 issues one numbered 交办单
per unit through ``issuing.issue_assignment``.

The dialog is one of the dialogs of ``bot.conversation.kit``: its draft keeps
the step it is at, a typed answer is taken only at a step that waits for one, and every button
carries the dialog's id, so a button of a cancelled, lapsed or replaced dialog, or of a step
already passed, is answered with the kit's notice and changes nothing. /cancel and 取消 are the
kit's.

``/new`` followed by lines (``事项：… / 单位：… / 期限：7天``) is the same dialog with every
answer given: it shows the same preview with 确认签发 · 修改 · 取消, or names the lines to fix.
Nothing is numbered before 确认签发.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import IntEnum
from typing import ClassVar

from markupsafe import Markup

from bot import actions
from bot.actions import Action, DialogChoice, DialogStep, Offer
from bot.conversation import kit, routes
from bot.conversation.answer import Answer, buttons, paged, reply, turn_row
from bot.conversation.asking import bound_person, refuse
from bot.conversation.said import Received, Said
from bot.domain.errors import DomainError
from bot.domain.feedback import Attachment
from bot.domain.org import Person
from bot.domain.reporting import ReportSchedule
from bot.domain.tasks import SourceType
from bot.message_size import fits_in_message
from bot.readers import issue_form
from bot.readers.issue_form import FormProblem
from bot.services import directory, form_issuing, issuing
from bot.services.context import Office
from bot.services.issuing import MAX_TEXT, MAX_TITLE, AssignmentDraft
from bot.texts import explain, label, period_words, plain, render

UNITS_PER_PAGE = 8
PERIOD_CHOICES = (3, 5, 7, 15, 30)
DIALOG_KEY = kit.NEW



class Step(IntEnum):
    """The question the dialog waits for an answer to."""

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


TYPED = (Step.TITLE, Step.REQUIREMENTS, Step.BASIS, Step.UNITS, Step.PERIOD, Step.SCHEDULE)
"""The steps that take a typed answer (the others take a button, or the attachment a file)."""
EDITABLE = ("title", "requirements", "basis", "source", "units", "period", "schedule", "special", "attachment")
SCHEDULE_CHOICES = tuple(label("issue", "schedule_choices").split("、"))
"""The 阶段汇报 schedules offered as buttons; any other is typed."""
TEXT_FIELDS = {Step.TITLE: ("title", MAX_TITLE), Step.REQUIREMENTS: ("requirements", MAX_TEXT), Step.BASIS: ("basis", MAX_TEXT)}


@dataclass
class Dialog:
    """One clerk's 交办单 in the making, kept in the person's dialog store between messages (pickled into the
    database on PostgreSQL, so the next answer may reach another instance)."""

    supervisor: bool
    """政务监督室 may choose the three special sources."""
    started: datetime
    """When the question now open was asked: the dialog lapses an hour after (``kit``)."""
    step: Step = Step.TITLE
    id: str = field(default_factory=kit.new_id)
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

    command: ClassVar[str] = "new"
    """What starts it again once it has lapsed."""

    def offer(self, action: Action[DialogStep], value: object = "") -> Offer:
        """A button of this dialog (``action`` one of the /new actions of ``bot.actions``)."""
        return action(dialog_id=self.id, value=str(value))

    def answer(self, step: str, value: object = "") -> Offer:
        """A button that answers the question ``step`` (one of ``CHOICES``)."""
        return actions.NEW_ANSWER(dialog_id=self.id, step=step, value=str(value))

    def sources(self) -> tuple[SourceType, ...]:
        """The source types this issuer may choose (section 一 of the notice)."""
        return issuing.sources_for(self.supervisor)

    @classmethod
    def answered(cls, draft: AssignmentDraft, supervisor: bool, started: datetime) -> Dialog:
        """The dialog with every question answered by the one-message form: at its preview."""
        return cls(
            supervisor=supervisor, started=started, title=draft.title, requirements=draft.requirements,
            basis=draft.basis, source=draft.source, unit_ids=list(draft.unit_ids), units_done=True,
            responsible=dict(draft.responsible), period_days=draft.period_days, special=draft.special_ledger,
            attachment_done=True, lead_id=draft.lead_unit_id, lead_done=True, schedule=draft.report_schedule,
            schedule_done=True,
        )

    def assignment(self) -> AssignmentDraft | None:
        """What is to be signed, once the source and the 时限 are answered."""
        if self.source is None or self.period_days is None:
            return None
        return AssignmentDraft(
            title=self.title, requirements=self.requirements, basis=self.basis, source=self.source,
            unit_ids=tuple(self.unit_ids), period_days=self.period_days, special_ledger=bool(self.special),
            responsible=dict(self.responsible), attachment=self.attachment,
            lead_unit_id=self.lead_id, report_schedule=self.schedule,
        )

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


Rows = list[list[tuple[str, Offer]]]


def _dialog(said: Said) -> Dialog:
    """The open dialog (the route was chosen because there is one)."""
    found = kit.draft(said, DIALOG_KEY)
    assert isinstance(found, Dialog)
    return found


def _field_name(name: str) -> str:
    return label("issue", f"field_{name}")


async def _ask(said: Said, answer: Answer, dialog: Dialog, step: Step, html: str, rows: Rows | None = None) -> None:
    """Put the question of ``step``: the question before it loses its buttons (``kit.ask_html``)."""
    dialog.step, dialog.started = step, said.office.now()
    await kit.ask_html(said, answer, html, buttons(*rows) if rows else ())


async def _pressed(said: Said, answer: Answer, button: DialogStep | DialogChoice, *steps: Step) -> Dialog | None:
    """The dialog a button of it was pressed in, at one of ``steps``; None (the presser told)
    for a button of another dialog or of a step already passed."""
    found = await kit.pressed(said, answer, DIALOG_KEY, button.dialog_id, lambda d: isinstance(d, Dialog) and d.step in steps)
    return found if isinstance(found, Dialog) else None


async def _next_question(said: Said, answer: Answer, dialog: Dialog) -> None:
    """After a button answer: the next question first (it is what the person waits for), then
    the answered question shows the choice and loses its buttons."""
    kit.answered_by_button(said)
    await _advance(said, answer, dialog)
    await kit.echo_choice(said, answer)


# --------------------------------------------------------------------------- entry


async def new(said: Said, answer: Answer) -> None:
    """/new alone starts the dialog; /new with lines issues the one-message form."""
    person = await bound_person(said, answer)
    if person is None:
        return
    if not issuing.may_issue(person):
        await refuse(said, answer, DomainError("not_allowed"))
        return
    if issue_form.after_command(said.text):
        kit.close_all(said, answer)
        await _issue_form(said, answer, person, said.text)
        return
    dialog = Dialog(supervisor=issuing.may_issue_special(person), started=said.office.now())
    kit.open_dialog(said, answer, DIALOG_KEY, dialog)
    await _advance(said, answer, dialog)


async def _advance(said: Said, answer: Answer, dialog: Dialog) -> None:
    """Ask the first question not yet answered; the preview once all are."""
    question = await _unanswered(said.office, dialog)
    if question is None:
        await _preview(said, answer, dialog)
    else:
        await _ask(said, answer, dialog, *question)


Question = tuple[Step, str, Rows | None]
"""A question of the dialog: its step, its text, its buttons."""


async def _unanswered(office: Office, dialog: Dialog) -> Question | None:
    """The first question not yet answered; None once all are."""
    if not dialog.title:
        return Step.TITLE, render("issue/ask_title", limit=MAX_TITLE), None
    if not dialog.requirements:
        return Step.REQUIREMENTS, render("issue/ask_requirements", limit=MAX_TEXT), None
    if not dialog.basis:
        return Step.BASIS, render("issue/ask_basis", limit=MAX_TEXT), None
    if dialog.source is None:
        rows = [[(label("source", s.value), dialog.answer("s", s.value))] for s in dialog.sources()]
        return Step.SOURCE, render("issue/ask_source", special=dialog.supervisor), rows
    if not dialog.units_done:
        text, rows = await _units_question(office, dialog)
        return Step.UNITS, text, rows
    while dialog.pending_units:
        unit = await directory.unit(office, dialog.pending_units[0])
        members = await directory.unit_members(office, dialog.pending_units[0])
        if unit is not None and members:
            rows = [[(m.name, dialog.answer("r", m.id))] for m in members]
            rows.append([(label("buttons", "skip"), dialog.answer("r", 0))])
            return Step.RESPONSIBLE, render("issue/ask_responsible", unit=unit.name), rows
        dialog.pending_units.pop(0)
    if not dialog.lead_done:
        if len(dialog.unit_ids) < 2:
            dialog.lead_done = True
        else:
            units = await directory.units_of(office, dialog.unit_ids)
            rows = [[(label("issue", "lead_unit").format(name=u.name), dialog.answer("ld", u.id))] for u in units]
            rows.append([(label("issue", "no_lead"), dialog.answer("ld", 0))])
            return Step.LEAD, render("issue/ask_lead", count=len(units)), rows
    if dialog.period_days is None:
        rows = [[(period_words(n, office.counts_working_days), dialog.answer("p", n)) for n in PERIOD_CHOICES]]
        return Step.PERIOD, render("issue/ask_period", working_days=office.counts_working_days), rows
    if not dialog.schedule_done and (form_issuing.asks_for_schedule(office, dialog.period_days) or dialog.schedule_wanted):
        rows = [[(text, dialog.answer("rs", i + 1)) for i, text in enumerate(SCHEDULE_CHOICES)],
                [(label("issue", "no_schedule"), dialog.answer("rs", 0))]]
        deadline = office.deadline_after(office.now().date(), dialog.period_days)
        return Step.SCHEDULE, render("issue/ask_schedule", deadline=deadline), rows
    if dialog.special is None:
        dialog.special = issuing.in_special_ledger(dialog.source, None)  # 专项交办: not asked
        if dialog.special is None:
            rows = [[(label("buttons", "yes"), dialog.answer("sp", 1)), (label("buttons", "no"), dialog.answer("sp", 0))]]
            return Step.SPECIAL, render("issue/ask_special"), rows
    if not dialog.attachment_done:
        rows = [[(label("buttons", "skip"), dialog.answer("a"))]]
        return Step.ATTACHMENT, render("issue/ask_attachment"), rows
    return None


# --------------------------------------------------------------------------- answers


async def typed(said: Said, answer: Answer) -> None:
    """A typed answer, to the step that takes one."""
    dialog = _dialog(said)
    if dialog.step is Step.PERIOD:
        await period_typed(said, answer, dialog)
    elif dialog.step is Step.SCHEDULE:
        await schedule_typed(said, answer, dialog)
    elif dialog.step is Step.UNITS:
        await units_typed(said, answer, dialog)
    else:
        await text_answer(said, answer, dialog)


async def text_answer(said: Said, answer: Answer, dialog: Dialog) -> None:
    """事项, 要求 or 根据, length-checked; a refused answer is asked again."""
    name, limit = TEXT_FIELDS[dialog.step]
    value = said.text.strip()
    if not value:
        await refuse(said, answer, DomainError("answer_empty", field=_field_name(name)))
        return
    if len(value) > limit:
        await refuse(said, answer, DomainError("text_too_long", field=_field_name(name), length=len(value), limit=limit))
        return
    setattr(dialog, name, value)
    await _advance(said, answer, dialog)


async def _choose_source(office: Office, dialog: Dialog, value: str) -> None:
    """A source type; the special ones only for 政务监督室."""
    try:
        source = SourceType(value)
    except ValueError:
        raise DomainError("source_unknown", value=value, choices=[label("source", s.value) for s in dialog.sources()]) from None
    if source not in dialog.sources():
        raise DomainError("special_source_needs_supervision_office", source=source.value)
    dialog.source = source


async def _units_question(office: Office, dialog: Dialog) -> tuple[str, Rows]:
    units = await directory.units(office)
    shown, dialog.page, pages = paged(units, dialog.page, UNITS_PER_PAGE)
    offered = [
        (label("issue", "selected_unit").format(name=u.name) if u.id in dialog.unit_ids else u.name, dialog.offer(actions.NEW_UNIT, u.id))
        for u in shown
    ]
    rows = [offered[i:i + 2] for i in range(0, len(offered), 2)]
    rows.append(turn_row(dialog.page, dialog.page < pages - 1, lambda n: dialog.offer(actions.NEW_UNITS_PAGE, n)))
    rows.append([(label("buttons", "done"), dialog.answer("ud"))])
    chosen = [u.name for u in units if u.id in dialog.unit_ids]
    return render("issue/ask_units", chosen=chosen, page=dialog.page + 1, pages=pages), rows


async def _redraw_units(said: Said, answer: Answer, dialog: Dialog) -> None:
    text, rows = await _units_question(said.office, dialog)
    dialog.started = said.office.now()
    await answer.redraw(text, buttons(*rows))


async def unit_toggled(said: Said, answer: Answer, button: DialogStep) -> None:
    """Choose or un-choose one 责任单位 (✓)."""
    dialog = await _pressed(said, answer, button, Step.UNITS)
    if dialog is None:
        return
    await answer.toast()
    value = button.value
    unit = await directory.unit(said.office, int(value)) if value.isdigit() else None
    if unit is not None:
        if unit.id in dialog.unit_ids:
            dialog.unit_ids.remove(unit.id)
        else:
            dialog.unit_ids.append(unit.id)
    await _redraw_units(said, answer, dialog)


async def units_typed(said: Said, answer: Answer, dialog: Dialog) -> None:
    """Units typed by name or alias (「交通局」), added to those chosen; the question is asked again."""
    for unit in await directory.units_named(said.office, said.text):
        if unit.id not in dialog.unit_ids:
            dialog.unit_ids.append(unit.id)
    await _advance(said, answer, dialog)


async def units_paged(said: Said, answer: Answer, button: DialogStep) -> None:
    """上一页 / 下一页 of the unit list."""
    dialog = await _pressed(said, answer, button, Step.UNITS)
    if dialog is None:
        return
    await answer.toast()
    dialog.page = int(button.value) if button.value.isdigit() else 0
    await _redraw_units(said, answer, dialog)


async def _units_chosen(office: Office, dialog: Dialog, value: str) -> None:
    """选好了: at least one unit; then a 责任人 for each."""
    units = await directory.units(office)
    # The list's order, not the order of the taps, decides which slip gets which number.
    dialog.unit_ids = [u.id for u in units if u.id in dialog.unit_ids]
    if not dialog.unit_ids:
        raise DomainError("units_none_selected")
    dialog.units_done = True
    dialog.pending_units = list(dialog.unit_ids)
    dialog.responsible = {}


async def _choose_responsible(office: Office, dialog: Dialog, value: str) -> None:
    """The 责任人 of the unit being asked, or 跳过 (0)."""
    if dialog.pending_units:
        unit_id = dialog.pending_units.pop(0)
        members = await directory.unit_members(office, unit_id)
        person_id = int(value) if value.isdigit() else 0
        if person_id and any(m.id == person_id for m in members):
            dialog.responsible[unit_id] = person_id


async def _choose_period(office: Office, dialog: Dialog, value: str) -> None:
    """One of the 时限 buttons."""
    if not value.isdigit() or int(value) not in PERIOD_CHOICES:
        raise DomainError("deadline_days_invalid", days=value)
    dialog.period_days = int(value)


async def period_typed(said: Said, answer: Answer, dialog: Dialog) -> None:
    """A typed number of days or a date; a past date (or today) is refused and asked again."""
    try:
        dialog.period_days = form_issuing.time_limit(said.office, said.text)
    except DomainError as exc:
        await refuse(said, answer, exc)
    await _advance(said, answer, dialog)


async def _choose_lead(office: Office, dialog: Dialog, value: str) -> None:
    """The 牵头单位 among the chosen units, or none (0: each unit on its own)."""
    unit_id = int(value) if value.isdigit() else 0
    dialog.lead_id = unit_id if unit_id in dialog.unit_ids else None
    dialog.lead_done = True


def _set_schedule(office: Office, dialog: Dialog, text: str) -> None:
    """Read and check a 阶段汇报 schedule against the dialog's deadline.

    Raises:
        DomainError: the schedule is unreadable, or asks nothing before the deadline.
    """
    assert dialog.period_days is not None
    dialog.schedule = form_issuing.report_schedule(office, text, dialog.period_days)
    dialog.schedule_done = True


async def _choose_schedule(office: Office, dialog: Dialog, value: str) -> None:
    """One of the 阶段汇报 buttons, or 不需要 (0)."""
    choice = int(value) if value.isdigit() else -1
    if choice == 0:
        dialog.schedule, dialog.schedule_done = None, True
    elif 0 < choice <= len(SCHEDULE_CHOICES):
        _set_schedule(office, dialog, SCHEDULE_CHOICES[choice - 1])


async def schedule_typed(said: Said, answer: Answer, dialog: Dialog) -> None:
    """A typed schedule (每月10日前, 12月15日、1月15日 …); a bad one is explained and asked again."""
    try:
        _set_schedule(said.office, dialog, said.text)
    except DomainError as exc:
        await refuse(said, answer, exc)
    await _advance(said, answer, dialog)


async def _choose_special(office: Office, dialog: Dialog, value: str) -> None:
    """专项工作台账: 是 (1) / 否."""
    dialog.special = value == "1"


def _attachment(received: Received, channel: str) -> Attachment:
    """The 工作任务分解台账 as the slip keeps it: the channel's reference to the file and what
    is known of it."""
    return Attachment(
        kind=received.kind, file_id=received.reference, file_unique_id=received.unique,
        file_name=received.name or None, mime_type=received.mime, size=received.size, channel=channel,
    )


async def attachment_sent(said: Said, answer: Answer) -> None:
    """The 工作任务分解台账 as a document."""
    dialog = _dialog(said)
    document = next(f for f in said.files if f.kind == "document")  # the route takes a document
    dialog.attachment = _attachment(document, said.account.channel)
    dialog.attachment_done = True
    await _advance(said, answer, dialog)


async def _skip_attachment(office: Office, dialog: Dialog, value: str) -> None:
    """No attachment."""
    dialog.attachment = None
    dialog.attachment_done = True


# --------------------------------------------------------------------------- preview and signing


async def _signing(said: Said, answer: Answer, dialog: Dialog) -> tuple[Person, AssignmentDraft] | None:
    """Who signs and what, checked again at the preview and at 确认签发 (the person's role may
    have changed since /new); None, the dialog over and the person told, when they may not."""
    person = await said.person()
    draft = dialog.assignment()
    if person is None or not issuing.may_issue(person) or draft is None:
        await refuse(said, answer, DomainError("not_allowed"))
        kit.close_all(said, answer)
        return None
    return person, draft


async def _preview(said: Said, answer: Answer, dialog: Dialog) -> None:
    """The slip as the first unit will receive it, then what will be issued, with 确认签发
    (one message, or two when together they would pass the channel's length limit)."""
    signing = await _signing(said, answer, dialog)
    if signing is None:
        return
    person, draft = signing
    office = said.office
    try:
        preview = await issuing.preview_assignment(office, draft, person, office.now().date())
    except DomainError as exc:  # it could not be delivered: shorten a field, or stop
        await _edit_menu(said, answer, dialog, explain(exc))
        return
    if preview is None:  # the units chosen are gone: choose again
        dialog.clear("units")
        await _advance(said, answer, dialog)
        return
    assert dialog.source is not None
    summary = render(
        "issue/preview", first_unit=preview.first_unit, units=list(preview.units), source=label("source", dialog.source.value),
        period_days=draft.period_days, deadline=preview.deadline, special=bool(dialog.special), counted=preview.counted,
        responsible=list(preview.responsible), attachment=preview.attachment, lead=preview.lead, schedule=preview.schedule,
        working_days=preview.working_days,
    )
    rows = [[(label("buttons", "confirm_issue"), dialog.offer(actions.NEW_CONFIRM))],
            [(label("buttons", "edit"), dialog.offer(actions.NEW_EDIT)), kit.cancel_button(dialog.id)]]
    if fits_in_message(f"{preview.slip}\n\n{summary}"):
        await _ask(said, answer, dialog, Step.PREVIEW, f"{preview.slip}\n\n{summary}", rows)  # one message: the clerk waits for one
    else:
        await answer.say(preview.slip)
        await _ask(said, answer, dialog, Step.PREVIEW, summary, rows)


async def confirm(said: Said, answer: Answer, button: DialogStep) -> None:
    """确认签发: one numbered 交办单 per unit, then the sender delivers them."""
    dialog = await _pressed(said, answer, button, Step.PREVIEW)
    if dialog is None:
        return
    signing = await _signing(said, answer, dialog)
    if signing is None:
        return
    person, draft = signing
    office = said.office
    try:
        issued = await issuing.issue_assignment(office, draft, person, office.now())
    except DomainError as exc:
        await refuse(said, answer, exc)
        return
    await answer.toast(plain(render("issue/signed_notice", count=len(issued))))
    kit.answered_by_button(said)
    kit.close_all(said, answer)
    await kit.echo_choice(said, answer)


async def edit(said: Said, answer: Answer, button: DialogStep) -> None:
    """修改: choose the one field to answer again; the rest is kept."""
    dialog = await _pressed(said, answer, button, Step.PREVIEW)
    if dialog is None:
        return
    await answer.toast()
    kit.answered_by_button(said)
    await _edit_menu(said, answer, dialog)
    await kit.echo_choice(said, answer)


async def _edit_menu(said: Said, answer: Answer, dialog: Dialog, reason: str = "") -> None:
    """The fields that can be answered again, as buttons; after ``reason`` when there is one."""
    fixed = dialog.source is not None and issuing.in_special_ledger(dialog.source, None) is not None
    names = [n for n in EDITABLE if not (n == "special" and fixed)]
    offered = [(_field_name(n), dialog.answer("ef", n)) for n in names]
    rows = [offered[i:i + 4] for i in range(0, len(offered), 4)]
    question = render("issue/edit_which")
    await _ask(said, answer, dialog, Step.EDIT, f"{reason}\n\n{question}" if reason else question, rows)


async def _edit_field(office: Office, dialog: Dialog, value: str) -> None:
    """The field to answer again (修改); the rest is kept."""
    if value in EDITABLE:
        dialog.clear(value)


Choice = Callable[[Office, Dialog, str], Awaitable[None]]

CHOICES: dict[str, tuple[Step, Choice]] = {
    "s": (Step.SOURCE, _choose_source),
    "ud": (Step.UNITS, _units_chosen),
    "r": (Step.RESPONSIBLE, _choose_responsible),
    "ld": (Step.LEAD, _choose_lead),
    "p": (Step.PERIOD, _choose_period),
    "rs": (Step.SCHEDULE, _choose_schedule),
    "sp": (Step.SPECIAL, _choose_special),
    "a": (Step.ATTACHMENT, _skip_attachment),
    "ef": (Step.EDIT, _edit_field),
}
"""The buttons that answer a question (``actions.NEW_ANSWER``), by their ``step``: the step each
is taken at, and what it changes in the draft (a DomainError refuses it, and the question stands)."""


async def chosen(said: Said, answer: Answer, button: DialogChoice) -> None:
    """A button that answers the question: the draft changed, then the next question."""
    step, choose = CHOICES[button.step]
    dialog = await _pressed(said, answer, button, step)
    if dialog is None:
        return
    try:
        await choose(said.office, dialog, button.value)
    except DomainError as exc:
        await refuse(said, answer, exc)
        return
    await answer.toast()
    await _next_question(said, answer, dialog)


async def stray(said: Said, answer: Answer) -> None:
    """Something the current question does not take: say what it does take."""
    dialog = _dialog(said)
    await answer.say(render("issue/use_buttons", buttons=dialog.step not in TYPED))


# --------------------------------------------------------------------------- one message


async def _issue_form(said: Said, answer: Answer, person: Person, text: str) -> None:
    """The one-message form: the preview with 确认签发 (the dialog at its last step), or the
    lines to fix."""
    draft, problems = await form_issuing.checked_form(said.office, text, person)
    if problems or draft is None:
        await _refuse_form(answer, problems)
        return
    dialog = Dialog.answered(draft, issuing.may_issue_special(person), said.office.now())
    kit.open_dialog(said, answer, DIALOG_KEY, dialog)
    await _advance(said, answer, dialog)


async def _refuse_form(answer: Answer, problems: list[FormProblem]) -> None:
    shown = [
        {"line": p.line, "text": p.text, "reason": Markup(explain(p.error()))}
        for p in problems
    ]
    await reply(answer, "issue/form_refused", problems=shown)


# --------------------------------------------------------------------------- routes


COMMANDS = ("new",)
"""The commands this module adds to the menu."""

ROUTES: tuple[routes.Route, ...] = (
    routes.Command("new", new),
    routes.InDialog(DIALOG_KEY, typed, routes.WORDS, fits=lambda dialog: dialog.step in TYPED),
    routes.InDialog(DIALOG_KEY, attachment_sent, routes.DOCUMENT, fits=lambda dialog: dialog.step is Step.ATTACHMENT),
    routes.InDialog(DIALOG_KEY, stray, routes.ANYTHING),
    # each takes its button only at its step
    routes.Pressed(actions.NEW_UNIT, unit_toggled),
    routes.Pressed(actions.NEW_UNITS_PAGE, units_paged),
    routes.Pressed(actions.NEW_CONFIRM, confirm),
    routes.Pressed(actions.NEW_EDIT, edit),
    routes.Pressed(actions.NEW_ANSWER, chosen),
    routes.Pressed(actions.NEW_OTHER, kit.stale_button),
)
"""/new (dialog and one-message form), its answers and buttons."""
