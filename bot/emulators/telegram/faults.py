"""A faulty network in front of the emulator: some messages hang, some get 429, some 502.

``FaultyProxy`` listens on its own port and forwards every Bot API request to the emulator;
a share of ``sendMessage`` requests (chosen by a seeded random generator, or every request to
chosen chats) is held back ``hang_seconds`` first (then forwarded, unless the client gave up),
answered 429 with ``retry_after``, or answered 502 without reaching the emulator. For the
sender's benchmark and tests: what one slow chat does to everyone else.
"""

from __future__ import annotations

import asyncio
import json
import random
from dataclasses import dataclass, field
from urllib.parse import parse_qs

import aiohttp
from aiohttp import web


@dataclass
class Faults:
    """What goes wrong, and how often."""

    hang_share: float = 0.0
    hang_seconds: float = 10.0
    retry_share: float = 0.0
    retry_after: int = 1
    error_share: float = 0.0
    hang_chats: frozenset[int] = frozenset()
    """Chats whose every message hangs."""
    seed: int = 127
    counts: dict[str, int] = field(default_factory=lambda: {"hung": 0, "429": 0, "502": 0, "forwarded": 0})


class FaultyProxy:
    """An HTTP proxy to the emulator at ``target`` with ``faults``; ``url`` once started."""

    def __init__(self, target: str, faults: Faults) -> None:
        self.target = target.rstrip("/")
        self.faults = faults
        self._random = random.Random(faults.seed)
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self.url = ""

    async def __aenter__(self) -> FaultyProxy:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._forward)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"
        self._session = aiohttp.ClientSession()
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()

    def _fault(self, method: str, chat_id: int | None) -> str | None:
        if not method.endswith("/sendMessage"):
            return None
        f = self.faults
        if chat_id in f.hang_chats:
            return "hung"
        roll = self._random.random()
        if roll < f.hang_share:
            return "hung"
        if roll < f.hang_share + f.retry_share:
            return "429"
        if roll < f.hang_share + f.retry_share + f.error_share:
            return "502"
        return None

    async def _forward(self, request: web.Request) -> web.StreamResponse:
        assert self._session is not None
        body = await request.read()
        fault = self._fault(request.path, _chat_id(request.content_type, body))
        if fault is not None:
            self.faults.counts[fault] += 1
        if fault == "429":
            payload = {"ok": False, "error_code": 429, "description": f"Too Many Requests: retry after {self.faults.retry_after}",
                       "parameters": {"retry_after": self.faults.retry_after}}
            return web.json_response(payload, status=429)
        if fault == "502":
            return web.Response(status=502, text="Bad Gateway")
        if fault == "hung":
            await asyncio.sleep(self.faults.hang_seconds)
            if request.transport is None or request.transport.is_closing():
                # The client gave up (its read timeout): Telegram never saw the message, and
                # the sender's retry is the one that arrives.
                return web.Response(status=504)
        self.faults.counts["forwarded"] += 1
        headers = {k: v for k, v in request.headers.items() if k.lower() in {"content-type"}}
        async with self._session.request(request.method, self.target + request.path_qs, data=body, headers=headers) as answer:
            return web.Response(status=answer.status, body=await answer.read(), content_type=answer.content_type)


def _chat_id(content_type: str, body: bytes) -> int | None:
    try:
        if content_type == "application/json":
            value = json.loads(body or b"{}").get("chat_id")
        else:
            value = parse_qs(body.decode()).get("chat_id", [None])[0]
        return int(value) if value is not None else None
    except (ValueError, TypeError, UnicodeDecodeError):
        return None
