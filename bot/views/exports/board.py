"""The 红/黄/绿 board (SPEC section 7): every open task in the person's scope, by unit.

* red: overdue, or a 督办通知单 issued (督办 and later stages);
* yellow: due within 3 days, or a 催办单 issued, or 超期未汇报 (a 阶段汇报 date let pass);
* green: on time.

A task waiting for review of feedback submitted in time, or for an extension decision, is not
overdue (its clock has stopped), so it is coloured by its stage alone.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from bot.domain.org import Person
from bot.domain.reporting import ReportSchedule, missed_since
from bot.services import queries
from bot.services.context import Office
from bot.views.exports.charts import BoardRow, board_png
from bot.storage import ledger, org
from bot.texts import label, plain, render

YELLOW_DAYS = 3
"""Due within this many days: yellow."""


class Light(StrEnum):
    """A task's colour on the board."""

    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"


def light(
    overdue: bool, deadline: date, status: str, stage: str, extension_pending: bool, today: date,
    report_missed: bool = False,
) -> Light:
    """The colour of one open task on ``today``; ``overdue`` is 逾期 as bot/domain/clock.py has it,
    ``report_missed`` 超期未汇报 as bot/domain/reporting.py has it."""
    held = status == "feedback_pending" or extension_pending
    if stage in ("supervised", "interviewed") or overdue:
        return Light.RED
    if stage == "reminded" or report_missed or (not held and (deadline - today).days <= YELLOW_DAYS):
        return Light.YELLOW
    return Light.GREEN


@dataclass(frozen=True)
class Board:
    """The picture and the counts the caption gives."""

    png: bytes
    rows: tuple[BoardRow, ...]
    green: int
    yellow: int
    red: int
    today: date

    @property
    def total(self) -> int:
        """Open tasks on the board."""
        return self.green + self.yellow + self.red


async def board(office: Office, person: Person, today: date) -> Board:
    """The person's board for ``today``.

    Raises:
        DomainError: ``font_missing`` when no CJK font is installed.
    """
    conn = office.db.reader
    scope = await queries.scope_of(conn, person, units=False)
    per_unit: dict[int, dict[Light, int]] = defaultdict(lambda: dict.fromkeys(Light, 0))
    seen: set[int] = set()
    for part in scope.parts:
        clocks = await ledger.board_clocks(conn, today, part.unit_id, part.section_id)
        for task_id, unit_id, deadline, status, stage, pending, overdue, schedule, issued_on, last_report in clocks:
            if task_id in seen:
                continue
            seen.add(task_id)
            missed = schedule is not None and missed_since(
                ReportSchedule.decode(schedule), date.fromisoformat(issued_on), date.fromisoformat(deadline),
                date.fromisoformat(last_report) if last_report else None, today, office.calendar,
            ) is not None
            colour = light(bool(overdue), date.fromisoformat(deadline), status, stage, bool(pending), today, missed)
            per_unit[unit_id][colour] += 1
    names = {u.id: u.name for u in await org.units(conn)}
    rows = tuple(sorted(
        (BoardRow(names.get(u, ""), c[Light.GREEN], c[Light.YELLOW], c[Light.RED]) for u, c in per_unit.items()),
        key=lambda r: (-r.red, -r.yellow, -(r.green + r.yellow + r.red), r.unit),
    ))
    title = plain(render("exports/board_title", today=today))
    legend = (label("board", "green"), label("board", "yellow"), label("board", "red"))
    png = await asyncio.to_thread(board_png, rows, title, legend, plain(render("exports/board_empty")))
    return Board(png, rows, sum(r.green for r in rows), sum(r.yellow for r in rows), sum(r.red for r in rows), today)
