"""企业微信 server API client (async, aiohttp): access token, 应用消息, 模板卡片, media, organisation.

wechatpy's ``WeChatClient`` (``wechatpy.enterprise``) covers the same calls, but it is
synchronous ``requests``: each call would block the event loop or need a thread, and its errors
arrive as one ``WeChatClientException``. The calls an adapter needs are eight plain JSON
requests, so they are spoken here over the aiohttp the bot already runs, with the errcodes a
sender must act on as their own exceptions: :class:`WecomRateLimited` tells a pacer to wait,
an expired or invalid token is refreshed once and the call repeated, a configuration error
(wrong corp id or secret) is :class:`WecomAuthError`.

Each method names the documented call it makes (企业内部开发 › 服务端API).
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

import aiohttp

API_URL = "https://qyapi.weixin.qq.com"
TEXT_BYTES = 2048
"""The longest text or markdown 企业微信 delivers whole."""

TOKEN_ERRORS = frozenset({40014, 42001, 41001})
"""invalid / expired / missing access_token: fetch a new one and repeat the call once."""
AUTH_ERRORS = frozenset({40001, 40013, 40056, 60020})
"""wrong secret, corp id or agent id, or a server IP not in the application's 企业可信IP."""
RATE_ERRORS = {45009: 60.0, 45033: 1.0}
"""「接口调用超过限制」 and 「接口并发调用超过限制」 → seconds to wait at least (按分钟拦截则被屏蔽60秒)."""
TOKEN_MARGIN = 300.0
"""A token is renewed this many seconds before its ``expires_in`` runs out."""


class WecomError(Exception):
    """An answer with a non-zero errcode. Network failures are aiohttp's own errors."""

    def __init__(self, errcode: int, errmsg: str, api: str) -> None:
        super().__init__(f"{api}: {errcode} {errmsg}")
        self.errcode, self.errmsg, self.api = errcode, errmsg, api

    @property
    def transient(self) -> bool:
        """-1 「系统繁忙」: the same call may succeed a moment later; other errcodes will not."""
        return self.errcode == -1


class WecomRateLimited(WecomError):
    """A limit was hit (45009, 45033): send nothing more for ``retry_after`` seconds."""

    def __init__(self, errcode: int, errmsg: str, api: str) -> None:
        super().__init__(errcode, errmsg, api)
        self.retry_after = RATE_ERRORS[errcode]


class WecomAuthError(WecomError):
    """The corp id, secret or agent id is wrong, or this server may not call: a setting to fix."""


class WecomNoRecipient(WecomError):
    """81013: none of the recipients is a member the application can reach."""


@dataclass(frozen=True)
class Sent:
    """「发送应用消息」's answer: the message id, the members it did not reach and, for a card
    with buttons, the ``response_code`` that can update every recipient's copy once."""

    msgid: str
    invalid_users: tuple[str, ...]
    response_code: str | None


@dataclass(frozen=True)
class Media:
    """A file fetched with 「获取临时素材」."""

    filename: str
    content: bytes
    content_type: str


@dataclass(frozen=True)
class Department:
    """部门 (「获取部门列表」)."""

    id: int
    name: str
    parent_id: int
    order: int


@dataclass(frozen=True)
class Member:
    """成员 (「获取部门成员」)."""

    userid: str
    name: str
    departments: tuple[int, ...]
    position: str = ""
    """职务 (only in 「获取部门成员详情」)."""


@dataclass(frozen=True)
class CardButton:
    """One button of a 按钮交互型 card: ``key`` comes back as EventKey when pressed."""

    key: str
    text: str
    style: int = 1
    """1 blue, 2 grey, 3 red, 4 green (button_list.style)."""


def button_card(
    task_id: str,
    title: str,
    buttons: Sequence[CardButton],
    description: str = "",
    rows: Sequence[tuple[str, str]] = (),
    sub_title: str = "",
) -> dict[str, Any]:
    """A ``template_card`` of type ``button_interaction`` (「模板卡片消息」 › 按钮交互型): title,
    optional description, key/value rows (horizontal_content_list, up to 6), up to 6 buttons.
    ``task_id`` must be unique in the application (letters, digits, ``_-@``, ≤128 bytes)."""
    card: dict[str, Any] = {
        "card_type": "button_interaction",
        "main_title": {"title": title, **({"desc": description} if description else {})},
        "task_id": task_id,
        "button_list": [{"text": b.text, "style": b.style, "key": b.key} for b in buttons],
    }
    if sub_title:
        card["sub_title_text"] = sub_title
    if rows:
        card["horizontal_content_list"] = [{"keyname": k, "value": v} for k, v in rows]
    return card


