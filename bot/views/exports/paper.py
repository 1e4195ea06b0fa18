"""How every .xlsx the bot exports is printed: the one page setup of the 台账 and the 通报."""

from __future__ import annotations

from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet


def landscape_a4(
    ws: Worksheet, title_rows: str, side_margin: float = 0.4, pages_wide: int = 1, title_columns: str | None = None
) -> None:
    """Landscape A4, every column on ``pages_wide`` page widths, pages as long as needed,
    ``title_rows`` (``"3:3"``) and ``title_columns`` (``"A:A"``, the 编号 when the columns run
    over two pages) repeated on every page, and page numbers: the pages of a 台账 come apart."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    ws.page_setup.fitToWidth = pages_wide
    if pages_wide > 1:
        ws.page_setup.pageOrder = "overThenDown"  # a line's halves on facing pages, not pages apart
    if title_columns is not None:
        ws.print_title_cols = title_columns
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.page_margins.left = ws.page_margins.right = side_margin
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.print_options.horizontalCentered = True
    ws.print_title_rows = title_rows
    if ws.oddFooter is not None:  # always, on a new sheet; its stub allows None
        ws.oddFooter.center.text = "&P / &N"
