"""Stream mode (Stream 模式): the bot opens an outbound WebSocket to 钉钉's gateway and receives
robot messages and card callbacks on it, acknowledging each one.

The protocol, as documented (Stream 模式协议说明) and as ``dingtalk-stream`` 0.24 speaks it:

1. ``POST {endpoint}/v1.0/gateway/connections/open`` with ``clientId``, ``clientSecret`` and the
   ``subscriptions`` (``{"type": "CALLBACK", "topic": …}``) → ``{endpoint, ticket}``.
2. WebSocket to ``{endpoint}?ticket={ticket}``. Frames arrive as ``{specVersion, type, headers:
   {messageId, topic, contentType, time, …}, data: "<JSON text>"}``.
3. Each frame is answered with ``{code: 200, headers: {contentType, messageId}, message: "OK",
   data: "<JSON text>"}``. A ``SYSTEM`` ``ping`` is answered at once with its own data; a
   ``SYSTEM`` ``disconnect`` means the gateway is about to close: open a new connection.
4. A ``CALLBACK`` not acknowledged is pushed again later, with the same ``messageId``.

Here a callback is acknowledged only after the handler's coroutine returns, so a message is
confirmed only once what it caused is committed; if the handler raises, or the process dies, or
the connection drops first, 钉钉 pushes it again — handlers must therefore be idempotent (the
``msgId`` of a robot message and the ``messageId`` of a frame stay the same across pushes).
Messages of one person are handled one after another, different people's side by side.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from bot.channels.dingtalk.openapi import DingTalkApp

log = logging.getLogger(__name__)

ROBOT_TOPIC = "/v1.0/im/bot/messages/get"
CARD_TOPIC = "/v1.0/card/instances/callback"


@dataclass(frozen=True)
class IncomingFile:
    """A file or picture a person sent; fetch it with ``DingTalkApi.download(download_code)``."""

    download_code: str
    name: str
    kind: str  # "file" | "picture"


@dataclass(frozen=True)
class RepliedMessage:
    """The message a person quoted (引用回复)."""

    msg_id: str
    msg_type: str
    text: str
    from_robot: bool


@dataclass(frozen=True)
class RobotMessage:
    """A person wrote to the robot (topic ``/v1.0/im/bot/messages/get``).

    ``msg_id`` is 钉钉's id of the message, the same every time it is pushed: the key to
    handle it once.
    """

    msg_id: str
    sender: str
    """The writer's ``senderStaffId`` (their userid in the organisation)."""
    sender_nick: str
    conversation_id: str
    one_to_one: bool
    text: str
    files: tuple[IncomingFile, ...] = ()
    replied: RepliedMessage | None = None
    created_ms: int = 0
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class CardAction:
    """A person pressed a card's button (topic ``/v1.0/card/instances/callback``).

    ``message_id`` is the frame's id, the same every time it is pushed: the key to handle it
    once.
    """

    message_id: str
    out_track_id: str
    userid: str
    action_ids: tuple[str, ...]
    params: dict[str, Any]
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


MessageHandler = Callable[[RobotMessage], Awaitable[None]]
CardHandler = Callable[[CardAction], Awaitable[dict[str, Any] | None]]
"""Returns what the card should show now (``{"cardData": {"cardParamMap": …}}``), sent back in
the acknowledgement, or None to leave the card as it is."""


def robot_message(data: dict[str, Any]) -> RobotMessage:
    """The robot message of a frame's ``data``."""
    msg_type = data.get("msgtype", "")
    content = data.get("content") or {}
    text, replied = "", None
    files: tuple[IncomingFile, ...] = ()
    if msg_type == "text":
        body = data.get("text") or {}
        text = str(body.get("content", "")).strip()
        quoted = body.get("repliedMsg") if body.get("isReplyMsg") else None
        if isinstance(quoted, dict):
            quoted_content = quoted.get("content") or {}
            replied = RepliedMessage(
                str(quoted.get("msgId", "")),
                str(quoted.get("msgType", "")),
                str(quoted_content.get("text", "")) if isinstance(quoted_content, dict) else "",
                from_robot=quoted.get("senderId") == data.get("chatbotUserId"),
            )
    elif msg_type == "file":
        files = (IncomingFile(str(content.get("downloadCode", "")), str(content.get("fileName", "")), "file"),)
    elif msg_type == "picture":
        files = (IncomingFile(str(content.get("downloadCode", "")), "", "picture"),)
    elif msg_type == "richText":
        parts = content.get("richText") or []
        text = "".join(str(p["text"]) for p in parts if "text" in p).strip()
        files = tuple(IncomingFile(str(p["downloadCode"]), "", "picture") for p in parts if "downloadCode" in p)
    return RobotMessage(
        msg_id=str(data.get("msgId", "")),
        sender=str(data.get("senderStaffId", "")),
        sender_nick=str(data.get("senderNick", "")),
        conversation_id=str(data.get("conversationId", "")),
        one_to_one=str(data.get("conversationType")) == "1",
        text=text,
        files=files,
        replied=replied,
        created_ms=int(data.get("createAt") or 0),
        raw=data,
    )


