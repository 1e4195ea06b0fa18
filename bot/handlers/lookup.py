"""/tasks, /task <编号> and /overdue: reading the 台账, always within the asker's scope."""

from __future__ import annotations

from datetime import date

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.ext import CommandHandler, filters

from bot import actions
from bot.actions import ListPage, TaskNumber
from bot.domain.errors import DomainError, ErrorKind
from bot.domain.org import Person
from bot.services.exports.word import word_button
from bot.handlers import buttons, dialogs
from bot.handlers.common import bound_person, refuse, reply
from bot.handlers.context import DubanApplication, DubanContext
from bot.services.slip_texts import schedule_text
from bot.services import queries
from bot.services.queries import TaskDetail, TaskPage
from bot.message_size import fits_in_message
from bot.texts import label, render

HISTORY_STEPS = (40, 20, 10, 5, 2, 0)
"""How many of the latest history entries /task falls back to when everything does not fit."""

CLIP_STEPS = (None, 1000, 400)
"""Then how long 工作要求 and 根据 may run before they are cut."""

async def tasks_command(update: Update, context: DubanContext) -> None:
    """The asker's open tasks, grouped by status; ``/tasks 住建局`` narrows to one unit."""
    await _first_page(update, context, "tasks")


async def overdue_command(update: Update, context: DubanContext) -> None:
    """The overdue tasks in the asker's scope, with the days overdue."""
    await _first_page(update, context, "overdue")


async def _first_page(update: Update, context: DubanContext, kind: str) -> None:
    person = await bound_person(update, context, kind)
    if person is None:
        return
    unit_name = " ".join(context.args or ()).strip() or None
    page = await queries.task_page(
        context.office, person, context.office.now().date(), unit_name=unit_name, overdue=kind == "overdue"
    )
    assert update.effective_message is not None
    await update.effective_message.reply_text(_page_text(kind, page, context), reply_markup=_pager(kind, page))


async def turn_page(update: Update, context: DubanContext, button: ListPage) -> None:
    """上一页 / 下一页: the same list, page and unit from the button, the person checked again."""
    query = update.callback_query
    assert query is not None
    kind = button.kind
    person = await bound_person(update, context, kind)
    if person is None:
        return
    page = await queries.task_page(
        context.office, person, context.office.now().date(), page=button.page,
        unit_id=button.unit_id, overdue=kind == "overdue",
    )
    await dialogs.redraw(update, _page_text(kind, page, context), _pager(kind, page))
    await query.answer()


def _page_text(kind: str, page: TaskPage, context: DubanContext) -> str:
    return render(f"lookup/{kind}", page=page, today=context.office.now().date(), label=label)


def _pager(kind: str, page: TaskPage) -> InlineKeyboardMarkup | None:
    unit_id = page.unit.id if page.unit is not None else None
    row = dialogs.turn_row(page.page, page.has_next, lambda n: actions.TURN_TASK_LIST(kind=kind, page=n, unit_id=unit_id))
    return dialogs.keyboard(row) if row else None


async def task_command(update: Update, context: DubanContext) -> None:
    """One task in full: its fields, slips, pending feedback and history."""
    person = await bound_person(update, context, "task")
    if person is None:
        return
    await _show_task(update, context, person, " ".join(context.args or ()).strip())


async def chosen_task(update: Update, context: DubanContext, button: TaskNumber) -> None:
    """The slip picked under 「没有写年份」: shown as /task shows it; the choice stays marked."""
    query = update.callback_query
    assert query is not None
    person = await bound_person(update, context, "task")
    if person is None:
        return
    await query.answer()
    number = button.number
    if isinstance(query.message, Message):
        pressed = [b.text for row in (query.message.reply_markup.inline_keyboard if query.message.reply_markup else ())
                   for b in row if b.callback_data == query.data]
        await dialogs.mark_done(
            context, query.message.chat_id, query.message.message_id, query.message.text_html,
            dialogs.text("marks/chosen", choice=pressed[0] if pressed else number),
        )
    await _show_task(update, context, person, number)


