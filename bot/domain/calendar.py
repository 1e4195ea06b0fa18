"""The official working-day calendar (工作日) that deadlines are counted against.

民法典 第二百零三条 moves a period's last day off a 法定休假日, and a deployment may count
时限要求 in working days: both need to know, for any date, whether government offices work.
China's calendar is not Monday–Friday: statutory holidays (法定节假日) fall on weekdays, and the
State Council's yearly notice adds 调休 make-up working days on weekends. The maintained
``chinesecalendar`` package carries those notices; an override table kept by the caller (in the
database, edited by an administrator) corrects or extends it, e.g. for a year the package does
not know yet.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import date
from types import MappingProxyType
from typing import Protocol

import chinese_calendar
from chinese_calendar.constants import holidays as _PACKAGE_HOLIDAYS

logger = logging.getLogger(__name__)

KNOWN_YEARS: range = range(min(_PACKAGE_HOLIDAYS).year, max(_PACKAGE_HOLIDAYS).year + 1)
"""The years whose official holiday arrangement the installed ``chinesecalendar`` knows."""


def is_known_year(year: int) -> bool:
    """True when the installed ``chinesecalendar`` has the State Council arrangement for ``year``.

    Args:
        year: A calendar year.

    Returns:
        Whether holidays and 调休 make-up days of that year are known (chinesecalendar 1.11:
        2004–2026).
    """
    return year in KNOWN_YEARS


class WorkCalendar(Protocol):
    """Tells whether government offices work on a given day."""

    def is_workday(self, day: date) -> bool:
        """True on a working day, False on a 法定节假日 or 休息日 (rest day)."""
        ...


class WeekdayCalendar:
    """Monday to Friday are working days, unless the override table says otherwise.

    For tests, and for deployments that opt out of the official holiday calendar.
    """

    def __init__(self, overrides: Mapping[date, bool] | None = None) -> None:
        """Build the calendar.

        Args:
            overrides: Date → is it a workday; wins over the weekday rule. Copied, so later
                changes to the caller's mapping do not leak in.
        """
        self._overrides: Mapping[date, bool] = MappingProxyType(dict(overrides or {}))

    @property
    def overrides(self) -> Mapping[date, bool]:
        """The override table this calendar was built with (read-only)."""
        return self._overrides

    def is_workday(self, day: date) -> bool:
        """True on Monday–Friday, unless overridden."""
        override = self._overrides.get(day)
        if override is not None:
            return override
        return day.weekday() < 5


class ChineseWorkCalendar:
    """The official calendar: statutory holidays and 调休 make-up working days.

    Order of precedence for a day:

    1. the override table (kept by the caller, edited by an administrator);
    2. ``chinese_calendar.is_workday`` for the years it knows (see :data:`KNOWN_YEARS`);
    3. Monday–Friday for any other year — with a WARNING logged and ``on_unknown_year``
       called once per year per calendar, so that an administrator updates the package or
       fills in the override table before deadlines in that year matter.
    """

    def __init__(
        self,
        overrides: Mapping[date, bool] | None = None,
        on_unknown_year: Callable[[int], None] | None = None,
    ) -> None:
        """Build the calendar.

        Args:
            overrides: Date → is it a workday; wins over everything. Copied at construction.
            on_unknown_year: Called with the year, once per year, the first time a day of a year
                unknown to ``chinesecalendar`` is asked about.
        """
        self._overrides: Mapping[date, bool] = MappingProxyType(dict(overrides or {}))
        self._on_unknown_year = on_unknown_year
        self._warned_years: set[int] = set()

    @property
    def overrides(self) -> Mapping[date, bool]:
        """The override table this calendar was built with (read-only)."""
        return self._overrides

    @property
    def known_years(self) -> range:
        """The years covered by the official arrangement in ``chinesecalendar``."""
        return KNOWN_YEARS

    def is_workday(self, day: date) -> bool:
        """True on an official working day (including a weekend 调休 make-up day)."""
        override = self._overrides.get(day)
        if override is not None:
            return override
        if day.year in KNOWN_YEARS:
            try:
                return bool(chinese_calendar.is_workday(day))
            except NotImplementedError:
                # The package's own range check is authoritative; fall through to Mon–Fri.
                pass
        self._note_unknown_year(day.year)
        return day.weekday() < 5

    def _note_unknown_year(self, year: int) -> None:
        if year in self._warned_years:
            return
        self._warned_years.add(year)
        logger.warning(
            "chinesecalendar %s has no holiday arrangement for %d; counting Monday-Friday "
            "plus the override table. Update the package or add the year's holidays as overrides.",
            getattr(chinese_calendar, "__version__", "?"),
            year,
        )
        if self._on_unknown_year is not None:
            self._on_unknown_year(year)


def arrangement_known(calendar: WorkCalendar, year: int) -> bool:
    """Whether ``calendar`` has the State Council's holiday arrangement for ``year``: from the
    installed ``chinesecalendar``, or entered by hand (``duban calendar``) for that year.

    A deadline in a year without it is counted on Monday–Friday alone, so a day such as 元旦
    counts as a working day: the clerk issuing it and 政务监督室 are told what to do.
    """
    if is_known_year(year):
        return True
    overrides = getattr(calendar, "overrides", {})
    return any(day.year == year for day in overrides)
