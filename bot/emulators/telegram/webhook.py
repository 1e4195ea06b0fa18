"""Webhook delivery: POSTs queued updates to the URL set with setWebhook.

Updates are delivered one at a time, in order, with the
``X-Telegram-Bot-Api-Secret-Token`` header when a secret was set. A failed delivery
(non-2xx answer or connection error) is recorded for getWebhookInfo and retried with
back-off, as Telegram does.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import aiohttp

from bot.emulators.telegram.models import now
from bot.emulators.telegram.state import EmulatorState, Webhook

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class WebhookDispatcher:
    """Runs one delivery task for the current webhook."""

    def __init__(self, state: EmulatorState, timeout: float = 10.0, max_backoff: float = 5.0) -> None:
        self._state = state
        self._timeout = timeout
        self._max_backoff = max_backoff
        self._task: asyncio.Task[None] | None = None

    def restart(self) -> None:
        """Stops delivery to the old webhook and starts it for the current one, if any."""
        if self._task is not None:
            self._task.cancel()
            self._task = None
        if self._state.webhook is not None:
            self._task = asyncio.create_task(self._run(self._state.webhook), name="emulator-webhook")

    async def stop(self) -> None:
        """Cancels delivery and waits for the task to end."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self, hook: Webhook) -> None:
        """Delivers queued updates while ``hook`` is the current webhook."""
        state = self._state
        headers = {SECRET_HEADER: hook.secret_token} if hook.secret_token else {}
        backoff = 0.1
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self._timeout)) as session:
            while state.webhook is hook and not state.closing:
                if not state.updates:
                    await state.updates_signal.wait(3600)
                    continue
                update = state.updates[0]
                error = await self._post(session, hook.url, update, headers)
                if error is None:
                    if state.updates and state.updates[0] is update:
                        state.updates.popleft()
                    backoff = 0.1
                    continue
                hook.last_error_date, hook.last_error_message = now(), error
                log.warning("webhook delivery to %s failed: %s", hook.url, error)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self._max_backoff)

    @staticmethod
    async def _post(session: aiohttp.ClientSession, url: str, update: dict, headers: dict[str, str]) -> str | None:
        """POSTs one update; returns an error text in Telegram's style, or None."""
        try:
            async with session.post(url, json=update, headers=headers) as response:
                if 200 <= response.status < 300:
                    return None
                return f"Wrong response from the webhook: {response.status} {response.reason}"
        except (aiohttp.ClientError, TimeoutError) as exc:
            return f"Connection failed: {exc.__class__.__name__}"
