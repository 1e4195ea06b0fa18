"""The official working-day calendar (工作日) that deadlines are counted against.

民法典 第二百零三条 moves a period's last day off a 法定休假日, and a deployment may count
时限要求 in working days: both need to know, for any date, whether government offices work.
China's calendar is not Monday–Friday: statutory holidays (法定节假日) fall on weekdays, and the
State Council's yearly notice adds 调休 make-up working days on weekends. The maintained
``chinesecalendar`` package carries those notices; an override table kept by the caller (in the
database, edited by an administrator) corrects or extends it, e.g. for a year the package does
not know yet.

For such a year the holidays the law itself fixes (《全国年节及纪念日放假办法》: 元旦, 春节, 清明节,
劳动节, 端午节, 中秋节, 国庆节, with the days the 2025 amendment added, and a weekday given in
place of one falling on a weekend) are still rest days: the maintained ``holidays`` package
computes them, the lunar ones included. Only the 调休 the State Council decides each winter stay
unknown until the package is updated or an administrator enters them (``duban calendar``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import date
from types import MappingProxyType
from functools import lru_cache
from typing import Protocol

import chinese_calendar
from chinese_calendar.constants import holidays as _PACKAGE_HOLIDAYS
# Imported here, not looked up by country code on first use: a date asked about must not pay
# for loading the package's China calendar.
from holidays.countries.china import China as _StatutoryHolidays
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


@lru_cache(maxsize=64)
def statutory_holidays(year: int) -> frozenset[date]:
    """The days of ``year`` that 《全国年节及纪念日放假办法》 makes 全体公民放假的节日, as the
    ``holidays`` package computes them (春节, 端午节 and 中秋节 from the lunar calendar), with the
    weekday it gives in place of a holiday that falls on a weekend.

    No 调休 make-up working day is among them: the State Council sets those each winter.
    """
    return frozenset(_StatutoryHolidays(years=year))


def is_statutory_rest_day(day: date) -> bool:
    """A rest day in a year whose State Council arrangement is not known: a Saturday, a Sunday
    or a holiday the law fixes (:func:`statutory_holidays`)."""
    return day.weekday() >= 5 or day in statutory_holidays(day.year)


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
    3. for any other year, Monday–Friday less the holidays the law fixes
       (:func:`is_statutory_rest_day`) — with a WARNING logged and ``on_unknown_year`` called
       once per year per calendar, so that an administrator updates the package or enters the
       year's 调休 before deadlines in that year matter.
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
                # The package's own range check is authoritative; fall through to the law's days.
                pass
        self._note_unknown_year(day.year)
        return not is_statutory_rest_day(day)

    def _note_unknown_year(self, year: int) -> None:
        if year in self._warned_years:
            return
        self._warned_years.add(year)
        logger.warning(
            "chinesecalendar %s has no holiday arrangement for %d; counting Monday-Friday less the "
            "statutory holidays, plus the override table. Update the package or enter the year's "
            "make-up working days (调休) as overrides.",
            getattr(chinese_calendar, "__version__", "?"),
            year,
        )
        if self._on_unknown_year is not None:
            self._on_unknown_year(year)


def arrangement_known(calendar: WorkCalendar, year: int) -> bool:
    """Whether ``calendar`` has the State Council's holiday arrangement for ``year``: from the
    installed ``chinesecalendar``, or entered by hand (``duban calendar``) for that year.

    A deadline in a year without it is counted on Monday–Friday less the holidays the law fixes,
    without the year's 调休 (a weekend made a working day, a bridge day given off): the clerk
    issuing it and 政务监督室 are told what to do.
    """
    if is_known_year(year):
        return True
    overrides = getattr(calendar, "overrides", {})
    return any(day.year == year for day in overrides)
