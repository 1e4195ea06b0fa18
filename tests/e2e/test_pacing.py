"""The handlers' direct replies keep Telegram's pace too: an official who answers the moment a
slip arrives gets the bot's reply a moment later, instead of nothing (a 429 lost)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.channels.telegram.app import build_application, start_bot, stop_bot
from bot.domain.org import Role
from bot.emulators.telegram import EmulatorServer
from bot.emulators.telegram.rules import Rules
from tests.e2e.conftest import Organisation
from tests.e2e.test_sender import refused
from tests.e2e.test_slip_actions import issue


@pytest.fixture
async def emulator() -> AsyncIterator[EmulatorServer]:
    """Telegram's limits on: one message a second per chat, 429s counted."""
    async with EmulatorServer(rules=Rules()) as server:
        yield server


@pytest.fixture
async def bot(office):  # type: ignore[no-untyped-def]
    """The bot at Telegram's real pace."""
    application = build_application(office, per_second=30, per_chat_interval=1.0, schedule=False)
    await start_bot(application, poll_timeout=1)
    yield application
    await stop_bot(application)


async def test_an_answer_right_after_a_slip_is_paced_not_lost(office, simulator, bot, emulator):
    org = Organisation(office, simulator)
    await org.section("综合一科")
    await org.unit("住建局")
    clerk = await org.join("王科员", Role.CLERK, section="综合一科")
    official = await org.join("李住建", Role.RESPONSIBLE, unit="住建局")
    await issue(office, clerk)
    bot.bot_data["sender"].wake()
    await official.wait_for(text_contains="工作交办单》", timeout=5)
    await official.send("/tasks")  # at once: the reply would land within a second of the slip
    answer = await official.wait_for(text_contains="城区积水点排查整治", timeout=5)
    assert "住建局" in answer.text
    assert refused(emulator) == 0
