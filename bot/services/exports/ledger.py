"""The 台账 and the 专项台账 as .xlsx, within the asker's scope.

"纳入专项台账管理": a task enters the 专项工作台账 when issued as such, or once a 督办通知单 is
issued for it (SPEC section 4). Filters combine: ``/ledger 住建局 逾期 2026-11``.

The workbook is written in openpyxl's write-only mode straight from one SQL cursor, so 100,000
lines take seconds and constant memory (see bench/report_bench.py).
"""

from __future__ import annotations

import asyncio
import io
from dataclasses import dataclass
from datetime import date

import aiosqlite
from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.worksheet import Worksheet

from bot.domain.calendar import WorkCalendar
from bot.domain.errors import DomainError
from bot.domain.reporting import ReportSchedule, missed_since
from bot.domain.sharing import UnitRole
from bot.domain.org import Person, Section, Unit
from bot.services import queries
from bot.services.context import Office
from bot.services.scoring import Period, parse_period
from bot.services.slip_texts import schedule_text
from bot.storage import org, tasks
from bot.texts import label

SPECIAL_WORDS = frozenset({"专项", "专项台账"})
STATUS_WORDS = {
    "在办": "open", "未办结": "open", "逾期": "overdue", "办结": "completed", "已办结": "completed",
    "已交办": "issued", "已签收": "acknowledged", "待审核": "feedback_pending", "已反馈": "feedback_pending",
}
"""What people type to filter by status, and what each means."""

COLUMNS = (
    ("number", 16), ("title", 36), ("requirements", 40), ("unit", 16), ("section", 14), ("source", 22),
    ("basis", 30), ("issued_on", 12), ("period_days", 10), ("deadline", 12), ("status", 14), ("stage", 14),
    ("completed_on", 12), ("special", 10), ("contact", 16),
    ("role", 18), ("schedule", 14), ("last_report", 12), ("report_missed", 12),
)
"""Each column's heading (``labels.toml`` [exports]) and its width in characters."""

DATE_FORMAT = "yyyy-mm-dd"


@dataclass(frozen=True)
class LedgerFilter:
    """What the export is narrowed to; every field left None means all."""

    special: bool = False
    unit: Unit | None = None
    section: Section | None = None
    status: str | None = None
    month: Period | None = None


async def parse_filter(conn: aiosqlite.Connection, person: Person, text: str) -> LedgerFilter:
    """``专项 住建局 综合一科 逾期 2026-11`` in any order; a unit must be in the person's scope.

    Raises:
        DomainError: ``ledger_filter_unknown`` for a word that is none of these;
            ``unit_not_in_scope``; ``period_text_invalid``.
    """
    scope = await queries.scope_of(conn, person)
    sections = await org.sections(conn)
    special, unit, section, status, month = False, None, None, None, None
    for word in text.split():
        if word in SPECIAL_WORDS:
            special = True
        elif word in STATUS_WORDS:
            status = STATUS_WORDS[word]
        elif word[:1].isdigit():
            month = parse_period(word, allow_year=False)
        elif any(s.name == word for s in sections):
            section = next(s for s in sections if s.name == word)
        elif any(word in u.name for u in scope.units):
            unit = queries.find_unit(scope, word)
        else:
            raise DomainError("ledger_filter_unknown", text=word)
    return LedgerFilter(special, unit, section, status, month)


def _where(scope: queries.Scope, flt: LedgerFilter, today: date) -> tuple[str, list[object]]:
    parts: list[str] = []
    args: list[object] = []
    for part in scope.parts:
        terms = []
        if part.unit_id is not None:
            terms.append("t.unit_id = ?")
            args.append(part.unit_id)
        if part.section_id is not None:
            terms.append("t.section_id = ?")
            args.append(part.section_id)
        parts.append("(" + (" AND ".join(terms) or "1") + ")")
    where = ["(" + (" OR ".join(parts) or "0") + ")"]
    if flt.special:
        where.append("(t.special_ledger = 1 OR t.stage IN ('supervised', 'interviewed', 'transferred'))")
    if flt.unit is not None:
        where.append("t.unit_id = ?")
        args.append(flt.unit.id)
    if flt.section is not None:
        where.append("t.section_id = ?")
        args.append(flt.section.id)
    if flt.status == "open":
        where.append("t.status != 'completed'")
    elif flt.status == "overdue":
        where.append(tasks.OVERDUE)
        args.append(today.isoformat())
    elif flt.status is not None:
        where.append("t.status = ?")
        args.append(flt.status)
    if flt.month is not None:
        where.append("t.issued_on BETWEEN ? AND ?")
        args += [flt.month.start.isoformat(), flt.month.end.isoformat()]
    return " AND ".join(where), args


