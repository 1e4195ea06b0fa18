"""The jobs registered at start: a restart catches up on what was due, and nothing runs before
its time (SPEC section 8: the daily time, 09:00 by default)."""

from __future__ import annotations

import asyncio
from datetime import datetime, time

from bot.channels.telegram.app import build_application, start_bot, stop_bot
from bot.services.context import Office


async def reported_months(office: Office) -> set[str]:
    async with office.db.reader.execute("SELECT period FROM monthly_runs") as cur:
        return {row[0] async for row in cur}


async def start_at(office: Office, moment: datetime, expected: set[str]) -> set[str]:
    """Start the bot (jobs and catch-up included) at ``moment`` and wait for the monthly cycle
    to have sent ``expected``; return what it had sent by then."""
    office.clock = lambda: moment
    application = build_application(office, per_second=0, per_chat_interval=0)
    await start_bot(application, poll_timeout=1)
    try:
        for _ in range(500):
            if expected <= (months := await reported_months(office)):
                await asyncio.sleep(0.1)  # give an unwanted run the time to show itself
                return await reported_months(office)
            await asyncio.sleep(0.02)
        raise AssertionError(f"the catch-up never sent {expected - months}")
    finally:
        await stop_bot(application)


async def test_a_restart_before_the_daily_time_leaves_the_first_of_the_month_for_its_time(office: Office) -> None:
    tz = office.settings.timezone
    assert office.settings.daily_time > time(3)
    # Down since the 30th: at 03:00 on 1 December, October's analyses (due on 1 November) are
    # caught up; November's are due at the daily time, not at 03:00.
    early = await start_at(office, datetime(2026, 12, 1, 3, 0, tzinfo=tz), expected={"2026-10"})
    assert early == {"2026-10"}
    later = datetime.combine(datetime(2026, 12, 1).date(), office.settings.daily_time, tz)
    assert await start_at(office, later, expected={"2026-10", "2026-11"}) == {"2026-10", "2026-11"}
