"""A person's chat with the bot, the same verbs on every channel: send text, send a file, press a
button by its label (on the newest message or card that shows it, or on one given), wait for
what the bot puts in the chat, read the chat as it is now.

What the bot put in a chat is a ``Shown``: its words (the channel's markup dropped), its buttons,
the file it carries. ``wait_for`` walks through the bot's output as a person reads it: each call
returns something not returned before — a message, or a message again once it has changed (a
Telegram edit, a 钉钉 card update) — so consecutive calls follow the conversation.

A new channel is one class here with these verbs over its emulator, and one entry in
``conftest.CHANNELS``.
"""

from __future__ import annotations

import asyncio
import contextlib
import mimetypes
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from bot.emulators.dingtalk.client import Person as DingTalkPerson
from bot.emulators.telegram.client import SimulatedUser
from bot.emulators.telegram.models import StoredMessage
from bot.channels.wecom.render import CARD_BODY, TITLE_LENGTH
from bot.emulators.telegram.transcript import transcript_text
from bot.emulators.wecom import WecomPerson
from bot.emulators.wecom.world import Entry, card_json


@dataclass(frozen=True)
class Shown:
    """One thing the bot put in a person's chat, as it reads now."""

    id: str
    text: str
    """The words, without the channel's markup."""
    buttons: tuple[str, ...] = ()
    file: str | None = None
    """The name of the file it carries."""
    revision: int = 0


Wanted = Callable[[Shown], bool]


def matches(shown: Shown, text: str | None, on: Shown | None, file: str | None, where: Wanted | None) -> bool:
    """``shown`` has ``text`` among its words, is the message ``on``, carries a file named
    ``file`` (any file for ``""``), and passes ``where``."""
    return (
        (text is None or text in shown.text)
        and (on is None or shown.id == on.id)
        and (file is None or (shown.file is not None and (not file or shown.file == file)))
        and (where is None or where(shown))
    )


class Chat(Protocol):
    """One person's chat with the bot."""

    name: str

    async def send(self, text: str) -> None:
        """Writes ``text`` to the bot."""

    async def send_file(self, name: str, data: bytes) -> None:
        """Sends a file."""

    async def press(self, label: str, on: Shown | None = None) -> None:
        """Presses the button ``label`` on ``on``, or on the newest message that shows it."""

    async def wait_for(self, text: str | None = None, *, on: Shown | None = None, file: str | None = None,
                       where: Wanted | None = None, timeout: float = 10.0) -> Shown:
        """The next thing the bot put (or changed) in the chat that matches."""

    async def read(self) -> list[Shown]:
        """Everything the bot put in the chat, as it reads now."""

    async def file_bytes(self, shown: Shown) -> bytes:
        """The bytes of the file ``shown`` carries."""


# ------------------------------------------------------------------------------ Telegram


class TelegramChat:
    """A simulated Telegram user's private chat with the bot."""

    def __init__(self, user: SimulatedUser) -> None:
        self.user = user
        self.name = user.user.display_name
        self._seen: dict[int, int] = {}

    @staticmethod
    def _shown(message: StoredMessage, revision: int) -> Shown:
        stored = message.document or message.photo
        return Shown(
            id=str(message.message_id), text=message.content,
            buttons=tuple(b["text"] for row in message.inline_keyboard for b in row),
            file=(message.document.file_name or "") if message.document else ("photo" if stored else None),
            revision=revision,
        )

    def _revisions(self) -> dict[int, int]:
        counts: dict[int, int] = {}
        for _, message in self.user.private_chat.bot_events:
            counts[message.message_id] = counts.get(message.message_id, 0) + 1
        return counts

    async def send(self, text: str) -> None:
        await self.user.send(text)

    async def send_file(self, name: str, data: bytes) -> None:
        await self.user.send_document(name, data, mime_type=mimetypes.guess_type(name)[0])

    async def press(self, label: str, on: Shown | None = None) -> None:
        message = self.user.private_chat.messages[int(on.id)] if on is not None else None
        await self.user.press(label, message=message)

    async def wait_for(self, text: str | None = None, *, on: Shown | None = None, file: str | None = None,
                       where: Wanted | None = None, timeout: float = 10.0) -> Shown:
        state = self.user.state
        deadline = time.monotonic() + timeout
        while True:
            revisions = self._revisions()
            for message in self.user.messages():
                if not message.from_bot or message.message_id not in revisions:
                    continue
                revision = revisions[message.message_id]
                if self._seen.get(message.message_id, 0) >= revision:
                    continue
                shown = self._shown(message, revision)
                if matches(shown, text, on, file, where):
                    self._seen[message.message_id] = revision
                    return shown
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"{self.name} saw nothing new with {text!r} within {timeout}s\n"
                                     + transcript_text(self.user.private_chat))
            await state.changes_signal.wait(remaining)

    async def read(self) -> list[Shown]:
        revisions = self._revisions()
        return [self._shown(m, revisions.get(m.message_id, 1)) for m in self.user.messages() if m.from_bot]

    async def file_bytes(self, shown: Shown) -> bytes:
        return self.user.file_bytes(self.user.private_chat.messages[int(shown.id)])


