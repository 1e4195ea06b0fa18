"""Fixtures: a 钉钉 emulator per test, its people, and the wire client pointed at it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from bot.channels.dingtalk import CardAction, DingTalkApi, DingTalkApp, RobotMessage, StreamClient
from bot.emulators.dingtalk import DingTalkEmulator, DingTalkPeople


@pytest.fixture
async def dingtalk() -> AsyncIterator[DingTalkEmulator]:
    """A running 钉钉 emulator on a free port; acknowledgements awaited 0.3 s before a re-push."""
    async with DingTalkEmulator() as server:
        server.world.limits.ack_timeout = 0.3
        yield server


@pytest.fixture
async def people(dingtalk: DingTalkEmulator) -> AsyncIterator[DingTalkPeople]:
    """The emulator's control API."""
    async with DingTalkPeople(dingtalk.url) as control:
        yield control


@pytest.fixture
def app(dingtalk: DingTalkEmulator) -> DingTalkApp:
    """The app's credentials, both API addresses on the emulator."""
    world = dingtalk.world
    return DingTalkApp(world.client_id, world.client_secret, world.robot_code, world.agent_id,
                       endpoint=dingtalk.url, oapi_endpoint=dingtalk.url)


@pytest.fixture
async def api(app: DingTalkApp) -> AsyncIterator[DingTalkApi]:
    """The OpenAPI client."""
    async with DingTalkApi(app) as client:
        yield client


@dataclass
class Bot:
    """A small robot on the wire client: what it received, and handlers tests can replace."""

    stream: StreamClient
    messages: list[RobotMessage] = field(default_factory=list)
    actions: list[CardAction] = field(default_factory=list)
    on_message: Callable[[RobotMessage], Awaitable[None]] | None = None
    on_action: Callable[[CardAction], Awaitable[dict[str, Any] | None]] | None = None
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def next_message(self, count: int, timeout: float = 5.0) -> RobotMessage:
        """Waits until ``count`` messages have been handled; the last one."""
        await self._until(lambda: len(self.messages) >= count, timeout)
        return self.messages[count - 1]

    async def next_action(self, count: int, timeout: float = 5.0) -> CardAction:
        """Waits until ``count`` card actions have been handled; the last one."""
        await self._until(lambda: len(self.actions) >= count, timeout)
        return self.actions[count - 1]

    async def _until(self, done: Callable[[], bool], timeout: float) -> None:
        async with asyncio.timeout(timeout):
            while not done():
                self.arrived.clear()
                await self.arrived.wait()


@pytest.fixture
async def bot(app: DingTalkApp, api: DingTalkApi) -> AsyncIterator[Bot]:
    """A robot connected over Stream that records what arrives (and answers as tests tell it)."""

    async def message(received: RobotMessage) -> None:
        if holder.on_message is not None:
            await holder.on_message(received)
        holder.messages.append(received)
        holder.arrived.set()

    async def action(received: CardAction) -> dict[str, Any] | None:
        answer = await holder.on_action(received) if holder.on_action is not None else None
        holder.actions.append(received)
        holder.arrived.set()
        return answer

    stream = StreamClient(app, message, action, reconnect_delay=0.05, heartbeat=5.0)
    holder = Bot(stream)
    runner = asyncio.create_task(stream.run())
    await stream.wait_connected(5)
    yield holder
    await stream.stop()
    await asyncio.wait_for(runner, 5)
