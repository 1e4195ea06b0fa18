"""/ledger (the 台账 as .xlsx), /board (the 红/黄/绿 picture) and the 下载Word button of a slip."""

from __future__ import annotations

import io

from telegram import InputFile, Update
from telegram.ext import CommandHandler, filters

from bot import actions
from bot.actions import WordFile
from bot.handlers import buttons
from bot.handlers.common import bound_person, command_text, heavy_work
from bot.handlers.context import DubanApplication, DubanContext
from bot.services.exports import ledger, word
from bot.services.exports.board import board
from bot.services.exports.charts import MAX_ROWS
from bot.texts import label, render


async def ledger_command(update: Update, context: DubanContext) -> None:
    """/ledger [专项] [单位] [科室] [状态] [2026-11] [会议|全表]: the 台账 as .xlsx, within the
    asker's scope, as the meeting's sheet or in full (the caption says which)."""
    person = await bound_person(update, context, "ledger")
    if person is None:
        return
    office = context.office
    today = office.now().date()
    flt = await ledger.parse_filter(office, person, command_text(update))
    async with heavy_work(update, context, "inbox/making_wait"):
        data, count = await ledger.ledger_workbook(office, person, flt, today)
    shown = [x for x in (flt.unit and flt.unit.name, flt.section and flt.section.name) if x]
    if flt.status:
        shown.append(render("exports/ledger_status", status=flt.status, label=label))
    if flt.month:
        shown.append(flt.month.key)
    name = f"{label('exports', 'special_sheet' if flt.special else 'ledger_sheet')}-{today.isoformat()}.xlsx"
    caption = render("exports/ledger_caption", special=flt.special, count=count, filters=shown, today=today, view=flt.view.value)
    assert update.effective_message is not None
    await update.effective_message.reply_document(InputFile(io.BytesIO(data), filename=name), caption=caption)


async def board_command(update: Update, context: DubanContext) -> None:
    """/board: one picture of every open task in scope, by unit, green · yellow · red."""
    person = await bound_person(update, context, "board")
    if person is None:
        return
    async with heavy_work(update, context, "inbox/making_wait"):
        shown = await board(context.office, person, context.office.now().date())
    assert update.effective_message is not None
    await update.effective_message.reply_photo(
        InputFile(io.BytesIO(shown.png), filename="board.png"),
        caption=render("exports/board_caption", b=shown, max_rows=MAX_ROWS),
    )


async def word_pressed(update: Update, context: DubanContext, button: WordFile) -> None:
    """下载Word: the slip (or every slip of the task) as .docx, if the person may see the task."""
    query = update.callback_query
    assert query is not None
    person = await bound_person(update, context, "task")
    if person is None:
        return
    documents = await word.button_docx(context.office, person, button.task_id, button.slip_id)
    await query.answer()
    chat = update.effective_chat
    assert chat is not None
    for name, data in documents:
        await context.bot.send_document(
            chat.id, InputFile(io.BytesIO(data), filename=name), caption=render("exports/slip_caption", name=name)
        )


COMMANDS = ("board", "ledger")
"""The commands this module adds to the menu."""


def register(application: DubanApplication) -> None:
    """Add /ledger, /board and the 下载Word button."""
    private = filters.ChatType.PRIVATE
    application.add_handler(CommandHandler("ledger", ledger_command, filters=private))
    application.add_handler(CommandHandler("board", board_command, filters=private))
    buttons.on(application, actions.WORD_FILE, word_pressed)
