"""/meeting, /material, /praise, /criticize, /void and /scores: the 百分制 in chat.

Each recording command works two ways: a one-line form (``/praise 住建局、交通运输局 在防汛工作中
表现突出``, ``/meeting 全市防汛工作会议 2026-11-20 住建局 迟到，交通运输局 缺席``) or, sent bare, a
guided dialog with unit buttons (``bot.conversation.kit``). Buttons carry the dialog's id; the
person is checked again on every step.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import IntEnum
from typing import Any

from bot import actions
from bot.actions import Action, DialogStep, Offer, PeriodPage
from bot.domain.errors import DomainError
from bot.domain.org import Person, Unit
from bot.domain.scores import ScoreCategory
from bot.conversation import kit, routes
from bot.conversation.answer import Answer, buttons, paged, turn_row
from bot.conversation.asking import bound_person, refuse
from bot.conversation.said import Said
from bot.edge import Buttons
from bot.services import directory, queries, scoring
from bot.services.context import Office
from bot.services.scoring import MEETING, Entry, Period, format_points
from bot.texts import label, plain, render

DIALOG_KEY = kit.SCORES
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
    """One recording dialog, kept in the person's dialog store: ``id`` tells its buttons from an
    older dialog's, ``step`` which typed answer it waits for (none while the units are picked)."""

    command: str
    started: datetime
    step: Step
    id: str = field(default_factory=kit.new_id)
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


async def _record_line(said: Said, answer: Answer, person: Person, command: str, text: str) -> None:
    office = said.office
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
    names = {u.id: u.name for u in units}
    await answer.say(_say("scores/recorded", events=events, names=names, note=" ".join(note.split()), day=day))


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


async def start_recording(said: Said, answer: Answer) -> None:
    """/meeting, /material, /praise, /criticize: the one-line form, or the dialog when bare."""
    command = (said.command or "").lower()
    kit.close(said, DIALOG_KEY)  # a new command replaces a recording left open
    person = await bound_person(said, answer, command)
    if person is None:
        return
    if said.rest:
        await _record_line(said, answer, person, command, said.rest)
        return
    step = Step.MEETING if command == "meeting" else Step.PICK
    dialog = Dialog(command, said.office.now(), step)
    kit.open_dialog(said, answer, DIALOG_KEY, dialog)
    if step is Step.MEETING:
        await kit.ask(said, answer, "scores/ask_meeting")
        return
    await _ask_units(said, answer, dialog)


async def typed(said: Said, answer: Answer) -> None:
    """A typed answer: the meeting's name, or the 事由."""
    dialog = kit.draft(said, DIALOG_KEY)
    if dialog.step is Step.MEETING:
        await meeting_named(said, answer, dialog)
    else:
        await note_typed(said, answer, dialog)


async def meeting_named(said: Said, answer: Answer, dialog: Dialog) -> None:
    """The meeting's name and (optional) date."""
    text = said.text.strip()
    found = scoring.find_date(text)
    today = said.office.now().date()
    name, day = (found[1] + " " + found[2]).strip() if found else text, found[0] if found else today
    if not name or day > today:
        await refuse(said, answer, DomainError("meeting_name_invalid"))
        return
    dialog.meeting, dialog.day, dialog.step = name, day, Step.PICK
    await _ask_units(said, answer, dialog)


async def _ask_units(said: Said, answer: Answer, dialog: Dialog) -> None:
    """The unit buttons, the dialog's question: /cancel or another dialog later takes them off."""
    await kit.ask_html(said, answer, await _picker_text(said.office, dialog), await _picker(said.office, dialog))


async def unit_pressed(said: Said, answer: Answer, button: DialogStep) -> None:
    """A unit tapped: selected (or, in /meeting, its mark moved on)."""
    dialog = await _button(said, answer, button)
    if dialog is None:
        return
    unit_id = int(button.value)
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
    await _redraw(said, answer, dialog)


async def page_pressed(said: Said, answer: Answer, button: DialogStep) -> None:
    """上一页 / 下一页 of the unit buttons."""
    dialog = await _button(said, answer, button)
    if dialog is None:
        return
    dialog.page = max(0, int(button.value))
    await _redraw(said, answer, dialog)