def _header(ws: Worksheet, headings: list[str]) -> list[Cell]:
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
    cells = []
    for heading in headings:
        cell = WriteOnlyCell(ws, value=heading)
        cell.font, cell.fill = bold, fill
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cells.append(cell)
    return cells


def _date_cell(ws: Worksheet, value: str | None) -> Cell | None:
    if not value:
        return None
    cell = WriteOnlyCell(ws)
    cell.value = date.fromisoformat(value)  # as WriteOnlyCell(ws, value=...) does; its stub omits date
    cell.number_format = DATE_FORMAT
    return cell


async def ledger_workbook(office: Office, person: Person, flt: LedgerFilter, today: date) -> tuple[bytes, int]:
    """The .xlsx bytes and the number of lines written."""
    conn = office.db.reader
    scope = await queries.scope_of(conn, person)
    where, args = _where(scope, flt, today)
    units = {u.id: u.name for u in await org.units(conn)}
    sections = {s.id: s.name for s in await org.sections(conn)}
    async with conn.execute(
        f"""SELECT s.year, s.seq, t.title, t.requirements, t.unit_id, t.section_id, t.source, t.basis,
                   t.issued_on, t.period_days, t.deadline, t.status, t.stage, t.completed_on,
                   t.special_ledger, t.contact_name, t.contact_phone,
                   t.unit_role, t.matter_id, t.report_schedule, t.last_report_on
            FROM tasks t JOIN slips s ON s.task_id = t.id AND s.type = 'assignment'
            WHERE {where} ORDER BY s.year, s.seq""",
        args,
    ) as cur:
        rows = list(await cur.fetchall())
    async with conn.execute("SELECT matter_id, unit_id FROM tasks WHERE unit_role = 'lead'") as cur:
        leads = {r[0]: units.get(r[1], "") async for r in cur}
    # Writing 100,000 lines is seconds of CPU: done in a thread, the bot keeps answering.
    data = await asyncio.to_thread(_write, rows, units, sections, flt.special, _Reports(leads, office.calendar, today))
    return data, len(rows)


@dataclass(frozen=True)
class _Reports:
    """What the 牵头/配合 and 阶段汇报 columns need besides the task's own row."""

    leads: dict[int, str]
    """The 牵头单位's name per matter."""
    calendar: WorkCalendar
    today: date

    def role(self, role: str, matter_id: int | None) -> str:
        if role == UnitRole.LEAD:
            return label("exports", "role_lead")
        if role == UnitRole.PARTNER:
            return label("exports", "role_partner").format(lead=self.leads.get(matter_id or 0, ""))
        return ""

    def missed(self, r: aiosqlite.Row) -> str:
        """超期未汇报 of an open task, as /task shows it (bot/domain/reporting.py)."""
        if not r[19] or r[11] == "completed" or r[12] == "transferred":
            return ""
        missed = missed_since(
            ReportSchedule.decode(r[19]), date.fromisoformat(r[8]), date.fromisoformat(r[10]),
            date.fromisoformat(r[20]) if r[20] else None, self.today, self.calendar,
        )
        return label("exports", "report_missed") if missed else ""


def _write(
    rows: list[aiosqlite.Row], units: dict[int, str], sections: dict[int, str], special_sheet: bool, reports: _Reports,
) -> bytes:
    book = Workbook(write_only=True)
    ws = book.create_sheet(label("exports", "special_sheet" if special_sheet else "ledger_sheet"))
    for index, (_, width) in enumerate(COLUMNS, start=1):
        ws.column_dimensions[_letter(index)].width = width
    ws.freeze_panes = "A2"
    ws.append(_header(ws, [label("exports", key) for key, _ in COLUMNS]))
    yes, no = label("exports", "yes"), label("exports", "no")
    status_names = {k: label("status", k) for k in ("issued", "acknowledged", "feedback_pending", "completed")}
    stage_names = {k: label("stage", k) for k in ("none", "reminded", "supervised", "interviewed", "transferred")}
    for r in rows:
        special = bool(r[14]) or r[12] in ("supervised", "interviewed", "transferred")
        ws.append([
            f"〔{r[0]}〕{r[1]}号", r[2], r[3], units.get(r[4], ""), sections.get(r[5], ""), label("source", r[6]),
            r[7], _date_cell(ws, r[8]), r[9], _date_cell(ws, r[10]), status_names[r[11]], stage_names[r[12]],
            _date_cell(ws, r[13]), yes if special else no, " ".join(filter(None, (r[15], r[16]))),
            reports.role(r[17], r[18]), schedule_text(ReportSchedule.decode(r[19])) if r[19] else "",
            _date_cell(ws, r[20]), reports.missed(r),
        ])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index)
