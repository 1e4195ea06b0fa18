"""Shared pytest fixtures: a Telegram Bot API emulator per test and its simulator."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from bot.emulators.telegram import EmulatorServer, Simulator
from tests import postgres_server


@pytest.fixture(scope="session")
def postgres() -> Iterator[str]:
    """A throw-away PostgreSQL server for the whole session (its admin URL); skips the test
    with the reason when none can be started here."""
    reason = postgres_server.unavailable()
    if reason:
        pytest.skip(reason)
    with postgres_server.server() as url:
        yield url


@pytest.fixture
def database_url(request: pytest.FixtureRequest) -> str | None:
    """A fresh PostgreSQL database when the suites run on PostgreSQL
    (``DUBAN_TEST_BACKEND=postgresql``, ``make test-pg``); None on SQLite."""
    if postgres_server.BACKEND != "postgresql":
        return None
    return postgres_server.fresh_database(request.getfixturevalue("postgres"))


@pytest.fixture
async def emulator() -> AsyncIterator[EmulatorServer]:
    """A running emulator on a free 127.0.0.1 port, all Telegram rules on."""
    async with EmulatorServer(host="127.0.0.1", port=0) as server:
        yield server


@pytest.fixture
def simulator(emulator: EmulatorServer) -> Simulator:
    """Simulated users on the ``emulator`` fixture's server."""
    return Simulator(emulator)
