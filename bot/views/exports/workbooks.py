"""The monthly 通报 and the annual ranking as .xlsx, with a native (Excel) bar chart.

One line per unit: its 加减分 counts by kind for the period, the period's net points, the annual
score as of the period's end and the mark 不能评为先进单位 below 80. The chart is an openpyxl
``BarChart`` over the score column, so Excel and WPS draw it themselves and it stays editable.

Printed, it is two landscape A4 pages: the table (its headings repeated if it runs longer) and,
after a page break, the chart whole on a page of its own.
"""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.worksheet import Worksheet

from bot.domain.scores import ScoreCategory
from bot.views.exports.paper import landscape_a4
from bot.services.scoring import ScoreTable
from bot.texts import label

CATEGORIES = tuple(ScoreCategory)
"""A count column per kind of event, in the notice's order."""

CHART_WIDTH_CM, CHART_MAX_HEIGHT_CM = 24, 16
"""The chart fills a landscape A4 page inside its margins, and never more."""


def report_workbook(table: ScoreTable, title: str, *, annual: bool = False) -> bytes:
    """The 通报 (or, with ``annual``, the year-end ranking) as .xlsx bytes."""
    book = Workbook()
    ws: Worksheet = book.worksheets[0]  # a new workbook's one sheet, its active one
    ws.title = label("exports", "ranking_sheet" if annual else "report_sheet")
    headings = [label("exports", "rank"), label("exports", "unit")]
    headings += [label("score_category", c.value) for c in CATEGORIES]
    headings += [label("exports", "period_total"), label("exports", "score"), label("exports", "remark")]
    ws.append([title])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(headings))
    ws["A1"].font = Font(bold=True, size=14)
    ws["A1"].alignment = Alignment(horizontal="center")
    ws.append(headings)
    ws.row_dimensions[2].height = 45  # three lines of a wrapped heading such as 收到督办通知单
    for cell in ws[2]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    below = label("scores", "below_threshold")
    for line in table.lines:
        counts = [line.figures.counts.get(c, 0) for c in CATEGORIES]
        # Scores go in as numbers (for the chart and for sorting in Excel); one decimal is exact
        # for every point value of the notice.
        ws.append([
            line.rank, line.unit.name, *counts, float(line.period_total), float(line.score),
            below if line.below_threshold else "",
        ])
    ws.freeze_panes = "C3"
    widths = [6, 18] + [10] * len(CATEGORIES) + [12, 12, 18]
    for index, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    score_col = 2 + len(CATEGORIES) + 2
    for row in ws.iter_rows(min_row=3, min_col=score_col - 1, max_col=score_col):
        for cell in row:
            cell.number_format = "0.0#"
    last = 2 + len(table.lines)
    for row in ws.iter_rows(min_row=3, max_row=last):
        for cell in row:
            cell.alignment = Alignment(vertical="center", wrap_text=True)
    _page_setup(ws, last)
    if table.lines:
        chart = BarChart()
        chart.type = "bar"
        chart.title = title
        chart.y_axis.title = label("exports", "score")
        chart.legend = None
        chart.add_data(Reference(ws, min_col=score_col, min_row=2, max_row=last), titles_from_data=True)
        chart.set_categories(Reference(ws, min_col=2, min_row=3, max_row=last))
        chart.height = min(CHART_MAX_HEIGHT_CM, max(11, len(table.lines) // 2))
        chart.width = CHART_WIDTH_CM
        # Below the table, after a page break: beside it, the chart was cut across pages.
        ws.add_chart(chart, f"A{last + 2}")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _page_setup(ws: Worksheet, last_row: int) -> None:
    """Landscape A4 fitted to the page width; title and headings repeated; the chart on its own page."""
    landscape_a4(ws, "1:2", side_margin=0.5)
    ws.row_breaks.append(Break(id=last_row))
