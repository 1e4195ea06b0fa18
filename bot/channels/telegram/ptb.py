"""Wiring python-telegram-bot to a running emulator."""

from __future__ import annotations

from typing import TYPE_CHECKING

from telegram import Bot
from telegram.ext import ApplicationBuilder

if TYPE_CHECKING:
    from bot.emulators.telegram.server import EmulatorServer


def application_builder(server: EmulatorServer) -> ApplicationBuilder:
    """An ``ApplicationBuilder`` with the server's token and URLs set."""
    return ApplicationBuilder().token(server.token).base_url(server.api_url).base_file_url(server.file_url)


def make_bot(server: EmulatorServer) -> Bot:
    """A bare ``telegram.Bot`` talking to the server (use ``async with``)."""
    return Bot(server.token, base_url=server.api_url, base_file_url=server.file_url)
