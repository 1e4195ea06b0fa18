"""The demo's own calendar: a visitor moves it a day at a time to watch the daily check work.

The demo starts on today's date. Each step moves the office's clock to the next day (same
time of day, so the conversation's timestamps still read naturally) and runs that day's check
exactly as the 09:00 job would: reminders, 催办单, 督办通知单, 约谈 and 移交 proposals.
"""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta

from bot.sender import Sender
from bot.services.context import Office
from bot.services.daily import DailyOutcome, run_daily


class DemoCalendar:
    """The date the demo is living on; owns ``office.clock`` while the demo runs."""

    def __init__(self, office: Office, sender: Sender, today: date | None = None) -> None:
        self.office = office
        self.sender = sender
        zone = office.settings.timezone
        self.today = today or datetime.now(zone).date()
        self._stepping = asyncio.Lock()
        office.clock = self._now

    def _now(self) -> datetime:
        """The demo date at the real time of day."""
        zone = self.office.settings.timezone
        return datetime.combine(self.today, datetime.now(zone).time(), zone)

    async def next_day(self) -> DailyOutcome:
        """Move to tomorrow, run its daily check and let the sender deliver what it queued."""
        async with self._stepping:  # two quick clicks are two days, one after the other
            self.today += timedelta(days=1)
            outcome = await run_daily(self.office, self.today)
        self.sender.wake()
        return outcome
