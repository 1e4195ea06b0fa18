"""/tasks, /task <编号> and /overdue: reading the 台账, always within the asker's scope."""

from __future__ import annotations

from datetime import date

from bot import actions
from bot.actions import ListPage, TaskNumber
from bot.conversation import routes
from bot.conversation.answer import Answer, buttons, reply, text, turn_row
from bot.conversation.asking import bound_person, refuse
from bot.conversation.said import Said
from bot.domain.errors import DomainError, ErrorKind
from bot.domain.org import Person
from bot.edge import Button, Buttons
from bot.views.slip_texts import schedule_text
from bot.services import queries
from bot.services.context import Office
from bot.services.queries import TaskDetail, TaskPage
from bot.message_size import fits_in_message
from bot.texts import label, render

HISTORY_STEPS = (40, 20, 10, 5, 2, 0)
"""How many of the latest history entries /task falls back to when everything does not fit."""

CLIP_STEPS = (None, 1000, 400)
"""Then how long 工作要求 and 根据 may run before they are cut."""

async def tasks_command(said: Said, answer: Answer) -> None:
    """The asker's open tasks, grouped by status; ``/tasks 住建局`` narrows to one unit."""
    await _first_page(said, answer, "tasks")


async def overdue_command(said: Said, answer: Answer) -> None:
    """The overdue tasks in the asker's scope, with the days overdue."""
    await _first_page(said, answer, "overdue")


async def _first_page(said: Said, answer: Answer, kind: str) -> None:
    person = await bound_person(said, answer, kind)
    if person is None:
        return
    office = said.office
    page = await queries.task_page(office, person, office.now().date(), unit_name=said.joined_args or None, overdue=kind == "overdue")
    await answer.say(_page_text(kind, page, office), _pager(kind, page))


async def turn_page(said: Said, answer: Answer, button: ListPage) -> None:
    """上一页 / 下一页: the same list, page and unit from the button, the person checked again."""
    kind = button.kind
    person = await bound_person(said, answer, kind)
    if person is None:
        return
    office = said.office
    page = await queries.task_page(
        office, person, office.now().date(), page=button.page, unit_id=button.unit_id, overdue=kind == "overdue",
    )
    await answer.redraw(_page_text(kind, page, office), _pager(kind, page))
    await answer.toast()


def _page_text(kind: str, page: TaskPage, office: Office) -> str:
    return render(f"lookup/{kind}", page=page, today=office.now().date(), label=label)


def _pager(kind: str, page: TaskPage) -> Buttons:
    unit_id = page.unit.id if page.unit is not None else None
    return buttons(turn_row(page.page, page.has_next, lambda n: actions.TURN_TASK_LIST(kind=kind, page=n, unit_id=unit_id)))


async def task_command(said: Said, answer: Answer) -> None:
    """One task in full: its fields, slips, pending feedback and history."""
    person = await bound_person(said, answer, "task")
    if person is None:
        return
    await _show_task(said, answer, person, said.joined_args)


async def chosen_task(said: Said, answer: Answer, button: TaskNumber) -> None:
    """The slip picked under 「没有写年份」: shown as /task shows it; the choice stays marked."""
    person = await bound_person(said, answer, "task")
    if person is None:
        return
    await answer.toast()
    number = button.number
    await answer.mark(text("marks/chosen", choice=said.pressed_label or number))
    await _show_task(said, answer, person, number)


async def _show_task(said: Said, answer: Answer, person: Person, number: str) -> None:
    office = said.office
    today = office.now().date()
    try:
        if not number:
            raise DomainError("slip_number_invalid", text="")
        detail = await queries.task_detail(office, person, number, today)
    except DomainError as exc:
        if exc.code == "slip_ambiguous":
            await _ask_which(answer, exc)
            return
        if exc.kind is not ErrorKind.NOT_FOUND:
            await refuse(said, answer, exc)
            return
        lines = await queries.open_lines(office, person, today)
        await reply(answer, "lookup/not_found", text=number, lines=lines, year=today.year, label=label)
        return
    await answer.say(_fitted_detail(detail, office), _detail_buttons(person, detail, today))


async def _ask_which(answer: Answer, exc: DomainError) -> None:
    """A short number that may mean a slip of this year or of the year before: one button each."""
    choices = exc.details["choices"]
    assert isinstance(choices, tuple)
    rows = [[(t.number.full, actions.CHOOSE_TASK(number=f"{t.number.type.letter}{t.number.year}-{t.number.seq}"))] for t in choices]
    await reply(answer, "lookup/which_slip", text=exc.details["text"], choices=choices, buttons=buttons(*rows))


def _detail_buttons(person: Person, detail: TaskDetail, today: date) -> Buttons:
    """下载Word (the task's slips as .docx, answered by bot/conversation/exports.py); and 催办 for the
    issuing section (or 政务监督室) on an overdue task not yet chased (bot/conversation/escalation.py);
    for them too, on an open task, 撤回 · 更正 and, while its 催办单 stands, 作废催办单
    (bot/conversation/corrections.py)."""
    task = detail.task
    row = [Button(label("exports", "download_slip"), actions.WORD_FILE(task_id=task.id))]
    offered = queries.detail_actions(person, detail, today)
    if offered.remind:
        row.insert(0, Button(label("buttons", "remind"), actions.REMIND(task_id=task.id)))
    rows = [tuple(row)]
    if offered.put_right:
        assignment = detail.slips[0]
        put_right = [
            Button(label("buttons", "withdraw"), actions.WITHDRAW(slip_id=assignment.id)),
            Button(label("buttons", "correct"), actions.CORRECT(task_id=task.id)),
        ]
        if offered.void_reminder is not None:
            put_right.append(Button(label("buttons", "void_reminder"), actions.WITHDRAW(slip_id=offered.void_reminder.id)))
        rows.append(tuple(put_right))
    return tuple(rows)


def _fitted_detail(detail: TaskDetail, office: Office) -> str:
    """The detail as long as it fits: older history goes first, then long texts are cut."""
    total = len(detail.history)
    shown_steps = [total] + [n for n in HISTORY_STEPS if n < total]
    text = ""
    for clip in CLIP_STEPS:
        for shown in shown_steps:
            text = _detail_text(detail, office, shown, clip)
            if fits_in_message(text):
                return text
    return text  # unreachable with the storage's field limits; Telegram would refuse it


def _detail_text(detail: TaskDetail, office: Office, shown: int, clip: int | None) -> str:
    entries = detail.history[len(detail.history) - shown :] if shown else ()
    return render(
        "lookup/task", d=detail, t=detail.task, entries=entries, omitted=len(detail.history) - len(entries),
        clip=clip, tz=office.settings.timezone, kind_name=_history_name, label=label,
        today=office.now().date(), schedule_text=schedule_text,
    )


def _history_name(kind: str) -> str:
    try:
        return label("history", kind)
    except KeyError:
        return label("history", "other")


COMMANDS = ("tasks", "task", "overdue")
"""The commands this module adds to the menu."""


ROUTES: tuple[routes.Route, ...] = (
    routes.Command("tasks", tasks_command),
    routes.Command("task", task_command),
    routes.Command("overdue", overdue_command),
    routes.Pressed(actions.TURN_TASK_LIST, turn_page),
    routes.Pressed(actions.CHOOSE_TASK, chosen_task),
)
"""/tasks, /task, /overdue and the page buttons."""
