"""What the emulated 钉钉 knows: the organisation, each person's chat with the robot, the cards,
the work notices (工作通知) and their read marks, files, access tokens, and the limits 钉钉 keeps.

Everything changes through :class:`World`; watchers of a chat sleep on a signal fired by every
change (no polling), as in the Telegram emulator.
"""

from __future__ import annotations

import itertools
import json
import secrets
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.emulators.signal import Signal

CHINA = timedelta(hours=8)
"""钉钉 counts its daily limits by the day in China (UTC+8)."""

TOKEN_SECONDS = 7200
"""``expireIn`` / ``expires_in`` of an access token (documented: 7200 s)."""

FORBIDDEN_DAILY_CAP = "143103"
FORBIDDEN_SAME_CONTENT = "143104"
"""``forbidden_list[].code`` of ``getsendresult`` for a work notice held back by the daily cap and
by the same-content rule. 钉钉 documents both limits (同一个应用相同内容的消息，同一个用户一天只能
接收一次；一天之内最多给一个用户发送500条) and says the receiver is listed in
``forbidden_user_id_list``; the numbers of these two codes are not confirmed by a public source
reachable when this was written. Nothing should depend on them: read ``forbidden_user_id_list``."""


@dataclass
class Limits:
    """The limits the emulator keeps; change them with ``PATCH /_emulator/limits``."""

    notices_per_person_per_day: int = 500
    """工作通知 a person receives from one app in a day; the rest are silently not delivered."""
    same_notice_once_a_day: bool = True
    """A 工作通知 of the same content reaches the same person once a day."""
    calls_per_minute: int = 0
    """OpenAPI calls of one kind (one route) a minute before 钉钉 refuses them; 0 = no limit."""
    calls_per_minute_by_route: dict[str, int] = field(default_factory=dict)
    """The same for some routes (``{"/v1.0/card/instances/deliver": 1}``), as 钉钉 sets quotas per
    API; a route not named has ``calls_per_minute``."""
    robot_messages_per_person_per_minute: int = 0
    """Robot one-to-one messages to one person a minute; beyond, the person is listed in
    ``flowControlledStaffIdList`` and the message is not delivered. 0 = no limit."""
    ack_timeout: float = 5.0
    """Seconds the gateway waits for the acknowledgement of a pushed message before it pushes
    it again."""
    redeliveries: int = 20
    """How many times an unacknowledged message is pushed again before the gateway gives up."""
    ping_interval: float = 0.0
    """Seconds between the gateway's ``ping`` system frames; 0 = none."""
    throttled_calls: int = 0
    """The next this many OpenAPI calls are refused as 钉钉's gateway refuses a server address
    that called too much, whatever the API: ``{"status": 1111, "wait": 5, "punish": "deny", …}``
    instead of an error code; counts down."""
    failing_calls: int = 0
    """The next this many OpenAPI calls fail as 钉钉 fails when busy (``/v1.0``: HTTP 503
    ``ServiceUnavailable``; ``oapi``: errcode -1 系统繁忙); counts down."""

    def to_json(self) -> dict[str, Any]:
        """The fields as JSON."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def update(self, changes: dict[str, Any]) -> None:
        """Sets some fields; ``KeyError`` names an unknown one."""
        for name, value in changes.items():
            if name not in {f.name for f in fields(self)}:
                raise KeyError(name)
            setattr(self, name, type(getattr(self, name))(value))


@dataclass
class Department:
    """A 部门 of the organisation tree (root: ``dept_id`` 1)."""

    dept_id: int
    name: str
    parent_id: int | None


@dataclass
class Staff:
    """A person of the organisation (``userid`` is the 员工 id the OpenAPI uses)."""

    userid: str
    name: str
    dept_ids: list[int]
    title: str = ""
    mobile: str = ""
    unionid: str = ""


@dataclass
class Card:
    """An interactive card instance (``outTrackId``) and what it currently shows."""

    out_track_id: str
    template_id: str
    params: dict[str, str]
    private: dict[str, dict[str, Any]] = field(default_factory=dict)
    receivers: list[str] = field(default_factory=list)
    updates: int = 0

    def buttons(self) -> list[dict[str, Any]]:
        """The buttons the card shows: ``msgButtons`` of its ``sys_full_json_obj`` (the
        markdown-with-buttons card of 钉钉's open card templates)."""
        raw = self.params.get("sys_full_json_obj")
        try:
            buttons = json.loads(raw)["msgButtons"] if raw else []
        except (ValueError, KeyError, TypeError):
            return []
        return [b for b in buttons if isinstance(b, dict)]

    def to_json(self) -> dict[str, Any]:
        """What a person's chat shows of the card."""
        return {
            "out_track_id": self.out_track_id,
            "template_id": self.template_id,
            "title": self.params.get("title", ""),
            "markdown": self.params.get("markdown", ""),
            "buttons": [
                {"text": b.get("text", ""), "id": b.get("id", ""), "disabled": bool(b.get("disabled"))}
                for b in self.buttons()
            ],
            "params": dict(self.params),
            "updates": self.updates,
        }


@dataclass
class Entry:
    """One thing in a person's chat: from the person, from the robot, a card, or a 工作通知."""

    id: int
    kind: str  # "user" | "robot" | "card" | "notice"
    at: float
    msg_type: str = "text"
    text: str = ""
    title: str = ""
    file: dict[str, Any] | None = None
    card: Card | None = None
    msg_id: str = ""
    reply_to: int | None = None
    read_at: float | None = None
    process_query_key: str = ""
    task_id: int | None = None

    def to_json(self) -> dict[str, Any]:
        """The entry as the control API shows it."""
        body: dict[str, Any] = {
            "id": self.id,
            "kind": self.kind,
            "at": self.at,
            "msg_type": self.msg_type,
            "text": self.text,
            "read": self.read_at is not None,
            "read_at": self.read_at,
        }
        if self.title:
            body["title"] = self.title
        if self.file is not None:
            body["file"] = {k: v for k, v in self.file.items() if k != "data"}
        if self.card is not None:
            body["card"] = self.card.to_json()
        if self.msg_id:
            body["msg_id"] = self.msg_id
        if self.reply_to is not None:
            body["reply_to"] = self.reply_to
        if self.task_id is not None:
            body["task_id"] = self.task_id
        return body


@dataclass
class StoredFile:
    """Bytes the robot uploaded (``media_id``) or a person sent (``downloadCode``)."""

    key: str
    name: str
    data: bytes
    mime_type: str = "application/octet-stream"


@dataclass
class NoticeTask:
    """One ``asyncsend_v2`` call: who it was for and who it reached."""

    task_id: int
    receivers: list[str]
    delivered: dict[str, Entry] = field(default_factory=dict)
    invalid: list[str] = field(default_factory=list)
    forbidden: list[dict[str, Any]] = field(default_factory=list)


class World:
    """The emulated organisation and its robot, for one 企业内部应用.

    Args:
        client_id: The app's ``AppKey`` / ``clientId`` (also its ``robotCode``, as for an app
            whose robot was created with it).
        client_secret: The app's ``AppSecret`` / ``clientSecret``.
        agent_id: The app's ``AgentId`` for 工作通知.
        corp_id: The organisation's ``corpId``.
    """

    def __init__(self, client_id: str, client_secret: str, agent_id: int, corp_id: str) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.robot_code = client_id
        self.agent_id = agent_id
        self.corp_id = corp_id
        self.limits = Limits()
        self.clock = time.time
        """钉钉's clock (Unix seconds): message times, token expiry, the day of the daily limits."""
        self.departments: dict[int, Department] = {1: Department(1, "组织", None)}
        self.staff: dict[str, Staff] = {}
        self.chats: dict[str, list[Entry]] = {}
        self.cards: dict[str, Card] = {}
        self.files: dict[str, StoredFile] = {}
        self.tasks: dict[int, NoticeTask] = {}
        self.tokens: dict[str, float] = {}
        self.seq = 0
        self.versions: dict[str, int] = defaultdict(int)
        self.changes = Signal()
        self._ids = itertools.count(1)
        self._dept_ids = itertools.count(2)
        self._task_ids = itertools.count(700_000_001)
        self._notices_today: dict[tuple[str, str], int] = defaultdict(int)
        self._contents_today: set[tuple[str, str, str]] = set()
        self._calls: dict[str, deque[float]] = defaultdict(deque)
        self._robot_sends: dict[str, deque[float]] = defaultdict(deque)

    # ------------------------------------------------------------------ time and tokens

    def now(self) -> float:
        """钉钉's current time."""
        return self.clock()

    def day(self) -> str:
        """Today's date in China, the unit of the daily limits."""
        return (datetime.fromtimestamp(self.now(), UTC) + CHINA).date().isoformat()

    def issue_token(self) -> str:
        """A fresh access token valid :data:`TOKEN_SECONDS`."""
        token = secrets.token_hex(16)
        self.tokens[token] = self.now() + TOKEN_SECONDS
        return token

    def token_state(self, token: str | None) -> str:
        """``"valid"``, ``"expired"`` or ``"invalid"``."""
        if not token or token not in self.tokens:
            return "invalid"
        return "valid" if self.tokens[token] > self.now() else "expired"

    def expire_tokens(self) -> int:
        """Makes every issued token expired now (as if two hours had passed); returns how many."""
        for token in self.tokens:
            self.tokens[token] = self.now() - 1
        return len(self.tokens)

    def throttled(self) -> bool:
        """True (and counted down) while ``throttled_calls`` remain."""
        if self.limits.throttled_calls <= 0:
            return False
        self.limits.throttled_calls -= 1
        return True

    def busy(self) -> bool:
        """True (and counted down) while ``failing_calls`` remain."""
        if self.limits.failing_calls <= 0:
            return False
        self.limits.failing_calls -= 1
        return True

    def over_quota(self, route: str) -> bool:
        """Counts a call of ``route``; True when it is over ``calls_per_minute``."""
        limit = self.limits.calls_per_minute_by_route.get(route, self.limits.calls_per_minute)
        if limit <= 0:
            return False
        return not _admit(self._calls[route], self.now(), limit)

    # ---------------------------------------------------------------- organisation

    def add_department(self, name: str, parent_id: int = 1) -> Department:
        """Adds a 部门 under ``parent_id``."""
        if parent_id not in self.departments:
            raise KeyError(f"no department {parent_id}")
        dept = Department(next(self._dept_ids), name, parent_id)
        self.departments[dept.dept_id] = dept
        return dept

    def add_staff(self, name: str, userid: str | None = None, dept_ids: list[int] | None = None, title: str = "") -> Staff:
        """Adds a person (and their chat with the robot)."""
        userid = userid or f"user{next(self._ids):04d}"
        if userid in self.staff:
            raise ValueError(f"userid {userid} exists")
        for dept_id in dept_ids or [1]:
            if dept_id not in self.departments:
                raise KeyError(f"no department {dept_id}")
        person = Staff(userid, name, list(dept_ids or [1]), title, unionid=secrets.token_hex(8))
        self.staff[userid] = person
        self.chats[userid] = []
        self.touch(userid)
        return person

    # ---------------------------------------------------------------------- chats

    def touch(self, userid: str) -> None:
        """Marks ``userid``'s chat changed and wakes its watchers."""
        self.seq += 1
        self.versions[userid] = self.seq
        self.changes.notify()

    def add_entry(self, userid: str, kind: str, **content: Any) -> Entry:
        """Appends to ``userid``'s chat."""
        entry = Entry(id=next(self._ids), kind=kind, at=self.now(), **content)
        self.chats[userid].append(entry)
        self.touch(userid)
        return entry

    def entry(self, userid: str, entry_id: int) -> Entry | None:
        """An entry of ``userid``'s chat by id."""
        return next((e for e in self.chats.get(userid, []) if e.id == entry_id), None)

    def mark_read(self, userid: str, entry_id: int | None = None) -> list[Entry]:
        """The person opens the chat (or one entry): what was unread is read now."""
        marked = [
            e
            for e in self.chats[userid]
            if e.kind != "user" and e.read_at is None and (entry_id is None or e.id == entry_id)
        ]
        for e in marked:
            e.read_at = self.now()
        if marked:
            self.touch(userid)
        return marked

    async def wait_changed(self, userid: str | None, since: int, timeout: float) -> int:
        """Waits until ``userid``'s chat (or any chat) changes after ``since``; the version."""
        deadline = time.monotonic() + timeout

        def version() -> int:
            return self.versions[userid] if userid is not None else self.seq

        while version() <= since:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not await self.changes.wait(remaining):
                break
        return version()

    # ----------------------------------------------------------------------- robot

    def robot_send(self, userids: list[str], msg_key: str, param: dict[str, Any]) -> dict[str, Any]:
        """``batchSend``: one robot message to each person; the answer's three lists."""
        key = secrets.token_urlsafe(24)
        invalid, flow_controlled = [], []
        limit = self.limits.robot_messages_per_person_per_minute
        for userid in userids:
            if userid not in self.staff:
                invalid.append(userid)
                continue
            if limit > 0 and not _admit(self._robot_sends[userid], self.now(), limit):
                flow_controlled.append(userid)
                continue
            self.add_entry(userid, "robot", process_query_key=key, **robot_content(self, msg_key, param))
        return {"processQueryKey": key, "invalidStaffIdList": invalid, "flowControlledStaffIdList": flow_controlled}

    def deliver_card(self, card: Card, userid: str) -> None:
        """Shows ``card`` in ``userid``'s chat with the robot (once: a card instance delivered
        again to the same chat is the same card)."""
        if userid in card.receivers:
            return
        card.receivers.append(userid)
        self.add_entry(userid, "card", msg_type="interactiveCard", card=card)

    def update_card(self, card: Card, params: dict[str, str], by_key: bool) -> None:
        """Changes what ``card`` shows, in every chat it is in."""
        if by_key:
            card.params.update(params)
        else:
            card.params = dict(params)
        card.updates += 1
        for userid in card.receivers:
            self.touch(userid)

    # ---------------------------------------------------------------- work notices

    def send_notice(self, userids: list[str], msg: dict[str, Any]) -> NoticeTask:
        """``asyncsend_v2``: a 工作通知 to each person, within 钉钉's daily rules.

        The call always succeeds; who was held back shows only in ``getsendresult``
        (``forbidden_user_id_list``), as 钉钉 documents.
        """
        task = NoticeTask(next(self._task_ids), list(userids))
        self.tasks[task.task_id] = task
        day = self.day()
        fingerprint = json.dumps(msg, sort_keys=True, ensure_ascii=False)
        for userid in userids:
            if userid not in self.staff:
                task.invalid.append(userid)
                continue
            if self._notices_today[(day, userid)] >= self.limits.notices_per_person_per_day:
                task.forbidden.append({"code": FORBIDDEN_DAILY_CAP, "count": self.limits.notices_per_person_per_day, "userid": userid})
                continue
            if self.limits.same_notice_once_a_day and (day, userid, fingerprint) in self._contents_today:
                task.forbidden.append({"code": FORBIDDEN_SAME_CONTENT, "count": 1, "userid": userid})
                continue
            self._notices_today[(day, userid)] += 1
            self._contents_today.add((day, userid, fingerprint))
            task.delivered[userid] = self.add_entry(userid, "notice", task_id=task.task_id, **notice_content(self, msg))
        return task

    def send_result(self, task: NoticeTask) -> dict[str, Any]:
        """``getsendresult``'s ``send_result``."""
        return {
            "read_user_id_list": [u for u, e in task.delivered.items() if e.read_at is not None],
            "unread_user_id_list": [u for u, e in task.delivered.items() if e.read_at is None],
            "invalid_user_id_list": list(task.invalid),
            "forbidden_user_id_list": [f["userid"] for f in task.forbidden],
            "failed_user_id_list": [],
            "invalid_dept_id_list": [],
            "forbidden_list": [dict(f) for f in task.forbidden],
        }

    # ----------------------------------------------------------------------- files

    def store_file(self, name: str, data: bytes, mime_type: str, prefix: str) -> StoredFile:
        """Keeps bytes under a fresh key (``@lA…`` media id or a download code)."""
        stored = StoredFile(f"{prefix}{secrets.token_urlsafe(18)}", name, data, mime_type)
        self.files[stored.key] = stored
        return stored


def _admit(stamps: deque[float], now: float, limit: int) -> bool:
    """A sliding minute: True (and counted) when fewer than ``limit`` happened in the last 60 s."""
    while stamps and now - stamps[0] >= 60:
        stamps.popleft()
    if len(stamps) >= limit:
        return False
    stamps.append(now)
    return True


def robot_content(world: World, msg_key: str, param: dict[str, Any]) -> dict[str, Any]:
    """What a robot message of ``msgKey`` shows (the documented 企业机器人 message types)."""
    if msg_key == "sampleText":
        return {"msg_type": "text", "text": str(param.get("content", ""))}
    if msg_key == "sampleMarkdown":
        return {"msg_type": "markdown", "title": str(param.get("title", "")), "text": str(param.get("text", ""))}
    if msg_key == "sampleFile":
        stored = world.files.get(str(param.get("mediaId", "")))
        name = str(param.get("fileName") or (stored.name if stored else ""))
        file = {"media_id": param.get("mediaId"), "name": name, "type": param.get("fileType", ""),
                "size": len(stored.data) if stored else 0}
        return {"msg_type": "file", "text": name, "file": file}
    if msg_key == "sampleActionCard":
        return {"msg_type": "actionCard", "title": str(param.get("title", "")), "text": str(param.get("text", ""))}
    raise ValueError(f"msgKey {msg_key} is not supported")


def notice_content(world: World, msg: dict[str, Any]) -> dict[str, Any]:
    """What a 工作通知 of ``msg`` shows (the documented message types)."""
    msg_type = msg.get("msgtype")
    body = msg.get(str(msg_type)) or {}
    if msg_type == "text":
        return {"msg_type": "text", "text": str(body.get("content", ""))}
    if msg_type == "markdown":
        return {"msg_type": "markdown", "title": str(body.get("title", "")), "text": str(body.get("text", ""))}
    if msg_type == "action_card":
        return {"msg_type": "action_card", "title": str(body.get("title", "")), "text": str(body.get("markdown", ""))}
    if msg_type == "oa":
        head = (body.get("body") or {})
        return {"msg_type": "oa", "title": str(head.get("title", "")), "text": str(head.get("content", ""))}
    if msg_type == "file":
        stored = world.files.get(str(body.get("media_id", "")))
        name = stored.name if stored else ""
        return {"msg_type": "file", "text": name, "file": {"media_id": body.get("media_id"), "name": name}}
    raise ValueError(f"msgtype {msg_type} is not supported")
