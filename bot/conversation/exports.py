"""/ledger (the 台账 as .xlsx), /board (the 红/黄/绿 picture) and the 下载Word button of a slip."""

from __future__ import annotations

from bot import actions
from bot.actions import WordFile
from bot.conversation import routes
from bot.conversation.answer import Answer
from bot.conversation.asking import bound_person, heavy_work
from bot.conversation.said import Said
from bot.views.exports import ledger, word
from bot.views.exports.board import board
from bot.views.exports.charts import MAX_ROWS
from bot.texts import label, render


async def ledger_command(said: Said, answer: Answer) -> None:
    """/ledger [专项] [单位] [科室] [状态] [2026-11] [会议|全表]: the 台账 as .xlsx, within the
    asker's scope, as the meeting's sheet or in full (the caption says which)."""
    person = await bound_person(said, answer, "ledger")
    if person is None:
        return
    office = said.office
    today = office.now().date()
    flt = await ledger.parse_filter(office, person, said.rest)
    async with heavy_work(said, answer, "inbox/making_wait"):
        data, count = await ledger.ledger_workbook(office, person, flt, today)
    shown = [x for x in (flt.unit and flt.unit.name, flt.section and flt.section.name) if x]
    if flt.status:
        shown.append(render("exports/ledger_status", status=flt.status, label=label))
    if flt.month:
        shown.append(flt.month.key)
    name = f"{label('exports', 'special_sheet' if flt.special else 'ledger_sheet')}-{today.isoformat()}.xlsx"
    caption = render("exports/ledger_caption", special=flt.special, count=count, filters=shown, today=today, view=flt.view.value)
    await answer.send_file(name, data, caption)


async def board_command(said: Said, answer: Answer) -> None:
    """/board: one picture of every open task in scope, by unit, green · yellow · red."""
    person = await bound_person(said, answer, "board")
    if person is None:
        return
    async with heavy_work(said, answer, "inbox/making_wait"):
        shown = await board(said.office, person, said.office.now().date())
    await answer.send_picture("board.png", shown.png, render("exports/board_caption", b=shown, max_rows=MAX_ROWS))


async def word_pressed(said: Said, answer: Answer, button: WordFile) -> None:
    """下载Word: the slip (or every slip of the task) as .docx, if the person may see the task."""
    person = await bound_person(said, answer, "task")
    if person is None:
        return
    documents = await word.button_docx(said.office, person, button.task_id, button.slip_id)
    await answer.toast()
    for name, data in documents:
        await answer.send_file(name, data, render("exports/slip_caption", name=name))


COMMANDS = ("board", "ledger")
"""The commands this module adds to the menu."""

ROUTES: tuple[routes.Route, ...] = (
    routes.Command("ledger", ledger_command),
    routes.Command("board", board_command),
    routes.Pressed(actions.WORD_FILE, word_pressed),
)
"""/ledger, /board and the 下载Word button."""
