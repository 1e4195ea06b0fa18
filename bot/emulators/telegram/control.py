"""HTTP control API of the emulator (used by the browser demo and by scripts).

Every route lives under ``{base}/_emulator``, takes and returns JSON, and answers
``{"ok": true, "result": ...}`` or ``{"ok": false, "error": "..."}`` (400 bad input,
404 unknown user/chat/message/file, 409 action Telegram would not allow).

====== ============================================= =============================================
Method Route                                         Body / query → result
====== ============================================= =============================================
GET    /_emulator                                    → bot user, token, api/file URLs, rules, version
GET    /_emulator/rules                              → the :class:`~bot.emulators.telegram.rules.Rules` fields
PATCH  /_emulator/rules                              ``{"rate_limits": false, ...}`` → rules
GET    /_emulator/users                              → [User + ``blocked``]
POST   /_emulator/users                              ``{"first_name", "last_name"?, "username"?,
                                                     "language_code"?, "id"?}`` → User (201)
PATCH  /_emulator/users/{user_id}                    ``{"blocked": true}`` → User
GET    /_emulator/chats                              → [{chat, member_ids, version}]
POST   /_emulator/groups                             ``{"title", "member_ids": [...]}`` → Chat (201)
POST   /_emulator/chats/{chat_id}/messages           ``{"text", "user_id"?, "reply_to_message_id"?}``
                                                     → transcript entry (201)
PATCH  /_emulator/chats/{chat_id}/messages/{id}      ``{"text", "user_id"?}`` → entry (user edit)
POST   /_emulator/chats/{chat_id}/files              multipart: ``file``, ``kind`` (document|photo),
                                                     ``caption``?, ``user_id``?,
                                                     ``reply_to_message_id``? → entry (201)
POST   /_emulator/chats/{chat_id}/press              ``{"button", "message_id"?, "user_id"?}``
                                                     → callback entry (201)
GET    /_emulator/chats/{chat_id}/transcript         ``?since=V&timeout=S`` long-polls until the
                                                     chat's version exceeds V → {chat, version,
                                                     entries}
GET    /_emulator/changes                            ``?since=V&timeout=S`` → {"version"} when any
                                                     chat changed
GET    /_emulator/files/{file_id}                    → the file's bytes
====== ============================================= =============================================

``user_id`` defaults to the owner of a private chat; in groups it is required. Transcript
entries are ``{"kind": "message", ...}`` (text, caption, inline_keyboard, files, edited,
deleted, from_bot, ...) or ``{"kind": "callback", ...}`` (button_text, answered,
answer_text, show_alert). Long polls cap ``timeout`` at 60 s.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.emulators.serving import ControlError

from bot.emulators.telegram import simulation
from bot.emulators.telegram.models import Chat, SimUser
from bot.emulators.telegram.transcript import transcript_json

if TYPE_CHECKING:
    from bot.emulators.telegram.server import EmulatorServer

MAX_POLL_SECONDS = 60.0

Route = Callable[[web.Request], Awaitable[web.StreamResponse]]



def add_control_routes(app: web.Application, server: EmulatorServer, prefix: str) -> None:
    """Registers the control API on ``app`` under ``prefix``."""
    api = ControlApi(server)
    routes: list[tuple[str, str, Route]] = [
        ("GET", "", api.info),
        ("GET", "/rules", api.get_rules),
        ("PATCH", "/rules", api.patch_rules),
        ("GET", "/users", api.list_users),
        ("POST", "/users", api.create_user),
        ("PATCH", "/users/{user_id}", api.patch_user),
        ("GET", "/chats", api.list_chats),
        ("POST", "/groups", api.create_group),
        ("POST", "/chats/{chat_id}/messages", api.send_message),
        ("PATCH", "/chats/{chat_id}/messages/{message_id}", api.edit_message),
        ("POST", "/chats/{chat_id}/files", api.send_file),
        ("POST", "/chats/{chat_id}/press", api.press),
        ("GET", "/chats/{chat_id}/transcript", api.transcript),
        ("GET", "/changes", api.changes),
        ("GET", "/files/{file_id}", api.download),
    ]
    for method, path, handler in routes:
        app.router.add_route(method, prefix + path, _wrap(handler))


def _wrap(handler: Route) -> Route:
    """Turns ControlError / SimulationError into JSON error answers."""
    from bot.emulators.telegram.server import json_response

    async def route(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except ControlError as exc:
            return json_response({"ok": False, "error": str(exc)}, status=exc.status)
        except simulation.SimulationError as exc:
            return json_response({"ok": False, "error": str(exc)}, status=409)

    return route


def _ok(result: Any, status: int = 200) -> web.Response:
    """``{"ok": true, "result": ...}``."""
    from bot.emulators.telegram.server import json_response

    return json_response({"ok": True, "result": result}, status=status)


async def _body(request: web.Request) -> dict[str, Any]:
    """The JSON object body (400 if it is not one)."""
    try:
        body = await request.json()
    except ValueError:
        raise ControlError(400, "body must be a JSON object") from None
    if not isinstance(body, dict):
        raise ControlError(400, "body must be a JSON object")
    return body


def _int(value: Any, name: str) -> int:
    """An integer parameter (400 otherwise)."""
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ControlError(400, f"{name} must be an integer") from None


def _user_json(user: SimUser) -> dict[str, Any]:
    """User object plus the emulator's ``blocked`` flag."""
    return {**user.to_api(), "blocked": user.blocked}


