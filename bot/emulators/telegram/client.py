"""Python simulation API: play Telegram users against a bot running on the emulator.

Example::

    async with EmulatorServer() as server:
        sim = Simulator(server)
        user = await sim.create_user("Wang", username="wang")
        await user.send("/start abc")
        msg = await user.wait_for(text_contains="welcome", timeout=5)
        await user.press("Accept")           # latest bot message with that button
        await user.reply_to(msg, "done")

``wait_for`` looks only at bot messages (or edits) that happened after the user's last
action and after the previous ``wait_for`` match, so consecutive calls walk through the
bot's answers in order. On timeout it raises ``AssertionError`` showing the transcript.
"""

from __future__ import annotations

import bisect
import re
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from bot.emulators.telegram import simulation
from bot.emulators.telegram.models import CallbackRecord, Chat, SimUser, StoredMessage
from bot.emulators.telegram.state import EmulatorState
from bot.emulators.telegram.transcript import transcript_text

if TYPE_CHECKING:
    from bot.emulators.telegram.server import EmulatorServer

MessagePredicate = Callable[[StoredMessage], bool]


class Simulator:
    """Creates simulated users and groups on a running :class:`EmulatorServer`."""

    def __init__(self, server: EmulatorServer) -> None:
        self.server = server
        self.state: EmulatorState = server.state

    async def create_user(
        self,
        first_name: str,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "en",
        user_id: int | None = None,
    ) -> SimulatedUser:
        """Creates a user with a private chat to the bot (chat id = user id)."""
        user = self.state.create_user(first_name, last_name, username, language_code, user_id)
        return SimulatedUser(self.state, user)

    async def create_group(self, title: str, members: list[SimulatedUser]) -> Chat:
        """Creates a group with the bot and ``members``; pass it as ``chat=`` to user actions."""
        return self.state.create_group(title, [m.user for m in members])

    def user(self, user_id: int) -> SimulatedUser:
        """A client for an existing user (e.g. one created over the control API)."""
        return SimulatedUser(self.state, self.state.users[user_id])

    @property
    def bot_username(self) -> str:
        """The bot's @username (without @)."""
        return self.state.bot.username or ""


