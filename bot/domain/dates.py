"""Dates as people write them — ``2026-12-31``, ``2026/12/31``, ``2026年12月31日``, ``12月31日`` —
and the year a date written without one falls in.

One reading for every place a person types a date (期限 in /new and its one-message form, the
date asked in 申请延期 or granted in 改期同意, a 退回's new date, the last day after a 约谈, a
阶段汇报 schedule) and for the dates a 会议纪要 states: 「1月15日」 written on 12月20日 as a date
to come is the coming 15 January, not one already past; 「11月1日」 written on 11月24日 is refused
as past, not taken for next November.

Pure functions; ``today`` is a parameter.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, timedelta

from bot.domain.errors import DomainError

_ISO_DATE = re.compile(r"^(\d{4})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{1,2})$")
_CN_DATE = re.compile(r"^(?:(\d{4})\s*年)?\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?(?:前|之前|以前)?$")


def day_of(year: int, month: int, day: int) -> date | None:
    """The date, or None when there is no such day (2月30日)."""
    try:
        return date(year, month, day)
    except ValueError:
        return None


NEAR = timedelta(days=183)
"""How far ahead a date written without a year may be taken into next year."""


def coming(month: int, day: int, today: date) -> date | None:
    """``month``月``day``日 written without a year as a date to come.

    This year's while it is still to come; next year's when that is near (「1月15日」 written on
    12月20日). A day just past (「11月1日」 on 11月24日) stays this year's, so it is refused as
    past instead of silently becoming a date eleven months on. None when there is no such day.
    """
    this_year = day_of(today.year, month, day)
    if this_year is None or this_year > today:
        return this_year
    next_year = day_of(today.year + 1, month, day)
    return next_year if next_year is not None and next_year - today <= NEAR else this_year


def read_date(text: str, today: date, *, ahead: bool) -> date | None:
    """The date ``text`` writes, or None if it writes none.

    Args:
        text: What the person typed (full-width digits are read too).
        today: The day it was typed.
        ahead: The date is one to come (a deadline, a last day): written without a year, a day
            already past this year is next year's. Otherwise (the day a 约谈 was held) a date
            without a year is this year's.

    Raises:
        DomainError: ``date_no_such_day`` for a date written as one but that does not exist
            (2026-02-30, 13月1日): a slip of the finger, not text that is no date.
    """
    value = unicodedata.normalize("NFKC", text).strip()
    if match := _ISO_DATE.match(value):
        found = day_of(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    elif match := _CN_DATE.match(value):
        month, day = int(match.group(2)), int(match.group(3))
        if match.group(1):
            found = day_of(int(match.group(1)), month, day)
        else:
            found = coming(month, day, today) if ahead else day_of(today.year, month, day)
    else:
        return None
    if found is None:
        raise DomainError("date_no_such_day", text=text.strip()[:30])
    return found
