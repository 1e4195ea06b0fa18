"""/meeting, /material, /praise, /criticize, /void and /scores: the 百分制 in chat.

Each recording command works two ways: a one-line form (``/praise 住建局、交通运输局 在防汛工作中
表现突出``, ``/meeting 全市防汛工作会议 2026-11-20 住建局 迟到，交通运输局 缺席``) or, sent bare, a
guided dialog with unit buttons. Buttons carry the dialog's id; the person is checked again on
every step.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import IntEnum
from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import CommandHandler, MessageHandler, filters

from bot import actions
from bot.actions import Action, DialogStep, Offer, PeriodPage
from bot.domain.errors import DomainError
from bot.domain.org import Person, Unit
from bot.domain.scores import ScoreCategory
from bot.conversation import buttons, dialogs
from bot.conversation.common import bound_person, command_text, refuse, reply
from bot.channels.telegram.context import DubanApplication, DubanContext
from bot.services import directory, queries, scoring
from bot.services.scoring import MEETING, Entry, Period, format_points
from bot.texts import label, plain, render

DIALOG_KEY = dialogs.SCORES
UNITS_PER_PAGE = 24
TABLE_PAGE = 40
"""Units per page of the /scores table: 40 short lines stay far below Telegram's 4096."""
EVENTS_SHOWN = 40

CATEGORY_OF = {
    "material": ScoreCategory.MATERIAL_LATE,
    "praise": ScoreCategory.PRAISE,
    "criticize": ScoreCategory.CRITICISM,
}
MARK_CYCLE: tuple[ScoreCategory | None, ...] = (None, *MEETING)
"""Each tap on a unit in /meeting moves it on: 迟到 → 早退 → 替会 → 缺席 → none."""


class Step(IntEnum):
    """Where the recording dialog is."""

    MEETING = 1
    PICK = 2
    NOTE = 3


@dataclass
class Dialog:
    """One recording dialog, kept in ``user_data``: ``id`` tells its buttons from an older
    dialog's, ``step`` which typed answer it waits for (none while the units are picked)."""

    command: str
    started: datetime
    step: Step
    id: str = field(default_factory=lambda: secrets.token_hex(3))
    marks: dict[int, ScoreCategory] = field(default_factory=dict)
    page: int = 0
    meeting: str = ""
    day: date | None = None

    def offer(self, action: Action[DialogStep], value: object = "") -> Offer:
        """One of this dialog's buttons (``SCORE_UNIT``, ``SCORE_PAGE`` or ``SCORE_DONE``)."""
        return action(dialog_id=self.id, value=str(value))




def _say(template: str, **ctx: Any) -> str:
    return render(template, pts=format_points, label=label, **ctx)


# --------------------------------------------------------------------------- one line


async def _record_line(update: Update, context: DubanContext, person: Person, command: str, text: str) -> None:
    office = context.office
    units = await directory.units(office)
    now = office.now()
    if command == "meeting":
        entries, note, day = _meeting_line(text, units)
    else:
        chosen, note = scoring.take_units(text, units)
        entries, day = [Entry(u.id, CATEGORY_OF[command]) for u in chosen], now.date()
        if not entries:
            raise DomainError("score_no_units")
    events = await scoring.record(office, person, entries, note, day, now)
    assert update.effective_message is not None
    names = {u.id: u.name for u in units}
    await update.effective_message.reply_text(_say("scores/recorded", events=events, names=names, note=" ".join(note.split()), day=day))


_ITEM_SPLIT = re.compile(r"[,，;；\n]+")


def _meeting_line(text: str, units: list[Unit]) -> tuple[list[Entry], str, date]:
    """``会议名称 日期 单位 情形，单位 情形``: the entries, the meeting's name, its date."""
    found = scoring.find_date(text)
    if found is None:
        raise DomainError("meeting_form_invalid")
    day, name, rest = found
    marks = {label("meeting_mark", c.value): c for c in MEETING}
    entries: list[Entry] = []
    for item in filter(str.strip, _ITEM_SPLIT.split(rest)):
        chosen, mark = scoring.take_units(item, units)
        if not chosen or mark not in marks:
            raise DomainError("meeting_form_invalid")
        entries += [Entry(u.id, marks[mark]) for u in chosen]
    if not name or not entries:
        raise DomainError("meeting_form_invalid")
    return entries, name, day


# --------------------------------------------------------------------------- the dialog