def card_action(message_id: str, data: dict[str, Any]) -> CardAction:
    """The card action of a frame's ``data`` (its ``content`` is JSON text)."""
    try:
        content = json.loads(data.get("content") or "{}")
    except (TypeError, ValueError):
        content = {}
    private = content.get("cardPrivateData") or {} if isinstance(content, dict) else {}
    return CardAction(
        message_id=message_id,
        out_track_id=str(data.get("outTrackId", "")),
        userid=str(data.get("userId", "")),
        action_ids=tuple(str(a) for a in private.get("actionIds") or ()),
        params=dict(private.get("params") or {}),
        raw=data,
    )


def ack(message_id: str, data: Any, message: str = "OK", code: int = 200) -> dict[str, Any]:
    """An acknowledgement frame."""
    return {
        "code": code,
        "headers": {"contentType": "application/json", "messageId": message_id},
        "message": message,
        "data": data if isinstance(data, str) else json.dumps(data, ensure_ascii=False),
    }


class StreamClient:
    """Keeps one Stream connection open and hands what arrives to the handlers.

    Args:
        app: The app's credentials and the gateway's registration address.
        on_message: Handles a robot message; the message is acknowledged when it returns.
        on_card_action: Handles a card action; acknowledged (with its answer) when it returns.
        session: An aiohttp session to use; None makes one.
        reconnect_delay: First wait before reconnecting after a failure; doubles each time up to
            ``max_reconnect_delay``; back to the first after a connection stood.
        heartbeat: Seconds between WebSocket pings the client sends (a dead connection is
            noticed within two of them).
    """

    def __init__(
        self,
        app: DingTalkApp,
        on_message: MessageHandler,
        on_card_action: CardHandler,
        session: aiohttp.ClientSession | None = None,
        reconnect_delay: float = 1.0,
        max_reconnect_delay: float = 30.0,
        heartbeat: float = 30.0,
    ) -> None:
        self.app = app
        self.on_message = on_message
        self.on_card_action = on_card_action
        self._session = session
        self._own_session = session is None
        self.reconnect_delay = reconnect_delay
        self.max_reconnect_delay = max_reconnect_delay
        self.heartbeat = heartbeat
        self.connections = 0
        """Connections opened so far (health reporting)."""
        self.last_error: str | None = None
        self._connected = asyncio.Event()
        self._stopping = asyncio.Event()
        self._socket: aiohttp.ClientWebSocketResponse | None = None
        self._in_flight: set[str] = set()
        self._locks: dict[str, asyncio.Lock] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def connected(self) -> bool:
        """A connection is open now."""
        return self._connected.is_set()

    async def wait_connected(self, timeout: float) -> None:
        """Waits until a connection is open (``TimeoutError`` otherwise)."""
        await asyncio.wait_for(self._connected.wait(), timeout)

    async def run(self) -> None:
        """Connects, reads, reconnects, until :meth:`stop`."""
        if self._session is None:
            self._session = aiohttp.ClientSession()
        delay = self.reconnect_delay
        try:
            while not self._stopping.is_set():
                try:
                    stood = await self._connect_once(self._session)
                except (aiohttp.ClientError, TimeoutError, ConnectionError, ValueError, KeyError) as exc:
                    self.last_error = repr(exc)
                    log.warning("钉钉 Stream connection failed: %r", exc)
                    stood = False
                if self._stopping.is_set():
                    break
                if stood:  # it was open: start again from the first wait
                    delay = self.reconnect_delay
                pause, delay = delay, min(delay * 2, self.max_reconnect_delay)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), pause)
        finally:
            await self._drain()
            if self._own_session and self._session is not None:
                await self._session.close()
                self._session = None

    async def stop(self) -> None:
        """Closes the connection; :meth:`run` returns once handlers in flight have finished."""
        self._stopping.set()
        if self._socket is not None:
            await self._socket.close()

    async def _connect_once(self, session: aiohttp.ClientSession) -> bool:
        """One connection from registration to close; True if it was open (and so worth
        reconnecting at once), False if it could not be opened."""
        subscriptions = [{"type": "CALLBACK", "topic": ROBOT_TOPIC}, {"type": "CALLBACK", "topic": CARD_TOPIC}]
        body = {"clientId": self.app.client_id, "clientSecret": self.app.client_secret,
                "subscriptions": subscriptions, "ua": "duban-bot", "localIp": ""}
        async with session.post(self.app.endpoint + "/v1.0/gateway/connections/open", json=body) as answer:
            if answer.status != 200:
                raise ValueError(f"connections/open: HTTP {answer.status} {(await answer.text())[:200]}")
            opened = await answer.json()
        async with session.ws_connect(str(opened["endpoint"]), params={"ticket": str(opened["ticket"])},
                                      heartbeat=self.heartbeat) as socket:
            self._socket = socket
            self.connections += 1
            self._connected.set()
            log.info("钉钉 Stream connected (%d)", self.connections)
            try:
                async for frame in socket:
                    if frame.type == aiohttp.WSMsgType.TEXT:
                        if await self._read(socket, frame.data) == "disconnect":
                            break
                    elif frame.type in (aiohttp.WSMsgType.ERROR, aiohttp.WSMsgType.CLOSED):
                        break
            finally:
                self._connected.clear()
                self._socket = None
        log.info("钉钉 Stream connection closed")
        return True

    async def _read(self, socket: aiohttp.ClientWebSocketResponse, text: str) -> str | None:
        """Dispatches one frame; ``"disconnect"`` when the gateway said it will close."""
        try:
            frame = json.loads(text)
            headers = frame.get("headers") or {}
            message_id, topic, kind = str(headers["messageId"]), headers.get("topic"), frame.get("type")
        except (ValueError, KeyError, TypeError, AttributeError):
            log.warning("钉钉 Stream: unreadable frame %.200s", text)
            return None
        if kind == "SYSTEM":
            if topic == "disconnect":
                return "disconnect"
            await _send(socket, ack(message_id, frame.get("data") or "{}"))
            return None
        if kind != "CALLBACK" or topic not in (ROBOT_TOPIC, CARD_TOPIC):
            log.warning("钉钉 Stream: %s frame of topic %s ignored", kind, topic)
            return None
        if message_id in self._in_flight:
            return None  # pushed again while still being handled: the first one's ack covers it
        try:
            data = json.loads(frame.get("data") or "{}")
        except ValueError:
            log.warning("钉钉 Stream: frame %s has unreadable data", message_id)
            return None
        self._in_flight.add(message_id)
        task = asyncio.create_task(self._handle(socket, message_id, topic, data))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return None

    async def _handle(self, socket: aiohttp.ClientWebSocketResponse, message_id: str, topic: str, data: dict[str, Any]) -> None:
        """Runs the handler (one person's frames in order), then acknowledges."""
        answer: Any
        try:
            if topic == ROBOT_TOPIC:
                message = robot_message(data)
                async with self._lock(message.sender):
                    await self.on_message(message)
                answer = {"response": None}
            else:
                action = card_action(message_id, data)
                async with self._lock(action.userid):
                    answer = {"response": await self.on_card_action(action)}
        except Exception:
            log.exception("钉钉 Stream: handling %s failed; not acknowledged, 钉钉 will push it again", message_id)
            return
        finally:
            self._in_flight.discard(message_id)
        await _send(socket, ack(message_id, answer))

    def _lock(self, who: str) -> asyncio.Lock:
        lock = self._locks.get(who)
        if lock is None:
            lock = self._locks[who] = asyncio.Lock()
        return lock

    async def _drain(self) -> None:
        """Lets handlers in flight finish (their acks may find the socket closed: then 钉钉
        pushes those messages again)."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)


async def _send(socket: aiohttp.ClientWebSocketResponse, frame: dict[str, Any]) -> None:
    """Sends a frame; a closed socket loses it (the gateway then pushes the message again)."""
    if socket.closed:
        return
    with contextlib.suppress(ConnectionError, RuntimeError):
        await socket.send_json(frame)
