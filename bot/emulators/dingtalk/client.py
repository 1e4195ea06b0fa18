"""Play 钉钉 people against a bot, over the emulator's control API (tests and the demo).

Example::

    async with DingTalkEmulator() as server, DingTalkPeople(server.url) as people:
        wang = await people.add_person("王科长")
        await wang.send("绑定 ABC123")
        answer = await wang.wait_for(text_contains="已绑定")
        await wang.press("签收")
        card = await wang.wait_for(card_with="已签收")

``wait_for`` looks at what the robot put in the chat (robot messages, cards, 工作通知) after
the previous match, so consecutive calls walk through the bot's answers in order; a card counts
again each time it is updated. On timeout it raises ``AssertionError`` showing the chat.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from types import TracebackType
from typing import Any

import aiohttp

Entry = dict[str, Any]


class ControlFailed(Exception):
    """The control API refused a request (``{"ok": false}``)."""


class DingTalkPeople:
    """The emulator's control API at ``url``."""

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/") + "/_emulator"
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> DingTalkPeople:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        await self.close()

    async def close(self) -> None:
        """Closes the HTTP session."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """One control request; its ``result``."""
        if self._session is None:
            self._session = aiohttp.ClientSession()
        async with self._session.request(method, self.url + path, **kwargs) as answer:
            body = await answer.json()
        if not body.get("ok"):
            raise ControlFailed(f"{method} {path}: {answer.status} {body.get('error')}")
        return body["result"]

    async def info(self) -> dict[str, Any]:
        """The app's credentials, limits and the emulator's version."""
        return await self.call("GET", "")

    async def limits(self, **changes: Any) -> dict[str, Any]:
        """Changes some limits (see ``world.Limits``); all of them."""
        return await self.call("PATCH", "/limits", json=changes)

    async def advance_clock(self, seconds: float) -> dict[str, Any]:
        """Moves 钉钉's clock on (a day: 86400)."""
        return await self.call("PATCH", "/clock", json={"advance": seconds})

    async def add_department(self, name: str, parent_id: int = 1) -> dict[str, Any]:
        """Adds a 部门."""
        return await self.call("POST", "/departments", json={"name": name, "parent_id": parent_id})

    async def add_person(self, name: str, userid: str | None = None, dept_ids: list[int] | None = None, title: str = "") -> Person:
        """Adds a person of the organisation with a chat to the robot."""
        staff = await self.call("POST", "/staff", json={"name": name, "userid": userid, "dept_ids": dept_ids, "title": title})
        return Person(self, staff["userid"], name)

    async def file(self, key: str) -> bytes:
        """The bytes of a file the robot uploaded (``media_id``) or a person sent."""
        if self._session is None:
            self._session = aiohttp.ClientSession()
        async with self._session.get(f"{self.url}/files/{key}") as answer:
            if answer.status != 200:
                raise ControlFailed(f"GET /files/{key}: {answer.status}")
            return await answer.read()

    def person(self, userid: str, name: str = "") -> Person:
        """A person already in the organisation (added earlier, or by another process)."""
        return Person(self, userid, name or userid)

    async def stream(self) -> dict[str, Any]:
        """The gateway's connections and deliveries."""
        return await self.call("GET", "/stream")

    async def drop_stream(self, warn: bool = True) -> int:
        """Closes the bot's Stream connections (``warn``: a ``disconnect`` frame first)."""
        return (await self.call("POST", "/stream/drop", json={"warn": warn}))["dropped"]

    async def expire_tokens(self) -> int:
        """Makes every access token issued so far expired."""
        return (await self.call("POST", "/tokens/expire"))["expired"]


class Person:
    """One person's side of the chat with the robot."""

    def __init__(self, people: DingTalkPeople, userid: str, name: str) -> None:
        self.people = people
        self.userid = userid
        self.name = name
        self._seen: dict[int, int] = {}

    def _path(self, tail: str) -> str:
        return f"/staff/{self.userid}/{tail}"

    async def send(self, text: str, reply_to: int | None = None) -> Entry:
        """Writes ``text`` to the robot, quoting the chat entry ``reply_to`` if given."""
        return await self.people.call("POST", self._path("messages"), json={"text": text, "reply_to": reply_to})

    async def send_file(self, name: str, data: bytes, kind: str = "file", mime_type: str = "application/octet-stream") -> Entry:
        """Sends a file (or a ``picture``) to the robot."""
        form = aiohttp.FormData(quote_fields=False)
        form.add_field("file", data, filename=name, content_type=mime_type)
        form.add_field("kind", kind)
        return await self.people.call("POST", self._path("files"), data=form)

    async def press(self, button: str, out_track_id: str | None = None) -> dict[str, Any]:
        """Presses the newest card button with this text or id (or on the card given)."""
        return await self.people.call("POST", self._path("press"), json={"button": button, "out_track_id": out_track_id})

    async def read(self, entry_id: int | None = None) -> list[Entry]:
        """Opens the chat (or one entry): everything unread becomes 已读."""
        return await self.people.call("POST", self._path("read"), json={"entry_id": entry_id})

    async def chat(self) -> list[Entry]:
        """Everything in the chat, cards as they are now."""
        return (await self.people.call("GET", self._path("chat")))["entries"]

    async def wait_for(
        self,
        text_contains: str | None = None,
        card_with: str | None = None,
        kind: str | None = None,
        match: Callable[[Entry], bool] | None = None,
        timeout: float = 5.0,
    ) -> Entry:
        """The next thing the robot put in the chat that matches (a card again when updated)."""
        deadline = time.monotonic() + timeout
        version = -1
        while True:
            answer = await self.people.call("GET", self._path("chat"), params={"since": version, "timeout": max(0.05, deadline - time.monotonic())})
            version = answer["version"]
            for entry in answer["entries"]:
                if entry["kind"] == "user" or self._seen.get(entry["id"], -1) >= _revision(entry):
                    continue
                if _matches(entry, text_contains, card_with, kind, match):
                    self._seen[entry["id"]] = _revision(entry)
                    return entry
            if time.monotonic() >= deadline:
                shown = "\n".join(f"  [{e['kind']}] {_shown(e)}" for e in answer["entries"])
                raise AssertionError(f"{self.name} saw nothing matching within {timeout}s; the chat:\n{shown}")


def _revision(entry: Entry) -> int:
    return entry["card"]["updates"] if entry.get("card") else 0


def _shown(entry: Entry) -> str:
    """The words a person sees in an entry."""
    card = entry.get("card")
    if card:
        buttons = " ".join(f"[{b['text']}]" for b in card["buttons"])
        return f"{card['title']} {card['markdown']} {buttons}".strip()
    return f"{entry.get('title', '')} {entry['text']}".strip()


def _matches(entry: Entry, text: str | None, card: str | None, kind: str | None, match: Callable[[Entry], bool] | None) -> bool:
    if kind is not None and entry["kind"] != kind:
        return False
    if card is not None and (not entry.get("card") or card not in _shown(entry)):
        return False
    if text is not None and text not in _shown(entry):
        return False
    return match is None or match(entry)