# ------------------------------------------------------------------------------ 钉钉

_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")


def words_of_markdown(markdown: str) -> str:
    """The words of 钉钉 markdown as a reader sees them (the bot writes bold, code, links,
    quotes and hard line breaks)."""
    text = _LINK.sub(r"\1", markdown).replace("**", "").replace("`", "")
    return "\n".join(line.rstrip().removeprefix("> ") for line in text.split("\n"))


class DingTalkChat:
    """A 钉钉 person's one-to-one chat with the robot, over the emulator's control API."""

    def __init__(self, person: DingTalkPerson) -> None:
        self.person = person
        self.name = person.name
        self._seen: dict[int, int] = {}

    @staticmethod
    def _shown(entry: dict[str, Any]) -> Shown:
        card = entry.get("card")
        if card:
            return Shown(str(entry["id"]), words_of_markdown(card["markdown"]),
                         tuple(b["text"] for b in card["buttons"]), revision=card["updates"] + 1)
        file = entry.get("file")
        return Shown(str(entry["id"]), words_of_markdown(entry["text"]),
                     file=file["name"] if file and entry["msg_type"] == "file" else None, revision=1)

    async def send(self, text: str) -> None:
        await self.person.send(text)

    async def send_file(self, name: str, data: bytes) -> None:
        await self.person.send_file(name, data, mime_type=mimetypes.guess_type(name)[0] or "application/octet-stream")

    async def press(self, label: str, on: Shown | None = None) -> None:
        out_track_id = None
        if on is not None:
            [entry] = [e for e in await self.person.chat() if str(e["id"]) == on.id]
            out_track_id = entry["card"]["out_track_id"]
        await self.person.press(label, out_track_id=out_track_id)

    async def wait_for(self, text: str | None = None, *, on: Shown | None = None, file: str | None = None,
                       where: Wanted | None = None, timeout: float = 10.0) -> Shown:
        people = self.person.people
        path = f"/staff/{self.person.userid}/chat"
        deadline = time.monotonic() + timeout
        version = -1
        while True:
            answer = await people.call("GET", path, params={"since": version, "timeout": max(0.05, deadline - time.monotonic())})
            version = answer["version"]
            for entry in answer["entries"]:
                if entry["kind"] == "user":
                    continue
                shown = self._shown(entry)
                if self._seen.get(entry["id"], 0) >= shown.revision:
                    continue
                if matches(shown, text, on, file, where):
                    self._seen[entry["id"]] = shown.revision
                    return shown
            if time.monotonic() >= deadline:
                chat = "\n".join(f"  [{s.id}] {s.text} {list(s.buttons)} {s.file or ''}" for s in await self.read())
                raise AssertionError(f"{self.name} saw nothing new with {text!r} within {timeout}s; the chat:\n{chat}")

    async def read(self) -> list[Shown]:
        return [self._shown(e) for e in await self.person.chat() if e["kind"] != "user"]

    async def file_bytes(self, shown: Shown) -> bytes:
        [entry] = [e for e in await self.person.chat() if str(e["id"]) == shown.id]
        return await self.person.people.file(entry["file"]["media_id"])


