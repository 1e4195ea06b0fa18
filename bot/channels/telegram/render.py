"""The core's notices (``bot.edge``) as Bot API calls: a method and its parameters.

A message is ``sendMessage`` in HTML (the markup the templates are written in) without link
previews, its buttons an inline keyboard whose ``callback_data`` is each action's data; a
notice with a file is ``sendDocument`` or ``sendPhoto`` by Telegram's file id (a file received
on another messenger, or kept by the bot, is uploaded: ``bot.channels.files``), its text the
caption; a change is ``editMessageText`` (new text) or ``editMessageReplyMarkup`` (new buttons,
or none) of the message the earlier notice became; a menu is ``setMyCommands`` for that chat
only. A row queued before notices existed is its Bot API call already, sent as it is.
"""

from __future__ import annotations

from typing import Any

from telegram import InputFile

from bot.edge import TELEGRAM, Buttons, Change, Download, File, Menu, Notice, Outgoing

Call = tuple[str, dict[str, Any]]
"""A Bot API method and its parameters."""

SCOPED_METHODS = frozenset({"setMyCommands", "deleteMyCommands"})
"""Methods addressed by a scope, not a chat_id."""


def chat_of(address: str) -> int:
    """The chat id of an outbox address (the archive's queue: 0)."""
    try:
        return int(address)
    except ValueError:
        return 0


def keyboard(buttons: Buttons) -> dict[str, Any]:
    """An inline keyboard: each button's label and its action's data."""
    return {"inline_keyboard": [[{"text": b.label, "callback_data": b.offer.data} for b in row] for row in buttons]}


def message(text: str, buttons: Buttons = ()) -> dict[str, Any]:
    """sendMessage parameters of an HTML text with buttons."""
    payload: dict[str, Any] = {"text": text, "parse_mode": "HTML", "link_preview_options": {"is_disabled": True}}
    if buttons:
        payload["reply_markup"] = keyboard(buttons)
    return payload


def file_call(file: File, caption: str, data: bytes | None = None) -> Call:
    """sendPhoto or sendDocument of a file received earlier: by its Telegram file id, or its
    bytes ``data`` uploaded (a file from another messenger, or one the bot keeps)."""
    field = "photo" if file.photo else "document"
    value: str | InputFile
    if data is not None:
        value = InputFile(data, filename=file.name or None)
    elif file.channel == TELEGRAM and file.received:
        value = file.received
    else:
        raise ValueError(f"not a file received on Telegram, and its bytes are not at hand: {file.name or file.kept}")
    payload: dict[str, Any] = {field: value}
    if caption:
        payload["caption"] = caption
    return ("sendPhoto" if file.photo else "sendDocument"), payload


def call(
    item: Outgoing | None, kind: str, values: dict[str, Any], chat_id: int, delivered: int | None = None,
    data: bytes | None = None,
) -> Call:
    """The Bot API call that delivers ``item`` to ``chat_id``. A change needs ``delivered``,
    the message id its notice became; ``ValueError`` when it has none (it never arrived). A
    notice's file from elsewhere goes as its bytes, ``data``."""
    if isinstance(item, Notice):
        if item.files:
            return file_call(item.files[0], item.text, data)
        return "sendMessage", message(item.text, item.buttons)
    if isinstance(item, Change):
        if delivered is None:
            raise ValueError(f"notice {item.notice_id} was not delivered")
        if item.text is not None:
            edit = {"message_id": delivered, **message(item.text, item.buttons or ())}
            if item.buttons is not None and "reply_markup" not in edit:
                edit["reply_markup"] = keyboard(())
            return "editMessageText", edit
        return "editMessageReplyMarkup", {"message_id": delivered, "reply_markup": keyboard(item.buttons or ())}
    if isinstance(item, Menu):
        commands = [{"command": c.command, "description": c.description} for c in item.commands]
        return "setMyCommands", {"commands": commands, "scope": {"type": "chat", "chat_id": chat_id}}
    if isinstance(item, Download):
        raise ValueError("a download is no message")
    return kind, dict(values)  # queued before notices: its Bot API call already
