"""The Bot API methods the emulator implements (the bot's side of the conversation).

Each handler takes the request's decoded parameters and returns the ``result`` value,
or raises :class:`~bot.emulators.telegram.errors.ApiError` with Telegram's wording. Handlers are
registered by name in :data:`HANDLERS` (lower-cased, since Telegram matches method names
case-insensitively). Methods PTB calls that need no behaviour are in :data:`TRIVIAL`.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from bot.emulators.telegram import errors
from bot.emulators.telegram.errors import ApiError, bad_request, forbidden
from bot.emulators.telegram.html_entities import HtmlParseError, parse_html
from bot.emulators.telegram.media import image_size
from bot.emulators.telegram.models import Chat, StoredFile, StoredMessage, Upload
from bot.emulators.telegram.rules import FloodControl, Rules
from bot.emulators.telegram.state import EmulatorState, Webhook

Handler = Callable[["BotMethods", dict[str, Any]], Awaitable[Any]]
HANDLERS: dict[str, Handler] = {}

#: Methods answered with a constant result.
TRIVIAL: dict[str, Any] = {
    "logout": True,
    "close": True,
    "setmydescription": True,
    "setmyshortdescription": True,
    "setmyname": True,
    "setchatmenubutton": True,
    "getchatmenubutton": {"type": "commands"},
    "getmydescription": {"description": ""},
    "getmyshortdescription": {"short_description": ""},
}

_COMMAND_NAME_RE = re.compile(r"^[a-z0-9_]{1,32}$")
_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


def api(name: str) -> Callable[[Handler], Handler]:
    """Registers a handler for the Bot API method ``name``."""

    def register(handler: Handler) -> Handler:
        HANDLERS[name.lower()] = handler
        return handler

    return register


def implemented(name: str) -> bool:
    """Whether the emulator answers the method ``name`` (any letter case)."""
    return name.lower() in HANDLERS or name.lower() in TRIVIAL


async def call(methods: BotMethods, name: str, params: dict[str, Any]) -> Any:
    """Runs the handler for ``name`` (which must be :func:`implemented`)."""
    key = name.lower()
    if key in TRIVIAL:
        return TRIVIAL[key]
    return await HANDLERS[key](methods, params)


class BotMethods:
    """Shared helpers for the handlers: chat lookup, text formatting, rule checks.

    Args:
        state: The emulator state.
        rules: The live rules.
        flood: Flood control for outgoing messages.
        webhook_changed: Called after setWebhook / deleteWebhook so delivery restarts.
    """

    def __init__(
        self, state: EmulatorState, rules: Rules, flood: FloodControl, webhook_changed: Callable[[], None]
    ) -> None:
        self.state = state
        self.rules = rules
        self.flood = flood
        self.webhook_changed = webhook_changed

    def chat(self, chat_id: Any) -> Chat:
        """The target chat of a send; 400 if unknown, 403 if the user blocked the bot."""
        if chat_id is None:
            raise bad_request("chat_id is empty")
        chat = self.state.find_chat(chat_id)
        if chat is None and not self.rules.unknown_chats and isinstance(chat_id, int) and chat_id > 0:
            self.state.create_user(f"User {chat_id}", user_id=chat_id)
            chat = self.state.chats[chat_id]
        if chat is None:
            raise bad_request(errors.CHAT_NOT_FOUND)
        if chat.user is not None and chat.user.blocked and self.rules.blocked_users:
            raise forbidden(errors.BLOCKED)
        return chat

    def message(self, params: dict[str, Any], not_found: str) -> StoredMessage:
        """The live message addressed by ``chat_id`` + ``message_id``."""
        if params.get("inline_message_id"):
            raise bad_request("inline messages are not supported by the emulator")
        chat = self.chat(params.get("chat_id"))
        if "message_id" not in params:
            raise bad_request("message identifier is not specified")
        message = chat.messages.get(int(params["message_id"]))
        if message is None or message.deleted:
            raise bad_request(not_found)
        return message

    def formatted(
        self, text: str, params: dict[str, Any], *, caption: bool = False
    ) -> tuple[str, list[dict[str, Any]]]:
        """Applies ``parse_mode`` (HTML only) and the length rules to a text or caption."""
        mode = (params.get("parse_mode") or "").lower()
        entities: list[dict[str, Any]] = params.get("caption_entities" if caption else "entities") or []
        if mode == "html":
            try:
                text, entities = parse_html(text)
            except HtmlParseError as exc:
                if self.rules.html_parsing:
                    raise bad_request(f"can't parse entities: {exc}") from None
        elif mode in ("markdown", "markdownv2"):
            pass  # kept verbatim: the emulator does not parse Markdown
        elif mode:
            raise bad_request("unsupported parse_mode")
        self.rules.check_text(text, caption=caption)
        return text, entities

    def reply_markup(self, params: dict[str, Any]) -> dict[str, Any] | None:
        """The request's reply_markup, checked against the button rules."""
        markup = params.get("reply_markup")
        if markup is not None and not isinstance(markup, dict):
            raise bad_request("can't parse reply keyboard markup JSON object")
        self.rules.check_reply_markup(markup)
        return markup

    def reply_to(self, chat: Chat, params: dict[str, Any]) -> StoredMessage | None:
        """The replied-to message from ``reply_parameters`` or legacy ``reply_to_message_id``."""
        reply = params.get("reply_parameters")
        if reply is None and params.get("reply_to_message_id"):
            reply = {"message_id": params["reply_to_message_id"]}
        if not reply:
            return None
        target = chat.messages.get(int(reply.get("message_id", 0)))
        if target is None or target.deleted:
            if reply.get("allow_sending_without_reply"):
                return None
            raise bad_request("message to be replied not found")
        return target

    def send(self, chat: Chat, params: dict[str, Any], **content: Any) -> dict[str, Any]:
        """Flood-checks and stores an outgoing bot message; returns its Message object."""
        markup = self.reply_markup(params)
        reply_to = self.reply_to(chat, params)
        self.flood.check(chat.id)
        message = self.state.add_message(chat, self.state.bot, reply_markup=markup, reply_to=reply_to, **content)
        return message.to_api()

    def file(self, kind: str, value: Any) -> StoredFile:
        """Stores an uploaded file, or finds a file sent before by its file_id."""
        if isinstance(value, Upload):
            self.rules.check_file_size(len(value.data), photo=kind == "photo")
            size = image_size(value.data) if kind == "photo" else (0, 0)
            return self.state.store_file(kind, value.data, value.filename, value.content_type, size)
        stored = self.state.files.get(str(value))
        if stored is None:
            raise bad_request(errors.WRONG_FILE_ID)
        return stored

    def scope_key(self, params: dict[str, Any]) -> tuple[tuple[Any, ...], str]:
        """The (scope, language_code) key of a command list."""
        scope = params.get("scope") or {"type": "default"}
        kind = scope.get("type", "default")
        key: tuple[Any, ...] = (kind,)
        if kind in ("chat", "chat_administrators", "chat_member"):
            chat = self.state.find_chat(scope.get("chat_id", 0))
            if chat is None:
                raise bad_request(errors.CHAT_NOT_FOUND)
            key = (kind, chat.id, scope.get("user_id")) if kind == "chat_member" else (kind, chat.id)
        return key, params.get("language_code") or ""


