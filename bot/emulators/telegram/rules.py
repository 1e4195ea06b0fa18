"""Telegram's limits, each one switchable on :class:`Rules`.

``server.rules.rate_limits = False`` (or ``Rules(rate_limits=False)`` at start) turns a
check off; the numeric limits are plain fields too, so a test can shrink a window.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from typing import Any

from bot.emulators.telegram import errors
from bot.emulators.telegram.errors import ApiError, bad_request


@dataclass(slots=True)
class Rules:
    """Which of Telegram's rules the emulator enforces, and their limits.

    Attributes:
        validate_spec: Check method names and required parameters against the spec.
        text_length: Message text must be 1..``max_text_length`` characters after entity
            parsing, captions at most ``max_caption_length``.
        html_parsing: Malformed ``parse_mode=HTML`` is rejected ("can't parse entities").
        callback_data: Inline button ``callback_data`` must be 1..64 bytes.
        not_modified: Editing a message to identical content is rejected.
        rate_limits: Flood control: one message per ``per_chat_interval`` seconds per chat
            and ``global_per_second`` messages per second overall.
        blocked_users: Messages to a user who blocked the bot fail with 403.
        unknown_chats: Messages to a chat the emulator does not know fail with
            "chat not found" (off: such a chat is created on the fly as a private chat).
        file_sizes: Uploads are limited to ``max_document_bytes`` / ``max_photo_bytes``.
    """

    validate_spec: bool = True
    text_length: bool = True
    html_parsing: bool = True
    callback_data: bool = True
    not_modified: bool = True
    rate_limits: bool = True
    blocked_users: bool = True
    unknown_chats: bool = True
    file_sizes: bool = True
    max_text_length: int = 4096
    max_caption_length: int = 1024
    max_callback_data_bytes: int = 64
    per_chat_interval: float = 1.0
    global_per_second: int = 30
    max_document_bytes: int = 50 * 1024 * 1024
    max_photo_bytes: int = 10 * 1024 * 1024

    def to_json(self) -> dict[str, Any]:
        """The rules as a JSON object (control API)."""
        return asdict(self)

    def update(self, changes: dict[str, Any]) -> None:
        """Sets the named fields; unknown names raise ``KeyError``."""
        known = {f.name: f.type for f in fields(self)}
        for name, value in changes.items():
            if name not in known:
                raise KeyError(name)
            setattr(self, name, value)

    def check_text(self, text: str, *, caption: bool = False) -> None:
        """Checks a parsed message text (or caption) against the length limits.

        Raises:
            ApiError: "message text is empty", "message is too long" or
                "message caption is too long".
        """
        if not caption and not text.strip():
            raise bad_request(errors.TEXT_EMPTY)
        if not self.text_length:
            return
        limit = self.max_caption_length if caption else self.max_text_length
        if len(text) > limit:
            raise bad_request(errors.CAPTION_TOO_LONG if caption else errors.TEXT_TOO_LONG)

    def check_reply_markup(self, markup: Any) -> None:
        """Checks inline keyboard buttons' ``callback_data`` sizes.

        Raises:
            ApiError: "BUTTON_DATA_INVALID".
        """
        if not self.callback_data or not isinstance(markup, dict):
            return
        for row in markup.get("inline_keyboard") or []:
            for button in row:
                data = button.get("callback_data")
                if data is None:
                    continue
                size = len(str(data).encode("utf-8"))
                if not 1 <= size <= self.max_callback_data_bytes:
                    raise bad_request(errors.BUTTON_DATA_INVALID)

    def check_file_size(self, size: int, *, photo: bool) -> None:
        """Checks an upload's size.

        Raises:
            ApiError: 400 "file is too big" (Telegram's answer is 413 for the raw request;
                PTB surfaces both as an error, the 400 keeps it a BadRequest).
        """
        limit = self.max_photo_bytes if photo else self.max_document_bytes
        if self.file_sizes and size > limit:
            raise bad_request(errors.FILE_TOO_BIG)


class FloodControl:
    """Per-chat and global send-rate limits, answered with 429 ``retry_after``.

    Args:
        rules: The live rules (read on every call, so switching them takes effect at once).
        clock: Monotonic clock in seconds; injectable for tests.
    """

    def __init__(self, rules: Rules, clock: Callable[[], float] = time.monotonic) -> None:
        self._rules = rules
        self._clock = clock
        self._last_by_chat: dict[int, float] = {}
        self._recent: deque[float] = deque()
        self.refused = 0
        """How many 429s it has answered: what a test or a benchmark of pacing looks at."""

    def check(self, chat_id: int) -> None:
        """Records a message to ``chat_id`` or raises if it would exceed a limit.

        Raises:
            ApiError: 429 "Too Many Requests: retry after N".
        """
        if not self._rules.rate_limits:
            return
        now = self._clock()
        last = self._last_by_chat.get(chat_id)
        interval = self._rules.per_chat_interval
        if last is not None and now - last < interval:
            self.refused += 1
            raise _retry(interval - (now - last))
        while self._recent and now - self._recent[0] >= 1.0:
            self._recent.popleft()
        if len(self._recent) >= self._rules.global_per_second:
            self.refused += 1
            raise _retry(1.0 - (now - self._recent[0]))
        self._last_by_chat[chat_id] = now
        self._recent.append(now)


def _retry(seconds: float) -> ApiError:
    """A 429 with ``retry_after`` rounded up to whole seconds (at least 1)."""
    return errors.too_many_requests(max(1, math.ceil(seconds)))
