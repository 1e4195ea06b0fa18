"""The 台账 and the 专项台账 as .xlsx, within the asker's scope.

"纳入专项台账管理": a task enters the 专项工作台账 when issued as such, or once a 督办通知单 is
issued for it (SPEC section 4). Filters combine: ``/ledger 住建局 逾期 2026-11``.

The workbook is written in openpyxl's write-only mode straight from one SQL cursor, so 100,000
lines take seconds and constant memory (see bench/report_bench.py).

It is made to go on paper, in two views (:class:`View`) the asker chooses by a word:
``/ledger 会议`` is the meeting's sheet — 编号, 事项, 责任单位, 期限, 状态, 逾期天数 and the latest
slip — one landscape A4 page wide at the sheet's 11-point size; the full view (``/ledger``, or
``/ledger 全表``) has every column an office files (the 催办单 and 督办通知单 numbers, 约谈, 移交,
the 签收 and 反馈 dates), two landscape A4 pages wide with 编号 repeated on each. Both have a title
and a date line, ruled cells, wrapped text and the heading row repeated on every page
(openpyxl's own page setup).
"""

from __future__ import annotations

import asyncio
import math
import tempfile
import threading
from collections.abc import AsyncGenerator, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from enum import StrEnum
from typing import Any

import aiosqlite
from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.worksheet.worksheet import Worksheet

from bot.domain import clock
from bot.domain.calendar import WorkCalendar
from bot.domain.deadlines import overdue_days
from bot.domain.errors import DomainError
from bot.domain.reporting import ReportSchedule, missed_since
from bot.domain.sharing import UnitRole
from bot.domain.org import Person, Section, Unit
from bot.services import directory, queries
from bot.services.context import Office
from bot.views.exports.paper import landscape_a4
from bot.services.scoring import Period, parse_period
from bot.views.slip_texts import schedule_text
from bot.storage import ledger, org
from bot.storage.ledger import LedgerScope
from bot.texts import label, plain, render

SPECIAL_WORDS = frozenset({"专项", "专项台账"})
STATUS_WORDS = {
    "在办": "open", "未办结": "open", "逾期": "overdue", "办结": "completed", "已办结": "completed",
    "已交办": "issued", "已签收": "acknowledged", "待审核": "feedback_pending", "已反馈": "feedback_pending",
}
"""What people type to filter by status, and what each means."""


class View(StrEnum):
    """Which columns the 台账 prints."""

    FULL = "full"
    """Every column, two landscape A4 pages wide, 编号 on each."""

    MEETING = "meeting"
    """The meeting's sheet: 编号, 事项, 责任单位, 期限, 状态, 逾期天数, latest slip, one page wide."""


VIEW_WORDS = {"会议": View.MEETING, "会议用": View.MEETING, "简表": View.MEETING, "全表": View.FULL, "完整": View.FULL}
"""What people type to choose the view."""

COLUMNS = (
    ("number", 12), ("title", 18), ("requirements", 28), ("unit", 10), ("responsible", 7), ("section", 8),
    ("issued_on", 10), ("delivered_at", 11), ("read_at", 11), ("acknowledged_on", 10), ("feedback_on", 10), ("deadline", 10), ("overdue_days", 6),
    ("reminder_numbers", 12), ("supervision_numbers", 12), ("interview_on", 10), ("transfer_on", 10),
    ("status", 8), ("completed_on", 10), ("attachments", 5),
    ("role", 9), ("schedule", 9), ("last_report", 10), ("report_missed", 6),
)
"""Each column's heading (``labels.toml`` [exports]) and its width in characters: the widths add up
to what two landscape A4 pages hold at a legible size once fitted to their width."""

FULL_PAGES_WIDE = 2
"""The full view's columns run over two page widths: at one, 22 columns print at 6–7 points."""

MEETING_COLUMNS = (
    ("number", 14), ("title", 46), ("unit", 14), ("deadline", 12), ("status", 10), ("overdue_days", 8),
    ("latest_slip", 24),
)
"""The meeting view: one landscape A4 page wide at the sheet's own size."""

HEADING_ROW = 3
"""Title, date line, then the headings (repeated on every printed page)."""

DATE_FORMAT = "yyyy-mm-dd"
TIME_FORMAT = "mm-dd hh:mm"
"""送达 and 已读 to the minute; the year is the 交办日期's beside them."""