async def done_pressed(said: Said, answer: Answer, button: DialogStep) -> None:
    """选好了: a meeting is recorded now; the others ask for the 事由."""
    dialog = await _button(said, answer, button)
    if dialog is None:
        return
    if not dialog.marks:
        await refuse(said, answer, DomainError("units_none_selected"))
        return
    await answer.toast()
    kit.answered_by_button(said)  # its buttons come off here and now
    await answer.clear()
    if dialog.command == "meeting":
        person = await bound_person(said, answer, dialog.command)
        if person is not None:
            await _record_dialog(said, answer, person, dialog, dialog.meeting)
        kit.close_all(said, answer)
        return
    names = await _chosen_names(said.office, dialog)
    dialog.step = Step.NOTE
    example = plain(_say("scores/note_examples", category=CATEGORY_OF[dialog.command].value))
    await kit.ask_html(said, answer, _say("scores/ask_note", chosen=names, example=example))


async def note_typed(said: Said, answer: Answer, dialog: Dialog) -> None:
    """The 事由: record the events; a refused one may be typed again."""
    person = await bound_person(said, answer, dialog.command)
    if person is None:
        kit.close_all(said, answer)
        return
    note = said.text
    if not note.strip():
        await refuse(said, answer, DomainError("score_note_missing"))
        return
    if await _record_dialog(said, answer, person, dialog, note):
        kit.close_all(said, answer)


async def _record_dialog(said: Said, answer: Answer, person: Person, dialog: Dialog, note: str) -> bool:
    office = said.office
    now = office.now()
    day = dialog.day or now.date()
    entries = [Entry(u, c) for u, c in dialog.marks.items()]
    try:
        events = await scoring.record(office, person, entries, note, day, now)
    except DomainError as exc:
        await refuse(said, answer, exc)
        return False
    names = {u.id: u.name for u in await directory.units(office)}
    await answer.say(_say("scores/recorded", events=events, names=names, note=" ".join(note.split()), day=day))
    return True


async def _button(said: Said, answer: Answer, button: DialogStep) -> Dialog | None:
    """The dialog a button belongs to (None, with an answer, when it is not the current one)."""
    dialog = await kit.pressed(said, answer, DIALOG_KEY, button.dialog_id, lambda found: isinstance(found, Dialog))
    if dialog is None:
        return None
    if await bound_person(said, answer, dialog.command) is None:
        kit.close_all(said, answer)
        return None
    assert isinstance(dialog, Dialog)
    return dialog


async def _redraw(said: Said, answer: Answer, dialog: Dialog) -> None:
    await answer.redraw(await _picker_text(said.office, dialog), await _picker(said.office, dialog))
    await answer.toast()


async def _chosen_names(office: Office, dialog: Dialog) -> list[str]:
    units = {u.id: u for u in await directory.units(office)}
    if dialog.command == "meeting":
        return [
            label("scores", "unit_marked").format(name=units[u].name, mark=label("meeting_mark", c.value))
            for u, c in dialog.marks.items() if u in units
        ]
    return [units[u].name for u in dialog.marks if u in units]


async def _picker_text(office: Office, dialog: Dialog) -> str:
    _, page, pages = paged(await directory.units(office), dialog.page, UNITS_PER_PAGE)
    category = "meeting" if dialog.command == "meeting" else CATEGORY_OF[dialog.command].value
    points = None if dialog.command == "meeting" else office.settings.score_rules.points_for(CATEGORY_OF[dialog.command])
    heading = plain(_say("scores/headings", category=category, points=points))
    return _say(
        "scores/pick_units", heading=heading, category=category, meeting=dialog.meeting, day=dialog.day,
        chosen=await _chosen_names(office, dialog), page=page, pages=pages,
    )


