"""Python simulation API: play members of the organisation against a bot on the 企业微信 emulator,
as :mod:`bot.emulators.telegram.client` does for Telegram, so one scenario can run on both.

Example::

    async with WecomEmulator() as wecom:
        li = WecomPerson(wecom, wecom.add_member("lijun", "李军").userid)
        await li.send("/start abc")
        slip = await li.wait_for("工作交办单")
        await li.press("签收", slip)          # the card's button, by its text or key
        await li.reply_to(slip, "已办结")      # a quoted reply

``wait_for`` looks only at what the bot sent or changed (a card updated) after this person's
last action and after the previous match, so consecutive calls walk through the bot's answers.
On timeout it raises ``AssertionError`` showing the chat.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from typing import TYPE_CHECKING

from bot.emulators.wecom.callback import Delivery
from bot.emulators.wecom.world import Entry, card_json

if TYPE_CHECKING:
    from bot.emulators.wecom.server import WecomEmulator


class WecomPerson:
    """One member in their chat with the application."""

    def __init__(self, wecom: WecomEmulator, userid: str) -> None:
        self.wecom = wecom
        self.userid = userid
        self._cursor = wecom.world.seq

    def _acted(self) -> None:
        self._cursor = self.wecom.world.seq

    # Actions: each returns the callback's delivery (await ``.finished.wait()`` to see it answered)

    async def send(self, text: str) -> Delivery:
        self._acted()
        return self.wecom.say(self.userid, text)

    async def reply_to(self, entry: Entry, text: str) -> Delivery:
        """Quotes ``entry`` (its text, or a card's title) and sends ``text``."""
        self._acted()
        quoted = entry.text if entry.card is None else card_json(entry.card)["title"]
        return self.wecom.say(self.userid, text, quote=quoted)

    async def send_file(self, filename: str, data: bytes) -> Delivery:
        self._acted()
        return self.wecom.send_file(self.userid, filename, data)

    async def send_photo(self, data: bytes, filename: str = "photo.jpg") -> Delivery:
        self._acted()
        return self.wecom.send_file(self.userid, filename, data, kind="image")

    async def press(self, button: str, entry: Entry | None = None) -> Delivery:
        """Presses the card button with this text or key: on ``entry``'s card, or on the latest
        card whose buttons are still active and have it."""
        self._acted()
        for candidate in [entry] if entry is not None else reversed(self.messages()):
            if candidate is None or candidate.card is None:
                continue
            shown = card_json(candidate.card)
            for b in shown["buttons"]:
                if button in (b["text"], b["key"]) and (b["enabled"] or entry is not None):
                    return self.wecom.press(self.userid, candidate.card.task_id, b["key"])
        raise AssertionError(f"{self.userid}: no active card button {button!r}\n{self.transcript()}")

    # Reading

    def messages(self) -> list[Entry]:
        """The chat, oldest first (cards as they are now)."""
        return self.wecom.chat(self.userid)

    def last_message(self) -> Entry | None:
        """The bot's latest entry."""
        return next((e for e in reversed(self.messages()) if e.sender == "bot"), None)

    async def wait_for(self, text_contains: str | None = None, *, regex: str | None = None,
                       timeout: float = 5.0) -> Entry:
        """Waits for a new bot entry (or a card changed) whose content matches."""
        pattern = re.compile(regex) if regex else None
        world = self.wecom.world
        deadline = time.monotonic() + timeout
        while True:
            world.changed.clear()
            fresh = sorted((e for e in self.messages() if e.sender == "bot" and e.last_seq > self._cursor),
                           key=lambda e: e.last_seq)
            for entry in fresh:
                if (text_contains is None or text_contains in entry.content) and (
                        pattern is None or pattern.search(entry.content)):
                    self._cursor = entry.last_seq
                    return entry
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                wanted = text_contains or (regex and f"/{regex}/") or "any message"
                raise AssertionError(f"{self.userid}: nothing new matching {wanted} within {timeout}s\n{self.transcript()}")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(world.changed.wait(), remaining)

    def transcript(self) -> str:
        """The chat as readable lines: who, what kind, what it shows."""
        lines = []
        for entry in self.messages():
            who = "应用" if entry.sender == "bot" else self.userid
            body = entry.content.replace("\n", " | ")
            lines.append(f"{who} [{entry.kind}] {body}")
        return "\n".join(lines) or "(empty chat)"