@dataclass(frozen=True)
class LedgerFilter:
    """What the export is narrowed to; every field left None means all."""

    special: bool = False
    unit: Unit | None = None
    section: Section | None = None
    status: str | None = None
    month: Period | None = None
    view: View = View.FULL


async def parse_filter(office: Office, person: Person, text: str) -> LedgerFilter:
    """``专项 住建局 综合一科 逾期 2026-11 会议`` in any order; a unit must be in the person's scope.

    Raises:
        DomainError: ``ledger_filter_unknown`` for a word that is none of these;
            ``unit_not_in_scope``; ``period_text_invalid``.
    """
    conn = office.db.reader
    scope = await queries.scope_of(conn, person)
    sections = await org.sections(conn)
    names = await directory.unit_names(office)
    special, unit, section, status, month, view = False, None, None, None, None, View.FULL
    for word in text.split():
        if word in SPECIAL_WORDS:
            special = True
        elif word in VIEW_WORDS:
            view = VIEW_WORDS[word]
        elif word in STATUS_WORDS:
            status = STATUS_WORDS[word]
        elif word[:1].isdigit():
            month = parse_period(word, allow_year=False)
        elif any(s.name == word for s in sections):
            section = next(s for s in sections if s.name == word)
        elif any(word in u.name for u in scope.units) or names.unit_for(word) in {u.id for u in scope.units}:
            unit = queries.find_unit(scope, word, names=names)
        else:
            raise DomainError("ledger_filter_unknown", text=word)
    return LedgerFilter(special, unit, section, status, month, view)


def _scope(scope: queries.Scope, flt: LedgerFilter) -> LedgerScope:
    return LedgerScope(
        parts=[(part.unit_id, part.section_id) for part in scope.parts],
        special=flt.special,
        unit_id=flt.unit.id if flt.unit is not None else None,
        section_id=flt.section.id if flt.section is not None else None,
        status=flt.status,
        issued_between=(flt.month.start, flt.month.end) if flt.month is not None else None,
    )


def current_clock(r: Sequence[Any], matters: dict[int, tuple[str, int]], today: date) -> tuple[date, int | None]:
    """The current deadline and 逾期天数 on ``today`` (None when not 逾期) that the line's copy
    shows, as /task shows them: a 配合单位's copy the matter's, which is its 牵头单位's
    (:func:`bot.domain.clock.shows_matter_clock`; ``matters``: :func:`bot.storage.ledger.matter_clocks`).

    Whether it is 逾期 comes from the SQL of :data:`bot.storage.tasks.OVERDUE` (the same set as
    ``bot.domain.clock.is_overdue``); the days are the domain's calendar days from the deadline.
    """
    deadline, overdue = r[10], r[13]
    if r[21] in matters and clock.shows_matter_clock(UnitRole(r[20]), bool(r[24])):
        deadline, overdue = matters[r[21]]
    current = date.fromisoformat(deadline)
    return current, overdue_days(current, today) if overdue else None


async def ledger_workbook(office: Office, person: Person, flt: LedgerFilter, today: date) -> tuple[bytes, int]:
    """The .xlsx bytes and the number of lines written.

    The lines are read on a connection of their own, one snapshot, a batch at a time, and
    written as they come: what is held is a batch of rows and the file being made, however many
    lines the 台账 has (a province's million: bench/postgres_bench.py).
    """
    conn = office.db.reader
    scope = await queries.scope_of(conn, person, units=False)
    wanted = _scope(scope, flt)
    units = {u.id: u.name for u in await org.units(conn)}
    sections = {s.id: s.name for s in await org.sections(conn)}
    async with office.db.snapshot() as snapshot:
        count = await ledger.line_count(snapshot, wanted, today)
        evidence = await ledger.evidence(snapshot, wanted, today)
        leads = {matter: units.get(unit_id, "") for matter, unit_id in (await ledger.lead_units(snapshot)).items()}
        matters = await ledger.matter_clocks(snapshot, today)
        title = plain(render("exports/ledger_title", org=office.settings.organisation, special=flt.special))
        dateline = plain(render("exports/ledger_dateline", today=today, count=count))
        lines = ledger.lines(snapshot, wanted, today)
        if flt.view is View.MEETING:
            data = await _written(_write_meeting, lines, units, matters, flt.special, (title, dateline), today)
        else:
            data = await _written(
                _write, lines, evidence, units, sections, flt.special, (title, dateline),
                _Reports(leads, matters, office.calendar, today, office.settings.timezone),
            )
    return data, count


