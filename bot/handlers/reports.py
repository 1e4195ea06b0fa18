"""/report and the monthly cycle's buttons: 已审阅, 发布通报, the .xlsx and the chart."""

from __future__ import annotations

import asyncio
import io

from telegram import InlineKeyboardMarkup, InputFile, Update
from telegram.ext import CommandHandler, filters

from bot import actions
from bot.actions import OfMonth, ReportFile, SectionReview
from bot.handlers import buttons
from bot.handlers.common import bound_person, command_text, current_person
from bot.handlers.context import DubanApplication, DubanContext
from bot.handlers.dialogs import html_of, mark_done, query_place
from bot.services import reports, scoring
from bot.services.exports import charts, word, workbooks
from bot.services.scoring import Period, format_points
from bot.texts import plain, render



async def _send_files(context: DubanContext, chat_id: int, period: Period) -> None:
    """The period's .xlsx (native bar chart), the .docx to print and file, and the PNG bar chart."""
    office = context.office
    table = await scoring.table(office, period, office.now().date())
    title = plain(render("reports/title", period=period))
    data = workbooks.report_workbook(table, title, annual=period.month is None)
    await context.bot.send_document(chat_id, InputFile(io.BytesIO(data), filename=f"{title}.xlsx"))
    document = word.report_docx(table, title, office.settings.organisation, office.now().date())
    await context.bot.send_document(chat_id, InputFile(io.BytesIO(document), filename=f"{title}.docx"))
    png = await asyncio.to_thread(
        charts.score_bars_png, [line.unit.name for line in table.lines], [line.score for line in table.lines],
        table.threshold, title,
    )
    await context.bot.send_photo(
        chat_id, InputFile(io.BytesIO(png), filename="chart.png"),
        caption=render("reports/chart_caption", title=title, threshold=format_points(table.threshold)),
    )


async def report_command(update: Update, context: DubanContext) -> None:
    """/report [2026-11 | 2026]: the month's figures in chat, with the .xlsx and the chart."""
    person = await bound_person(update, context, "report")
    if person is None:
        return
    today = context.office.now().date()
    text = command_text(update)
    period = scoring.parse_period(text) if text else reports.month_to_report(today)
    table = await scoring.table(context.office, period, today)
    await context.bot.send_chat_action(update.effective_chat.id, "upload_document")  # type: ignore[union-attr]
    assert update.effective_message is not None
    if period.month is None:
        text = render("reports/annual", t=table, lines=table.lines[: reports.REPORT_LINES], pts=format_points)
    else:
        # A month not yet published is a draft (未发布), and says when it will be.
        state, ready_by = await reports.publication(context.office, period, today)
        text = render(
            "reports/ranking", t=table, lines=table.lines[: reports.REPORT_LINES], pts=format_points,
            state=state, ready_by=ready_by, files_follow=True,
        )
    markup = InlineKeyboardMarkup(buttons.drawn(reports.files_keyboard(period.key)))
    await update.effective_message.reply_text(text, reply_markup=markup)
    await _send_files(context, update.effective_chat.id, period)  # type: ignore[union-attr]


async def reviewed_pressed(update: Update, context: DubanContext, button: SectionReview) -> None:
    """已审阅 by the section's 分管市领导."""
    query = update.callback_query
    assert query is not None
    person = await bound_person(update, context, "report")
    if person is None:
        return
    now = context.office.now()
    await reports.review(context.office, person, button.month, button.section_id, now)
    await query.answer(plain(render("reports/reviewed")))
    chat_id, message_id = query_place(update)
    await mark_done(context, chat_id, message_id, html_of(query.message), render("marks/reviewed", at=now).strip())


async def publish_pressed(update: Update, context: DubanContext, button: OfMonth) -> None:
    """发布通报 by 政务监督室."""
    query = update.callback_query
    assert query is not None
    person = await bound_person(update, context, "report")
    if person is None:
        return
    now = context.office.now()
    await reports.publish(context.office, person, button.month, now)
    await query.answer(plain(render("reports/published", month=button.month)))
    chat_id, message_id = query_place(update)
    await mark_done(context, chat_id, message_id, html_of(query.message), render("marks/published", at=now).strip())


async def files_pressed(update: Update, context: DubanContext, button: ReportFile) -> None:
    """下载Excel / 柱状图 on a report message."""
    query = update.callback_query
    assert query is not None
    if await current_person(update, context) is None or await bound_person(update, context, "report") is None:
        return
    await query.answer()
    await _send_files(context, query.from_user.id, scoring.parse_period(button.period))


COMMANDS = ("report",)
"""The commands this module adds to the menu."""


def register(application: DubanApplication) -> None:
    """Add /report and the monthly cycle's buttons."""
    application.add_handler(CommandHandler("report", report_command, filters=filters.ChatType.PRIVATE))
    buttons.on(application, actions.REVIEWED, reviewed_pressed)
    buttons.on(application, actions.PUBLISH, publish_pressed)
    buttons.on(application, actions.REPORT_FILE, files_pressed)
