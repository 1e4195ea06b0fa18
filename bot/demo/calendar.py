"""The demo's own calendar: a visitor moves it on to watch the schedule work.

The demo starts on today's date. Each step moves the office's clock to the next day (same
time of day, so the conversation's timestamps still read naturally) and runs what the real
schedule runs that day: the daily check (reminders, 催办单, 督办通知单, 约谈 and 移交 proposals),
then the weekly digests on the digest weekday, the monthly 通报 cycle on the 1st and the year-end
ranking on January's first working day. A jump (「到下周一」, 「到下月1日」) is those steps, one day
after the other, so nothing a day would have sent is skipped.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from bot.domain.errors import DomainError
from bot.domain.escalation import Escalation
from bot.scheduling import run_periodic
from bot.services.context import Office
from bot.services.daily import run_daily

MAX_JUMP_DAYS = 92
"""A jump goes at most about a quarter ahead: each day is a real daily check."""

JUMPS = ("monday", "first")
"""The page's jumps: to next Monday, to the 1st of next month."""


@dataclass
class DemoDays:
    """What moving the calendar did: the new date, the daily checks' steps, the periodic sends."""

    day: date
    steps: Counter[Escalation] = field(default_factory=Counter)
    periodic: list[str] = field(default_factory=list)


def jump_target(today: date, to: str) -> date:
    """The date a jump lands on: the next Monday, or the 1st of next month.

    Raises:
        DomainError: ``demo_jump_unknown`` for anything else.
    """
    if to == "monday":
        return today + timedelta(days=7 - today.weekday())
    if to == "first":
        return (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    raise DomainError("demo_jump_unknown", text=to)


class DemoCalendar:
    """The date the demo is living on; owns ``office.clock`` while the demo runs."""

    def __init__(self, office: Office, today: date | None = None) -> None:
        self.office = office
        zone = office.settings.timezone
        self.today = today or datetime.now(zone).date()
        self._stepping = asyncio.Lock()
        office.clock = self._now

    def _now(self) -> datetime:
        """The demo date at the real time of day."""
        zone = self.office.settings.timezone
        return datetime.combine(self.today, datetime.now(zone).time(), zone)

    async def next_day(self) -> DemoDays:
        """Move to tomorrow and run its schedule; what it queued goes out as it is committed
        (the database's commit hook wakes the sender)."""
        async with self._stepping:  # two quick clicks are two days, one after the other
            return await self._step(DemoDays(self.today))

    async def jump_to(self, target: date) -> DemoDays:
        """Move day by day to ``target``, running each day's schedule.

        Raises:
            DomainError: ``demo_jump_past`` when ``target`` is not after the demo's date;
                ``demo_jump_too_far`` beyond ``MAX_JUMP_DAYS``.
        """
        async with self._stepping:
            if target <= self.today:
                raise DomainError("demo_jump_past", day=target, today=self.today)
            if (target - self.today).days > MAX_JUMP_DAYS:
                raise DomainError("demo_jump_too_far", day=target, days=MAX_JUMP_DAYS)
            done = DemoDays(self.today)
            while self.today < target:
                await self._step(done)
        return done

    async def _step(self, done: DemoDays) -> DemoDays:
        self.today += timedelta(days=1)
        outcome = await run_daily(self.office, self.today)
        done.day = self.today
        done.steps.update({step: n for step, n in outcome.steps.items() if n})
        done.periodic += await run_periodic(self.office, self.today)
        return done