async def start_recording(update: Update, context: DubanContext) -> None:
    """/meeting, /material, /praise, /criticize: the one-line form, or the dialog when bare."""
    message = update.effective_message
    assert message is not None and message.text is not None and context.user_data is not None
    command = message.text.split(maxsplit=1)[0].lstrip("/").split("@")[0].lower()
    context.user_data.pop(DIALOG_KEY, None)  # a new command replaces a recording left open
    person = await bound_person(update, context, command)
    if person is None:
        return
    text = command_text(update)
    if text:
        await _record_line(update, context, person, command, text)
        return
    step = Step.MEETING if command == "meeting" else Step.PICK
    dialog = Dialog(command, context.office.now(), step)
    dialogs.open_dialog(context, DIALOG_KEY, dialog)
    if step is Step.MEETING:
        await reply(update, "scores/ask_meeting")
        return
    await _send_picker(update, context, dialog)


async def typed(update: Update, context: DubanContext) -> None:
    """A typed answer: the meeting's name, or the 事由."""
    dialog = _dialog(context)
    if dialog is None:
        return
    if dialog.step is Step.MEETING:
        await meeting_named(update, context, dialog)
    else:
        await note_typed(update, context, dialog)


async def meeting_named(update: Update, context: DubanContext, dialog: Dialog) -> None:
    """The meeting's name and (optional) date."""
    message = update.effective_message
    assert message is not None
    text = (message.text or "").strip()
    found = scoring.find_date(text)
    today = context.office.now().date()
    name, day = (found[1] + " " + found[2]).strip() if found else text, found[0] if found else today
    if not name or day > today:
        await refuse(update, DomainError("meeting_name_invalid"))
        return
    dialog.meeting, dialog.day, dialog.step = name, day, Step.PICK
    await _send_picker(update, context, dialog)


async def _send_picker(update: Update, context: DubanContext, dialog: Dialog) -> None:
    """The unit buttons; /cancel or another dialog later takes them off (``dialogs.PROMPT``)."""
    message = update.effective_message
    assert message is not None and context.user_data is not None
    sent = await message.reply_text(await _picker_text(context, dialog), reply_markup=await _picker(context, dialog))
    context.user_data[dialogs.PROMPT] = str(sent.message_id)


async def unit_pressed(update: Update, context: DubanContext, button: DialogStep) -> None:
    """A unit tapped: selected (or, in /meeting, its mark moved on)."""
    dialog, value = await _button(update, context, button)
    if dialog is None:
        return None
    unit_id = int(value)
    if dialog.command == "meeting":
        index = MARK_CYCLE.index(dialog.marks.get(unit_id))
        following = MARK_CYCLE[(index + 1) % len(MARK_CYCLE)]
        if following is None:
            dialog.marks.pop(unit_id, None)
        else:
            dialog.marks[unit_id] = following
    elif unit_id in dialog.marks:
        del dialog.marks[unit_id]
    else:
        dialog.marks[unit_id] = CATEGORY_OF[dialog.command]
    await _redraw(update, context, dialog)


async def page_pressed(update: Update, context: DubanContext, button: DialogStep) -> None:
    """上一页 / 下一页 of the unit buttons."""
    dialog, value = await _button(update, context, button)
    if dialog is None:
        return
    dialog.page = max(0, int(value))
    await _redraw(update, context, dialog)


async def done_pressed(update: Update, context: DubanContext, button: DialogStep) -> None:
    """选好了: a meeting is recorded now; the others ask for the 事由."""
    dialog, _ = await _button(update, context, button)
    if dialog is None:
        return
    query = update.callback_query
    assert query is not None and context.user_data is not None
    if not dialog.marks:
        await refuse(update, DomainError("units_none_selected"))
        return
    context.user_data.pop(dialogs.PROMPT, None)  # its buttons come off here and now
    await query.edit_message_reply_markup(None)
    if dialog.command == "meeting":
        person = await bound_person(update, context, dialog.command)
        if person is not None:
            await _record_dialog(update, context, person, dialog, dialog.meeting)
        _end(context)
        return
    names = await _chosen_names(context, dialog)
    dialog.step = Step.NOTE
    await context.bot.send_message(
        query.message.chat.id if query.message else query.from_user.id,
        _say("scores/ask_note", chosen=names, example=plain(_say("scores/note_examples", category=CATEGORY_OF[dialog.command].value))),
    )