class ControlApi:
    """Handlers of the control routes."""

    def __init__(self, server: EmulatorServer) -> None:
        self.server = server
        self.state = server.state

    def _chat(self, request: web.Request) -> Chat:
        chat = self.state.chats.get(_int(request.match_info["chat_id"], "chat_id"))
        if chat is None:
            raise ControlError(404, "chat not found")
        return chat

    def _user(self, user_id: Any) -> SimUser:
        user = self.state.users.get(_int(user_id, "user_id"))
        if user is None:
            raise ControlError(404, "user not found")
        return user

    def _sender(self, chat: Chat, user_id: Any) -> SimUser:
        """The acting user: given explicitly, or the private chat's owner."""
        if user_id is not None:
            return self._user(user_id)
        if chat.user is None:
            raise ControlError(400, "user_id is required in group chats")
        return chat.user

    def _message(self, chat: Chat, message_id: Any) -> Any:
        message = chat.messages.get(_int(message_id, "message_id"))
        if message is None:
            raise ControlError(404, "message not found")
        return message

    def _poll_timeout(self, request: web.Request) -> tuple[int, float]:
        """The ``since`` and capped ``timeout`` query parameters of a long poll."""
        since = _int(request.query.get("since", -1), "since")
        timeout = min(float(request.query.get("timeout", 0) or 0), MAX_POLL_SECONDS)
        return since, timeout

    async def info(self, request: web.Request) -> web.Response:
        """Bot identity, URLs and rules."""
        server = self.server
        return _ok(
            {
                "bot": self.state.bot.to_api(),
                "token": server.token,
                "api_url": server.api_url,
                "file_url": server.file_url,
                "rules": server.rules.to_json(),
                "bot_api_version": server.spec.version,
                "version": self.state.seq,
            }
        )

    async def get_rules(self, request: web.Request) -> web.Response:
        """The current rules."""
        return _ok(self.server.rules.to_json())

    async def patch_rules(self, request: web.Request) -> web.Response:
        """Changes some rules."""
        try:
            self.server.rules.update(await _body(request))
        except KeyError as exc:
            raise ControlError(400, f"unknown rule {exc.args[0]!r}") from None
        return _ok(self.server.rules.to_json())

    async def list_users(self, request: web.Request) -> web.Response:
        """Every simulated user."""
        return _ok([_user_json(u) for u in self.state.users.values()])

    async def create_user(self, request: web.Request) -> web.Response:
        """Creates a user and their private chat."""
        body = await _body(request)
        if not body.get("first_name"):
            raise ControlError(400, "first_name is required")
        user_id = _int(body["id"], "id") if body.get("id") is not None else None
        if user_id is not None and user_id in self.state.users:
            raise ControlError(409, "user exists")
        user = self.state.create_user(
            body["first_name"], body.get("last_name"), body.get("username"), body.get("language_code", "en"), user_id
        )
        return _ok(_user_json(user), status=201)

    async def patch_user(self, request: web.Request) -> web.Response:
        """Blocks or unblocks the bot for a user."""
        user = self._user(request.match_info["user_id"])
        body = await _body(request)
        if "blocked" in body:
            user.blocked = bool(body["blocked"])
            self.state.touch(self.state.chats[user.id])
        return _ok(_user_json(user))

    async def list_chats(self, request: web.Request) -> web.Response:
        """Every chat with its member ids and version."""
        return _ok(
            [
                {"chat": c.to_api(), "member_ids": c.member_ids or [c.id], "version": c.version}
                for c in self.state.chats.values()
            ]
        )

    async def create_group(self, request: web.Request) -> web.Response:
        """Creates a group of existing users."""
        body = await _body(request)
        members = [self._user(uid) for uid in body.get("member_ids") or []]
        chat = self.state.create_group(str(body.get("title") or "Group"), members)
        return _ok({"chat": chat.to_api(), "member_ids": chat.member_ids, "version": chat.version}, status=201)

    async def send_message(self, request: web.Request) -> web.Response:
        """Sends text as a user (optionally as a reply)."""
        chat = self._chat(request)
        body = await _body(request)
        reply_to = body.get("reply_to_message_id")
        message = simulation.send_text(
            self.state,
            self._sender(chat, body.get("user_id")),
            chat,
            str(body.get("text", "")),
            reply_to=self._message(chat, reply_to) if reply_to is not None else None,
        )
        return _ok(message.to_transcript(), status=201)

    async def edit_message(self, request: web.Request) -> web.Response:
        """Edits a user's own text message."""
        chat = self._chat(request)
        body = await _body(request)
        message = self._message(chat, request.match_info["message_id"])
        edited = simulation.edit_text(
            self.state, self._sender(chat, body.get("user_id")), message, str(body.get("text", ""))
        )
        return _ok(edited.to_transcript())

    async def send_file(self, request: web.Request) -> web.Response:
        """Sends a document or photo uploaded as multipart ``file``."""
        chat = self._chat(request)
        form = await request.post()
        upload = form.get("file")
        if not isinstance(upload, web.FileField):
            raise ControlError(400, "multipart field 'file' is required")
        message = simulation.send_file(
            self.state,
            self._sender(chat, form.get("user_id")),
            chat,
            str(form.get("kind", "document")),
            upload.file.read(),
            file_name=upload.filename,
            mime_type=upload.content_type,
            caption=str(form["caption"]) if form.get("caption") else None,
            reply_to=self._message(chat, form["reply_to_message_id"]) if form.get("reply_to_message_id") else None,
        )
        return _ok(message.to_transcript(), status=201)

    async def press(self, request: web.Request) -> web.Response:
        """Presses an inline button by text or callback_data."""
        chat = self._chat(request)
        body = await _body(request)
        if not body.get("button"):
            raise ControlError(400, "button is required")
        message_id = body.get("message_id")
        record = simulation.press(
            self.state,
            self._sender(chat, body.get("user_id")),
            chat,
            str(body["button"]),
            self._message(chat, message_id) if message_id is not None else None,
        )
        return _ok(record.to_transcript(), status=201)

    async def transcript(self, request: web.Request) -> web.Response:
        """The chat's transcript, after waiting for a change past ``since`` if asked."""
        chat = self._chat(request)
        since, timeout = self._poll_timeout(request)
        if since >= 0 and timeout > 0:
            await self.state.wait_changed(since, timeout, chat)
        return _ok(transcript_json(chat))

    async def changes(self, request: web.Request) -> web.Response:
        """Waits for any change past ``since``; returns the global version."""
        since, timeout = self._poll_timeout(request)
        version = await self.state.wait_changed(since, timeout) if timeout > 0 else self.state.seq
        return _ok({"version": version})

    async def download(self, request: web.Request) -> web.StreamResponse:
        """The bytes of any stored file."""
        stored = self.state.files.get(request.match_info["file_id"])
        if stored is None:
            raise ControlError(404, "file not found")
        headers = {
            "Content-Disposition": f'attachment; filename="{stored.file_name or stored.file_path.rsplit("/", 1)[-1]}"'
        }
        return web.Response(
            body=stored.data, content_type=stored.mime_type or "application/octet-stream", headers=headers
        )
