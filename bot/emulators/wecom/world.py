"""What the 企业微信 emulator holds: the organisation, each member's chat with the application,
the cards sent and their state, uploaded media, access tokens, limits and faults.

Limits are 企业微信's documented defaults (附录 「访问频率限制」):

* 发送应用消息: 每应用不可超过账号上限数*200人次/天 — over it the call fails with 45009;
* 每应用对同一个成员不可超过30次/分钟，1000次/小时，超过部分会被丢弃不下发 — the platform drops the
  message and says nothing, which is why a sender must pace itself; ``Limits.member_overflow``
  can make the emulator answer 45009 instead, and every dropped message is kept in
  ``World.dropped`` so a test can assert that none was;
* 基础频率: 每企业调用单个cgi/api不可超过1万次/分 — 45009.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

API_LIMIT = 45009
"""「接口调用超过限制」 (api freq out of limit)."""


@dataclass
class Limits:
    """The quotas the emulator enforces; tests shrink them."""

    token_seconds: int = 7200
    """``expires_in`` of an access_token."""
    account_limit: int = 500
    """账号上限数: the daily quota is this × ``daily_per_account``."""
    daily_per_account: int = 200
    member_per_minute: int = 30
    member_per_hour: int = 1000
    member_overflow: Literal["drop", "error"] = "drop"
    api_per_minute: int = 10_000

    @property
    def daily_quota(self) -> int:
        """人次 an application may send a day."""
        return self.account_limit * self.daily_per_account


@dataclass
class Member:
    """成员: userid, name and departments (the first is the main one)."""

    userid: str
    name: str
    department: list[int] = field(default_factory=lambda: [1])
    position: str = ""


@dataclass
class Department:
    """部门."""

    id: int
    name: str
    parentid: int = 0
    order: int = 0


@dataclass
class Media:
    """An uploaded or person-sent file: 临时素材, valid three days."""

    media_id: str
    kind: str
    filename: str
    content: bytes
    created_at: int


@dataclass
class Card:
    """One 模板卡片 as one member sees it: buttons enabled until the card is updated."""

    task_id: str
    template_card: dict[str, Any]
    pressed: str | None = None
    """The key of the button this member pressed, if any."""
    replaced: str | None = None
    """``button.replace_name`` of an update: the buttons are then greyed out with that text."""
    updated: bool = False
    """True once the card was replaced by a new one (its own buttons, enabled)."""
    changed_seq: int = 0
    """The chat sequence number of its last update (0: as sent)."""


@dataclass
class Entry:
    """One item of a member's chat with the application."""

    seq: int
    sender: Literal["bot", "person"]
    kind: str
    at: float
    text: str = ""
    media_id: str = ""
    filename: str = ""
    msgid: str = ""
    card: Card | None = None
    truncated: bool = False
    """企业微信 cut the text at 2048 bytes."""

    @property
    def last_seq(self) -> int:
        """When the entry last changed: sent, or its card updated."""
        return max(self.seq, self.card.changed_seq if self.card is not None else 0)

    @property
    def content(self) -> str:
        """Everything the entry shows as one text: a card's title, description, rows and buttons."""
        if self.card is None:
            return self.text or self.filename
        shown = card_json(self.card)
        buttons = [shown["replace_name"]] if shown["replace_name"] else [b["text"] for b in shown["buttons"]]
        parts = [shown["title"], shown["desc"], shown["sub_title_text"], *(f"{k}：{v}" for k, v in shown["rows"])]
        return "\n".join([p for p in parts if p] + ["".join(f"[{b}]" for b in buttons)])

    def json(self) -> dict[str, Any]:
        """The entry as the control API shows it."""
        body: dict[str, Any] = {"seq": self.seq, "from": self.sender, "kind": self.kind, "text": self.text}
        if self.media_id:
            body.update(media_id=self.media_id, filename=self.filename)
        if self.msgid:
            body["msgid"] = self.msgid
        if self.truncated:
            body["truncated"] = True
        if self.card is not None:
            body["card"] = card_json(self.card)
        return body


def card_json(card: Card) -> dict[str, Any]:
    """A card's current look: title, description, rows, buttons (enabled or not), the pressed key."""
    tc = card.template_card
    enabled = card.replaced is None
    return {
        "task_id": card.task_id,
        "card_type": tc.get("card_type", ""),
        "title": tc.get("main_title", {}).get("title", ""),
        "desc": tc.get("main_title", {}).get("desc", ""),
        "sub_title_text": tc.get("sub_title_text", ""),
        "rows": [[row.get("keyname", ""), row.get("value", "")] for row in tc.get("horizontal_content_list", [])],
        "buttons": [
            {"key": b.get("key", ""), "text": b.get("text", ""), "enabled": enabled}
            for b in tc.get("button_list", [])
        ],
        "pressed": card.pressed,
        "replace_name": card.replaced,
    }