async def _picker(office: Office, dialog: Dialog) -> Buttons:
    units = await directory.units(office)
    shown, dialog.page, pages = paged(units, dialog.page, UNITS_PER_PAGE)
    unit_buttons = []
    for unit in shown:
        mark = dialog.marks.get(unit.id)
        if mark is None:
            name = unit.name
        elif dialog.command == "meeting":
            name = label("scores", "unit_marked").format(name=unit.name, mark=label("meeting_mark", mark.value))
        else:
            name = label("scores", "unit_selected").format(name=unit.name)
        unit_buttons.append((name, dialog.offer(actions.SCORE_UNIT, unit.id)))
    rows = [unit_buttons[i : i + 2] for i in range(0, len(unit_buttons), 2)]
    rows.append(turn_row(dialog.page, dialog.page < pages - 1, lambda n: dialog.offer(actions.SCORE_PAGE, n)))
    rows.append([(label("scores", "done"), dialog.offer(actions.SCORE_DONE)), kit.cancel_button(dialog.id)])
    return buttons(*rows)


# --------------------------------------------------------------------------- /void


async def void_command(said: Said, answer: Answer) -> None:
    """/void <编号> <理由>: 政务监督室 voids a wrong event, visibly."""
    person = await bound_person(said, answer, "void")
    if person is None:
        return
    parts = said.rest.split(maxsplit=1)
    if not parts or not parts[0].isdigit():
        await refuse(said, answer, DomainError("void_usage"))
        return
    event, unit = await scoring.void_event(said.office, person, int(parts[0]), parts[1] if len(parts) > 1 else "", said.office.now())
    await answer.say(_say("scores/voided", event=event, unit=unit))


# --------------------------------------------------------------------------- /scores


async def scores_command(said: Said, answer: Answer) -> None:
    """/scores [单位] [2026-11 | 2026]: a unit's score and events, or the table of every unit."""
    person = await bound_person(said, answer, "scores")
    if person is None:
        return
    office = said.office
    today = office.now().date()
    period = Period(today.year, today.month)
    words: list[str] = []
    for word in said.rest.split():
        if word[:1].isdigit():
            period = scoring.parse_period(word)
        else:
            words.append(word)
    unit = await _unit_asked(office, person, " ".join(words))
    if unit is not None:
        shown = await scoring.of_unit(office, unit.id, period, today)
        await answer.say(_unit_text(shown))
        return
    await answer.say(*await _table_page(office, period, 0))


async def _unit_asked(office: Office, person: Person, name: str) -> Unit | None:
    """The unit to show: the one typed (if the person may see it), or a responsible's own unit."""
    units = await directory.units(office)
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


async def _table_page(office: Office, period: Period, page: int) -> tuple[str, Buttons]:
    table = await scoring.table(office, period, office.now().date())
    pages = max(1, -(-len(table.lines) // TABLE_PAGE))
    page = min(max(0, page), pages - 1)
    lines = table.lines[page * TABLE_PAGE : (page + 1) * TABLE_PAGE]
    below = sum(1 for line in table.lines if line.below_threshold)
    text = _say("scores/table", t=table, lines=lines, page=page, pages=pages, below=below)
    row = turn_row(page, page < pages - 1, lambda n: actions.TURN_SCORE_TABLE(period=period.key, page=n))
    return text, buttons(row)


async def table_turned(said: Said, answer: Answer, button: PeriodPage) -> None:
    """上一页 / 下一页 of the /scores table; the person is checked again."""
    person = await bound_person(said, answer, "scores")
    if person is None:
        return
    if not scoring.reads_all_units(person):
        await refuse(said, answer, DomainError("not_allowed"))
        return
    await answer.redraw(*await _table_page(said.office, scoring.parse_period(button.period), button.page))
    await answer.toast()


# --------------------------------------------------------------------------- routes


COMMANDS = ("scores", "meeting", "material", "praise", "criticize", "void")
"""The commands this module adds to the menu."""

ROUTES: tuple[routes.Route, ...] = (
    *(routes.Command(name, start_recording) for name in ("meeting", *CATEGORY_OF)),
    routes.InDialog(DIALOG_KEY, typed, fits=lambda dialog: dialog.step is not Step.PICK),
    routes.Pressed(actions.SCORE_UNIT, unit_pressed),
    routes.Pressed(actions.SCORE_PAGE, page_pressed),
    routes.Pressed(actions.SCORE_DONE, done_pressed),
    routes.Pressed(actions.SCORE_OTHER, kit.stale_button),
    routes.Command("void", void_command),
    routes.Command("scores", scores_command),
    routes.Pressed(actions.TURN_SCORE_TABLE, table_turned),
)
"""The recording dialog, /void, /scores and their buttons."""
