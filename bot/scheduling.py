"""The daily check on PTB's JobQueue: every day at the configured time, and at start-up when
today's check is due but has not run (the bot was down at 09:00)."""

from __future__ import annotations

import logging
from datetime import date


from bot.services.daily import is_done, latest_due_day, run_daily, run_time
from bot.services.digests import run_weekly
from bot.services.context import Office
from bot.channels.telegram.context import DubanApplication, DubanContext

log = logging.getLogger(__name__)


async def daily_job(context: DubanContext) -> None:
    """Run today's check (once: a finished day is skipped). What it queues goes out as it is
    committed: the database's commit hook wakes the sender (bot/channels/telegram/app.py)."""
    office: Office = context.application.bot_data["office"]
    today = office.now().date()
    async with office.db.job_lock("daily-check"):  # once across bot instances
        outcome = await run_daily(office, today)
    if not outcome.already_done:
        log.info("daily check %s: %s", today, dict(outcome.steps))


async def periodic_job(context: DubanContext) -> None:
    """The monthly 通报 cycle, the year-end ranking and the weekly digests: each step once,
    caught up at start."""
    office: Office = context.application.bot_data["office"]
    # Caught up at start, it runs for the last day whose time has come: a restart at 03:00 on
    # the 1st finishes what was due yesterday but leaves the 1st's steps for 09:00.
    async with office.db.job_lock("periodic-reports"):  # once across bot instances
        await run_periodic(office, latest_due_day(office, office.now()))


async def run_periodic(office: Office, day: date) -> list[str]:
    """Everything besides the daily check that the schedule runs for ``day``: the monthly 通报
    cycle on the 1st, the year-end ranking on January's first working day, the weekly digests on
    the digest weekday (each once). The demo's 「下一天」 runs exactly this after the daily check.
    Returns what went out: ``monthly``, ``consolidated``, ``annual``, ``weekly``."""
    from bot.services.reports import periodic

    done = await periodic(office, day)
    if await run_weekly(office, day):
        done.append("weekly")
    return done


async def schedule(application: DubanApplication) -> None:
    """Register the daily job, and catch up on today's if its time has passed."""
    office: Office = application.bot_data["office"]
    queue = application.job_queue
    assert queue is not None, "python-telegram-bot[job-queue] is required"
    settings = office.settings
    queue.run_daily(daily_job, time=settings.daily_time.replace(tzinfo=settings.timezone), name="daily-check")
    now = office.now()
    if now >= run_time(office, now.date()) and not await is_done(office, now.date()):
        log.info("catching up on today's daily check")
        queue.run_once(daily_job, when=0, name="daily-check-catch-up")
    # The monthly cycle: at the daily time, and once at start (each step is idempotent).
    queue.run_daily(periodic_job, time=settings.daily_time.replace(tzinfo=settings.timezone), name="periodic-reports")
    queue.run_once(periodic_job, when=0, name="periodic-reports-catch-up")