# ------------------------------------------------------------------------------ 企业微信


CARD_AFTER_TEXT = 0.3
"""How long a text too long for a card may wait for the card sent right after it."""


def _leads(shown: Shown, title: str) -> bool:
    """``shown`` is the whole text of a card titled ``title``, sent before it."""
    return shown.file is None and shown.text.split("\n", 1)[0].strip().startswith(title.rstrip("…"))


def _may_lead(shown: Shown) -> bool:
    """A text a card cannot hold, which a card of it may follow."""
    first, _, rest = shown.text.partition("\n")
    return shown.file is None and (len(first.strip()) > TITLE_LENGTH or len(rest.strip()) > CARD_BODY)


class WecomChat:
    """A 企业微信 member's chat with the application, on the emulator.

    A card shows a title and a short body; a text too long for it comes as a message right
    before its card (``bot.channels.wecom.render``). A person reads the two as one thing: the
    card's ``Shown`` has the words of that message and the card's buttons, and the message is
    not shown apart. A card whose buttons were greyed out shows no button and its greyed text
    at the foot. 企业微信 has no read receipts."""

    def __init__(self, person: WecomPerson) -> None:
        self.person = person
        self.name = person.wecom.world.members[person.userid].name
        self._seen: dict[int, int] = {}

    def _shown(self) -> list[tuple[Entry, Shown]]:
        """The bot's entries as read now, oldest first: each card with the message it follows."""
        shown: list[tuple[Entry, Shown]] = []
        for entry in self.person.messages():
            if entry.sender != "bot":
                continue
            if entry.card is None:
                file = entry.filename if entry.kind == "file" else ("photo" if entry.kind == "image" else None)
                shown.append((entry, Shown(str(entry.seq), words_of_markdown(entry.text), file=file, revision=entry.last_seq)))
                continue
            card = card_json(entry.card)
            text = "\n".join(p for p in (card["title"], card["sub_title_text"], *(f"{k}：{v}" for k, v in card["rows"])) if p)
            before = shown[-1] if shown else None
            if before is not None and not entry.card.updated and _leads(before[1], card["title"]):
                shown.pop()
                text = before[1].text
            if card["replace_name"]:
                text = f"{text}\n{card['replace_name']}"
            buttons = () if card["replace_name"] else tuple(b["text"] for b in card["buttons"])
            shown.append((entry, Shown(str(entry.seq), text, buttons, revision=entry.last_seq)))
        return shown

    def _entry(self, shown: Shown) -> Entry:
        [entry] = [e for e in self.person.messages() if str(e.seq) == shown.id]
        return entry

    async def send(self, text: str) -> None:
        await self.person.send(text)

    async def send_file(self, name: str, data: bytes) -> None:
        await self.person.send_file(name, data)

    async def press(self, label: str, on: Shown | None = None) -> None:
        await self.person.press(label, self._entry(on) if on is not None else None)

    async def wait_for(self, text: str | None = None, *, on: Shown | None = None, file: str | None = None,
                       where: Wanted | None = None, timeout: float = 10.0) -> Shown:
        world = self.person.wecom.world
        deadline = time.monotonic() + timeout
        settled = False
        while True:
            world.changed.clear()
            for entry, shown in sorted(self._shown(), key=lambda pair: pair[1].revision):  # in the order they came or changed
                if self._seen.get(entry.seq, 0) >= shown.revision:
                    continue
                if matches(shown, text, on, file, where):
                    if not settled and _may_lead(shown) and entry is self.person.last_message():
                        break  # its card may be on its way: look again once it came, or a moment later
                    self._seen[entry.seq] = shown.revision
                    return shown
            else:
                settled = False
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"{self.name} saw nothing new with {text!r} within {timeout}s\n"
                                         + self.person.transcript())
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(world.changed.wait(), remaining)
                continue
            settled = True
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(world.changed.wait(), CARD_AFTER_TEXT)

    async def read(self) -> list[Shown]:
        return [shown for _, shown in self._shown()]

    async def file_bytes(self, shown: Shown) -> bytes:
        return self.person.wecom.world.media[self._entry(shown).media_id].content