async def _written(write: Callable[..., bytes], batches: AsyncGenerator[list[Sequence[Any]], None], *args: Any) -> bytes:
    """``write(lines, *args)`` in a worker thread (writing 100,000 lines is seconds of CPU: the bot
    keeps answering), its lines fetched a batch at a time on the event loop as it asks for them."""
    loop = asyncio.get_running_loop()
    given_up = threading.Event()

    async def next_batch() -> list[Sequence[Any]] | None:
        return await anext(batches, None)

    def fetched() -> list[Sequence[Any]] | None:
        answer = asyncio.run_coroutine_threadsafe(next_batch(), loop)
        while True:
            try:
                return answer.result(timeout=1)
            except TimeoutError:
                # the export was cancelled (the bot stopping): the thread ends rather than wait
                # for an event loop that may be gone
                if given_up.is_set():
                    raise

    def lines() -> Iterator[Sequence[Any]]:
        while (batch := fetched()) is not None:
            yield from batch

    try:
        return await asyncio.to_thread(write, lines(), *args)
    finally:
        given_up.set()
        await batches.aclose()


EVIDENCE_COLUMNS = (
    ("number", 12), ("unit", 10), ("evidence_file", 24), ("feedback_on", 10), ("evidence_path", 40),
    ("evidence_sha256", 30),
)


def _styled(ws: Worksheet, value: Any, font: Font | None = None, alignment: Alignment | None = None,
            fill: PatternFill | None = None, number_format: str | None = None, border: Border | None = None) -> Cell:
    cell = WriteOnlyCell(ws)
    cell.value = value  # as WriteOnlyCell(ws, value=...) does; its stub omits date
    if border is not None:
        cell.border = border
    if font is not None:
        cell.font = font
    if alignment is not None:
        cell.alignment = alignment
    if fill is not None:
        cell.fill = fill
    if number_format is not None:
        cell.number_format = number_format
    return cell


LINE_HEIGHT = 14.0
"""Points per wrapped line at the sheet's 11-point size, Chinese glyphs included."""


def display_width(text: str) -> float:
    """Width in column units (the width of a "0"): a Chinese character takes about 1.75 (as LibreOffice and Excel print them)."""
    return sum(1.75 if ord(ch) >= 0x2E80 else 1.0 for ch in text)


def lines_needed(value: object, width: float) -> int:
    """Printed lines of a wrapped cell: each typed line, wrapped at the column's width."""
    if not isinstance(value, str) or not value:
        return 1
    usable = max(width - 1.5, 1.0)  # the cell's padding
    return sum(max(1, math.ceil(display_width(line) / usable)) for line in value.split("\n"))


@dataclass(frozen=True)
class _Reports:
    """What the 牵头/配合 and 阶段汇报 columns need besides the task's own row."""

    leads: dict[int, str]
    """The 牵头单位's name per matter."""
    matters: dict[int, tuple[str, int]]
    """Each matter's clock (:func:`bot.storage.ledger.matter_clocks`)."""
    calendar: WorkCalendar
    today: date
    tz: tzinfo | None = None
    """The office's time zone, in which 送达 and 已读 print."""

    def role(self, role: str, matter_id: int | None) -> str:
        if role == UnitRole.LEAD:
            return label("exports", "role_lead")
        if role == UnitRole.PARTNER:
            return label("exports", "role_partner").format(lead=self.leads.get(matter_id or 0, ""))
        return ""

    def missed(self, schedule: str | None, issued_on: date, deadline: date, last_report: date | None, is_open: bool) -> str:
        """超期未汇报 of an open task, as /task shows it (bot/domain/reporting.py)."""
        if not schedule or not is_open:
            return ""
        missed = missed_since(ReportSchedule.decode(schedule), issued_on, deadline, last_report, self.today, self.calendar)
        return label("exports", "report_missed") if missed else ""


RULED = Border(*(Side(style="thin", color="808080"),) * 4)
"""Every cell of the table ruled, as a 台账 on paper is."""


