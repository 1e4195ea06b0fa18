"""An async client of the 钉钉 OpenAPI calls the robot makes (aiohttp, which the bot already
uses): the access token fetched once and kept until five minutes before it expires; a refused
token fetched again and the call tried once more; quotas raised as :class:`QuotaExceeded` so the
pacer can wait; results as plain dataclasses.

Each method names the documented call it makes (open.dingtalk.com).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from bot.config import DingTalk
from bot.channels.dingtalk.errors import QUOTA_CODES, TOKEN_CODES, DingTalkError, QuotaExceeded, TokenRejected

API_ENDPOINT = "https://api.dingtalk.com"
OAPI_ENDPOINT = "https://oapi.dingtalk.com"
TOKEN_MARGIN = 300.0
"""Seconds before its expiry when a token is replaced (as ``dingtalk-stream`` does)."""
QUOTA_WAIT = 1.0
"""钉钉 gives no retry-after; a quota is counted per second or per minute, and a second's wait
is what clears the per-second one. The pacer backs off further if it is refused again."""
TIMEOUT = aiohttp.ClientTimeout(total=30, sock_connect=10)


@dataclass(frozen=True)
class DingTalkApp:
    """The 企业内部应用 the bot runs as.

    Attributes:
        client_id: ``Client ID`` (原 AppKey).
        client_secret: ``Client Secret`` (原 AppSecret).
        robot_code: The robot's code (for an app's own robot, the client id).
        agent_id: ``AgentId``, for 工作通知.
        endpoint: The new API (``/v1.0/…``) and the Stream gateway's registration.
        oapi_endpoint: The old API (``/topapi/…``, ``/media/upload``, ``/gettoken``).
    """

    client_id: str
    client_secret: str = field(repr=False)
    robot_code: str
    agent_id: int
    endpoint: str = API_ENDPOINT
    oapi_endpoint: str = OAPI_ENDPOINT

    @classmethod
    def from_settings(cls, settings: DingTalk) -> DingTalkApp:
        """The app ``[dingtalk]`` names; ``ValueError`` says which setting is missing."""
        missing = [name for name in ("client_id", "client_secret", "agent_id") if getattr(settings, name) is None]
        if missing:
            raise ValueError(f"[dingtalk] needs {', '.join(missing)}")
        assert settings.client_id is not None and settings.client_secret is not None and settings.agent_id is not None
        return cls(
            settings.client_id,
            settings.client_secret.reveal(),
            settings.robot_code or settings.client_id,
            settings.agent_id,
            settings.endpoint.rstrip("/"),
            settings.oapi_endpoint.rstrip("/"),
        )


@dataclass(frozen=True)
class RobotSendResult:
    """What ``batchSend`` answered: who got the message, who was refused and why."""

    process_query_key: str
    invalid: tuple[str, ...]
    """userIds 钉钉 does not know."""
    flow_controlled: tuple[str, ...]
    """userIds held back by 钉钉's per-person flow control: not delivered, try later."""


@dataclass(frozen=True)
class ReadMark:
    """One receiver of a robot message and whether (and when, ms) they read it."""

    userid: str
    read: bool
    read_at_ms: int


@dataclass(frozen=True)
class WorkNoticeResult:
    """``getsendresult`` of one 工作通知 task."""

    read: tuple[str, ...]
    unread: tuple[str, ...]
    forbidden: tuple[str, ...]
    """Held back by 钉钉's rules (the same content once a day, 500 a day): never delivered,
    although ``asyncsend_v2`` answered success."""
    invalid: tuple[str, ...]
    failed: tuple[str, ...]

    @property
    def delivered(self) -> tuple[str, ...]:
        """Everyone who has the notice in their chat (read or not)."""
        return self.read + self.unread


@dataclass(frozen=True)
class Department:
    """A 部门 (``dept_id`` 1 is the organisation itself)."""

    dept_id: int
    name: str
    parent_id: int | None


@dataclass(frozen=True)
class Member:
    """A person listed under a 部门."""

    userid: str
    name: str
    title: str
    dept_ids: tuple[int, ...]


