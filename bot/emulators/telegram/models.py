"""The emulator's records (users, chats, messages, files, callback queries).

Each record renders itself as the Bot API object Telegram would send (``to_api``) and as
the control API's transcript JSON (``to_transcript``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any


def now() -> int:
    """Unix time in whole seconds, the unit of every Bot API date."""
    return int(time.time())


@dataclass(slots=True)
class SimUser:
    """A Telegram user (a simulated person, or the bot itself with ``is_bot=True``)."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    is_bot: bool = False
    blocked: bool = False  #: the user has blocked the bot

    def to_api(self) -> dict[str, Any]:
        """The ``User`` object."""
        data: dict[str, Any] = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            value = getattr(self, key)
            if value is not None:
                data[key] = value
        return data

    @property
    def display_name(self) -> str:
        """First and last name, as a chat list shows it."""
        return " ".join(p for p in (self.first_name, self.last_name) if p)


@dataclass(slots=True)
class StoredFile:
    """An uploaded file, retrievable with getFile and the file download route."""

    file_id: str
    file_unique_id: str
    kind: str  #: "document", "photo" or "sticker"
    data: bytes
    file_path: str
    file_name: str | None = None
    mime_type: str | None = None
    width: int = 0
    height: int = 0

    def to_api(self) -> dict[str, Any]:
        """The ``Document`` / ``PhotoSize`` / ``Sticker`` body for this file."""
        data: dict[str, Any] = {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.data),
        }
        if self.kind == "document":
            data.update({k: v for k, v in (("file_name", self.file_name), ("mime_type", self.mime_type)) if v})
        else:
            data.update(width=self.width, height=self.height)
        return data

    def to_file(self) -> dict[str, Any]:
        """The ``File`` object getFile returns."""
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.data),
            "file_path": self.file_path,
        }


@dataclass(slots=True, eq=False)
class Chat:
    """A private chat (id = user id) or a group, with its full message history."""

    id: int
    type: str  #: "private", "group" or "supergroup"
    title: str | None = None
    user: SimUser | None = None  #: the other party of a private chat
    member_ids: list[int] = field(default_factory=list)
    messages: dict[int, StoredMessage] = field(default_factory=dict)
    log: list[StoredMessage | CallbackRecord] = field(default_factory=list)
    bot_events: list[tuple[int, StoredMessage]] = field(default_factory=list)
    next_message_id: int = 1
    version: int = 0  #: state sequence number of the last change

    def to_api(self) -> dict[str, Any]:
        """The ``Chat`` object embedded in messages."""
        data: dict[str, Any] = {"id": self.id, "type": self.type}
        if self.user is not None:
            data.update({k: v for k, v in self.user.to_api().items() if k in ("first_name", "last_name", "username")})
        if self.title:
            data["title"] = self.title
        return data


@dataclass(slots=True, eq=False)
class StoredMessage:
    """One message in a chat, as it currently is (edits applied, ``deleted`` flag)."""

    chat: Chat
    message_id: int
    sender: SimUser
    date: int
    text: str | None = None
    entities: list[dict[str, Any]] = field(default_factory=list)
    caption: str | None = None
    caption_entities: list[dict[str, Any]] = field(default_factory=list)
    reply_markup: dict[str, Any] | None = None
    reply_to: StoredMessage | None = None
    document: StoredFile | None = None
    photo: StoredFile | None = None
    sticker: StoredFile | None = None
    sticker_emoji: str | None = None
    edit_date: int | None = None
    deleted: bool = False

    @property
    def from_bot(self) -> bool:
        """Whether the bot sent this message."""
        return self.sender.is_bot

    @property
    def edited(self) -> bool:
        """Whether the message was edited after it was sent."""
        return self.edit_date is not None

    @property
    def content(self) -> str:
        """The text or caption ("" if neither)."""
        return self.text if self.text is not None else self.caption or ""

    @property
    def inline_keyboard(self) -> list[list[dict[str, Any]]]:
        """Rows of the inline keyboard attached to the message (empty if none)."""
        return (self.reply_markup or {}).get("inline_keyboard") or []

    def find_button(self, label: str) -> dict[str, Any] | None:
        """The inline button whose text or callback_data is ``label``."""
        for row in self.inline_keyboard:
            for button in row:
                if label in (button.get("text"), button.get("callback_data")):
                    return button
        return None

    def to_api(self, *, with_reply: bool = True) -> dict[str, Any]:
        """The ``Message`` object as the Bot API sends it."""
        data: dict[str, Any] = {
            "message_id": self.message_id,
            "from": self.sender.to_api(),
            "chat": self.chat.to_api(),
            "date": self.date,
        }
        if self.edit_date is not None:
            data["edit_date"] = self.edit_date
        if with_reply and self.reply_to is not None:
            data["reply_to_message"] = self.reply_to.to_api(with_reply=False)
        if self.text is not None:
            data["text"] = self.text
            if self.entities:
                data["entities"] = self.entities
        if self.document is not None:
            data["document"] = self.document.to_api()
        if self.photo is not None:
            data["photo"] = [self.photo.to_api()]
        if self.sticker is not None:
            data["sticker"] = {
                **self.sticker.to_api(),
                "type": "regular",
                "is_animated": False,
                "is_video": False,
                "emoji": self.sticker_emoji or "",
            }
        if self.caption is not None:
            data["caption"] = self.caption
            if self.caption_entities:
                data["caption_entities"] = self.caption_entities
        if self.inline_keyboard:
            data["reply_markup"] = {"inline_keyboard": self.inline_keyboard}
        return data

    def to_transcript(self) -> dict[str, Any]:
        """The control API's view: content, keyboard and flags, with no Telegram nesting."""
        files = [f for f in (self.document, self.photo, self.sticker) if f is not None]
        return {
            "kind": "message",
            "message_id": self.message_id,
            "from_bot": self.from_bot,
            "from": self.sender.to_api(),
            "date": self.date,
            "text": self.text,
            "entities": self.entities,
            "caption": self.caption,
            "caption_entities": self.caption_entities,
            "reply_to_message_id": self.reply_to.message_id if self.reply_to else None,
            "reply_markup": self.reply_markup,
            "inline_keyboard": self.inline_keyboard,
            "files": [
                {"kind": f.kind, "file_id": f.file_id, "file_name": f.file_name, "size": len(f.data)} for f in files
            ],
            "sticker_emoji": self.sticker_emoji,
            "edited": self.edited,
            "deleted": self.deleted,
        }


@dataclass(slots=True, eq=False)
class CallbackRecord:
    """A press of an inline button and the bot's answerCallbackQuery, if any."""

    id: str
    user: SimUser
    message: StoredMessage
    data: str
    button_text: str
    answered: bool = False
    answer_text: str | None = None
    show_alert: bool = False

    def to_api(self) -> dict[str, Any]:
        """The ``CallbackQuery`` object."""
        return {
            "id": self.id,
            "from": self.user.to_api(),
            "message": self.message.to_api(),
            "chat_instance": str(self.message.chat.id),
            "data": self.data,
        }

    def to_transcript(self) -> dict[str, Any]:
        """The control API's view of the press and its answer."""
        return {
            "kind": "callback",
            "id": self.id,
            "from": self.user.to_api(),
            "message_id": self.message.message_id,
            "button_text": self.button_text,
            "data": self.data,
            "answered": self.answered,
            "answer_text": self.answer_text,
            "show_alert": self.show_alert,
        }


@dataclass(slots=True, frozen=True)
class Upload:
    """A file part of a multipart Bot API request."""

    filename: str | None
    content_type: str | None
    data: bytes
