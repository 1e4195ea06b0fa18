"""One pace for every request the bot makes: Telegram's 30 messages a second overall and one
a second per chat, shared by the outbox sender and the handlers' direct replies.

It is PTB's rate-limiter hook, so every Bot API call goes through it. A reply to someone who
just received a slip waits its turn (at most a second) instead of being refused with 429; a
429 that comes anyway pauses that chat only, and the request is tried once more after it.
"""

from __future__ import annotations

import asyncio
import time
import warnings
from collections import deque
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter
from telegram.warnings import PTBDeprecationWarning

NO_RETRY = -1
"""``rate_limit_args`` for a caller that handles a 429 itself (the sender). Not 0: PTB drops a
falsy value before it reaches the limiter."""

PACED = frozenset({
    "sendMessage", "sendDocument", "sendPhoto", "sendMediaGroup", "editMessageText",
    "editMessageReplyMarkup", "editMessageCaption", "deleteMessage", "copyMessage", "forwardMessage",
})
"""Methods that put something into a chat; getUpdates, answerCallbackQuery and the like pass."""


class ChatPacer(BaseRateLimiter[int]):
    """Per-chat and overall pacing of Bot API requests."""

    def __init__(self, per_second: float = 30.0, chat_interval: float = 1.0, retries_after_429: int = 1) -> None:
        self.per_second = per_second
        self.chat_interval = chat_interval
        self.retries_after_429 = retries_after_429
        self._free_at: dict[int, float] = {}
        self._recent: deque[float] = deque()
        """When the answers of the last second's requests came."""
        self._in_flight: dict[object, float] = {}
        """When each request now out was sent."""
        self._lock = asyncio.Lock()

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""

    def ready_in(self, chat_id: int) -> float:
        """Seconds until ``chat_id`` may receive the next message (0 when it may now)."""
        return max(0.0, self._free_at.get(chat_id, 0.0) - time.monotonic())

    def _answered(self, chat_id: int | None, request: object, refused: bool = False) -> None:
        # Telegram counts a message when it arrives, after we send it and before we hear back:
        # both windows run from the answer, so a slow request followed by a quick one never
        # lands closer together than Telegram allows. A request out longer than a second (a
        # hang, a timeout) was counted overall while in flight, and a 429 delivered nothing:
        # neither takes a place in the overall window a second time.
        now = time.monotonic()
        sent = self._in_flight.pop(request, now)
        if self.per_second > 0 and not refused and now - sent < 1.0:
            self._recent.append(now)
        if chat_id is not None:
            self._free_at[chat_id] = max(self._free_at.get(chat_id, 0.0), now + self.chat_interval)
        if len(self._free_at) > 10_000:  # one float per chat ever written to would grow forever
            self._free_at = {chat: at for chat, at in self._free_at.items() if at > now}

    def pause(self, chat_id: int, seconds: float) -> None:
        """Telegram asked us to wait (429): nothing more to this chat for ``seconds``."""
        self._free_at[chat_id] = max(self._free_at.get(chat_id, 0.0), time.monotonic() + seconds)

    async def _take_slot(self, chat_id: int | None, request: object) -> None:
        while True:
            async with self._lock:
                now = time.monotonic()
                while self._recent and now - self._recent[0] >= 1.0:
                    self._recent.popleft()
                wait = 0.0
                # Requests in flight count too: their answers will land in this window. Not
                # one out for more than a second: it hangs, and counting it would cut the pace
                # of every other chat for as long as it hangs.
                flying = sum(1 for sent in self._in_flight.values() if now - sent < 1.0)
                if self.per_second > 0 and len(self._recent) + flying >= self.per_second:
                    wait = 1.0 - (now - self._recent[0]) if self._recent else 0.05
                elif chat_id is not None and (free_at := self._free_at.get(chat_id, 0.0)) > now:
                    # A chat paused by a 429 waits even when chats are paced at 0 (in tests).
                    wait = free_at - now
                else:
                    if chat_id is not None:
                        self._free_at[chat_id] = now + self.chat_interval
                    self._in_flight[request] = now
                    return
            await asyncio.sleep(wait)

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Any]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Any:
        """Wait for the chat's and the overall slot, send, and ride out one 429."""
        if endpoint not in PACED:
            return await callback(*args, **kwargs)
        chat_id = _chat_id(data)
        retries = self.retries_after_429 if rate_limit_args is None else max(rate_limit_args, 0)
        while True:
            request = object()
            await self._take_slot(chat_id, request)
            refused = False
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                refused = True
                delay = retry_seconds(exc)
                if chat_id is not None:
                    self.pause(chat_id, delay)
                if retries <= 0:
                    raise
                retries -= 1
            finally:
                self._answered(chat_id, request, refused)


def _chat_id(data: dict[str, Any]) -> int | None:
    value = data.get("chat_id")
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None  # a channel username: paced overall only


def retry_seconds(error: RetryAfter) -> float:
    """``error.retry_after`` in seconds, whichever type this PTB version gives."""
    with warnings.catch_warnings():  # PTB 22 warns that retry_after will become a timedelta
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = error.retry_after
    return float(value.total_seconds() if hasattr(value, "total_seconds") else value)
