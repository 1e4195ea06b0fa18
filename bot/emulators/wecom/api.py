"""企业微信 server API routes the bot's adapter calls, under ``/cgi-bin``.

Each route is the documented call of the same path on ``https://qyapi.weixin.qq.com``
(企业内部开发 › 服务端API); every answer carries ``errcode`` and ``errmsg``:

======================================= ====================================================
Route                                   Documented call
======================================= ====================================================
GET  /cgi-bin/gettoken                  「获取access_token」: ``corpid``, ``corpsecret`` →
                                        ``access_token``, ``expires_in`` (40013 bad corpid,
                                        40001 bad secret)
POST /cgi-bin/message/send              「发送应用消息」: text, markdown, image, file,
                                        template_card (button_interaction with task_id) →
                                        ``invaliduser``, ``msgid``, ``response_code``
POST /cgi-bin/message/update_template_card 「更新模版卡片消息」: ``response_code`` with
                                        ``button.replace_name`` or a new ``template_card``
POST /cgi-bin/media/upload              「上传临时素材」: multipart ``media``, ``type`` →
                                        ``media_id``, ``created_at``
GET  /cgi-bin/media/get                 「获取临时素材」: the bytes with Content-Disposition,
                                        or JSON 40007
GET  /cgi-bin/department/list           「获取部门列表」 (``id``: that one and below)
GET  /cgi-bin/user/simplelist           「获取部门成员」 (``department_id``, ``fetch_child``)
GET  /cgi-bin/user/list                 「获取部门成员详情」
======================================= ====================================================

A call without a valid token answers 41001 (missing), 40014 (invalid) or 42001 (expired).
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

from aiohttp import web

from bot.emulators.wecom.world import API_LIMIT, Card, Media, World

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

ERRMSG = {
    0: "ok",
    40001: "invalid credential",
    40004: "invalid media type",
    40005: "invalid file type",
    40006: "invalid file size",
    40007: "invalid media_id",
    40008: "invalid message type",
    40013: "invalid corpid",
    40014: "invalid access_token",
    40056: "invalid agentid",
    40058: "invalid parameter",
    41001: "access_token missing",
    42001: "access_token expired",
    44004: "empty content",
    45009: "api freq out of limit",
    45033: "api concurrent out of limit",
    81013: "user & party & tag all invalid",
    -1: "system busy",
}

MEDIA_LIMITS = {"image": 10 * 2**20, "voice": 2 * 2**20, "video": 10 * 2**20, "file": 20 * 2**20}
"""「上传临时素材」: 图片10MB，语音2MB，视频10MB，普通文件20MB; every file more than 5 bytes."""

TEXT_BYTES = 2048
"""text.content and markdown.content: 最长不超过2048个字节，超过将截断 — cut, not refused, so
a sender must split a long text itself; the emulator marks what it cut (``Entry.truncated``)."""

CARD_BUTTONS = 6
"""button_interaction: 按钮列表，列表长度不超过6."""


def answer(errcode: int, **fields: Any) -> web.Response:
    """企业微信's JSON answer (always HTTP 200, the errcode says what happened)."""
    body = {"errcode": errcode, "errmsg": ERRMSG.get(errcode, "error"), **fields}
    return web.json_response(body, dumps=lambda v: json.dumps(v, ensure_ascii=False))


class ApiError(Exception):
    def __init__(self, errcode: int) -> None:
        super().__init__(errcode)
        self.errcode = errcode


