"""Shared pytest fixtures: a Telegram Bot API emulator per test and its simulator."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.emulator import EmulatorServer, Simulator


@pytest.fixture
async def emulator() -> AsyncIterator[EmulatorServer]:
    """A running emulator on a free 127.0.0.1 port, all Telegram rules on."""
    async with EmulatorServer(host="127.0.0.1", port=0) as server:
        yield server


@pytest.fixture
def simulator(emulator: EmulatorServer) -> Simulator:
    """Simulated users on the ``emulator`` fixture's server."""
    return Simulator(emulator)
