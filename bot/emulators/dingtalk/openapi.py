"""The 钉钉 OpenAPI calls a robot app makes, as documented on open.dingtalk.com.

Two generations, two shapes, as in 钉钉 itself:

* ``api.dingtalk.com/v1.0/…`` (新版服务端 API): the token in the ``x-acs-dingtalk-access-token``
  header; success is HTTP 200 with the result object; an error is an HTTP 4xx/5xx with
  ``{"code": "…", "message": "…", "requestid": "…"}`` — 401 ``InvalidAuthentication`` for a bad
  or expired token, 403 ``Forbidden.AccessDenied.QpsLimitForApi`` over the call quota.
  503 ``ServiceUnavailable`` when busy.
* ``oapi.dingtalk.com/…`` (旧版服务端 API): the token in the ``access_token`` query parameter;
  always HTTP 200 with ``{"errcode": 0, "errmsg": "ok", …}``; errcode 40014 (不合法的
  access_token), 42001 (access_token 超时), 90018 (调用该接口超过每秒/每分钟限流), -1 (系统繁忙) on
  error.

Both are served on one address here; the client is given the one base URL for both.
"""

from __future__ import annotations

import json
import secrets
from urllib.parse import unquote
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from bot.emulators.dingtalk.world import TOKEN_SECONDS, Card, World, robot_content

Handler = Callable[[web.Request], Awaitable[web.Response]]

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
"""``media/upload``: 钉钉 documents 20 MB for a ``file``."""


class ApiError(Exception):
    """An error answer of either generation."""

    def __init__(self, status: int, code: str, message: str, errcode: int = 0) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.errcode = errcode


def _v1_error(exc: ApiError) -> web.Response:
    body = {"code": exc.code, "message": str(exc), "requestid": secrets.token_hex(8)}
    return web.json_response(body, status=exc.status)


def _old_error(exc: ApiError) -> web.Response:
    body = {"errcode": exc.errcode or 400002, "errmsg": str(exc), "request_id": secrets.token_hex(6)}
    return web.json_response(body)


def _throttled() -> web.Response:
    """钉钉's answer to a server address over the all-API limit (每个IP调用所有接口总量): no error
    code, a wait in seconds."""
    body = {"status": 1111, "wait": 5, "source": "x5", "punish": "deny", "uuid": secrets.token_hex(8)}
    return web.json_response(body)