def _sheet(book: Workbook, special_sheet: bool, columns: tuple[tuple[str, int], ...], heading: tuple[str, str],
           pages_wide: int, title_columns: str | None) -> Worksheet:
    """The sheet with its page setup, title, date line and ruled heading row."""
    ws = book.create_sheet(label("exports", "special_sheet" if special_sheet else "ledger_sheet"))
    for index, (_, width) in enumerate(columns, start=1):
        ws.column_dimensions[_letter(index)].width = width
    landscape_a4(ws, f"{HEADING_ROW}:{HEADING_ROW}", pages_wide=pages_wide, title_columns=title_columns)
    ws.freeze_panes = f"B{HEADING_ROW + 1}" if title_columns else f"A{HEADING_ROW + 1}"
    # Centred across the columns rather than merged: a merged title is what breaks sorting and
    # filtering when the office reuses the sheet. Over two page widths it would be cut in two, so
    # there it starts after the 编号 column (which every page repeats) on the first page.
    across = Alignment(horizontal="centerContinuous" if title_columns is None else "left", vertical="center")
    lead = [] if title_columns is None else [_styled(ws, None)]
    rest = len(columns) - len(lead) - 1
    ws.row_dimensions[1].height = 24  # the 16-point title would print over the date line
    ws.append(lead + [_styled(ws, heading[0], Font(bold=True, size=16), across)] + [_styled(ws, None, alignment=across)] * rest)
    ws.append(lead + [_styled(ws, heading[1], Font(size=11), across)] + [_styled(ws, None, alignment=across)] * rest)
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
    centred = Alignment(horizontal="center", vertical="center", wrap_text=True)
    headings = [label("exports", key) for key, _ in columns]
    ws.row_dimensions[HEADING_ROW].height = LINE_HEIGHT * max(lines_needed(h, w) for h, (_, w) in zip(headings, columns))
    ws.append([_styled(ws, heading, bold, centred, fill, border=RULED) for heading in headings])
    return ws


WRAPPED = Alignment(vertical="top", wrap_text=True)
CENTRED = Alignment(horizontal="center", vertical="top", wrap_text=True)
"""Numbers and dates centred in their cells, so none prints against its neighbour's text."""


def _status(r: Sequence[Any]) -> str:
    """状态 as the 台账 prints it: the task's status, or 已移交 for one moved to 作风办 and not 办结."""
    if r[12] == "transferred" and r[11] != "completed":
        return label("stage", "transferred")
    return label("status", r[11])


def _write(rows: Iterable[Sequence[Any]], evidence: list[aiosqlite.Row], units: dict[int, str],
           sections: dict[int, str], special_sheet: bool, heading: tuple[str, str], reports: _Reports) -> bytes:

    book = Workbook(write_only=True)
    ws = _sheet(book, special_sheet, COLUMNS, heading, FULL_PAGES_WIDE, "A:A")

    # One styled cell per column, given each line's values in turn: write-only mode writes a row
    # as it is appended, and styling 1.8 million cells one by one would double the export's time.
    dates = {6, 9, 10, 11, 15, 16, 18, 22}
    times = {7, 8}
    numbers = {0, 12, 19, 23}
    cells = [
        _styled(ws, None, alignment=CENTRED, number_format=DATE_FORMAT, border=RULED) if index in dates
        else _styled(ws, None, alignment=CENTRED, number_format=TIME_FORMAT, border=RULED) if index in times
        else _styled(ws, None, alignment=CENTRED if index in numbers else WRAPPED, border=RULED)
        for index in range(len(COLUMNS))
    ]

    def day(value: str | None) -> date | None:
        return date.fromisoformat(value) if value else None

    def moment(value: str | None) -> datetime | None:
        # a spreadsheet's time has no zone: the office's, as every time the bot shows
        return datetime.fromisoformat(value).astimezone(reports.tz).replace(tzinfo=None) if value else None

    unread = label("exports", "unread")

    for number, r in enumerate(rows, start=HEADING_ROW + 1):
        deadline, overdue = current_clock(r, reports.matters, reports.today)
        # LibreOffice keeps the stored (default) height of the rows it opens, so wrapped text
        # would be cut off and print over the next line: each row gets the height its text needs.
        ws.row_dimensions[number].height = LINE_HEIGHT * max(
            lines_needed(r[2], COLUMNS[1][1]), lines_needed(r[3], COLUMNS[2][1]), lines_needed(r[14], COLUMNS[13][1]),
            lines_needed(r[15], COLUMNS[14][1]),
        )
        values = (
            f"〔{r[0]}〕{r[1]}号", r[2], r[3], units.get(r[4], ""), r[6] or "", sections.get(r[5], ""),
            day(r[7]), moment(r[25]), moment(r[26]) or (unread if r[27] else None), day(r[8]), day(r[9]), deadline, overdue, r[14] or "", r[15] or "", day(r[16]), day(r[17]),
            _status(r), day(r[18]), r[19],
            reports.role(r[20], r[21]), schedule_text(ReportSchedule.decode(r[22])) if r[22] else "", day(r[23]),
            reports.missed(r[22], date.fromisoformat(r[7]), deadline, day(r[23]), r[11] not in ("completed", "withdrawn") and r[12] != "transferred"),
        )
        for cell, value in zip(cells, values):
            cell.value = value
        ws.append(cells)
        # write-only mode writes the row at append; its height, kept, would hold a million
        # row objects by the end of a province's 台账
        del ws.row_dimensions[number]
    if evidence:
        _write_evidence(book, evidence, units)
    return _saved(book)


