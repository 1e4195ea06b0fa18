"""Running the bot until asked to stop: polling, then a clean drain on SIGTERM/SIGINT."""

from __future__ import annotations

import asyncio
import logging
import signal

from telegram.error import InvalidToken

from bot.app import build_application, start_bot, stop_bot
from bot.services.context import Office

log = logging.getLogger(__name__)


class StartupError(RuntimeError):
    """The bot cannot start; the message is one clear line for the operator."""


def stop_on_signals() -> asyncio.Event:
    """An event set by SIGTERM or SIGINT."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    return stop


async def serve(office: Office, stop: asyncio.Event) -> None:
    """Poll for updates until ``stop``; the sender finishes its message in flight first."""
    application = build_application(office)
    try:
        await start_bot(application)
    except InvalidToken as exc:
        raise StartupError("Telegram 拒绝了机器人令牌（token），请检查 DUBAN_TELEGRAM_TOKEN") from exc
    try:
        log.info("bot @%s is polling", application.bot.username)
        await stop.wait()
    finally:
        await stop_bot(application)