class DingTalkApi:
    """The OpenAPI for one app.

    Args:
        app: The app's credentials and addresses.
        session: An aiohttp session to use (closed by its owner); None makes one.
        clock: Monotonic seconds, for the token's lifetime.
    """

    def __init__(self, app: DingTalkApp, session: aiohttp.ClientSession | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.app = app
        self._session = session
        self._own_session = session is None
        self._clock = clock
        self._token: str | None = None
        self._token_until = 0.0
        self._token_lock = asyncio.Lock()
        self.tokens_fetched = 0

    async def close(self) -> None:
        """Closes the session if this client made it."""
        if self._own_session and self._session is not None:
            await self._session.close()
            self._session = None

    async def __aenter__(self) -> DingTalkApi:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def session(self) -> aiohttp.ClientSession:
        """The HTTP session (made on first use)."""
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=TIMEOUT)
        return self._session

    # ------------------------------------------------------------------------ token

    async def access_token(self) -> str:
        """``POST /v1.0/oauth2/accessToken`` (获取企业内部应用的accessToken), kept until
        :data:`TOKEN_MARGIN` seconds before it expires; one fetch at a time."""
        async with self._token_lock:
            if self._token is not None and self._clock() < self._token_until:
                return self._token
            body = {"appKey": self.app.client_id, "appSecret": self.app.client_secret}
            answer = await self._http("POST", self.app.endpoint + "/v1.0/oauth2/accessToken", json=body)
            self._token = str(answer["accessToken"])
            self._token_until = self._clock() + float(answer.get("expireIn", 7200)) - TOKEN_MARGIN
            self.tokens_fetched += 1
            return self._token

    def forget_token(self, token: str) -> None:
        """Drops ``token`` if it is still the one kept (钉钉 refused it)."""
        if self._token == token:
            self._token = None

    # ----------------------------------------------------------------------- robot

    async def send_text(self, userids: list[str], text: str) -> RobotSendResult:
        """A robot text message (msgKey ``sampleText``) to each person."""
        return await self.robot_send(userids, "sampleText", {"content": text})

    async def send_markdown(self, userids: list[str], title: str, text: str) -> RobotSendResult:
        """A robot markdown message (msgKey ``sampleMarkdown``)."""
        return await self.robot_send(userids, "sampleMarkdown", {"title": title, "text": text})

    async def send_file(self, userids: list[str], media_id: str, file_name: str) -> RobotSendResult:
        """A robot file message (msgKey ``sampleFile``) of an uploaded ``media_id``."""
        file_type = file_name.rpartition(".")[2].lower() if "." in file_name else "file"
        return await self.robot_send(userids, "sampleFile", {"mediaId": media_id, "fileName": file_name, "fileType": file_type})

    async def robot_send(self, userids: list[str], msg_key: str, param: dict[str, Any]) -> RobotSendResult:
        """``POST /v1.0/robot/oToMessages/batchSend`` (批量发送人与机器人会话中机器人消息; at most
        20 userIds a call)."""
        body = {"robotCode": self.app.robot_code, "userIds": userids, "msgKey": msg_key,
                "msgParam": json.dumps(param, ensure_ascii=False)}
        answer = await self._v1("POST", "/v1.0/robot/oToMessages/batchSend", json=body)
        return RobotSendResult(
            str(answer.get("processQueryKey", "")),
            tuple(answer.get("invalidStaffIdList") or ()),
            tuple(answer.get("flowControlledStaffIdList") or ()),
        )

    async def read_marks(self, process_query_key: str) -> list[ReadMark]:
        """``GET /v1.0/robot/oToMessages/readStatus`` (批量查询人与机器人会话机器人消息是否已读)."""
        params = {"processQueryKey": process_query_key, "robotCode": self.app.robot_code}
        answer = await self._v1("GET", "/v1.0/robot/oToMessages/readStatus", params=params)
        return [
            ReadMark(str(i["userId"]), i.get("readStatus") == "READ", int(i.get("readTimestamp") or 0))
            for i in answer.get("messageReadInfoList") or []
        ]

    # ----------------------------------------------------------------------- cards

    async def send_card(self, out_track_id: str, template_id: str, params: dict[str, str], userid: str) -> bool:
        """Creates a card (``POST /v1.0/card/instances``, 创建卡片实例; callbacks over Stream)
        and delivers it to one person's chat with the robot (``POST /v1.0/card/instances/deliver``,
        投放卡片). True when it reached them.

        ``out_track_id`` is the bot's own id for the card: give the same one when a send is tried
        again (after a quota refusal, say), and a card already created is delivered rather than
        created twice, and one already delivered is not shown twice."""
        body = {
            "cardTemplateId": template_id,
            "outTrackId": out_track_id,
            "cardData": {"cardParamMap": params},
            "callbackType": "STREAM",
            "imRobotOpenSpaceModel": {"supportForward": False},
        }
        try:
            await self._v1("POST", "/v1.0/card/instances", json=body)
        except DingTalkError as exc:
            if "duplicate" not in exc.code.lower():
                raise
        deliver = {
            "outTrackId": out_track_id,
            "openSpaceId": f"dtv1.card//IM_ROBOT.{userid}",
            "imRobotOpenDeliverModel": {"spaceType": "IM_ROBOT", "robotCode": self.app.robot_code},
            "userIdType": 1,
        }
        answer = await self._v1("POST", "/v1.0/card/instances/deliver", json=deliver)
        return all(r.get("success") for r in answer.get("result") or [])

    async def update_card(self, out_track_id: str, params: dict[str, str], by_key: bool = True) -> None:
        """``PUT /v1.0/card/instances`` (更新卡片): ``by_key`` changes only the given keys."""
        body = {
            "outTrackId": out_track_id,
            "cardData": {"cardParamMap": params},
            "cardUpdateOptions": {"updateCardDataByKey": by_key},
            "userIdType": 1,
        }
        await self._v1("PUT", "/v1.0/card/instances", json=body)

    # ----------------------------------------------------------------------- files

    async def download(self, download_code: str) -> bytes:
        """A file a person sent: ``POST /v1.0/robot/messageFiles/download`` (下载机器人接收消息的
        文件内容) gives a short-lived ``downloadUrl``, fetched at once."""
        body = {"downloadCode": download_code, "robotCode": self.app.robot_code}
        answer = await self._v1("POST", "/v1.0/robot/messageFiles/download", json=body)
        async with self.session.get(str(answer["downloadUrl"])) as response:
            if response.status != 200:
                raise DingTalkError(f"download failed: HTTP {response.status}", status=response.status, retryable=response.status >= 500)
            return await response.read()

    async def upload(self, name: str, data: bytes, kind: str = "file", mime_type: str = "application/octet-stream") -> str:
        """``POST /media/upload`` (上传媒体文件); the ``media_id``."""
        form = aiohttp.FormData(quote_fields=False)  # the file name as UTF-8, as a browser sends it
        form.add_field("media", data, filename=name, content_type=mime_type)
        answer = await self._oapi("/media/upload", params={"type": kind}, data=form)
        return str(answer["media_id"])

    # ---------------------------------------------------------------- work notices

    async def send_work_notice(self, userids: list[str], msg: dict[str, Any]) -> int:
        """``POST /topapi/message/corpconversation/asyncsend_v2`` (发送工作通知); the task id.

        Success means only "accepted": 钉钉 silently drops a notice of the same content to the
        same person on the same day, and beyond 500 a day; :meth:`work_notice_result` tells."""
        body = {"agent_id": self.app.agent_id, "userid_list": ",".join(userids), "msg": msg}
        answer = await self._oapi("/topapi/message/corpconversation/asyncsend_v2", json=body)
        return int(answer["task_id"])

    async def work_notice_result(self, task_id: int) -> WorkNoticeResult:
        """``POST /topapi/message/corpconversation/getsendresult`` (获取工作通知消息的发送结果):
        who read it, who has not, who never got it."""
        answer = await self._oapi("/topapi/message/corpconversation/getsendresult",
                                  json={"agent_id": self.app.agent_id, "task_id": task_id})
        result = answer.get("send_result") or {}

        def ids(key: str) -> tuple[str, ...]:
            return tuple(result.get(key) or ())

        return WorkNoticeResult(ids("read_user_id_list"), ids("unread_user_id_list"), ids("forbidden_user_id_list"),
                                ids("invalid_user_id_list"), ids("failed_user_id_list"))

    # ---------------------------------------------------------------- organisation

    async def departments(self, parent_id: int = 1) -> list[Department]:
        """``POST /topapi/v2/department/listsub`` (获取部门列表): the children of ``parent_id``."""
        answer = await self._oapi("/topapi/v2/department/listsub", json={"dept_id": parent_id})
        return [Department(int(d["dept_id"]), str(d["name"]), d.get("parent_id")) for d in answer.get("result") or []]

    async def department_tree(self) -> list[Department]:
        """Every 部门 under the organisation, parents before children."""
        tree: list[Department] = []
        parents = [1]
        while parents:
            children = await self.departments(parents.pop(0))
            tree.extend(children)
            parents.extend(d.dept_id for d in children)
        return tree

    async def members(self, dept_id: int, page_size: int = 100) -> list[Member]:
        """``POST /topapi/v2/user/list`` (获取部门用户详情), every page (at most 100 a page)."""
        members: list[Member] = []
        cursor = 0
        while True:
            answer = await self._oapi("/topapi/v2/user/list", json={"dept_id": dept_id, "cursor": cursor, "size": page_size})
            page = answer.get("result") or {}
            members.extend(
                Member(str(u["userid"]), str(u.get("name", "")), str(u.get("title", "")), tuple(u.get("dept_id_list") or ()))
                for u in page.get("list") or []
            )
            if not page.get("has_more"):
                return members
            cursor = int(page["next_cursor"])

    # ------------------------------------------------------------------- the wire

    async def _v1(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        """A ``/v1.0`` call with the token header; a refused token is replaced once."""
        for attempt in (1, 2):
            token = await self.access_token()
            try:
                return await self._http(method, self.app.endpoint + path,
                                        headers={"x-acs-dingtalk-access-token": token}, **kwargs)
            except DingTalkError as exc:
                if exc.code not in TOKEN_CODES:
                    raise
                self.forget_token(token)
                if attempt == 2:
                    raise TokenRejected(str(exc), exc.code, exc.status) from exc
        raise AssertionError("unreachable")

    async def _oapi(self, path: str, params: dict[str, str] | None = None, **kwargs: Any) -> dict[str, Any]:
        """An ``oapi`` call with ``access_token`` in the query; errors come as HTTP 200 with
        ``errcode``; a refused token is replaced once."""
        for attempt in (1, 2):
            token = await self.access_token()
            answer = await self._http("POST", self.app.oapi_endpoint + path,
                                      params={**(params or {}), "access_token": token}, **kwargs)
            errcode = str(answer.get("errcode", 0))
            if errcode == "0":
                return answer
            message = str(answer.get("errmsg", ""))
            if errcode in TOKEN_CODES:
                self.forget_token(token)
                if attempt == 2:
                    raise TokenRejected(message, errcode, 200)
                continue
            raise _error(message, errcode, 200)
        raise AssertionError("unreachable")

    async def _http(self, method: str, url: str, **kwargs: Any) -> dict[str, Any]:
        """One HTTP exchange; 钉钉's error answers become typed exceptions."""
        try:
            async with self.session.request(method, url, **kwargs) as response:
                text = await response.text()
                status = response.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise DingTalkError(f"{method} {url}: {exc!r}", retryable=True) from exc
        try:
            body = json.loads(text) if text else {}
        except ValueError:
            body = {}
        if not isinstance(body, dict):
            body = {}
        if body.get("punish") == "deny":
            # 钉钉's gateway throttles a server address that calls too much (every API together)
            # with this answer instead of an error code, and says how long to wait.
            raise QuotaExceeded(f"{method} {url.split('?')[0]}: address throttled", "punish", status, float(body.get("wait") or QUOTA_WAIT))
        if status == 200:
            return body
        code = str(body.get("code", ""))
        message = f"{method} {url.split('?')[0]}: HTTP {status} {code} {body.get('message', text[:200])}"
        if status == 429:
            raise QuotaExceeded(message, code or "429", status, QUOTA_WAIT)
        raise _error(message, code, status)


def _error(message: str, code: str, status: int) -> DingTalkError:
    """The exception for an error answer."""
    if code in QUOTA_CODES:
        return QuotaExceeded(message, code, status, QUOTA_WAIT)
    retryable = status >= 500 or code in {"-1", "ServiceUnavailable", "SystemError"}
    return DingTalkError(message, code, status, retryable=retryable)
