"""Fixtures for the emulator's own tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from telegram import Bot

from bot.emulators.telegram import EmulatorServer
from bot.channels.telegram.ptb import make_bot


@pytest.fixture
async def bot(emulator: EmulatorServer) -> AsyncIterator[Bot]:
    """An initialised PTB ``Bot`` talking to the emulator."""
    async with make_bot(emulator) as ptb_bot:
        yield ptb_bot