async def _show_task(update: Update, context: DubanContext, person: Person, text: str) -> None:
    office = context.office
    today = office.now().date()
    try:
        if not text:
            raise DomainError("slip_number_invalid", text="")
        detail = await queries.task_detail(office, person, text, today)
    except DomainError as exc:
        if exc.code == "slip_ambiguous":
            await _ask_which(update, exc)
            return
        if exc.kind is not ErrorKind.NOT_FOUND:
            await refuse(update, exc)
            return
        lines = await queries.open_lines(office, person, today)
        await reply(update, "lookup/not_found", text=text, lines=lines, year=today.year, label=label)
        return
    assert update.effective_message is not None
    await update.effective_message.reply_text(_fitted_detail(detail, context), reply_markup=_detail_buttons(person, detail, today))


async def _ask_which(update: Update, exc: DomainError) -> None:
    """A short number that may mean a slip of this year or of the year before: one button each."""
    choices = exc.details["choices"]
    assert isinstance(choices, tuple) and update.effective_message is not None
    rows = [[buttons.button(t.number.full, actions.CHOOSE_TASK(number=f"{t.number.type.letter}{t.number.year}-{t.number.seq}"))]
            for t in choices]
    await update.effective_message.reply_text(
        render("lookup/which_slip", text=exc.details["text"], choices=choices), reply_markup=InlineKeyboardMarkup(rows),
    )


def _detail_buttons(person: Person, detail: TaskDetail, today: date) -> InlineKeyboardMarkup:
    """下载Word (the task's slips as .docx, answered by bot/handlers/exports.py); and 催办 for the
    issuing section (or 政务监督室) on an overdue task not yet chased (bot/handlers/escalation.py);
    for them too, on an open task, 撤回 · 更正 and, while its 催办单 stands, 作废催办单
    (bot/handlers/corrections.py)."""
    task = detail.task
    word = word_button(task.id)
    [row] = buttons.drawn([[word]])
    offered = queries.detail_actions(person, detail, today)
    if offered.remind:
        row.insert(0, buttons.button(label("buttons", "remind"), actions.REMIND(task_id=task.id)))
    rows = [row]
    if offered.put_right:
        assignment = detail.slips[0]
        put_right = [
            buttons.button(label("buttons", "withdraw"), actions.WITHDRAW(slip_id=assignment.id)),
            buttons.button(label("buttons", "correct"), actions.CORRECT(task_id=task.id)),
        ]
        if offered.void_reminder is not None:
            put_right.append(buttons.button(label("buttons", "void_reminder"), actions.WITHDRAW(slip_id=offered.void_reminder.id)))
        rows.append(put_right)
    return InlineKeyboardMarkup(rows)


def _fitted_detail(detail: TaskDetail, context: DubanContext) -> str:
    """The detail as long as it fits: older history goes first, then long texts are cut."""
    total = len(detail.history)
    shown_steps = [total] + [n for n in HISTORY_STEPS if n < total]
    text = ""
    for clip in CLIP_STEPS:
        for shown in shown_steps:
            text = _detail_text(detail, context, shown, clip)
            if fits_in_message(text):
                return text
    return text  # unreachable with the storage's field limits; Telegram would refuse it


def _detail_text(detail: TaskDetail, context: DubanContext, shown: int, clip: int | None) -> str:
    entries = detail.history[len(detail.history) - shown :] if shown else ()
    return render(
        "lookup/task", d=detail, t=detail.task, entries=entries, omitted=len(detail.history) - len(entries),
        clip=clip, tz=context.office.settings.timezone, kind_name=_history_name, label=label,
        today=context.office.now().date(), schedule_text=schedule_text,
    )


def _history_name(kind: str) -> str:
    try:
        return label("history", kind)
    except KeyError:
        return label("history", "other")


COMMANDS = ("tasks", "task", "overdue")
"""The commands this module adds to the menu."""


def register(application: DubanApplication) -> None:
    """Add /tasks, /task, /overdue and the page buttons."""
    private = filters.ChatType.PRIVATE
    application.add_handler(CommandHandler("tasks", tasks_command, filters=private))
    application.add_handler(CommandHandler("task", task_command, filters=private))
    application.add_handler(CommandHandler("overdue", overdue_command, filters=private))
    buttons.on(application, actions.TURN_TASK_LIST, turn_page)
    buttons.on(application, actions.CHOOSE_TASK, chosen_task)


