"""HTTP control API of the 钉钉 emulator: people act, tests and the demo read what they see.

Every route lives under ``/_emulator``, takes and returns JSON, and answers
``{"ok": true, "result": …}`` or ``{"ok": false, "error": "…"}`` (400 bad input, 404 unknown
person/card/entry, 409 an action 钉钉 would not allow, such as pressing a button the card no
longer shows).

====== ====================================== ================================================
Method Route                                  Body / query → result
====== ====================================== ================================================
GET    /_emulator                             → app credentials, URLs, limits, version
PATCH  /_emulator/limits                      ``{"ack_timeout": 0.5, "calls_per_minute": 20, …}``
PATCH  /_emulator/clock                       ``{"now": unix}`` or ``{"advance": seconds}``
POST   /_emulator/departments                 ``{"name", "parent_id"?}`` → department (201)
POST   /_emulator/staff                       ``{"name", "userid"?, "dept_ids"?, "title"?}`` (201)
GET    /_emulator/staff                       → every person (with their chat's ``version``)
POST   /_emulator/staff/{userid}/messages     ``{"text", "reply_to"?: entry id}`` → entry (201)
POST   /_emulator/staff/{userid}/files        multipart ``file``, ``kind`` (file|picture) (201)
POST   /_emulator/staff/{userid}/press        ``{"button": text or id, "out_track_id"?,
                                              "params"?}`` → delivery (201)
POST   /_emulator/staff/{userid}/read         ``{"entry_id"?}`` → entries now read
GET    /_emulator/staff/{userid}/chat         ``?since=V&timeout=S`` → {version, entries}
GET    /_emulator/changes                     ``?since=V&timeout=S`` → {version}
GET    /_emulator/stream                      → connections, connections opened, deliveries
POST   /_emulator/stream/drop                 ``{"warn": true}`` → connections closed
POST   /_emulator/tokens/expire               → tokens expired
GET    /_emulator/files/{key}                 → the bytes of an uploaded or sent file
====== ====================================== ================================================

A person's message or button press is pushed down the Stream gateway as 钉钉 pushes it (robot
message topic ``/v1.0/im/bot/messages/get``, card callback topic
``/v1.0/card/instances/callback``) and pushed again until the bot acknowledges it.
"""

from __future__ import annotations

import hashlib
import json
from urllib.parse import unquote
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.emulators.serving import ControlError

from bot.emulators.dingtalk.gateway import CARD_TOPIC, ROBOT_TOPIC, Delivery
from bot.emulators.dingtalk.world import Entry, Staff

if TYPE_CHECKING:
    from bot.emulators.dingtalk.server import DingTalkEmulator

MAX_POLL_SECONDS = 60.0

Route = Callable[[web.Request], Awaitable[web.Response]]



def _ok(result: Any, status: int = 200) -> web.Response:
    return web.json_response({"ok": True, "result": result}, status=status,
                             dumps=lambda v: json.dumps(v, ensure_ascii=False))


def _wrap(handler: Route) -> Route:
    async def route(request: web.Request) -> web.Response:
        try:
            return await handler(request)
        except ControlError as exc:
            return web.json_response({"ok": False, "error": str(exc)}, status=exc.status)
        except (KeyError, ValueError) as exc:
            return web.json_response({"ok": False, "error": str(exc)}, status=400)

    return route


