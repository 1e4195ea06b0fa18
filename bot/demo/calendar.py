"""The demo's own calendar: a visitor moves it on to watch the schedule work.

The demo starts on today's date. Each step moves the office's clock to the next day at the
schedule's time (``daily_time``, 09:00) and runs what the real schedule runs that day: the daily
check (reminders, 催办单, 督办通知单, 约谈 and 移交 proposals), then the weekly digests on the digest
weekday, the monthly 通报 cycle on the 1st and the year-end ranking on January's first working
day; it waits until what that day sent has gone out, so each message is dated on its own day at
the time the schedule sent it. A jump (「到下周一」, 「到下月1日」) is those steps, one day after the
other, so nothing a day would have sent is skipped. Between steps the clock reads the real time
of day, never earlier than the day's last scheduled message.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from bot.domain.errors import DomainError
from bot.domain.escalation import Escalation
from bot.scheduling import run_periodic
from bot.services.context import Office
from bot.services.daily import run_daily
from bot.storage import outbox

log = logging.getLogger(__name__)

MAX_JUMP_DAYS = 92
"""A jump goes at most about a quarter ahead: each day is a real daily check."""

SENT_WITHIN = 120.0
"""Seconds a step waits for its day's messages to go out (at one a second per chat) before the
next day begins anyway."""

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
        self._scheduled: tuple[datetime, float] | None = None
        """While a step runs, and after it on its day: the schedule's time and the monotonic
        clock when the step began."""
        office.clock = self._now

    def _now(self) -> datetime:
        """The demo date at the real time of day; on a day the demo stepped to, from the
        schedule's time on while the step runs, and never earlier than that afterwards."""
        zone = self.office.settings.timezone
        real = datetime.combine(self.today, datetime.now(zone).time(), zone)
        if self._scheduled is None:
            return real
        at, began = self._scheduled
        scheduled = at + timedelta(seconds=time.monotonic() - began)
        return scheduled if self._stepping.locked() else max(real, scheduled)

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
        await self._sent()  # what today still had to send is today's, not tomorrow's
        self.today += timedelta(days=1)
        zone = self.office.settings.timezone
        self._scheduled = (datetime.combine(self.today, self.office.settings.daily_time, zone), time.monotonic())
        outcome = await run_daily(self.office, self.today)
        done.day = self.today
        done.steps.update({step: n for step, n in outcome.steps.items() if n})
        done.periodic += await run_periodic(self.office, self.today)
        await self._sent()
        return done

    async def _sent(self) -> None:
        """Until the outbox is empty: the day's messages reach the chats on that day."""
        loop = asyncio.get_running_loop()
        give_up = loop.time() + SENT_WITHIN
        while await outbox.backlog(self.office.db.reader):
            if loop.time() > give_up:
                log.warning("the demo's day %s moved on with messages still unsent", self.today)
                return
            await asyncio.sleep(0.05)