def latest_slip(r: Sequence[Any], names: dict[str, str]) -> str:
    """The slip the matter last received: its latest 督办通知单, else 催办单, else its 交办单
    (``names``: each kind's name, :func:`_slip_names`)."""
    for numbers, kind in ((r[15], "supervision"), (r[14], "reminder")):
        if numbers:
            return names[kind] + numbers.split("、")[-1]
    return names["assignment"] + f"〔{r[0]}〕{r[1]}号"


def _slip_names() -> dict[str, str]:
    # Rendered once, not once a line: 100,000 lines would spend seconds in the template.
    return {kind: plain(render("exports/ledger_slip", kind=kind, number="")) for kind in ("supervision", "reminder", "assignment")}


def _write_meeting(rows: Iterable[Sequence[Any]], units: dict[int, str], matters: dict[int, tuple[str, int]], special_sheet: bool,
                   heading: tuple[str, str], today: date) -> bytes:
    """The meeting view: the seven columns a meeting goes through, one page wide."""
    book = Workbook(write_only=True)
    ws = _sheet(book, special_sheet, MEETING_COLUMNS, heading, 1, None)
    cells = [
        _styled(ws, None, alignment=CENTRED, number_format=DATE_FORMAT, border=RULED) if index == 3
        else _styled(ws, None, alignment=CENTRED if index in (0, 4, 5) else WRAPPED, border=RULED)
        for index in range(len(MEETING_COLUMNS))
    ]
    names = _slip_names()
    for number, r in enumerate(rows, start=HEADING_ROW + 1):
        deadline, overdue = current_clock(r, matters, today)
        slip = latest_slip(r, names)
        ws.row_dimensions[number].height = LINE_HEIGHT * max(
            lines_needed(r[2], MEETING_COLUMNS[1][1]), lines_needed(slip, MEETING_COLUMNS[6][1]),
        )
        values = (f"〔{r[0]}〕{r[1]}号", r[2], units.get(r[4], ""), deadline, _status(r), overdue, slip)
        for cell, value in zip(cells, values):
            cell.value = value
        ws.append(cells)
        del ws.row_dimensions[number]  # written at append: not kept (see _write)
    return _saved(book)


def _saved(book: Workbook) -> bytes:
    # Zipped into a file and read back once: a BytesIO's getvalue() would hold the file twice.
    with tempfile.TemporaryFile() as out:
        book.save(out)
        out.seek(0)
        return out.read()


def _write_evidence(book: Workbook, evidence: list[aiosqlite.Row], units: dict[int, str]) -> None:
    """A second sheet, 反馈附件: one line per file a unit sent as feedback, with its archive copy."""
    ws = book.create_sheet(label("exports", "evidence_sheet"))
    for index, (_, width) in enumerate(EVIDENCE_COLUMNS, start=1):
        ws.column_dimensions[_letter(index)].width = width
    landscape_a4(ws, "1:1")
    ws.freeze_panes = "A2"
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
    centred = Alignment(horizontal="center", vertical="center", wrap_text=True)
    ws.append([_styled(ws, label("exports", key), bold, centred, fill) for key, _ in EVIDENCE_COLUMNS])
    wrapped = Alignment(vertical="top", wrap_text=True)
    for year, seq, unit_id, name, kind, on_day, path, sha in evidence:
        ws.append([
            _styled(ws, value, alignment=wrapped)
            for value in (f"〔{year}〕{seq}号", units.get(unit_id, ""), name or label("exports", f"evidence_{kind}"),
                          on_day, path or label("exports", "evidence_not_kept"), sha or "")
        ])


def _letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index)