async def note_typed(update: Update, context: DubanContext, dialog: Dialog) -> None:
    """The 事由: record the events; a refused one may be typed again."""
    person = await bound_person(update, context, dialog.command)
    if person is None:
        _end(context)
        return
    note = (update.effective_message.text or "") if update.effective_message else ""
    if not note.strip():
        await refuse(update, DomainError("score_note_missing"))
        return
    if await _record_dialog(update, context, person, dialog, note):
        _end(context)


async def _record_dialog(update: Update, context: DubanContext, person: Person, dialog: Dialog, note: str) -> bool:
    office = context.office
    now = office.now()
    day = dialog.day or now.date()
    entries = [Entry(u, c) for u, c in dialog.marks.items()]
    try:
        events = await scoring.record(office, person, entries, note, day, now)
    except DomainError as exc:
        await refuse(update, exc)
        return False
    names = {u.id: u.name for u in await directory.units(office)}
    chat = update.effective_chat
    assert chat is not None
    await context.bot.send_message(chat.id, _say("scores/recorded", events=events, names=names, note=" ".join(note.split()), day=day))
    return True


async def _button(update: Update, context: DubanContext, button: DialogStep) -> tuple[Dialog | None, str]:
    """The dialog a button belongs to (None, with an answer, when it is not the current one)."""
    found = await dialogs.pressed(update, context, DIALOG_KEY, lambda dialog: isinstance(dialog, Dialog), button, answer=False)
    if found is None:
        return None, ""
    dialog, value = found
    if await bound_person(update, context, dialog.command) is None:
        _end(context)
        return None, ""
    return dialog, value


async def _redraw(update: Update, context: DubanContext, dialog: Dialog) -> None:
    query = update.callback_query
    assert query is not None
    await dialogs.redraw(update, await _picker_text(context, dialog), await _picker(context, dialog))
    await query.answer()


async def _chosen_names(context: DubanContext, dialog: Dialog) -> list[str]:
    units = {u.id: u for u in await directory.units(context.office)}
    if dialog.command == "meeting":
        return [
            label("scores", "unit_marked").format(name=units[u].name, mark=label("meeting_mark", c.value))
            for u, c in dialog.marks.items() if u in units
        ]
    return [units[u].name for u in dialog.marks if u in units]


async def _picker_text(context: DubanContext, dialog: Dialog) -> str:
    _, page, pages = dialogs.paged(await directory.units(context.office), dialog.page, UNITS_PER_PAGE)
    category = "meeting" if dialog.command == "meeting" else CATEGORY_OF[dialog.command].value
    points = None if dialog.command == "meeting" else context.office.settings.score_rules.points_for(CATEGORY_OF[dialog.command])
    heading = plain(_say("scores/headings", category=category, points=points))
    return _say(
        "scores/pick_units", heading=heading, category=category, meeting=dialog.meeting, day=dialog.day,
        chosen=await _chosen_names(context, dialog), page=page, pages=pages,
    )


async def _picker(context: DubanContext, dialog: Dialog) -> InlineKeyboardMarkup:
    units = await directory.units(context.office)
    shown, dialog.page, pages = dialogs.paged(units, dialog.page, UNITS_PER_PAGE)
    buttons = []
    for unit in shown:
        mark = dialog.marks.get(unit.id)
        if mark is None:
            text = unit.name
        elif dialog.command == "meeting":
            text = label("scores", "unit_marked").format(name=unit.name, mark=label("meeting_mark", mark.value))
        else:
            text = label("scores", "unit_selected").format(name=unit.name)
        buttons.append((text, dialog.offer(actions.SCORE_UNIT, unit.id)))
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    rows.append(dialogs.turn_row(dialog.page, dialog.page < pages - 1, lambda n: dialog.offer(actions.SCORE_PAGE, n)))
    rows.append([(label("scores", "done"), dialog.offer(actions.SCORE_DONE)), dialogs.cancel_button(dialog.id)])
    return dialogs.keyboard(*rows)


def _dialog(context: DubanContext) -> Dialog | None:
    found = (context.user_data or {}).get(DIALOG_KEY)
    return found if isinstance(found, Dialog) else None


def _end(context: DubanContext) -> None:
    dialogs.close_dialogs(context)


# --------------------------------------------------------------------------- /void


async def void_command(update: Update, context: DubanContext) -> None:
    """/void <编号> <理由>: 政务监督室 voids a wrong event, visibly."""
    person = await bound_person(update, context, "void")
    if person is None:
        return
    parts = command_text(update).split(maxsplit=1)
    if not parts or not parts[0].isdigit():
        await refuse(update, DomainError("void_usage"))
        return
    event, unit = await scoring.void_event(
        context.office, person, int(parts[0]), parts[1] if len(parts) > 1 else "", context.office.now()
    )
    assert update.effective_message is not None
    await update.effective_message.reply_text(_say("scores/voided", event=event, unit=unit))


