"""What every use case needs: the database, the settings, the working-day calendar, the clock."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from bot.config import Settings
from bot.domain.calendar import ChineseWorkCalendar, WorkCalendar
from bot.domain.deadlines import DeadlineMode, deadline_after, period_until
from bot.edge import FetchFile
from bot.storage import calendar as calendar_overrides
from bot.storage.db import Database


@dataclass
class Office:
    """The supervision office's tools, handed to every service call."""

    db: Database
    settings: Settings
    calendar: WorkCalendar
    clock: Callable[[], datetime] | None = field(default=None, repr=False)
    """Where ``now()`` comes from; None is the real time. The demo and tests move it."""
    _heavy: asyncio.Semaphore | None = field(default=None, init=False, repr=False)
    file_sources: dict[str, FetchFile] = field(default_factory=dict, init=False, repr=False)
    """Each running channel's way to fetch a file received on it, by channel: a file sent on
    one messenger reaches a person on another (``bot.channels.files``)."""

    @property
    def heavy_work(self) -> asyncio.Semaphore:
        """Places for heavy work (a file read, an export made): ``settings.files_at_once``."""
        if self._heavy is None:
            self._heavy = asyncio.Semaphore(self.settings.files_at_once)
        return self._heavy

    @classmethod
    async def open(cls, settings: Settings) -> Office:
        """Open the database (migrating it) and load the calendar's override table."""
        db = await Database(settings.database_url or settings.db_path, settings.db_pool_size).open()
        office = cls(db, settings, ChineseWorkCalendar())
        await office.reload_calendar()
        return office

    async def reload_calendar(self) -> None:
        """Re-read the working-day overrides kept in the database."""
        overrides = await calendar_overrides.overrides(self.db.reader)
        self.calendar = ChineseWorkCalendar(overrides=overrides)

    def now(self) -> datetime:
        """The current time in the office's time zone (Asia/Shanghai)."""
        if self.clock is not None:
            return self.clock().astimezone(self.settings.timezone)
        return datetime.now(self.settings.timezone)

    def deadline_after(self, start: date, days: int) -> date:
        """A deadline under the configured rule (calendar or working days)."""
        return deadline_after(start, days, self.calendar, self.settings.deadline_mode)

    @property
    def counts_working_days(self) -> bool:
        """Whether N of 时限要求 counts working days (``deadline_mode = "working"``)."""
        return self.settings.deadline_mode is DeadlineMode.WORKING

    def period_until(self, start: date, deadline: date) -> int:
        """The N of 时限要求 whose deadline is ``deadline`` under the configured rule."""
        return period_until(deadline, start, self.calendar, self.settings.deadline_mode)
