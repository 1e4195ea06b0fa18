"""Renders a chat's history for people (test failures) and for the control API (JSON)."""

from __future__ import annotations

from typing import Any

from bot.emulators.telegram.models import CallbackRecord, Chat, StoredMessage


def transcript_json(chat: Chat) -> dict[str, Any]:
    """The control API's transcript: chat info, version and every entry in order."""
    return {
        "chat": chat.to_api(),
        "version": chat.version,
        "entries": [entry.to_transcript() for entry in chat.log],
    }


def transcript_text(chat: Chat) -> str:
    """A readable transcript, one entry per line, keyboards shown under their message."""
    lines = [f"--- transcript of chat {chat.id} ({chat.type}) ---"]
    for entry in chat.log:
        lines.extend(_render_press(entry) if isinstance(entry, CallbackRecord) else _render_message(entry))
    if len(lines) == 1:
        lines.append("(no messages)")
    return "\n".join(lines)


def _render_message(message: StoredMessage) -> list[str]:
    """Lines for one message."""
    who = "bot" if message.from_bot else message.sender.display_name
    flags = "".join(f" ({flag})" for flag, on in (("edited", message.edited), ("deleted", message.deleted)) if on)
    reply = f" (reply to #{message.reply_to.message_id})" if message.reply_to is not None else ""
    head = f"[#{message.message_id}] {who}{reply}{flags}:"
    body: list[str] = []
    for stored in (message.document, message.photo):
        if stored is not None:
            body.append(f"<{stored.kind} {stored.file_name or stored.file_id} {len(stored.data)} bytes>")
    if message.sticker is not None:
        body.append(f"<sticker {message.sticker_emoji}>")
    if message.content:
        body.append(message.content)
    lines = [f"{head} {' '.join(body)}".replace("\n", "\n    ")]
    for row in message.inline_keyboard:
        lines.append("    " + " ".join(f"[{b.get('text')}]" for b in row))
    markup = message.reply_markup or {}
    if markup.get("force_reply"):
        lines.append("    (force reply)")
    return lines


def _render_press(record: CallbackRecord) -> list[str]:
    """Line for a button press and the bot's answer."""
    answer = "not answered"
    if record.answered:
        answer = "alert" if record.show_alert else "answered"
        answer += f": {record.answer_text!r}" if record.answer_text else " (no text)"
    return [
        f"    -> {record.user.display_name} pressed [{record.button_text}] on #{record.message.message_id}, {answer}"
    ]
