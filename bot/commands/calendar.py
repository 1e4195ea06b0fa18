"""``duban calendar``: the working-day table for years the official calendar package lacks."""

from __future__ import annotations

import argparse
import sys
from datetime import date

from bot.config import Settings
from bot.domain.calendar import is_known_year
from bot.services.context import Office
from bot.storage import calendar, history
from bot.texts import render

EXIT_USAGE = 2


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(render("calendar/bad_date", text=text)) from exc


async def _run(args: argparse.Namespace, settings: Settings) -> int:
    office = await Office.open(settings)
    try:
        if args.action == "list":
            entries = await calendar.days(office.db.reader, args.year)
            print(render("calendar/list", entries=entries, year=args.year, known=is_known_year(args.year) if args.year else None))
            return 0
        async with office.db.transaction() as conn:
            if args.action == "remove":
                if not await calendar.remove_day(conn, args.day):
                    print(render("calendar/not_found", day=args.day), file=sys.stderr)
                    return EXIT_USAGE
            else:
                await calendar.set_day(conn, args.day, args.action == "workday", args.note)
            await history.append(conn, "calendar_changed", office.now(), day=args.day.isoformat(), action=args.action, note=args.note if args.action != "remove" else "")
        print(render("calendar/changed", day=args.day, action=args.action, note=getattr(args, "note", "")))
        return 0
    finally:
        await office.db.close()


def add_to(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``duban calendar rest|workday|remove|list``."""
    top = sub.add_parser(
        "calendar", help="节假日调整表", description="为官方节假日数据尚未覆盖的年份（如2027年）登记法定节假日和调休上班日；期限计算会用到。"
    )
    actions = top.add_subparsers(dest="action", required=True, metavar="ACTION")
    for name, help_text in (("rest", "登记休息日（法定节假日）"), ("workday", "登记调休上班日")):
        p = actions.add_parser(name, help=help_text, description=help_text)
        p.add_argument("day", type=_day, help="日期 YYYY-MM-DD")
        p.add_argument("--note", default="", help="说明，如 元旦")
        p.set_defaults(run=_run)
    p = actions.add_parser("remove", help="删除一条登记", description="删除一条登记。")
    p.add_argument("day", type=_day, help="日期 YYYY-MM-DD")
    p.set_defaults(run=_run)
    p = actions.add_parser("list", help="查看登记", description="查看登记的节假日和调休上班日。")
    p.add_argument("--year", type=int, help="年份")
    p.set_defaults(run=_run)
