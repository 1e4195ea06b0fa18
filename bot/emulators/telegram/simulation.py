"""What simulated people do: send messages, files and stickers, edit, press buttons.

Each action stores the message in the chat's transcript and pushes the matching Update
(``message``, ``edited_message`` or ``callback_query``) to the bot. Both the Python client
(:mod:`bot.emulators.telegram.client`) and the HTTP control API (:mod:`bot.emulators.telegram.control`) call
these functions, so the two behave identically.
"""

from __future__ import annotations

import re
from typing import Any

from bot.emulators.telegram.html_entities import utf16_len
from bot.emulators.telegram.media import image_size
from bot.emulators.telegram.models import CallbackRecord, Chat, SimUser, StoredMessage
from bot.emulators.telegram.state import EmulatorState

_COMMAND_RE = re.compile(r"(?<![\w/])/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?")


class SimulationError(ValueError):
    """A user action that real Telegram would not allow (e.g. no such button)."""


def command_entities(text: str) -> list[dict[str, Any]]:
    """``bot_command`` entities for every ``/command`` in ``text`` (UTF-16 offsets)."""
    return [
        {"type": "bot_command", "offset": utf16_len(text[: m.start()]), "length": utf16_len(m.group())}
        for m in _COMMAND_RE.finditer(text)
    ]


def _check_member(user: SimUser, chat: Chat) -> None:
    """Raises unless ``user`` may write in ``chat``."""
    if chat.type == "private" and chat.id != user.id or chat.type != "private" and user.id not in chat.member_ids:
        raise SimulationError(f"user {user.id} is not a member of chat {chat.id}")


def _deliver(state: EmulatorState, message: StoredMessage) -> StoredMessage:
    """Pushes the ``message`` Update for a freshly sent user message."""
    state.push_update("message", message.to_api())
    return message


def send_text(
    state: EmulatorState, user: SimUser, chat: Chat, text: str, reply_to: StoredMessage | None = None
) -> StoredMessage:
    """Sends a text message (commands get ``bot_command`` entities)."""
    _check_member(user, chat)
    if not text.strip():
        raise SimulationError("message text is empty")
    message = state.add_message(chat, user, text=text, entities=command_entities(text), reply_to=reply_to)
    return _deliver(state, message)


def send_file(
    state: EmulatorState,
    user: SimUser,
    chat: Chat,
    kind: str,
    data: bytes,
    *,
    file_name: str | None = None,
    mime_type: str | None = None,
    caption: str | None = None,
    reply_to: StoredMessage | None = None,
) -> StoredMessage:
    """Sends a document or photo; the bytes become downloadable through getFile."""
    _check_member(user, chat)
    if kind not in ("document", "photo"):
        raise SimulationError(f"unsupported file kind {kind!r}")
    size = image_size(data) if kind == "photo" else (0, 0)
    stored = state.store_file(kind, data, file_name, mime_type, size)
    message = state.add_message(
        chat,
        user,
        caption=caption,
        caption_entities=command_entities(caption or ""),
        reply_to=reply_to,
        **{kind: stored},
    )
    return _deliver(state, message)


def send_sticker(state: EmulatorState, user: SimUser, chat: Chat, emoji: str = "👍") -> StoredMessage:
    """Sends a (blank 512×512) sticker carrying ``emoji``."""
    _check_member(user, chat)
    stored = state.store_file("sticker", b"RIFF\x00\x00\x00\x00WEBP", "sticker.webp", "image/webp", (512, 512))
    return _deliver(state, state.add_message(chat, user, sticker=stored, sticker_emoji=emoji))


def edit_text(state: EmulatorState, user: SimUser, message: StoredMessage, text: str) -> StoredMessage:
    """Edits one of the user's own text messages (an ``edited_message`` Update)."""
    if message.sender is not user or message.text is None:
        raise SimulationError("users can only edit their own text messages")
    message.text, message.entities, message.edit_date = text, command_entities(text), state.now()
    state.touch(message.chat)
    state.push_update("edited_message", message.to_api())
    return message


def find_button_message(chat: Chat, label: str) -> StoredMessage:
    """The latest live bot message in ``chat`` with an inline button labelled ``label``."""
    for message in reversed(chat.log):
        if not isinstance(message, StoredMessage) or not message.from_bot or message.deleted:
            continue
        if message.find_button(label):
            return message
    raise SimulationError(f"no message in chat {chat.id} has a button {label!r}")


def press(
    state: EmulatorState, user: SimUser, chat: Chat, label: str, message: StoredMessage | None = None
) -> CallbackRecord:
    """Presses the inline button whose text or callback_data is ``label``.

    Args:
        state: The emulator state.
        user: Who presses.
        chat: The chat the keyboard is in.
        label: Button text or callback_data.
        message: The message carrying the keyboard; default: the latest one that has it.

    Returns:
        The press record; ``answered`` / ``answer_text`` fill in when the bot answers.
    """
    _check_member(user, chat)
    target = message or find_button_message(chat, label)
    button = target.find_button(label)
    if button is None or target.deleted:
        raise SimulationError(f"message {target.message_id} has no button {label!r}")
    if "callback_data" not in button:
        raise SimulationError(f"button {label!r} is not a callback button")
    record = state.add_callback(user, target, button["callback_data"], button["text"])
    state.push_update("callback_query", record.to_api())
    return record