async def _body(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json() if request.can_read_body else {}
    except ValueError:
        raise ControlError(400, "body must be a JSON object") from None
    if not isinstance(body, dict):
        raise ControlError(400, "body must be a JSON object")
    return body


def sender_id(userid: str) -> str:
    """The opaque ``senderId`` 钉钉 gives a person (stable per person)."""
    return "$:LWCP_v1:$" + hashlib.sha256(userid.encode()).hexdigest()[:24]


class ControlApi:
    """Handlers of the control routes."""

    def __init__(self, server: DingTalkEmulator) -> None:
        self.server = server
        self.world = server.world
        self.gateway = server.gateway

    def add_routes(self, app: web.Application, prefix: str = "/_emulator") -> None:
        """Registers every route under ``prefix``."""
        routes: list[tuple[str, str, Route]] = [
            ("GET", "", self.info),
            ("PATCH", "/limits", self.patch_limits),
            ("PATCH", "/clock", self.patch_clock),
            ("POST", "/departments", self.add_department),
            ("POST", "/staff", self.add_staff),
            ("GET", "/staff", self.list_staff),
            ("POST", "/staff/{userid}/messages", self.send_text),
            ("POST", "/staff/{userid}/files", self.send_file),
            ("POST", "/staff/{userid}/press", self.press),
            ("POST", "/staff/{userid}/read", self.read),
            ("GET", "/staff/{userid}/chat", self.chat),
            ("GET", "/changes", self.changes),
            ("GET", "/stream", self.stream),
            ("POST", "/stream/drop", self.drop),
            ("POST", "/tokens/expire", self.expire_tokens),
            ("GET", "/files/{key}", self.file_bytes),
        ]
        for method, path, handler in routes:
            app.router.add_route(method, prefix + path, _wrap(handler))

    def _person(self, request: web.Request) -> Staff:
        person = self.world.staff.get(request.match_info["userid"])
        if person is None:
            raise ControlError(404, "no such person")
        return person

    def _poll(self, request: web.Request) -> tuple[int, float]:
        since = int(request.query.get("since", -1))
        return since, min(float(request.query.get("timeout", 0) or 0), MAX_POLL_SECONDS)

    # ----------------------------------------------------------------- the world

    async def info(self, request: web.Request) -> web.Response:
        """The app's credentials and where to reach the emulator."""
        w = self.world
        return _ok({
            "client_id": w.client_id, "client_secret": w.client_secret, "robot_code": w.robot_code,
            "agent_id": w.agent_id, "corp_id": w.corp_id, "endpoint": self.server.url,
            "limits": w.limits.to_json(), "version": w.seq, "now": w.now(),
        })

    async def patch_limits(self, request: web.Request) -> web.Response:
        """Changes some limits."""
        try:
            self.world.limits.update(await _body(request))
        except KeyError as exc:
            raise ControlError(400, f"unknown limit {exc.args[0]!r}") from None
        return _ok(self.world.limits.to_json())

    async def patch_clock(self, request: web.Request) -> web.Response:
        """Sets 钉钉's clock (``now``) or moves it on (``advance`` seconds)."""
        body = await _body(request)
        now = float(body["now"]) if "now" in body else self.world.now() + float(body.get("advance", 0))
        self.world.clock = lambda: now
        return _ok({"now": now, "day": self.world.day()})

    async def add_department(self, request: web.Request) -> web.Response:
        """Adds a 部门."""
        body = await _body(request)
        dept = self.world.add_department(str(body["name"]), int(body.get("parent_id", 1)))
        return _ok(vars(dept), status=201)

    async def add_staff(self, request: web.Request) -> web.Response:
        """Adds a person."""
        body = await _body(request)
        try:
            person = self.world.add_staff(str(body["name"]), body.get("userid"), body.get("dept_ids"), str(body.get("title", "")))
        except ValueError as exc:
            raise ControlError(409, str(exc)) from None
        return _ok(vars(person), status=201)

    async def list_staff(self, request: web.Request) -> web.Response:
        """Every person, with their chat's version (what changed since a look)."""
        return _ok([{**vars(s), "version": self.world.versions[s.userid]} for s in self.world.staff.values()])

    # ------------------------------------------------------------- people act

    def _robot_message(self, person: Staff, entry: Entry, content: dict[str, Any]) -> Delivery:
        """Pushes what ``person`` wrote as the robot message 钉钉 sends (topic
        ``/v1.0/im/bot/messages/get``, conversationType "1": the one-to-one chat)."""
        w = self.world
        now_ms = int(entry.at * 1000)
        data = {
            "conversationId": "cid" + hashlib.sha256(person.userid.encode()).hexdigest()[:22],
            "conversationType": "1",
            "chatbotCorpId": w.corp_id,
            "chatbotUserId": sender_id("robot:" + w.robot_code),
            "msgId": entry.msg_id,
            "senderNick": person.name,
            "isAdmin": False,
            "senderStaffId": person.userid,
            "senderId": sender_id(person.userid),
            "senderCorpId": w.corp_id,
            "sessionWebhook": f"{self.server.url}/robot/sendBySession?session={entry.msg_id}",
            "sessionWebhookExpiredTime": now_ms + 90 * 60 * 1000,
            "createAt": now_ms,
            "robotCode": w.robot_code,
            **content,
        }
        return self.gateway.push(ROBOT_TOPIC, data)

    async def send_text(self, request: web.Request) -> web.Response:
        """The person writes text to the robot, optionally quoting an entry of the chat (引用回复)."""
        person = self._person(request)
        body = await _body(request)
        text = str(body.get("text", ""))
        if not text:
            raise ControlError(400, "text is required")
        quoted = None
        if body.get("reply_to") is not None:
            quoted = self.world.entry(person.userid, int(body["reply_to"]))
            if quoted is None:
                raise ControlError(404, "no such entry to reply to")
        entry = self.world.add_entry(person.userid, "user", text=text, msg_id=_msg_id(self.world.seq),
                                     reply_to=quoted.id if quoted else None)
        text_body: dict[str, Any] = {"content": text}
        if quoted is not None:
            text_body["isReplyMsg"] = True
            text_body["repliedMsg"] = {
                "msgType": quoted.msg_type,
                "msgId": quoted.msg_id or f"robot{quoted.id}",
                "senderId": sender_id(person.userid if quoted.kind == "user" else "robot:" + self.world.robot_code),
                "createdAt": int(quoted.at * 1000),
                "content": {"text": quoted.text},
            }
        delivery = self._robot_message(person, entry, {"msgtype": "text", "text": text_body})
        return _ok({**entry.to_json(), "delivery": delivery.to_json()}, status=201)

    async def send_file(self, request: web.Request) -> web.Response:
        """The person sends a file (or a picture) to the robot."""
        person = self._person(request)
        form = await request.post()
        upload = form.get("file")
        if not isinstance(upload, web.FileField):
            raise ControlError(400, "multipart field 'file' is required")
        kind = str(form.get("kind", "file"))
        if kind not in {"file", "picture"}:
            raise ControlError(400, "kind is file or picture")
        stored = self.world.store_file(unquote(upload.filename), upload.file.read(), upload.content_type, "dc")
        file = {"download_code": stored.key, "name": stored.name, "size": len(stored.data)}
        entry = self.world.add_entry(person.userid, "user", msg_type=kind, text=stored.name, file=file,
                                     msg_id=_msg_id(self.world.seq))
        if kind == "picture":
            content = {"msgtype": "picture", "content": {"downloadCode": stored.key, "pictureDownloadCode": stored.key}}
        else:
            content = {"msgtype": "file", "content": {"downloadCode": stored.key, "fileName": stored.name,
                                                      "spaceId": "space1", "fileId": stored.key[-10:]}}
        delivery = self._robot_message(person, entry, content)
        return _ok({**entry.to_json(), "delivery": delivery.to_json()}, status=201)

    async def press(self, request: web.Request) -> web.Response:
        """The person presses a card's button (by its text or its id): the card callback."""
        person = self._person(request)
        body = await _body(request)
        wanted = str(body.get("button", ""))
        cards = [e.card for e in reversed(self.world.chats[person.userid]) if e.card is not None]
        if body.get("out_track_id"):
            cards = [c for c in cards if c.out_track_id == body["out_track_id"]]
            if not cards:
                raise ControlError(404, "no such card in this chat")
        for card in cards:
            button = next((b for b in card.buttons() if wanted in (b.get("text"), b.get("id"))), None)
            if button is None:
                continue
            if button.get("disabled"):
                raise ControlError(409, f"button {wanted!r} is disabled")
            params = body.get("params") or button.get("params") or {}
            content = {"cardPrivateData": {"actionIds": [str(button.get("id", ""))], "params": params}}
            data = {
                "extension": "{}", "corpId": self.world.corp_id, "type": "actionCallback",
                "userId": person.userid, "userIdType": 1, "outTrackId": card.out_track_id,
                "spaceType": "IM_ROBOT", "spaceId": person.userid,
                "content": json.dumps(content, ensure_ascii=False),
            }
            return _ok(self.gateway.push(CARD_TOPIC, data).to_json(), status=201)
        raise ControlError(409, f"no card in this chat shows a button {wanted!r}")

    async def read(self, request: web.Request) -> web.Response:
        """The person opens the chat (or one entry): 已读 from now."""
        person = self._person(request)
        body = await _body(request)
        entry_id = int(body["entry_id"]) if body.get("entry_id") is not None else None
        return _ok([e.to_json() for e in self.world.mark_read(person.userid, entry_id)])

    # ------------------------------------------------------------- reading

    async def chat(self, request: web.Request) -> web.Response:
        """What the person's chat with the robot shows (cards as they are now)."""
        person = self._person(request)
        since, timeout = self._poll(request)
        if since >= 0 and timeout > 0:
            await self.world.wait_changed(person.userid, since, timeout)
        entries = [e.to_json() for e in self.world.chats[person.userid]]
        return _ok({"userid": person.userid, "version": self.world.versions[person.userid], "entries": entries})

    async def changes(self, request: web.Request) -> web.Response:
        """Waits for any change past ``since``."""
        since, timeout = self._poll(request)
        version = await self.world.wait_changed(None, since, timeout) if timeout > 0 else self.world.seq
        return _ok({"version": version})

    async def stream(self, request: web.Request) -> web.Response:
        """The gateway's connections and deliveries."""
        g = self.gateway
        return _ok({
            "connections": [{"connection_id": c.connection_id, "topics": sorted(c.topics), "ping_acks": c.ping_acks}
                            for c in g.connections.values()],
            "opened": g.opened,
            "deliveries": [d.to_json() for d in g.deliveries.values()],
        })

    async def drop(self, request: web.Request) -> web.Response:
        """Closes the bot's connections (``warn``: with a ``disconnect`` frame first)."""
        body = await _body(request)
        return _ok({"dropped": await self.gateway.drop(bool(body.get("warn", True)))})

    async def expire_tokens(self, request: web.Request) -> web.Response:
        """Every access token issued so far is expired from now."""
        return _ok({"expired": self.world.expire_tokens()})

    async def file_bytes(self, request: web.Request) -> web.Response:
        """The bytes of a stored file."""
        stored = self.world.files.get(request.match_info["key"])
        if stored is None:
            raise ControlError(404, "no such file")
        return web.Response(body=stored.data, content_type=stored.mime_type,
                            headers={"Content-Disposition": f'attachment; filename="{stored.name}"'})


def _msg_id(seq: int) -> str:
    """A ``msgId`` in 钉钉's form (``msg`` + base64-like text)."""
    return "msg" + hashlib.sha256(f"msg{seq}".encode()).hexdigest()[:22]