class ServerApi:
    """The routes, bound to one :class:`World`."""

    def __init__(self, world: World) -> None:
        self.world = world

    def add_routes(self, app: web.Application, prefix: str = "") -> None:
        routes: list[tuple[str, str, Handler]] = [
            ("GET", "/cgi-bin/gettoken", self.gettoken),
            ("POST", "/cgi-bin/message/send", self._authorised(self.message_send)),
            ("POST", "/cgi-bin/message/update_template_card", self._authorised(self.update_template_card)),
            ("POST", "/cgi-bin/media/upload", self._authorised(self.media_upload)),
            ("GET", "/cgi-bin/media/get", self._authorised(self.media_get)),
            ("GET", "/cgi-bin/department/list", self._authorised(self.department_list)),
            ("GET", "/cgi-bin/user/simplelist", self._authorised(self.user_simplelist)),
            ("GET", "/cgi-bin/user/list", self._authorised(self.user_list)),
        ]
        for method, path, handler in routes:
            app.router.add_route(method, prefix + path, handler)

    def _fault(self, path: str) -> int | None:
        """An errcode queued for ``path`` by the control API, or a base-frequency 45009."""
        queued = self.world.faults.get(path.removeprefix("/cgi-bin/"))
        if queued:
            return queued.popleft()
        if not self.world.api_call_allowed(path):
            return API_LIMIT
        return None

    def _authorised(self, handler: Handler) -> Handler:
        async def route(request: web.Request) -> web.StreamResponse:
            error = self.world.token_error(request.query.get("access_token")) or self._fault(request.path)
            if error is not None:
                return answer(error)
            try:
                return await handler(request)
            except ApiError as exc:
                return answer(exc.errcode)

        return route

    async def gettoken(self, request: web.Request) -> web.StreamResponse:
        """「获取access_token」 GET /cgi-bin/gettoken?corpid=ID&corpsecret=SECRET."""
        if request.query.get("corpid") != self.world.corp_id:
            return answer(40013)
        if request.query.get("corpsecret") != self.world.secret:
            return answer(40001)
        fault = self._fault(request.path)
        if fault is not None:
            return answer(fault)
        token, expires_in = self.world.issue_token()
        return answer(0, access_token=token, expires_in=expires_in)

    async def _json(self, request: web.Request) -> dict[str, Any]:
        try:
            body = await request.json(loads=json.loads)
        except ValueError:
            raise ApiError(40058) from None
        if not isinstance(body, dict):
            raise ApiError(40058)
        if int(body.get("agentid", -1) or -1) != self.world.agent_id:
            raise ApiError(40056)
        return body

    async def message_send(self, request: web.Request) -> web.StreamResponse:
        """「发送应用消息」 POST /cgi-bin/message/send: ``touser`` "a|b" (or "@all"), ``msgtype``,
        the body under the msgtype's key. Members unknown to the organisation come back in
        ``invaliduser``; when none is valid, 81013."""
        world = self.world
        body = await self._json(request)
        kind = body.get("msgtype")
        content = body.get(kind) if isinstance(kind, str) else None
        if kind not in ("text", "markdown", "image", "file", "template_card") or not isinstance(content, dict):
            raise ApiError(40008)
        entry_fields = self._entry_fields(kind, content)
        touser = str(body.get("touser", ""))
        wanted = list(world.members) if touser == "@all" else [u for u in touser.split("|") if u]
        valid = [u for u in wanted if u in world.members]
        invalid = [u for u in wanted if u not in world.members]
        if not valid:
            raise ApiError(81013)
        if world.sent_today + len(valid) > world.limits.daily_quota:
            raise ApiError(API_LIMIT)
        delivered = []
        for userid in valid:
            if world.member_send_allowed(userid):
                delivered.append(userid)
            elif world.limits.member_overflow == "error":
                raise ApiError(API_LIMIT)
            else:
                world.dropped.append({"touser": userid, "msgtype": kind, kind: content})
        world.sent_today += len(valid)
        msgid = secrets.token_urlsafe(24)
        extra: dict[str, Any] = {}
        if kind == "template_card":
            task_id = entry_fields["card"].task_id
            code = secrets.token_urlsafe(24)
            world.response_codes[code] = (task_id, None)
            world.cards[task_id] = {}
            extra["response_code"] = code
        for userid in delivered:
            fields = dict(entry_fields)
            if kind == "template_card":
                card = Card(task_id=fields["card"].task_id, template_card=content)
                world.cards[card.task_id][userid] = card
                fields["card"] = card
            world.add_entry(userid, sender="bot", msgid=msgid, **fields)
        return answer(0, invaliduser="|".join(invalid), invalidparty="", invalidtag="", unlicenseduser="", msgid=msgid, **extra)

    def _entry_fields(self, kind: str, content: dict[str, Any]) -> dict[str, Any]:
        """What a message of ``kind`` shows in a chat; 40058/44004/40007 when malformed."""
        if kind in ("text", "markdown"):
            text = content.get("content")
            if not isinstance(text, str) or not text:
                raise ApiError(44004)
            cut = text.encode()[:TEXT_BYTES].decode(errors="ignore")
            return {"kind": kind, "text": cut, "truncated": cut != text}
        if kind in ("image", "file"):
            media = self.world.media.get(str(content.get("media_id", "")))
            if media is None:
                raise ApiError(40007)
            return {"kind": kind, "media_id": media.media_id, "filename": media.filename}
        if content.get("card_type") != "button_interaction":
            raise ApiError(40058)
        task_id = content.get("task_id")
        buttons = content.get("button_list")
        if not isinstance(task_id, str) or not task_id or len(task_id.encode()) > 128 or task_id in self.world.cards:
            raise ApiError(40058)
        if not isinstance(buttons, list) or not 1 <= len(buttons) <= CARD_BUTTONS:
            raise ApiError(40058)
        if not all(isinstance(b, dict) and b.get("key") and b.get("text") for b in buttons):
            raise ApiError(40058)
        if not content.get("main_title", {}).get("title"):
            raise ApiError(40058)
        return {"kind": "card", "text": content["main_title"]["title"], "card": Card(task_id, content)}

    async def update_template_card(self, request: web.Request) -> web.StreamResponse:
        """「更新模版卡片消息」 POST /cgi-bin/message/update_template_card: ``response_code`` (from
        the send answer: any recipient; from a button callback: the member who pressed; once
        each), ``userids`` or ``atall``, and ``button.replace_name`` (buttons greyed out with
        that text) or a new ``template_card``."""
        world = self.world
        body = await self._json(request)
        code = str(body.get("response_code", ""))
        if code not in world.response_codes:
            raise ApiError(40058)
        task_id, allowed = world.response_codes[code]
        cards = world.cards.get(task_id, {})
        if body.get("atall"):
            targets = list(cards) if allowed is None else [u for u in cards if u in allowed]
        else:
            targets = [u for u in body.get("userids", []) if u in cards and (allowed is None or u in allowed)]
        if not isinstance(body.get("userids", []), list):
            raise ApiError(40058)
        invalid = [u for u in body.get("userids", []) if u not in targets]
        replace_name = (body.get("button") or {}).get("replace_name")
        new_card = body.get("template_card")
        if not targets or (not replace_name and not isinstance(new_card, dict)):
            raise ApiError(40058)
        del world.response_codes[code]
        for userid in targets:
            card = cards[userid]
            card.changed_seq = world.next_seq()
            if isinstance(new_card, dict):
                card.template_card, card.updated, card.replaced = new_card, True, None
            else:
                card.replaced = str(replace_name)
        return answer(0, invaliduser=invalid)

    async def media_upload(self, request: web.Request) -> web.StreamResponse:
        """「上传临时素材」 POST /cgi-bin/media/upload?type=TYPE, multipart field ``media`` with
        filename; 40004 for an unknown type, 40006 for a size out of the type's limit."""
        kind = request.query.get("type", "")
        if kind not in MEDIA_LIMITS:
            raise ApiError(40004)
        filename, content = "", b""
        if not request.content_type.startswith("multipart/"):
            raise ApiError(40058)
        async for part in await request.multipart():
            if getattr(part, "name", None) == "media":
                filename = getattr(part, "filename", None) or ""
                content = await part.read()  # type: ignore[union-attr]
        if not filename:
            raise ApiError(40058)
        if not 5 < len(content) <= MEDIA_LIMITS[kind]:
            raise ApiError(40006)
        media = self.world_media(kind, filename, content)
        return answer(0, type=kind, media_id=media.media_id, created_at=str(media.created_at))

    def world_media(self, kind: str, filename: str, content: bytes) -> Media:
        """Stores a file and gives it a media_id (uploads and files people send)."""
        media = Media("3" + secrets.token_urlsafe(48), kind, filename, content, int(time.time()))
        self.world.media[media.media_id] = media
        return media

    async def media_get(self, request: web.Request) -> web.StreamResponse:
        """「获取临时素材」 GET /cgi-bin/media/get?media_id=ID: the bytes, or 40007 as JSON."""
        media = self.world.media.get(request.query.get("media_id", ""))
        if media is None or time.time() - media.created_at > 3 * 86400:
            raise ApiError(40007)
        plain = media.filename.encode("ascii", "replace").decode().replace('"', "").replace("?", "_")
        disposition = f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(media.filename)}"
        return web.Response(
            body=media.content, content_type="application/octet-stream", headers={"Content-Disposition": disposition}
        )

    def _departments_under(self, root: int) -> list[int]:
        ids = [root]
        for dep_id in ids:
            ids.extend(d.id for d in self.world.departments.values() if d.parentid == dep_id and d.id not in ids)
        return ids

    async def department_list(self, request: web.Request) -> web.StreamResponse:
        """「获取部门列表」 GET /cgi-bin/department/list?id=ID (without id: all)."""
        root = request.query.get("id")
        world = self.world
        ids = self._departments_under(int(root)) if root else list(world.departments)
        return answer(0, department=[vars(world.departments[i]) | {"department_leader": []} for i in ids if i in world.departments])

    def _members_of(self, request: web.Request) -> list[Any]:
        try:
            dep_id = int(request.query.get("department_id", ""))
        except ValueError:
            raise ApiError(40058) from None
        if dep_id not in self.world.departments:
            raise ApiError(40058)
        ids = self._departments_under(dep_id) if request.query.get("fetch_child") == "1" else [dep_id]
        return [m for m in self.world.members.values() if set(m.department) & set(ids)]

    async def user_simplelist(self, request: web.Request) -> web.StreamResponse:
        """「获取部门成员」 GET /cgi-bin/user/simplelist?department_id=ID&fetch_child=0|1."""
        users = [{"userid": m.userid, "name": m.name, "department": m.department} for m in self._members_of(request)]
        return answer(0, userlist=users)

    async def user_list(self, request: web.Request) -> web.StreamResponse:
        """「获取部门成员详情」 GET /cgi-bin/user/list?department_id=ID&fetch_child=0|1."""
        users = [
            {"userid": m.userid, "name": m.name, "department": m.department, "main_department": m.department[0],
             "position": m.position, "status": 1}
            for m in self._members_of(request)
        ]
        return answer(0, userlist=users)
