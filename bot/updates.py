"""Taking updates from Telegram so that none is lost and none is applied twice.

PTB's ``Updater`` confirms updates before our handlers run: its polling loop puts a batch on a
queue and asks for the next one with ``offset = last id + 1`` at once, and its webhook server
answers 200 as soon as the update is queued. A crash in between loses the update (a 签收 never
recorded, never answered, never delivered again). So the bot takes updates itself:

* **Polling** (``Poller``): an update's handlers run to the end (their transaction committed)
  before the next ``getUpdates`` carries an offset past it. Updates are handled one at a time,
  in order, as PTB does without ``concurrent_updates``.
* **Webhook** (``WebhookServer``): the HTTP answer is sent after the handlers finished; a
  handler that failed answers 500, and Telegram delivers the update again.

Both pass each update through ``Inbox.handle``: an update whose id is already in the
``inbox`` table (written in the same transaction as its effect, see ``bot.storage.inbox``) was
applied before the crash and is only answered again, not applied again.

A handler that finishes its work after returning (an album is collected for a moment before
it is recorded as one feedback) ``hold``\\ s its update: polling does not confirm it, nor any
later one, until released; updates already handled in this process are not handled twice when
``getUpdates`` returns them again.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
from collections.abc import Callable
from http import HTTPStatus

from aiohttp import web
from telegram import Update
from telegram.error import RetryAfter, TelegramError

from bot.pacing import retry_seconds
from bot.storage import inbox
from bot.texts import render
from bot.handlers.context import DubanApplication

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class Inbox:
    """Hands each update to the application once, with its id in ``bot.storage.inbox.handling``."""

    def __init__(self, application: DubanApplication) -> None:
        self.application = application
        self._held: dict[int, int] = {}

    def hold(self) -> Callable[[], None]:
        """Keep the update being handled unconfirmed until the returned function is called."""
        update_id = inbox.handling.get()
        if update_id is None:
            return lambda: None
        self._held[update_id] = self._held.get(update_id, 0) + 1
        released = False

        def release() -> None:
            nonlocal released
            if released:
                return
            released = True
            self._held[update_id] -= 1
            if not self._held[update_id]:
                del self._held[update_id]

        return release

    async def forget_old(self) -> None:
        """Drop ids Telegram can no longer deliver again (at start, so the table stays small)."""
        async with self.application.bot_data["office"].db.transaction() as conn:
            await inbox.prune(conn)

    @property
    def oldest_held(self) -> int | None:
        """The smallest id of an update whose work is not yet committed, if any."""
        return min(self._held, default=None)

    async def handle(self, update: Update) -> None:
        """Apply ``update``, or, when it was applied before, answer the person again."""
        if await inbox.handled(self.application.bot_data["office"].db.reader, update.update_id):
            log.info("update %s was applied before; answered again, not applied again", update.update_id)
            await self._answer_again(update)
            return
        token = inbox.handling.set(update.update_id)
        try:
            if self.application.persistence is not None and update.effective_user is not None:
                # Read before the handlers' filters look for an open dialog (PTB reads it later).
                data = self.application.user_data[update.effective_user.id]
                await self.application.persistence.refresh_user_data(update.effective_user.id, data)
            await self.application.process_update(update)
            if self.application.persistence is not None:
                # Several instances (bot.persistence): the person's dialog is written before the
                # update is confirmed, so their next message finds it on whichever instance.
                await self.application.update_persistence()
        finally:
            inbox.handling.reset(token)

    async def _answer_again(self, update: Update) -> None:
        # The answer the person saw (or did not see) before the crash is gone with the process;
        # a short word that it is done spares them doing it again.
        text = render("inbox/already_done")
        try:
            if update.callback_query is not None:
                await update.callback_query.answer(text)
            elif update.effective_chat is not None and update.effective_message is not None:
                await self.application.bot.send_message(update.effective_chat.id, text)
        except TelegramError as exc:
            log.warning("could not answer the redelivered update %s: %s", update.update_id, exc)


class Poller:
    """Long polling that confirms an update only after it was handled."""

    def __init__(self, inbox_: Inbox, timeout: int) -> None:
        self.inbox = inbox_
        self.timeout = timeout
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._fetching = False
        self._next: int | None = None
        self._done: set[int] = set()

    async def start(self) -> None:
        """Leave webhook mode (``getUpdates`` is refused while a webhook is set) and poll."""
        await self.inbox.forget_old()
        await self.inbox.application.bot.delete_webhook()
        self._task = asyncio.create_task(self._run(), name="update-poller")

    async def stop(self) -> None:
        """Finish the update being handled, confirm what was handled, and stop."""
        self._stopping = True
        task, self._task = self._task, None
        if task is None:
            return
        if self._fetching:
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        offset = self._offset()
        if offset is not None:
            # The confirming call PTB makes on stop too: without it, the last batch would come
            # again at the next start and be answered twice.
            with contextlib.suppress(TelegramError):
                await self.inbox.application.bot.get_updates(offset=offset, limit=1, timeout=0)

    def _offset(self) -> int | None:
        held = self.inbox.oldest_held
        if held is None or self._next is None:
            return self._next
        return min(held, self._next)

    async def _run(self) -> None:
        bot = self.inbox.application.bot
        backoff = 0.1
        while not self._stopping:
            offset = self._offset()
            self._fetching = True
            try:
                updates = await bot.get_updates(
                    offset=offset, timeout=self.timeout, allowed_updates=Update.ALL_TYPES,
                    read_timeout=self.timeout + 10,
                )
            except RetryAfter as exc:
                await asyncio.sleep(retry_seconds(exc))
                continue
            except TelegramError as exc:  # network, 5xx, a second bot polling the same token
                log.warning("getUpdates failed (%s); trying again in %.1f s", exc, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
                continue
            finally:
                self._fetching = False
            backoff = 0.1
            for update in updates:
                if self._stopping:
                    return
                if update.update_id not in self._done:
                    try:
                        await self.inbox.handle(update)
                    except Exception:
                        # Handlers' own errors are PTB's error handler's; this is the inbox's
                        # database failing. The update stays unconfirmed and is taken again.
                        log.exception("update %s not handled; taken again in %.1f s", update.update_id, backoff)
                        await asyncio.sleep(backoff)
                        backoff = min(backoff * 2, 5.0)
                        break
                    self._done.add(update.update_id)
                self._next = update.update_id + 1
            # Ids below the offset are never returned again: no need to remember them.
            floor = self._offset()
            if floor is not None:
                self._done = {i for i in self._done if i >= floor}


class WebhookServer:
    """The webhook endpoint: answers Telegram after the update's work is committed.

    Updates are handled one at a time, as in polling, so handlers see them in order.
    """

    def __init__(self, inbox_: Inbox, listen: str, port: int, path: str, secret_token: str) -> None:
        self.inbox = inbox_
        self.listen = listen
        self.port = port
        self.path = "/" + path.strip("/")
        self.secret_token = secret_token
        self._runner: web.AppRunner | None = None
        self._lock = asyncio.Lock()

    async def start(self, url: str) -> None:
        """Listen, then tell Telegram where to post (``setWebhook`` with the secret token)."""
        await self.inbox.forget_old()
        app = web.Application(client_max_size=1024 * 1024)
        app.router.add_post(self.path, self._post)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=5.0)
        await self._runner.setup()
        try:
            await web.TCPSite(self._runner, self.listen, self.port).start()
        except OSError:
            await self._runner.cleanup()
            self._runner = None
            raise
        await self.inbox.application.bot.set_webhook(
            url=url, secret_token=self.secret_token, allowed_updates=Update.ALL_TYPES
        )

    async def stop(self) -> None:
        """Stop listening, after the update being handled is answered."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _post(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.secret_token.encode()):
            return web.Response(status=HTTPStatus.FORBIDDEN)
        try:
            update = Update.de_json(await request.json(), self.inbox.application.bot)
        except (ValueError, TypeError, KeyError):
            return web.Response(status=HTTPStatus.BAD_REQUEST)
        if update is None:
            return web.Response(status=HTTPStatus.BAD_REQUEST)
        async with self._lock:
            try:
                await self.inbox.handle(update)
            except Exception:
                # Nothing was committed for it: Telegram will deliver it again.
                log.exception("update %s not handled; Telegram will deliver it again", update.update_id)
                return web.Response(status=HTTPStatus.INTERNAL_SERVER_ERROR)
        return web.Response(status=HTTPStatus.OK)
