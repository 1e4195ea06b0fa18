"""The 企业微信 wire client against the emulator over real HTTP: an emulator with short
callback waits, the bot's callback URL served by an aiohttp server, and the API client."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from aiohttp import web

from bot.channels.wecom.api import WecomApi
from bot.channels.wecom.callback import CallbackCrypto, CallbackEndpoint
from bot.channels.wecom.inputs import Input
from bot.emulators.wecom import CallbackSettings, WecomEmulator

CALLBACK_PATH = "/wecom/callback"


@dataclass
class Bot:
    """The bot's side of the callback URL: what it was handed, in order; ``slow`` makes its
    handler take that long on the next inputs (one value each)."""

    url: str = ""
    inputs: list[Input] = field(default_factory=list)
    slow: list[float] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    finished: int = 0
    """Inputs whose handling ran to its end."""

    async def on_input(self, item: Input) -> None:
        self.inputs.append(item)
        self.arrived.set()
        if self.slow:
            await asyncio.sleep(self.slow.pop(0))
        self.finished += 1

    async def next_input(self, timeout: float = 5.0) -> Input:
        """Waits for one more input than was seen so far."""
        seen = len(self.inputs)
        while len(self.inputs) == seen:
            self.arrived.clear()
            await asyncio.wait_for(self.arrived.wait(), timeout)
        return self.inputs[seen]


@pytest.fixture
async def wecom() -> AsyncIterator[WecomEmulator]:
    emulator = WecomEmulator(callback=CallbackSettings(timeout=1.0, retry_interval=0.05, retries=3))
    emulator.add_department(2, "市政府办公室", parentid=1)
    emulator.add_department(3, "市住建局", parentid=1)
    emulator.add_department(4, "城建科", parentid=3)
    emulator.add_member("wangfang", "王芳", [2])
    emulator.add_member("lijun", "李军", [3])
    emulator.add_member("zhaolei", "赵磊", [4])
    async with emulator:
        yield emulator


async def serve_callback(crypto: CallbackCrypto, bot: Bot) -> web.AppRunner:
    app = web.Application()
    CallbackEndpoint(crypto, bot.on_input).add_routes(app, CALLBACK_PATH)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    bot.url = f"http://127.0.0.1:{runner.addresses[0][1]}{CALLBACK_PATH}"
    return runner


@pytest.fixture
async def bot(wecom: WecomEmulator) -> AsyncIterator[Bot]:
    """The bot's callback URL, set in the emulator as an admin would set it."""
    side = Bot()
    runner = await serve_callback(CallbackCrypto(wecom.token, wecom.encoding_aes_key, wecom.corp_id), side)
    wecom.callbacks.settings.url = side.url
    yield side
    await runner.cleanup()


@pytest.fixture
async def api(wecom: WecomEmulator) -> AsyncIterator[WecomApi]:
    async with WecomApi(wecom.corp_id, wecom.agent_id, wecom.secret, api_url=wecom.url) as client:
        yield client
