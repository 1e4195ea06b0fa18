"""The emulator's in-memory world: users, chats, messages, files, updates, commands.

All mutation goes through :class:`EmulatorState`, which also wakes waiters without
polling: ``getUpdates`` long polls and transcript watchers sleep on a :class:`Signal`
that is fired by every new update or chat change.
"""

from __future__ import annotations

import itertools
import secrets
import time
from collections import deque
from dataclasses import dataclass
from collections.abc import Callable
from typing import Any

from bot.emulators.signal import Signal
from bot.emulators.telegram.models import CallbackRecord, Chat, SimUser, StoredFile, StoredMessage

#: Update types delivered when ``allowed_updates`` is empty or was never given.
DEFAULT_UPDATE_TYPES = frozenset(
    {
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "business_connection",
        "business_message",
        "edited_business_message",
        "deleted_business_messages",
        "inline_query",
        "chosen_inline_result",
        "callback_query",
        "shipping_query",
        "pre_checkout_query",
        "purchased_paid_media",
        "poll",
        "poll_answer",
        "my_chat_member",
        "chat_join_request",
        "chat_boost",
        "removed_chat_boost",
    }
)

FILE_ID_PREFIX = {"document": "BQACAgIAAxkBAAI", "photo": "AgACAgIAAxkBAAI", "sticker": "CAACAgIAAxkBAAI"}
FILE_DIR = {"document": "documents", "photo": "photos", "sticker": "stickers"}


@dataclass(slots=True)
class Webhook:
    """The webhook set with setWebhook."""

    url: str
    secret_token: str | None = None
    max_connections: int = 40
    last_error_date: int | None = None
    last_error_message: str | None = None