class World:
    """The emulated corporation and its one self-built application (自建应用)."""

    def __init__(self, corp_id: str, agent_id: int, secret: str, limits: Limits) -> None:
        self.corp_id = corp_id
        self.agent_id = agent_id
        self.secret = secret
        self.limits = limits
        self.departments: dict[int, Department] = {1: Department(1, "本单位", 0, 0)}
        self.members: dict[str, Member] = {}
        self.chats: dict[str, list[Entry]] = defaultdict(list)
        self.cards: dict[str, dict[str, Card]] = {}
        """task_id → userid → that member's card."""
        self.response_codes: dict[str, tuple[str, frozenset[str] | None]] = {}
        """response_code → (task_id, the members it may update; None: every recipient)."""
        self.media: dict[str, Media] = {}
        self.tokens: dict[str, float] = {}
        """access_token → when it expires (time.monotonic)."""
        self.dropped: list[dict[str, Any]] = []
        """Messages 企业微信 would have dropped silently (a member's per-minute/hour limit)."""
        self.faults: dict[str, deque[int]] = defaultdict(deque)
        """API path → errcodes to answer on its next calls."""
        self.sent_today = 0
        self._member_sends: dict[str, deque[float]] = defaultdict(deque)
        self._api_calls: dict[str, deque[float]] = defaultdict(deque)
        self._seq = 0
        self.clock: Callable[[], float] = time.time
        """When a chat entry is dated (the demo sets its own day)."""
        self.changed = asyncio.Event()
        """Set on every change of a chat; waiters clear it before they look."""
        self._msgid = 7_300_000_000_000_000_000

    @property
    def seq(self) -> int:
        """The sequence number of the latest change in any chat."""
        return self._seq

    def next_seq(self) -> int:
        """A new change: its sequence number; wakes whoever waits for one."""
        self._seq += 1
        self.changed.set()
        return self._seq

    def version(self, userid: str) -> int:
        """When ``userid``'s chat last changed: an entry sent, or a card in it updated."""
        return max((e.last_seq for e in self.chats.get(userid, [])), default=0)

    async def wait_changed(self, since: int, timeout: float) -> int:
        """Waits until any chat changes after ``since`` (at most ``timeout`` s); the latest seq."""
        deadline = time.monotonic() + timeout
        while self._seq <= since:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            self.changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), remaining)
        return self._seq

    def next_msgid(self) -> int:
        """A fresh 64-bit MsgId."""
        self._msgid += secrets.randbelow(1000) + 1
        return self._msgid

    def add_entry(self, userid: str, **fields: Any) -> Entry:
        """Appends an entry to ``userid``'s chat."""
        entry = Entry(seq=self.next_seq(), at=self.clock(), **fields)
        self.chats[userid].append(entry)
        return entry

    def issue_token(self) -> tuple[str, int]:
        """The access_token and its seconds left: 「有效期内重复获取返回相同结果，过期后获取会返回新的
        access_token」."""
        now = time.monotonic()
        for token, expires in self.tokens.items():
            if expires > now + 1:
                return token, int(expires - now)
        token = secrets.token_urlsafe(48)
        self.tokens[token] = now + self.limits.token_seconds
        return token, self.limits.token_seconds

    def token_error(self, token: str | None) -> int | None:
        """41001 (missing), 40014 (invalid), 42001 (expired) or None."""
        if not token:
            return 41001
        expires = self.tokens.get(token)
        if expires is None:
            return 40014
        if time.monotonic() >= expires:
            return 42001
        return None

    def expire_tokens(self) -> None:
        """Every issued token expires now (a test of refreshing)."""
        for token in self.tokens:
            self.tokens[token] = 0.0

    def api_call_allowed(self, path: str) -> bool:
        """Counts one call of ``path`` against the per-minute base frequency."""
        return _take(self._api_calls[path], self.limits.api_per_minute, 60.0)

    def member_send_allowed(self, userid: str) -> bool:
        """Counts one message to ``userid`` against 30/min and 1000/h; False when over either."""
        calls = self._member_sends[userid]
        now = time.monotonic()
        while calls and now - calls[0] >= 3600.0:
            calls.popleft()
        last_minute = sum(1 for at in calls if now - at < 60.0)
        if last_minute >= self.limits.member_per_minute or len(calls) >= self.limits.member_per_hour:
            return False
        calls.append(now)
        return True

    def new_day(self) -> None:
        """Midnight: the daily quota starts again."""
        self.sent_today = 0


def _take(calls: deque[float], limit: int, window: float) -> bool:
    now = time.monotonic()
    while calls and now - calls[0] >= window:
        calls.popleft()
    if len(calls) >= limit:
        return False
    calls.append(now)
    return True