class SimulatedUser:
    """One simulated person. ``chat`` arguments default to the private chat with the bot."""

    def __init__(self, state: EmulatorState, user: SimUser) -> None:
        self.state = state
        self.user = user
        self._cursor = state.seq

    @property
    def id(self) -> int:
        """Telegram user id (also the private chat id)."""
        return self.user.id

    @property
    def private_chat(self) -> Chat:
        """The private chat with the bot."""
        return self.state.chats[self.user.id]

    def _chat(self, chat: Chat | None) -> Chat:
        return chat if chat is not None else self.private_chat

    def _acted(self) -> None:
        """Moves the ``wait_for`` cursor: only bot output after this action is "new"."""
        self._cursor = self.state.seq

    # ---------------------------------------------------------------------- actions

    async def send(self, text: str, chat: Chat | None = None) -> StoredMessage:
        """Sends text; ``/commands`` (e.g. ``/start CODE``) get ``bot_command`` entities."""
        self._acted()
        return simulation.send_text(self.state, self.user, self._chat(chat), text)

    async def reply_to(self, message: StoredMessage, text: str) -> StoredMessage:
        """Replies to ``message`` (the Update carries ``reply_to_message``)."""
        self._acted()
        return simulation.send_text(self.state, self.user, message.chat, text, reply_to=message)

    async def send_document(
        self,
        file_name: str,
        data: bytes,
        caption: str | None = None,
        mime_type: str | None = None,
        chat: Chat | None = None,
        reply_to: StoredMessage | None = None,
    ) -> StoredMessage:
        """Sends a document; the bot can getFile and download it."""
        self._acted()
        return simulation.send_file(
            self.state,
            self.user,
            self._chat(chat),
            "document",
            data,
            file_name=file_name,
            mime_type=mime_type,
            caption=caption,
            reply_to=reply_to,
        )

    async def send_photo(self, data: bytes, caption: str | None = None, chat: Chat | None = None) -> StoredMessage:
        """Sends a photo (PNG/JPEG dimensions are read from the bytes)."""
        self._acted()
        return simulation.send_file(self.state, self.user, self._chat(chat), "photo", data, caption=caption)

    async def send_sticker(self, emoji: str = "👍", chat: Chat | None = None) -> StoredMessage:
        """Sends a sticker."""
        self._acted()
        return simulation.send_sticker(self.state, self.user, self._chat(chat), emoji)

    async def edit(self, message: StoredMessage, text: str) -> StoredMessage:
        """Edits one of this user's text messages (an ``edited_message`` Update)."""
        self._acted()
        return simulation.edit_text(self.state, self.user, message, text)

    async def press(
        self, button: str, message: StoredMessage | None = None, chat: Chat | None = None
    ) -> CallbackRecord:
        """Presses the inline button with this text or callback_data.

        Args:
            button: Button text or callback_data.
            message: Message carrying the keyboard; default: the latest bot message in the
                chat that has such a button.
            chat: Chat to look in when ``message`` is not given.
        """
        self._acted()
        chat = message.chat if message is not None else self._chat(chat)
        return simulation.press(self.state, self.user, chat, button, message)

    def block_bot(self, blocked: bool = True) -> None:
        """Blocks (or unblocks) the bot: its sends then fail with 403."""
        self.user.blocked = blocked

    # ----------------------------------------------------------------------- reading

    async def wait_for(
        self,
        text_contains: str | None = None,
        *,
        regex: str | None = None,
        predicate: MessagePredicate | None = None,
        timeout: float = 5.0,
        chat: Chat | None = None,
    ) -> StoredMessage:
        """Waits for a new bot message or edit matching every given condition.

        Args:
            text_contains: Substring of the text or caption.
            regex: Pattern searched in the text or caption.
            predicate: Any further check on the message.
            timeout: Seconds to wait.
            chat: Chat to watch (default: the private chat).

        Returns:
            The matching message, as it is now.

        Raises:
            AssertionError: On timeout, with the chat's readable transcript.
        """
        chat = self._chat(chat)
        pattern = re.compile(regex) if regex else None

        def matches(message: StoredMessage) -> bool:
            return (
                not message.deleted
                and (text_contains is None or text_contains in message.content)
                and (pattern is None or pattern.search(message.content) is not None)
                and (predicate is None or predicate(message))
            )

        deadline = time.monotonic() + timeout
        while True:
            start = bisect.bisect_right(chat.bot_events, self._cursor, key=lambda event: event[0])
            for seq, message in chat.bot_events[start:]:
                if matches(message):
                    self._cursor = seq
                    return message
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self.state.closing:
                wanted = (
                    ", ".join(
                        f"{k}={v!r}" for k, v in (("text_contains", text_contains), ("regex", regex)) if v is not None
                    )
                    or "any message"
                )
                raise AssertionError(
                    f"{self.user.display_name}: no new bot message matching {wanted} within {timeout}s\n"
                    + transcript_text(chat)
                )
            await self.state.changes_signal.wait(remaining)

    async def wait_for_answer(self, callback: CallbackRecord, timeout: float = 5.0) -> CallbackRecord:
        """Waits until the bot answers a button press (answerCallbackQuery).

        Raises:
            AssertionError: On timeout, with the transcript.
        """
        deadline = time.monotonic() + timeout
        while not callback.answered:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self.state.closing:
                raise AssertionError(
                    f"bot did not answer the press of [{callback.button_text}] within {timeout}s\n"
                    + transcript_text(callback.message.chat)
                )
            await self.state.changes_signal.wait(remaining)
        return callback

    def messages(self, chat: Chat | None = None, include_deleted: bool = False) -> list[StoredMessage]:
        """All messages of the chat in order (edits applied)."""
        return [m for m in self._chat(chat).log if isinstance(m, StoredMessage) and (include_deleted or not m.deleted)]

    def last_message(self, chat: Chat | None = None, from_bot: bool | None = True) -> StoredMessage | None:
        """The latest live message (by default the bot's; ``from_bot=None`` for anyone's)."""
        for message in reversed(self.messages(chat)):
            if from_bot is None or message.from_bot == from_bot:
                return message
        return None

    def transcript(self, chat: Chat | None = None) -> str:
        """The chat's readable transcript."""
        return transcript_text(self._chat(chat))

    def file_bytes(self, message: StoredMessage) -> bytes:
        """The bytes of a message's document or photo."""
        stored = message.document or message.photo
        if stored is None:
            raise ValueError("message has no document or photo")
        return stored.data


async def wait_idle(state: EmulatorState, quiet: float = 0.05, timeout: float = 5.0) -> None:
    """Waits until no chat changed for ``quiet`` seconds (handy before asserting "nothing sent")."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        seen = state.seq
        if await state.wait_changed(seen, quiet) == seen:
            return
