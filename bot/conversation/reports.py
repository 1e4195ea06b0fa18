"""/report and the monthly cycle's buttons: 已审阅, 发布通报, the .xlsx and the chart."""

from __future__ import annotations

import asyncio

from bot import actions
from bot.actions import OfMonth, ReportFile, SectionReview
from bot.conversation import routes
from bot.conversation.answer import Answer
from bot.conversation.asking import bound_person
from bot.conversation.said import Said
from bot.edge import Button, Buttons
from bot.services import reports, scoring
from bot.views.exports import charts, word, workbooks
from bot.services.scoring import Period, format_points
from bot.texts import label, plain, render


async def _send_files(said: Said, answer: Answer, period: Period) -> None:
    """The period's .xlsx (native bar chart), the .docx to print and file, and the PNG bar chart."""
    office = said.office
    table = await scoring.table(office, period, office.now().date())
    title = plain(render("reports/title", period=period))
    data = workbooks.report_workbook(table, title, annual=period.month is None)
    await answer.send_file(f"{title}.xlsx", data)
    document = word.report_docx(table, title, office.settings.organisation, office.now().date())
    await answer.send_file(f"{title}.docx", document)
    png = await asyncio.to_thread(
        charts.score_bars_png, [line.unit.name for line in table.lines], [line.score for line in table.lines],
        table.threshold, title,
    )
    await answer.send_picture(
        "chart.png", png, render("reports/chart_caption", title=title, threshold=format_points(table.threshold)),
    )


def _files_buttons(key: str) -> Buttons:
    """下载Excel（含图表） · 柱状图 for a report message."""
    return ((
        Button(label("exports", "download_xlsx"), actions.REPORT_FILE(kind="x", period=key)),
        Button(label("exports", "chart"), actions.REPORT_FILE(kind="c", period=key)),
    ),)


async def report_command(said: Said, answer: Answer) -> None:
    """/report [2026-11 | 2026]: the month's figures in chat, with the .xlsx and the chart."""
    person = await bound_person(said, answer, "report")
    if person is None:
        return
    office = said.office
    today = office.now().date()
    period = scoring.parse_period(said.rest) if said.rest else reports.month_to_report(today)
    table = await scoring.table(office, period, today)
    await answer.busy()
    if period.month is None:
        text = render("reports/annual", t=table, lines=table.lines[: reports.REPORT_LINES], pts=format_points)
    else:
        # A month not yet published is a draft (未发布), and says when it will be.
        state, ready_by = await reports.publication(office, period, today)
        text = render(
            "reports/ranking", t=table, lines=table.lines[: reports.REPORT_LINES], pts=format_points,
            state=state, ready_by=ready_by, files_follow=True,
        )
    await answer.say(text, _files_buttons(period.key))
    await _send_files(said, answer, period)


async def reviewed_pressed(said: Said, answer: Answer, button: SectionReview) -> None:
    """已审阅 by the section's 分管市领导."""
    person = await bound_person(said, answer, "report")
    if person is None:
        return
    now = said.office.now()
    await reports.review(said.office, person, button.month, button.section_id, now)
    await answer.toast(render("reports/reviewed"))
    await answer.mark(render("marks/reviewed", at=now).strip())


async def publish_pressed(said: Said, answer: Answer, button: OfMonth) -> None:
    """发布通报 by 政务监督室."""
    person = await bound_person(said, answer, "report")
    if person is None:
        return
    now = said.office.now()
    await reports.publish(said.office, person, button.month, now)
    await answer.toast(render("reports/published", month=button.month))
    await answer.mark(render("marks/published", at=now).strip())


async def files_pressed(said: Said, answer: Answer, button: ReportFile) -> None:
    """下载Excel / 柱状图 on a report message."""
    if await bound_person(said, answer, "report") is None:
        return
    await answer.toast()
    await _send_files(said, answer, scoring.parse_period(button.period))


COMMANDS = ("report",)
"""The commands this module adds to the menu."""

ROUTES: tuple[routes.Route, ...] = (
    routes.Command("report", report_command),
    routes.Pressed(actions.REVIEWED, reviewed_pressed),
    routes.Pressed(actions.PUBLISH, publish_pressed),
    routes.Pressed(actions.REPORT_FILE, files_pressed),
)
"""/report and the monthly cycle's buttons."""
