"""Delivery of callbacks to the application's 接收消息 URL, as 企业微信 does it.

「接收消息与事件」 (企业内部开发 › 消息接收与发送): the body is
``<xml><ToUserName>corpid</ToUserName><AgentID>id</AgentID><Encrypt>msg_encrypt</Encrypt></xml>``
POSTed to ``URL?msg_signature=…&timestamp=…&nonce=…``; the plaintext inside is the message's XML.
「企业微信服务器在五秒内收不到响应会断掉连接，并且重新发起请求，总共重试三次」: an answer that
does not come within ``timeout`` (or is not HTTP 200) is retried ``retries`` times,
``retry_interval`` apart, with the same plaintext (same MsgId, or for an event the same
FromUserName + CreateTime, by which the documentation says to tell retries apart). Each
attempt is signed afresh (new timestamp and nonce), so only the plaintext identifies a retry.
The URL check (「验证URL有效性」) is a GET with an encrypted ``echostr`` whose plaintext the
application must answer, within one second.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from bot.emulators.wecom.crypto import CallbackCipher

log = logging.getLogger(__name__)


@dataclass
class CallbackSettings:
    """Where and how callbacks go; tests shorten the waits."""

    url: str | None = None
    timeout: float = 5.0
    retry_interval: float = 5.0
    retries: int = 3


@dataclass
class Delivery:
    """One callback and its attempts."""

    id: int
    plaintext: str
    attempts: list[dict[str, Any]] = field(default_factory=list)
    answered: bool = False
    """An attempt got HTTP 200 in time."""
    finished: asyncio.Event = field(default_factory=asyncio.Event)

    def json(self) -> dict[str, Any]:
        return {"id": self.id, "answered": self.answered, "done": self.finished.is_set(), "attempts": self.attempts}


def cdata(value: str) -> str:
    """``value`` inside CDATA (a ``]]>`` in it split across two sections)."""
    return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def xml_message(fields: dict[str, str | int]) -> str:
    """The callback XML of one message: strings as CDATA, numbers bare, in the given order."""
    inner = "".join(f"<{k}>{v if isinstance(v, int) else cdata(v)}</{k}>" for k, v in fields.items())
    return f"<xml>{inner}</xml>"


class CallbackSender:
    """Sends callbacks, each in its own task, retrying as 企业微信 does."""

    def __init__(self, cipher: CallbackCipher, agent_id: int, settings: CallbackSettings) -> None:
        self.cipher = cipher
        self.agent_id = agent_id
        self.settings = settings
        self.deliveries: dict[int, Delivery] = {}
        self._ids = itertools.count(1)
        self._tasks: set[asyncio.Task[None]] = set()
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        return self._session

    def deliver(self, plaintext: str) -> Delivery:
        """Starts delivering ``plaintext``; returns its record at once."""
        if not self.settings.url:
            raise RuntimeError("no callback URL is set (PATCH /_emulator/callback)")
        delivery = Delivery(next(self._ids), plaintext)
        self.deliveries[delivery.id] = delivery
        task = asyncio.create_task(self._run(delivery, self.settings.url), name=f"wecom-callback-{delivery.id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return delivery

    async def _run(self, delivery: Delivery, url: str) -> None:
        try:
            for attempt in range(self.settings.retries + 1):
                if attempt:
                    await asyncio.sleep(self.settings.retry_interval)
                outcome = await self._attempt(url, delivery.plaintext)
                delivery.attempts.append(outcome)
                if outcome["status"] == 200:
                    delivery.answered = True
                    return
        finally:
            delivery.finished.set()

    async def _attempt(self, url: str, plaintext: str) -> dict[str, Any]:
        encrypted, query = self.cipher.signed(plaintext, str(int(time.time())))
        body = xml_message({"ToUserName": self.cipher.receive_id, "AgentID": str(self.agent_id), "Encrypt": encrypted})
        started = time.monotonic()
        try:
            async with self._client().post(
                url, params=query, data=body.encode(), headers={"Content-Type": "text/xml"},
                timeout=aiohttp.ClientTimeout(total=self.settings.timeout),
            ) as response:
                text = await response.text()
                return {"status": response.status, "body": text[:200], "seconds": round(time.monotonic() - started, 3)}
        except TimeoutError:
            return {"status": None, "error": "timeout", "seconds": round(time.monotonic() - started, 3)}
        except aiohttp.ClientError as exc:
            return {"status": None, "error": type(exc).__name__, "seconds": round(time.monotonic() - started, 3)}

    async def verify_url(self, url: str) -> dict[str, Any]:
        """「验证URL有效性」: GET with an encrypted echostr; ``ok`` when the answer is its plaintext."""
        echo = secrets.token_hex(8)
        encrypted, query = self.cipher.signed(echo, str(int(time.time())))
        try:
            async with self._client().get(
                url, params={**query, "echostr": encrypted}, timeout=aiohttp.ClientTimeout(total=1.0)
            ) as response:
                text = await response.text()
                return {"ok": response.status == 200 and text == echo, "status": response.status, "body": text[:200]}
        except (TimeoutError, aiohttp.ClientError) as exc:
            return {"ok": False, "status": None, "error": type(exc).__name__}

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._session is not None:
            await self._session.close()