class EmulatorState:
    """Everything the emulated Telegram knows, for one bot.

    Args:
        bot: The bot's own user (``is_bot=True``).
    """

    def __init__(self, bot: SimUser) -> None:
        self.bot = bot
        self.users: dict[int, SimUser] = {}
        self.chats: dict[int, Chat] = {}
        self.files: dict[str, StoredFile] = {}
        self.files_by_path: dict[str, StoredFile] = {}
        self.callbacks: dict[str, CallbackRecord] = {}
        self.commands: dict[tuple[tuple[Any, ...], str], list[dict[str, str]]] = {}
        self.updates: deque[dict[str, Any]] = deque()
        self.allowed_updates: frozenset[str] = DEFAULT_UPDATE_TYPES
        self.webhook: Webhook | None = None
        self.seq = 0  #: global change counter; chat.version holds the last value touching it
        self.clock: Callable[[], float] = time.time
        """Telegram's clock (Unix seconds) for message dates; the demo lives on its own date."""
        self.closing = False
        self.updates_signal = Signal()
        self.changes_signal = Signal()
        self._update_ids = itertools.count(1)
        self._user_ids = itertools.count(100_000_001)
        self._group_ids = itertools.count(1)
        self._file_ids = itertools.count(1)
        self._callback_ids = itertools.count(1)

    def now(self) -> int:
        """Unix time in whole seconds by ``clock``: the date of a message or an edit."""
        return int(self.clock())

    # ----------------------------------------------------------------- users and chats

    def create_user(
        self,
        first_name: str,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "en",
        user_id: int | None = None,
    ) -> SimUser:
        """Registers a user and their private chat with the bot (chat id = user id)."""
        uid = user_id if user_id is not None else next(self._user_ids)
        while user_id is None and uid in self.users:
            uid = next(self._user_ids)
        user = SimUser(uid, first_name, last_name, username, language_code)
        self.users[uid] = user
        self.chats[uid] = Chat(id=uid, type="private", user=user)
        self.touch(self.chats[uid])
        return user

    def create_group(self, title: str, members: list[SimUser]) -> Chat:
        """Creates a group chat containing the bot and ``members``."""
        chat_id = -(5_000_000_000 + next(self._group_ids))
        chat = Chat(id=chat_id, type="group", title=title, member_ids=[m.id for m in members])
        self.chats[chat_id] = chat
        self.touch(chat)
        return chat

    def find_chat(self, chat_id: int | str) -> Chat | None:
        """The chat with this id, or ``@username`` of a user, or ``None``."""
        if isinstance(chat_id, str):
            name = chat_id.removeprefix("@")
            return next((self.chats[u.id] for u in self.users.values() if u.username == name), None)
        return self.chats.get(chat_id)

    # ----------------------------------------------------------------------- messages

    def add_message(self, chat: Chat, sender: SimUser, **content: Any) -> StoredMessage:
        """Appends a message to ``chat`` (ids are per chat, like Telegram's private chats)."""
        message = StoredMessage(chat=chat, message_id=chat.next_message_id, sender=sender, date=self.now(), **content)
        chat.next_message_id += 1
        chat.messages[message.message_id] = message
        chat.log.append(message)
        if sender.is_bot:
            self.bot_event(message)
        else:
            self.touch(chat)
        return message

    def bot_event(self, message: StoredMessage) -> None:
        """Records that the bot sent or edited ``message`` (what ``wait_for`` looks at)."""
        self.touch(message.chat)
        message.chat.bot_events.append((self.seq, message))

    def add_callback(self, user: SimUser, message: StoredMessage, data: str, text: str) -> CallbackRecord:
        """Records an inline-button press (its Update is pushed by the caller)."""
        query_id = f"{secrets.randbits(40)}{next(self._callback_ids):06d}"
        record = CallbackRecord(query_id, user, message, data, text)
        self.callbacks[query_id] = record
        message.chat.log.append(record)
        self.touch(message.chat)
        return record

    def store_file(
        self,
        kind: str,
        data: bytes,
        file_name: str | None = None,
        mime_type: str | None = None,
        size: tuple[int, int] = (0, 0),
    ) -> StoredFile:
        """Stores uploaded bytes under a fresh ``file_id``."""
        n = next(self._file_ids)
        suffix = secrets.token_urlsafe(12)
        ext = (
            (file_name or "").rpartition(".")[2]
            if file_name and "." in file_name
            else "jpg"
            if kind == "photo"
            else "bin"
        )
        stored = StoredFile(
            file_id=f"{FILE_ID_PREFIX[kind]}{n:06d}{suffix}",
            file_unique_id=f"AgAD{n:06d}",
            kind=kind,
            data=data,
            file_path=f"{FILE_DIR[kind]}/file_{n}.{ext}",
            file_name=file_name,
            mime_type=mime_type,
            width=size[0],
            height=size[1],
        )
        self.files[stored.file_id] = stored
        self.files_by_path[stored.file_path] = stored
        return stored

    def file_by_path(self, path: str) -> StoredFile | None:
        """The stored file whose ``file_path`` is ``path``."""
        return self.files_by_path.get(path)

    # ------------------------------------------------------------------------ updates

    def push_update(self, kind: str, payload: dict[str, Any]) -> None:
        """Queues an Update of type ``kind`` (unless filtered by ``allowed_updates``)."""
        if kind not in self.allowed_updates:
            return
        self.updates.append({"update_id": next(self._update_ids), kind: payload})
        self.updates_signal.notify()

    def set_allowed_updates(self, allowed: list[str] | None) -> None:
        """Applies an ``allowed_updates`` list (None keeps the previous setting)."""
        if allowed is not None:
            self.allowed_updates = frozenset(allowed) if allowed else DEFAULT_UPDATE_TYPES

    def confirm_updates(self, offset: int) -> None:
        """Forgets updates below ``offset`` (or all but the last ``-offset`` ones)."""
        if offset < 0:
            while len(self.updates) > -offset:
                self.updates.popleft()
        else:
            while self.updates and self.updates[0]["update_id"] < offset:
                self.updates.popleft()

    def drop_pending_updates(self) -> None:
        """Forgets every queued update."""
        self.updates.clear()

    async def wait_updates(self, offset: int | None, limit: int, timeout: float) -> list[dict[str, Any]]:
        """``getUpdates``: confirms by ``offset`` then long-polls up to ``timeout`` seconds.

        Returns at once when updates are queued, when one arrives, or when the server
        shuts down (with whatever is queued, possibly nothing).
        """
        if offset:
            self.confirm_updates(offset)
        deadline = time.monotonic() + timeout
        while not self.updates and not self.closing:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            await self.updates_signal.wait(remaining)
        return list(itertools.islice(self.updates, max(1, min(limit, 100))))

    # ------------------------------------------------------------------------ changes

    def touch(self, chat: Chat) -> None:
        """Marks ``chat`` as changed and wakes transcript watchers."""
        self.seq += 1
        chat.version = self.seq
        self.changes_signal.notify()

    async def wait_changed(self, since: int, timeout: float, chat: Chat | None = None) -> int:
        """Waits until ``chat`` (or any chat) changes after sequence ``since``.

        Returns:
            The current sequence number (equal to ``since`` on timeout).
        """
        deadline = time.monotonic() + timeout

        def version() -> int:
            return chat.version if chat is not None else self.seq

        while version() <= since and not self.closing:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            await self.changes_signal.wait(remaining)
        return version()

    def close(self) -> None:
        """Releases every waiter (server shutdown)."""
        self.closing = True
        self.updates_signal.notify()
        self.changes_signal.notify()
