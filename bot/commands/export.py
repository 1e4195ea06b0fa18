"""``duban export ledger|slip|report``: the spreadsheets and documents, from the command line.

The operator running ``duban`` reads as the administrator does: every unit and every task.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.config import Settings
from bot.domain.errors import DomainError
from bot.domain.org import Person, Role
from bot.services.context import Office
from bot.texts import explain, plain, render

EXIT_USAGE = 2
OPERATOR = Person(0, "duban", frozenset({Role.ADMIN}))
"""Who the command line reads as."""


async def _run(args: argparse.Namespace, settings: Settings) -> int:
    from bot.services import scoring
    from bot.views.exports import ledger, word, workbooks

    office = await Office.open(settings)
    try:
        today = office.now().date()
        count: int | None = None
        view = ""
        if args.what == "ledger":
            flt = await ledger.parse_filter(office, OPERATOR, " ".join([*(["专项"] if args.special else []), *args.filters]))
            data, count = await ledger.ledger_workbook(office, OPERATOR, flt, today)
            view = flt.view.value
            default = f"ledger-{'meeting-' if flt.view is ledger.View.MEETING else ''}{today.isoformat()}.xlsx"
        elif args.what == "slip":
            name, data = await word.slip_docx(office, OPERATOR, text=args.number)
            default = name
        else:
            period = scoring.parse_period(args.period)
            table = await scoring.table(office, period, today)
            title = plain(render("reports/title", period=period))
            as_word = args.docx or (args.output or "").lower().endswith(".docx")
            if as_word:
                data = word.report_docx(table, title, office.settings.organisation, today)
            else:
                data = workbooks.report_workbook(table, title, annual=period.month is None)
            default = f"report-{period.key}.{'docx' if as_word else 'xlsx'}"
        path = Path(args.output or default)
        path.write_bytes(data)
        print(plain(render("exports/cli_written", path=path, count=count, view=view)))
        return 0
    except DomainError as exc:
        print(plain(explain(exc)), file=sys.stderr)
        return EXIT_USAGE
    finally:
        await office.db.close()


def add_to(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``duban export ledger [筛选…] | slip <编号> | report <2026-11|2026>``."""
    top = sub.add_parser("export", help="导出台账、单据或通报", description="导出台账（.xlsx）、交办单等单据（.docx）或月度通报（.xlsx，含图表）。")
    what = top.add_subparsers(dest="what", required=True, metavar="WHAT")
    p = what.add_parser(
        "ledger", help="台账 .xlsx",
        description="导出台账；可按单位、科室、状态（在办/逾期/办结）、月份筛选。写「会议」导出开会用的简表（编号、事项、责任单位、期限、状态、逾期天数、最新督办单据，A4横向一页宽），默认为全表（全部列，两页宽，每页重复编号列）。",
    )
    p.add_argument("filters", nargs="*", help="筛选条件和视图，如 住建局 2026-11 逾期 会议")
    p.add_argument("--special", action="store_true", help="只导出专项台账")
    p.add_argument("-o", "--output", help="输出文件（默认 ledger-日期.xlsx）")
    p.set_defaults(run=_run)
    p = what.add_parser("slip", help="单据 .docx", description="把一张交办单、催办单或督办通知单导出为 Word 文档。")
    p.add_argument("number", help="单号，如 〔2026〕12号、2026-12、催办2026-3")
    p.add_argument("-o", "--output", help="输出文件（默认按单号命名）")
    p.set_defaults(run=_run)
    p = what.add_parser("report", help="月度通报 .xlsx 或 .docx", description="导出某月的加减分通报（或某年的年度排名）：.xlsx 含柱状图；--docx 为公文格式的 Word 文档。")
    p.add_argument("period", help="月份 2026-11，或年份 2026")
    p.add_argument("--docx", action="store_true", help="导出 Word 文档（输出文件以 .docx 结尾时也是）")
    p.add_argument("-o", "--output", help="输出文件（默认 report-月份.xlsx 或 .docx）")
    p.set_defaults(run=_run)