class WecomApi:
    """One self-built application's calls. ``async with WecomApi(...) as api:`` or ``close()``.

    The access token is fetched when first needed, kept until shortly before ``expires_in``,
    shared by concurrent calls (one fetch at a time) and fetched again when a call says it is
    invalid or expired.
    """

    def __init__(
        self,
        corp_id: str,
        agent_id: int,
        secret: str,
        api_url: str = API_URL,
        session: aiohttp.ClientSession | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.corp_id, self.agent_id = corp_id, agent_id
        self._secret = secret
        self.api_url = api_url.rstrip("/")
        self._session = session
        self._own_session = session is None
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._token: str | None = None
        self._token_until = 0.0
        self._token_lock = asyncio.Lock()
        self.token_fetches = 0
        """How many times a token was fetched (a test of caching reads it)."""

    async def __aenter__(self) -> WecomApi:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._own_session and self._session is not None:
            await self._session.close()

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        return self._session

    # The token

    async def access_token(self) -> str:
        """「获取access_token」 GET /cgi-bin/gettoken, cached until shortly before it expires."""
        async with self._token_lock:
            if self._token is None or time.monotonic() >= self._token_until:
                url = f"{self.api_url}/cgi-bin/gettoken"
                params = {"corpid": self.corp_id, "corpsecret": self._secret}
                async with self._client().get(url, params=params) as response:
                    body = _checked(await _answer(response), "gettoken")
                self.token_fetches += 1
                self._token = str(body["access_token"])
                expires_in = float(body.get("expires_in", 7200))
                self._token_until = time.monotonic() + max(expires_in - TOKEN_MARGIN, expires_in / 2)
            return self._token

    async def _drop_token(self, stale: str) -> None:
        async with self._token_lock:
            if self._token == stale:
                self._token = None

    async def _call(self, method: str, path: str, *, json: Any = None, params: Mapping[str, str] | None = None,
                    form: Callable[[], aiohttp.FormData] | None = None) -> dict[str, Any]:
        """One call with the token; a token error refreshes it and repeats the call once.
        ``form`` makes a multipart body afresh for each attempt (aiohttp sends one only once)."""
        for attempt in (1, 2):
            token = await self.access_token()
            query = {"access_token": token, **(params or {})}
            data = form() if form is not None else None
            async with self._client().request(method, f"{self.api_url}/cgi-bin/{path}", params=query, json=json, data=data) as response:
                body = await _answer(response)
            if attempt == 1 and body.get("errcode") in TOKEN_ERRORS:
                await self._drop_token(token)
                continue
            return _checked(body, path)
        raise AssertionError("unreachable")

    # 应用消息

    async def _send(self, touser: Sequence[str], msgtype: str, content: dict[str, Any]) -> Sent:
        """「发送应用消息」 POST /cgi-bin/message/send."""
        body = {"touser": "|".join(touser), "msgtype": msgtype, "agentid": self.agent_id, msgtype: content}
        answer = await self._call("POST", "message/send", json=body)
        invalid = tuple(u for u in str(answer.get("invaliduser") or "").split("|") if u)
        return Sent(str(answer.get("msgid", "")), invalid, answer.get("response_code"))

    async def send_text(self, touser: Sequence[str], content: str) -> Sent:
        """文本消息. 企业微信 cuts anything past 2048 bytes without an error: split longer texts."""
        return await self._send(touser, "text", {"content": content})

    async def send_markdown(self, touser: Sequence[str], content: str) -> Sent:
        """markdown消息 (2048 bytes, as text; shown in 企业微信 only, not in WeChat)."""
        return await self._send(touser, "markdown", {"content": content})

    async def send_file(self, touser: Sequence[str], media_id: str) -> Sent:
        """文件消息 of an uploaded file."""
        return await self._send(touser, "file", {"media_id": media_id})

    async def send_image(self, touser: Sequence[str], media_id: str) -> Sent:
        """图片消息 of an uploaded picture."""
        return await self._send(touser, "image", {"media_id": media_id})

    async def send_card(self, touser: Sequence[str], template_card: dict[str, Any]) -> Sent:
        """模板卡片消息 (see :func:`button_card`); ``Sent.response_code`` updates it later."""
        return await self._send(touser, "template_card", template_card)

    async def update_card_buttons(self, userids: Sequence[str], response_code: str, replace_name: str) -> None:
        """「更新模版卡片消息」: the card's buttons become one greyed-out ``replace_name``, for
        ``userids`` (a callback's code reaches only the member who pressed). A code works once."""
        await self._call("POST", "message/update_template_card", json={
            "userids": list(userids), "agentid": self.agent_id, "response_code": response_code,
            "button": {"replace_name": replace_name},
        })

    async def update_card(self, userids: Sequence[str], response_code: str, template_card: dict[str, Any]) -> None:
        """「更新模版卡片消息」 with a whole new card for ``userids``."""
        await self._call("POST", "message/update_template_card", json={
            "userids": list(userids), "agentid": self.agent_id, "response_code": response_code,
            "template_card": template_card,
        })

    # 素材

    async def upload_media(self, kind: str, filename: str, content: bytes) -> str:
        """「上传临时素材」 POST /cgi-bin/media/upload?type=image|voice|video|file → media_id (3 days)."""
        def form() -> aiohttp.FormData:
            body = aiohttp.FormData(quote_fields=False)  # the file name as UTF-8, not percent-encoded
            body.add_field("media", content, filename=filename, content_type="application/octet-stream")
            return body

        answer = await self._call("POST", "media/upload", params={"type": kind}, form=form)
        return str(answer["media_id"])

    async def download_media(self, media_id: str) -> Media:
        """「获取临时素材」 GET /cgi-bin/media/get: the bytes and the file name 企业微信 gives."""
        for attempt in (1, 2):
            token = await self.access_token()
            params = {"access_token": token, "media_id": media_id}
            async with self._client().get(f"{self.api_url}/cgi-bin/media/get", params=params) as response:
                kind = response.headers.get("Content-Type", "")
                if "json" in kind or "text/plain" in kind:
                    body = await _answer(response)
                    if attempt == 1 and body.get("errcode") in TOKEN_ERRORS:
                        await self._drop_token(token)
                        continue
                    _checked(body, "media/get")
                content = await response.read()
                disposition = response.headers.get("Content-Disposition", "")
                return Media(_filename(disposition), content, kind)
        raise AssertionError("unreachable")

    # 通讯录

    async def departments(self, root: int | None = None) -> list[Department]:
        """「获取部门列表」 GET /cgi-bin/department/list (``root`` and below; None: all)."""
        answer = await self._call("GET", "department/list", params={"id": str(root)} if root is not None else None)
        return [Department(int(d["id"]), str(d["name"]), int(d.get("parentid", 0)), int(d.get("order", 0)))
                for d in answer.get("department", [])]

    async def members(self, department_id: int, fetch_child: bool = False) -> list[Member]:
        """「获取部门成员」 GET /cgi-bin/user/simplelist."""
        params = {"department_id": str(department_id), "fetch_child": "1" if fetch_child else "0"}
        answer = await self._call("GET", "user/simplelist", params=params)
        return [Member(str(u["userid"]), str(u.get("name", "")), tuple(int(d) for d in u.get("department", [])))
                for u in answer.get("userlist", [])]

    async def member_details(self, department_id: int, fetch_child: bool = False) -> list[Member]:
        """「获取部门成员详情」 GET /cgi-bin/user/list: the members with their 职务."""
        params = {"department_id": str(department_id), "fetch_child": "1" if fetch_child else "0"}
        answer = await self._call("GET", "user/list", params=params)
        return [Member(str(u["userid"]), str(u.get("name", "")), tuple(int(d) for d in u.get("department", [])),
                       str(u.get("position", "")))
                for u in answer.get("userlist", [])]


async def _answer(response: aiohttp.ClientResponse) -> dict[str, Any]:
    """The JSON answer; a proxy's error page or a 5xx is 企业微信's -1 「系统繁忙」 (transient)."""
    try:
        body = await response.json(content_type=None)
    except ValueError:
        body = None
    if response.status >= 500 or not isinstance(body, dict):
        return {"errcode": -1, "errmsg": f"HTTP {response.status}, not a JSON answer"}
    return body


def _checked(body: Any, api: str) -> dict[str, Any]:
    """``body`` if its errcode is 0, else the matching exception."""
    if not isinstance(body, dict):
        raise WecomError(-1, "not a JSON object", api)
    code = int(body.get("errcode", 0) or 0)
    if code == 0:
        return body
    message = str(body.get("errmsg", ""))
    if code in RATE_ERRORS:
        raise WecomRateLimited(code, message, api)
    if code in AUTH_ERRORS:
        raise WecomAuthError(code, message, api)
    if code == 81013:
        raise WecomNoRecipient(code, message, api)
    raise WecomError(code, message, api)


_FILENAME = re.compile(r"""filename\*?=(?:UTF-8'')?"?([^";]+)"?""", re.IGNORECASE)


def _filename(disposition: str) -> str:
    """The file name in a Content-Disposition header (plain or RFC 5987), or ""."""
    names = _FILENAME.findall(disposition)
    return unquote(names[-1]) if names else ""