def _same_markup(a: dict[str, Any] | None, b: dict[str, Any] | None) -> bool:
    """Whether two reply markups show the same inline keyboard."""
    return ((a or {}).get("inline_keyboard") or []) == ((b or {}).get("inline_keyboard") or [])


# ---------------------------------------------------------------------------- updates


@api("getMe")
async def get_me(m: BotMethods, p: dict[str, Any]) -> Any:
    """The bot's User object with the bot-only capability fields."""
    return {
        **m.state.bot.to_api(),
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


@api("getUpdates")
async def get_updates(m: BotMethods, p: dict[str, Any]) -> Any:
    """Long polling; 409 while a webhook is set."""
    if m.state.webhook is not None:
        raise ApiError(409, errors.WEBHOOK_CONFLICT)
    m.state.set_allowed_updates(p.get("allowed_updates"))
    updates = await m.state.wait_updates(p.get("offset"), p.get("limit") or 100, max(0, p.get("timeout") or 0))
    return updates


@api("setWebhook")
async def set_webhook(m: BotMethods, p: dict[str, Any]) -> Any:
    """Sets (or with an empty url removes) the webhook; updates are then POSTed to it."""
    url = p.get("url", "")
    secret = p.get("secret_token")
    if secret is not None and not _SECRET_RE.match(secret):
        raise bad_request("secret token contains unallowed characters")
    if url and not url.startswith(("http://", "https://")):
        raise bad_request("bad webhook: Webhook URL must be HTTPS unless it's localhost")
    if p.get("drop_pending_updates"):
        m.state.drop_pending_updates()
    m.state.set_allowed_updates(p.get("allowed_updates"))
    m.state.webhook = Webhook(url, secret, int(p.get("max_connections") or 40)) if url else None
    m.webhook_changed()
    return True


@api("deleteWebhook")
async def delete_webhook(m: BotMethods, p: dict[str, Any]) -> Any:
    """Removes the webhook (optionally dropping queued updates)."""
    if p.get("drop_pending_updates"):
        m.state.drop_pending_updates()
    m.state.webhook = None
    m.webhook_changed()
    return True


@api("getWebhookInfo")
async def get_webhook_info(m: BotMethods, p: dict[str, Any]) -> Any:
    """WebhookInfo, with the last delivery error if there was one."""
    hook = m.state.webhook
    info: dict[str, Any] = {
        "url": hook.url if hook else "",
        "has_custom_certificate": False,
        "pending_update_count": len(m.state.updates),
    }
    if hook is not None:
        info["max_connections"] = hook.max_connections
        if hook.last_error_date is not None:
            info.update(last_error_date=hook.last_error_date, last_error_message=hook.last_error_message)
    return info


# --------------------------------------------------------------------------- commands


@api("setMyCommands")
async def set_my_commands(m: BotMethods, p: dict[str, Any]) -> Any:
    """Stores a command list for a scope and language."""
    commands = p.get("commands") or []
    for command in commands:
        if not _COMMAND_NAME_RE.match(str(command.get("command", ""))):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(str(command.get("description", ""))) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
    m.state.commands[m.scope_key(p)] = [{"command": c["command"], "description": c["description"]} for c in commands]
    return True


@api("getMyCommands")
async def get_my_commands(m: BotMethods, p: dict[str, Any]) -> Any:
    """The command list set for exactly this scope and language ([] if none)."""
    return m.state.commands.get(m.scope_key(p), [])


@api("deleteMyCommands")
async def delete_my_commands(m: BotMethods, p: dict[str, Any]) -> Any:
    """Removes the command list of a scope and language."""
    m.state.commands.pop(m.scope_key(p), None)
    return True


# --------------------------------------------------------------------------- messages


@api("sendMessage")
async def send_message(m: BotMethods, p: dict[str, Any]) -> Any:
    """Sends a text message (link_preview_options is accepted and ignored)."""
    chat = m.chat(p.get("chat_id"))
    text, entities = m.formatted(p.get("text", ""), p)
    return m.send(chat, p, text=text, entities=entities)


async def _send_file(m: BotMethods, p: dict[str, Any], kind: str) -> Any:
    """SendDocument / sendPhoto: stores the upload and sends it with its caption."""
    chat = m.chat(p.get("chat_id"))
    caption, caption_entities = m.formatted(p["caption"], p, caption=True) if p.get("caption") else (None, [])
    stored = m.file(kind, p.get(kind))
    return m.send(chat, p, caption=caption, caption_entities=caption_entities, **{kind: stored})


@api("sendDocument")
async def send_document(m: BotMethods, p: dict[str, Any]) -> Any:
    """Sends a general file (up to 50 MB)."""
    return await _send_file(m, p, "document")


@api("sendPhoto")
async def send_photo(m: BotMethods, p: dict[str, Any]) -> Any:
    """Sends a photo (up to 10 MB); the Message carries one PhotoSize."""
    return await _send_file(m, p, "photo")


@api("editMessageText")
async def edit_message_text(m: BotMethods, p: dict[str, Any]) -> Any:
    """Replaces a bot message's text and keyboard (no reply_markup removes the keyboard)."""
    message = m.message(p, errors.MESSAGE_NOT_FOUND)
    if not message.from_bot:
        raise bad_request("message can't be edited")
    if message.text is None:
        raise bad_request("there is no text in the message to edit")
    text, entities = m.formatted(p.get("text", ""), p)
    markup = m.reply_markup(p)
    unchanged = text == message.text and entities == message.entities and _same_markup(markup, message.reply_markup)
    if unchanged and m.rules.not_modified:
        raise bad_request(errors.NOT_MODIFIED)
    message.text, message.entities, message.reply_markup, message.edit_date = text, entities, markup, m.state.now()
    m.state.bot_event(message)
    return message.to_api()


@api("editMessageReplyMarkup")
async def edit_message_reply_markup(m: BotMethods, p: dict[str, Any]) -> Any:
    """Replaces (or without reply_markup removes) a bot message's inline keyboard."""
    message = m.message(p, errors.MESSAGE_NOT_FOUND)
    if not message.from_bot:
        raise bad_request("message can't be edited")
    markup = m.reply_markup(p)
    if _same_markup(markup, message.reply_markup) and m.rules.not_modified:
        raise bad_request(errors.NOT_MODIFIED)
    message.reply_markup = markup
    m.state.bot_event(message)
    return message.to_api()


@api("deleteMessage")
async def delete_message(m: BotMethods, p: dict[str, Any]) -> Any:
    """Marks a message deleted (the transcript keeps it with ``deleted: true``)."""
    message = m.message(p, errors.MESSAGE_TO_DELETE_NOT_FOUND)
    message.deleted = True
    m.state.touch(message.chat)
    return True


@api("answerCallbackQuery")
async def answer_callback_query(m: BotMethods, p: dict[str, Any]) -> Any:
    """Records the answer so the pressing user sees the notice or alert."""
    record = m.state.callbacks.get(str(p.get("callback_query_id")))
    if record is None or record.answered:
        raise bad_request(errors.QUERY_INVALID)
    record.answered, record.answer_text, record.show_alert = True, p.get("text"), bool(p.get("show_alert"))
    m.state.touch(record.message.chat)
    return True


@api("sendChatAction")
async def send_chat_action(m: BotMethods, p: dict[str, Any]) -> Any:
    """Accepts a typing/upload indicator for an existing chat."""
    m.chat(p.get("chat_id"))
    return True


GET_FILE_LIMIT = 20 * 1024 * 1024
"""getFile serves files up to 20 MB; a bigger one is refused ("file is too big")."""


@api("getFile")
async def get_file(m: BotMethods, p: dict[str, Any]) -> Any:
    """The File object; its file_path downloads under ``/file/bot<token>/``."""
    stored = m.state.files.get(str(p.get("file_id")))
    if stored is None:
        raise bad_request(errors.INVALID_FILE_ID)
    if len(stored.data) > GET_FILE_LIMIT:
        raise bad_request(errors.FILE_TOO_BIG)
    return stored.to_file()