# --------------------------------------------------------------------------- /scores


async def scores_command(update: Update, context: DubanContext) -> None:
    """/scores [单位] [2026-11 | 2026]: a unit's score and events, or the table of every unit."""
    person = await bound_person(update, context, "scores")
    if person is None:
        return
    office = context.office
    today = office.now().date()
    period = Period(today.year, today.month)
    words: list[str] = []
    for word in command_text(update).split():
        if word[:1].isdigit():
            period = scoring.parse_period(word)
        else:
            words.append(word)
    unit = await _unit_asked(context, person, " ".join(words))
    assert update.effective_message is not None
    if unit is not None:
        shown = await scoring.of_unit(office, unit.id, period, today)
        await update.effective_message.reply_text(_unit_text(shown))
        return
    text, markup = await _table_page(context, period, 0)
    await update.effective_message.reply_text(text, reply_markup=markup)


async def _unit_asked(context: DubanContext, person: Person, name: str) -> Unit | None:
    """The unit to show: the one typed (if the person may see it), or a responsible's own unit."""
    units = await directory.units(context.office)
    if scoring.reads_all_units(person):
        if not name:
            return None
        return queries.find_unit(queries.Scope((), tuple(units)), name, "scores")
    own = [u for u in units if scoring.reads_unit(person, u)]
    if not own:
        raise DomainError("not_allowed")
    if name:
        return queries.find_unit(queries.Scope((), tuple(own)), name, "scores")
    return own[0]


def _unit_text(shown: scoring.UnitScores) -> str:
    events = list(shown.events)
    visible = events[-EVENTS_SHOWN:]
    return _say("scores/unit", s=shown, shown=visible, omitted=len(events) - len(visible))


async def _table_page(context: DubanContext, period: Period, page: int) -> tuple[str, InlineKeyboardMarkup | None]:
    table = await scoring.table(context.office, period, context.office.now().date())
    pages = max(1, -(-len(table.lines) // TABLE_PAGE))
    page = min(max(0, page), pages - 1)
    lines = table.lines[page * TABLE_PAGE : (page + 1) * TABLE_PAGE]
    below = sum(1 for line in table.lines if line.below_threshold)
    text = _say("scores/table", t=table, lines=lines, page=page, pages=pages, below=below)
    row = dialogs.turn_row(page, page < pages - 1, lambda n: actions.TURN_SCORE_TABLE(period=period.key, page=n))
    return text, dialogs.keyboard(row) if row else None


async def table_turned(update: Update, context: DubanContext, button: PeriodPage) -> None:
    """上一页 / 下一页 of the /scores table; the person is checked again."""
    query = update.callback_query
    assert query is not None
    person = await bound_person(update, context, "scores")
    if person is None:
        return
    if not scoring.reads_all_units(person):
        await refuse(update, DomainError("not_allowed"))
        return
    text, markup = await _table_page(context, scoring.parse_period(button.period), button.page)
    await dialogs.redraw(update, text, markup)
    await query.answer()


# --------------------------------------------------------------------------- registration


COMMANDS = ("scores", "meeting", "material", "praise", "criticize", "void")
"""The commands this module adds to the menu."""


def register(application: DubanApplication) -> None:
    """Add the recording dialog, /void, /scores and their buttons."""
    private = filters.ChatType.PRIVATE
    answering = dialogs.InDialog(application, DIALOG_KEY, fits=lambda dialog: dialog.step is not Step.PICK)
    application.add_handler(CommandHandler(["meeting", *CATEGORY_OF], start_recording, filters=private))
    application.add_handler(MessageHandler(private & filters.UpdateType.MESSAGE & filters.TEXT & ~filters.COMMAND & answering, typed))
    buttons.on(application, actions.SCORE_UNIT, unit_pressed)
    buttons.on(application, actions.SCORE_PAGE, page_pressed)
    buttons.on(application, actions.SCORE_DONE, done_pressed)
    buttons.on(application, actions.SCORE_OTHER, dialogs.stale_button)
    application.add_handler(CommandHandler("void", void_command, filters=private))
    application.add_handler(CommandHandler("scores", scores_command, filters=private))
    buttons.on(application, actions.TURN_SCORE_TABLE, table_turned)
