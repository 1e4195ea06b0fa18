"""The Stream gateway: the bot opens an outbound WebSocket and 钉钉 pushes robot messages and card
callbacks down it, each to be acknowledged (钉钉 Stream 模式协议, open.dingtalk.com
"Stream 模式协议说明"; the frame shapes as ``dingtalk-stream`` 0.24 reads and writes them).

* ``POST /v1.0/gateway/connections/open`` ``{clientId, clientSecret, subscriptions: [{type,
  topic}], ua, localIp}`` → ``{endpoint, ticket}``; a wrong secret is refused (401).
* ``GET {endpoint}?ticket=…`` upgrades to the WebSocket; a ticket serves one connection.
* Frames pushed: ``{specVersion: "1.0", type: "SYSTEM" | "EVENT" | "CALLBACK", headers:
  {appId, connectionId, contentType: "application/json", messageId, time, topic}, data: "<JSON
  text>"}``. System topics: ``ping`` (answer with its ``data``) and ``disconnect`` (the gateway
  is about to close this connection: open another).
* Acknowledgements sent back: ``{code: 200, headers: {contentType, messageId}, message: "OK",
  data: "<JSON text>"}``. A pushed message not acknowledged with 200 within
  ``Limits.ack_timeout`` is pushed again (same ``messageId``) on whatever connection is open, up
  to ``Limits.redeliveries`` times; while no connection is open, it waits.

Checked with ``dingtalk-stream`` 0.24.3 itself as the client (pointed here by
``DINGTALK_OPENAPI_ENDPOINT``): registration, a robot message answered through its
``sessionWebhook``, a card callback answered with the card's new data, pings, a ``disconnect``
and the reconnection that follows.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from bot.emulators.dingtalk.world import World
from bot.emulators.signal import Signal

log = logging.getLogger(__name__)

ROBOT_TOPIC = "/v1.0/im/bot/messages/get"
"""Robot messages (a person writes to the robot)."""
CARD_TOPIC = "/v1.0/card/instances/callback"
"""Card callbacks (a person presses a card's button)."""
KEPT_DELIVERIES = 1000


@dataclass
class Delivery:
    """One message the gateway pushes until it is acknowledged."""

    message_id: str
    topic: str
    data: dict[str, Any]
    attempts: int = 0
    acked: asyncio.Event = field(default_factory=asyncio.Event)
    ack: dict[str, Any] | None = None
    given_up: bool = False

    def to_json(self) -> dict[str, Any]:
        """The control API's view."""
        return {
            "message_id": self.message_id,
            "topic": self.topic,
            "attempts": self.attempts,
            "acked": self.acked.is_set(),
            "given_up": self.given_up,
        }


@dataclass
class Connection:
    """One open WebSocket of the bot."""

    connection_id: str
    topics: set[str]
    socket: web.WebSocketResponse
    ping_acks: int = 0

    def frame(self, kind: str, topic: str, message_id: str, data: dict[str, Any]) -> dict[str, Any]:
        """A frame as 钉钉 writes it: ``data`` is JSON text, ``time`` milliseconds as text."""
        headers = {
            "appId": "emulator",
            "connectionId": self.connection_id,
            "contentType": "application/json",
            "messageId": message_id,
            "time": str(int(time.time() * 1000)),
            "topic": topic,
        }
        return {"specVersion": "1.0", "type": kind, "headers": headers, "data": json.dumps(data, ensure_ascii=False)}


class Gateway:
    """Connections, tickets and the deliveries waiting for acknowledgement.

    Args:
        world: The emulated 钉钉.
        endpoint: Returns the WebSocket URL handed out by ``connections/open``.
    """

    def __init__(self, world: World, endpoint: Callable[[], str]) -> None:
        self.world = world
        self.endpoint = endpoint
        self.tickets: dict[str, set[str]] = {}
        self.connections: dict[str, Connection] = {}
        self.deliveries: dict[str, Delivery] = {}
        self.opened = 0
        self.on_ack: Callable[[Delivery], None] = lambda delivery: None
        self._connected = Signal()
        self._tasks: set[asyncio.Task[None]] = set()

    # ------------------------------------------------------------------------- routes

    async def open_connection(self, request: web.Request) -> web.Response:
        """``POST /v1.0/gateway/connections/open`` (注册连接): a ticket for one WebSocket."""
        try:
            body = await request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return web.json_response({"code": "InvalidParameter", "message": "body must be JSON"}, status=400)
        if body.get("clientId") != self.world.client_id or body.get("clientSecret") != self.world.client_secret:
            return web.json_response({"code": "InvalidAuthentication", "message": "clientId 或 clientSecret 不正确"}, status=401)
        topics = {str(s.get("topic")) for s in body.get("subscriptions") or [] if isinstance(s, dict)}
        ticket = secrets.token_urlsafe(24)
        self.tickets[ticket] = topics
        return web.json_response({"endpoint": self.endpoint(), "ticket": ticket})

    async def websocket(self, request: web.Request) -> web.StreamResponse:
        """The WebSocket: pushes pending deliveries, reads acknowledgements."""
        topics = self.tickets.pop(request.query.get("ticket", ""), None)
        if topics is None:
            return web.json_response({"code": "InvalidTicket", "message": "ticket 无效或已使用"}, status=401)
        socket = web.WebSocketResponse(autoping=True)
        await socket.prepare(request)
        connection = Connection(secrets.token_hex(8), topics, socket)
        self.connections[connection.connection_id] = connection
        self.opened += 1
        self._connected.notify()
        pinger = asyncio.create_task(self._ping(connection))
        try:
            async for message in socket:
                if message.type == WSMsgType.TEXT:
                    self._read_ack(connection, message.data)
        finally:
            pinger.cancel()
            self.connections.pop(connection.connection_id, None)
        return socket

    # ---------------------------------------------------------------------- delivery

    def push(self, topic: str, data: dict[str, Any]) -> Delivery:
        """Queues a CALLBACK frame of ``topic`` and keeps pushing it until it is acknowledged."""
        delivery = Delivery(secrets.token_hex(16), topic, data)
        self.deliveries[delivery.message_id] = delivery
        task = asyncio.create_task(self._deliver(delivery))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return delivery

    async def _deliver(self, delivery: Delivery) -> None:
        limits = self.world.limits
        while not delivery.acked.is_set():
            if delivery.attempts > limits.redeliveries:
                delivery.given_up = True
                log.warning("钉钉 gateway gave up on %s after %d pushes", delivery.message_id, delivery.attempts)
                return
            connection = await self._connection_for(delivery.topic)
            frame = connection.frame("CALLBACK", delivery.topic, delivery.message_id, delivery.data)
            delivery.attempts += 1
            try:
                await connection.socket.send_json(frame)
            except (ConnectionError, RuntimeError):
                await asyncio.sleep(0.05)  # the socket is closing: let it go before the next try
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(delivery.acked.wait(), limits.ack_timeout)

    async def _connection_for(self, topic: str) -> Connection:
        """The newest open connection subscribed to ``topic``, waiting for one if need be."""
        while True:
            for connection in reversed(list(self.connections.values())):
                if topic in connection.topics and not connection.socket.closed:
                    return connection
            await self._connected.wait(60.0)

    def _read_ack(self, connection: Connection, text: str) -> None:
        try:
            ack = json.loads(text)
            message_id = ack["headers"]["messageId"]
        except (ValueError, KeyError, TypeError):
            log.warning("钉钉 gateway: not an acknowledgement: %.200s", text)
            return
        delivery = self.deliveries.get(message_id)
        if delivery is None:
            connection.ping_acks += 1
            return
        if ack.get("code") == 200 and not delivery.acked.is_set():
            delivery.ack = ack
            delivery.acked.set()
            self.on_ack(delivery)
            self._forget_old()

    def _forget_old(self) -> None:
        """Keeps the last :data:`KEPT_DELIVERIES` acknowledged deliveries (a demo runs for days)."""
        acked = [key for key, d in self.deliveries.items() if d.acked.is_set()]
        for key in acked[: max(0, len(acked) - KEPT_DELIVERIES)]:
            del self.deliveries[key]

    async def _ping(self, connection: Connection) -> None:
        while not connection.socket.closed:
            interval = self.world.limits.ping_interval
            await asyncio.sleep(interval if interval > 0 else 0.2)
            if interval > 0 and not connection.socket.closed:
                opaque = {"opaque": secrets.token_hex(8)}
                with contextlib.suppress(ConnectionError, RuntimeError):
                    await connection.socket.send_json(connection.frame("SYSTEM", "ping", f"ping-{opaque['opaque']}", opaque))

    async def drop(self, warn: bool = True) -> int:
        """Closes every connection, first telling each with a ``disconnect`` frame if ``warn``
        (钉钉 does before a server restart); a crash of the network sends nothing."""
        dropped = list(self.connections.values())
        for connection in dropped:
            if warn:
                with contextlib.suppress(ConnectionError, RuntimeError):
                    await connection.socket.send_json(connection.frame("SYSTEM", "disconnect", secrets.token_hex(8), {}))
            await connection.socket.close()
        return len(dropped)

    async def stop(self) -> None:
        """Stops pushing and closes every connection."""
        for task in list(self._tasks):
            task.cancel()
        await self.drop(warn=False)