class OpenApi:
    """The OpenAPI routes over a :class:`World`."""

    def __init__(self, world: World, base_url: Callable[[], str]) -> None:
        self.world = world
        self.base_url = base_url

    def add_routes(self, app: web.Application) -> None:
        """Registers every route."""
        v1: list[tuple[str, str, Handler]] = [
            ("POST", "/v1.0/robot/oToMessages/batchSend", self.batch_send),
            ("GET", "/v1.0/robot/oToMessages/readStatus", self.read_status),
            ("POST", "/v1.0/card/instances", self.create_card),
            ("PUT", "/v1.0/card/instances", self.update_card),
            ("POST", "/v1.0/card/instances/deliver", self.deliver_card),
            ("POST", "/v1.0/card/instances/createAndDeliver", self.create_and_deliver),
            ("POST", "/v1.0/robot/messageFiles/download", self.download_code),
        ]
        old: list[tuple[str, str, Handler]] = [
            ("POST", "/media/upload", self.upload),
            ("POST", "/topapi/message/corpconversation/asyncsend_v2", self.send_notice),
            ("POST", "/topapi/message/corpconversation/getsendresult", self.send_result),
            ("POST", "/topapi/v2/department/listsub", self.departments),
            ("POST", "/topapi/v2/user/list", self.users),
        ]
        app.router.add_post("/v1.0/oauth2/accessToken", self.access_token)
        app.router.add_get("/gettoken", self.get_token)
        app.router.add_get("/_files/{key}", self.file_bytes)
        app.router.add_post("/robot/sendBySession", self.session_reply)
        for method, path, handler in v1:
            app.router.add_route(method, path, self._v1(path, handler))
        for method, path, handler in old:
            app.router.add_route(method, path, self._old(path, handler))

    # ----------------------------------------------------------------- the two shapes

    def _v1(self, route: str, handler: Handler) -> Handler:
        async def serve(request: web.Request) -> web.Response:
            if self.world.throttled():
                return _throttled()
            try:
                state = self.world.token_state(request.headers.get("x-acs-dingtalk-access-token"))
                if state != "valid":
                    raise ApiError(401, "InvalidAuthentication", "不合法的access_token" if state == "invalid" else "access_token已过期")
                if self.world.busy():
                    raise ApiError(503, "ServiceUnavailable", "系统繁忙，请稍后再试")
                if self.world.over_quota(route):
                    raise ApiError(403, "Forbidden.AccessDenied.QpsLimitForApi", "调用该接口超过限流阈值，请稍后再试")
                return await handler(request)
            except (ValueError, TypeError) as exc:
                return _v1_error(ApiError(400, "InvalidParameter", f"参数错误: {exc}"))
            except ApiError as exc:
                return _v1_error(exc)

        return serve

    def _old(self, route: str, handler: Handler) -> Handler:
        async def serve(request: web.Request) -> web.Response:
            if self.world.throttled():
                return _throttled()
            try:
                state = self.world.token_state(request.query.get("access_token"))
                if state == "invalid":
                    raise ApiError(200, "", "不合法的access_token", errcode=40014)
                if state == "expired":
                    raise ApiError(200, "", "access_token超时", errcode=42001)
                if self.world.busy():
                    raise ApiError(200, "", "系统繁忙", errcode=-1)
                if self.world.over_quota(route):
                    raise ApiError(200, "", "当前应用调用该接口超过限流阈值", errcode=90018)
                return await handler(request)
            except (ValueError, TypeError) as exc:
                return _old_error(ApiError(200, "", f"参数错误: {exc}", errcode=400002))
            except ApiError as exc:
                return _old_error(exc)

        return serve

    async def _json(self, request: web.Request) -> dict[str, Any]:
        try:
            body = await request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise ApiError(400, "InvalidParameter", "请求体必须是 JSON 对象", errcode=400002)
        return body

    # ------------------------------------------------------------------------- tokens

    async def access_token(self, request: web.Request) -> web.Response:
        """``POST /v1.0/oauth2/accessToken`` (获取企业内部应用的accessToken)."""
        try:
            body = await self._json(request)
        except ApiError as exc:
            return _v1_error(exc)
        if body.get("appKey") != self.world.client_id or body.get("appSecret") != self.world.client_secret:
            return _v1_error(ApiError(400, "invalidClientIdOrSecret", "无效的clientId或者clientSecret"))
        return web.json_response({"accessToken": self.world.issue_token(), "expireIn": TOKEN_SECONDS})

    async def get_token(self, request: web.Request) -> web.Response:
        """``GET /gettoken?appkey=&appsecret=`` (旧版 获取企业内部应用的access_token)."""
        if request.query.get("appkey") != self.world.client_id or request.query.get("appsecret") != self.world.client_secret:
            return _old_error(ApiError(200, "", "应用的 appkey 或 appsecret 不正确", errcode=40089))
        token = self.world.issue_token()
        return web.json_response({"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": TOKEN_SECONDS})

    # -------------------------------------------------------------------------- robot

    async def batch_send(self, request: web.Request) -> web.Response:
        """``POST /v1.0/robot/oToMessages/batchSend`` (批量发送人与机器人会话中机器人消息)."""
        body = await self._json(request)
        self._robot_code(body)
        userids = body.get("userIds")
        if not isinstance(userids, list) or not userids or len(userids) > 20:
            raise ApiError(400, "InvalidParameter.userIds", "userIds 须为 1 到 20 个 userId")
        try:
            param = json.loads(body.get("msgParam") or "{}")
            answer = self.world.robot_send([str(u) for u in userids], str(body.get("msgKey")), param)
        except (ValueError, TypeError) as exc:
            raise ApiError(400, "InvalidParameter.msgParam", f"msgKey 或 msgParam 无效: {exc}") from None
        return web.json_response(answer)

    async def read_status(self, request: web.Request) -> web.Response:
        """``GET /v1.0/robot/oToMessages/readStatus`` (批量查询人与机器人会话机器人消息是否已读)."""
        key = request.query.get("processQueryKey", "")
        read_infos = []
        for userid, chat in self.world.chats.items():
            for entry in chat:
                if entry.process_query_key == key:
                    read_infos.append({
                        "name": self.world.staff[userid].name,
                        "userId": userid,
                        "readStatus": "READ" if entry.read_at is not None else "UNREAD",
                        "readTimestamp": int(entry.read_at * 1000) if entry.read_at is not None else 0,
                    })
        if not read_infos:
            raise ApiError(400, "InvalidParameter.processQueryKey", "processQueryKey 不存在")
        return web.json_response({"sendStatus": "SUCCESS", "messageReadInfoList": read_infos})

    def _robot_code(self, body: dict[str, Any]) -> None:
        if body.get("robotCode") != self.world.robot_code:
            raise ApiError(400, "InvalidParameter.robotCode", "robotCode 无效")

    async def session_reply(self, request: web.Request) -> web.Response:
        """The ``sessionWebhook`` of a robot message: answers that person without a token, for
        90 minutes after they wrote (``{"msgtype": "text" | "markdown", …}``)."""
        session = request.query.get("session", "")
        found = next(((u, e) for u, chat in self.world.chats.items() for e in chat if e.msg_id == session and e.kind == "user"), None)
        if found is None or self.world.now() - found[1].at > 90 * 60:
            return _old_error(ApiError(200, "", "session 不存在或已过期", errcode=300001))
        try:
            body = await self._json(request)
            kind = str(body.get("msgtype"))
            key = {"text": "sampleText", "markdown": "sampleMarkdown"}[kind]
            param = dict(body.get(kind) or {})
            if kind == "text":
                param = {"content": param.get("content", "")}
            self.world.add_entry(found[0], "robot", **robot_content(self.world, key, param))
        except (ApiError, KeyError, ValueError):
            return _old_error(ApiError(200, "", "msgtype 仅支持 text 与 markdown", errcode=400002))
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    # ---------------------------------------------------------------------------- cards

    def _new_card(self, body: dict[str, Any]) -> Card:
        out_track_id = str(body.get("outTrackId") or "")
        if not out_track_id or not body.get("cardTemplateId"):
            raise ApiError(400, "InvalidParameter", "outTrackId 与 cardTemplateId 必填")
        if out_track_id in self.world.cards:
            # 钉钉 refuses a second instance with the same outTrackId; the code here is the
            # emulator's own (the client only looks for "duplicate" in it).
            raise ApiError(400, "param.outTrackIdDuplicate", "outTrackId 已存在")
        if body.get("callbackType", "STREAM") != "STREAM":
            raise ApiError(400, "InvalidParameter.callbackType", "本应用只接收 STREAM 回调")
        card = Card(out_track_id, str(body["cardTemplateId"]), _param_map(body))
        self.world.cards[out_track_id] = card
        return card

    def _deliver(self, card: Card, body: dict[str, Any]) -> list[dict[str, Any]]:
        results = []
        for space in str(body.get("openSpaceId") or "").split(";"):
            space_type, _, userid = space.removeprefix("dtv1.card//").partition(".")
            if space_type != "IM_ROBOT":
                raise ApiError(400, "InvalidParameter.openSpaceId", "仅支持 IM_ROBOT 单聊投放")
            model = body.get("imRobotOpenDeliverModel") or {}
            if model.get("spaceType", "IM_ROBOT") != "IM_ROBOT":
                raise ApiError(400, "InvalidParameter.imRobotOpenDeliverModel", "spaceType 须为 IM_ROBOT")
            ok = userid in self.world.staff
            if ok:
                self.world.deliver_card(card, userid)
            results.append({"spaceType": space_type, "spaceId": userid, "success": ok,
                            **({} if ok else {"errorMsg": "用户不存在"})})
        return results

    async def create_card(self, request: web.Request) -> web.Response:
        """``POST /v1.0/card/instances`` (创建卡片实例)."""
        card = self._new_card(await self._json(request))
        return web.json_response({"success": True, "result": card.out_track_id})

    async def deliver_card(self, request: web.Request) -> web.Response:
        """``POST /v1.0/card/instances/deliver`` (投放卡片)."""
        body = await self._json(request)
        card = self.world.cards.get(str(body.get("outTrackId")))
        if card is None:
            raise ApiError(400, "InvalidParameter.outTrackId", "卡片实例不存在")
        return web.json_response({"success": True, "result": self._deliver(card, body)})

    async def create_and_deliver(self, request: web.Request) -> web.Response:
        """``POST /v1.0/card/instances/createAndDeliver`` (创建并投放卡片)."""
        body = await self._json(request)
        card = self._new_card(body)
        return web.json_response({"success": True, "result": {"outTrackId": card.out_track_id,
                                                               "deliverResults": self._deliver(card, body)}})

    async def update_card(self, request: web.Request) -> web.Response:
        """``PUT /v1.0/card/instances`` (更新卡片): ``cardUpdateOptions.updateCardDataByKey``
        merges the given keys; otherwise the whole ``cardParamMap`` is replaced."""
        body = await self._json(request)
        card = self.world.cards.get(str(body.get("outTrackId")))
        if card is None:
            raise ApiError(400, "InvalidParameter.outTrackId", "卡片实例不存在")
        by_key = bool((body.get("cardUpdateOptions") or {}).get("updateCardDataByKey"))
        self.world.update_card(card, _param_map(body), by_key)
        for userid, data in (body.get("privateData") or {}).items():
            card.private[str(userid)] = data
        return web.json_response({"success": True, "result": True})

    # ---------------------------------------------------------------------------- files

    async def download_code(self, request: web.Request) -> web.Response:
        """``POST /v1.0/robot/messageFiles/download`` (下载机器人接收消息的文件内容)."""
        body = await self._json(request)
        self._robot_code(body)
        stored = self.world.files.get(str(body.get("downloadCode")))
        if stored is None:
            raise ApiError(400, "InvalidParameter.downloadCode", "downloadCode 无效")
        return web.json_response({"downloadUrl": f"{self.base_url()}/_files/{stored.key}"})

    async def file_bytes(self, request: web.Request) -> web.Response:
        """The short-lived ``downloadUrl`` (a storage address in 钉钉; no token)."""
        stored = self.world.files.get(request.match_info["key"])
        if stored is None:
            return web.Response(status=404)
        return web.Response(body=stored.data, content_type=stored.mime_type)

    async def upload(self, request: web.Request) -> web.Response:
        """``POST /media/upload?access_token=&type=`` multipart ``media`` (上传媒体文件)."""
        kind = request.query.get("type", "")
        if kind not in {"image", "voice", "video", "file"}:
            raise ApiError(200, "", "不合法的媒体文件类型", errcode=40004)
        form = await request.post()
        media = form.get("media")
        if not isinstance(media, web.FileField):
            raise ApiError(200, "", "缺少 media 文件", errcode=40006)
        data = media.file.read()
        if len(data) > MAX_UPLOAD_BYTES:
            raise ApiError(200, "", "不合法的文件大小", errcode=40006)
        stored = self.world.store_file(unquote(media.filename), data, media.content_type, "@lA")
        created = int(self.world.now() * 1000)
        return web.json_response({"errcode": 0, "errmsg": "ok", "media_id": stored.key, "type": kind, "created_at": created})

    # --------------------------------------------------------------------- work notices

    async def send_notice(self, request: web.Request) -> web.Response:
        """``POST /topapi/message/corpconversation/asyncsend_v2`` (发送工作通知)."""
        body = await self._json(request)
        if str(body.get("agent_id")) != str(self.world.agent_id):
            raise ApiError(200, "", "不合法的agentId", errcode=40056)
        msg = body.get("msg")
        if isinstance(msg, str):
            msg = json.loads(msg)
        userids = [u for u in str(body.get("userid_list") or "").split(",") if u]
        if not userids or len(userids) > 5000 or not isinstance(msg, dict):
            raise ApiError(200, "", "userid_list 与 msg 必填", errcode=400002)
        try:
            task = self.world.send_notice(userids, msg)
        except ValueError as exc:
            raise ApiError(200, "", str(exc), errcode=40008) from None
        return web.json_response({"errcode": 0, "errmsg": "ok", "task_id": task.task_id, "request_id": secrets.token_hex(6)})

    async def send_result(self, request: web.Request) -> web.Response:
        """``POST /topapi/message/corpconversation/getsendresult`` (获取工作通知消息的发送结果)."""
        body = await self._json(request)
        task = self.world.tasks.get(int(body.get("task_id") or 0))
        if task is None or str(body.get("agent_id")) != str(self.world.agent_id):
            raise ApiError(200, "", "任务不存在", errcode=400002)
        return web.json_response({"errcode": 0, "errmsg": "ok", "send_result": self.world.send_result(task),
                                  "request_id": secrets.token_hex(6)})

    # --------------------------------------------------------------------- organisation

    async def departments(self, request: web.Request) -> web.Response:
        """``POST /topapi/v2/department/listsub`` (获取部门列表: the children of ``dept_id``)."""
        body = await self._json(request)
        parent = int(body.get("dept_id") or 1)
        if parent not in self.world.departments:
            raise ApiError(200, "", "部门不存在", errcode=60003)
        result = [
            {"dept_id": d.dept_id, "name": d.name, "parent_id": d.parent_id,
             "auto_add_user": False, "create_dept_group": False}
            for d in self.world.departments.values()
            if d.parent_id == parent
        ]
        return web.json_response({"errcode": 0, "errmsg": "ok", "result": result, "request_id": secrets.token_hex(6)})

    async def users(self, request: web.Request) -> web.Response:
        """``POST /topapi/v2/user/list`` (获取部门用户详情: ``dept_id``, ``cursor``, ``size`` ≤ 100)."""
        body = await self._json(request)
        dept_id = int(body.get("dept_id") or 0)
        if dept_id not in self.world.departments:
            raise ApiError(200, "", "部门不存在", errcode=60003)
        cursor, size = int(body.get("cursor") or 0), int(body.get("size") or 0)
        if not 1 <= size <= 100:
            raise ApiError(200, "", "size 须在 1 到 100 之间", errcode=400002)
        members = [s for s in self.world.staff.values() if dept_id in s.dept_ids]
        page = members[cursor : cursor + size]
        result: dict[str, Any] = {
            "has_more": cursor + size < len(members),
            "list": [
                {"userid": s.userid, "unionid": s.unionid, "name": s.name, "title": s.title,
                 "mobile": s.mobile, "dept_id_list": list(s.dept_ids), "active": True}
                for s in page
            ],
        }
        if result["has_more"]:
            result["next_cursor"] = cursor + size
        return web.json_response({"errcode": 0, "errmsg": "ok", "result": result, "request_id": secrets.token_hex(6)})


def _param_map(body: dict[str, Any]) -> dict[str, str]:
    """``cardData.cardParamMap``: every value a string, as 钉钉 requires."""
    params = (body.get("cardData") or {}).get("cardParamMap") or {}
    if not isinstance(params, dict) or not all(isinstance(v, str) for v in params.values()):
        raise ApiError(400, "InvalidParameter.cardParamMap", "cardParamMap 的值必须是字符串")
    return dict(params)

