"""Taking updates from Telegram so that none is lost and none is applied twice.

PTB's ``Updater`` confirms updates before our handlers run: its polling loop puts a batch on a
queue and asks for the next one with ``offset = last id + 1`` at once, and its webhook server
answers 200 as soon as the update is queued. A crash in between loses the update (a 签收 never
recorded, never answered, never delivered again). So the bot takes updates itself:

* **Polling** (``Poller``): an update's handlers run to the end (their transaction committed)
  before a ``getUpdates`` carries an offset past it, or past any earlier update.
* **Webhook** (``WebhookServer``): the HTTP answer is sent after the handlers finished; a
  handler that failed answers 500, and Telegram delivers the update again.

Either way updates go by ``Lanes``: one person's updates one after another, in the order they
came (a dialog's answers, a button after the message it is on), different people's side by
side, so a minutes PDF read for ten seconds keeps nobody else waiting. While such an update
is out, polling cannot confirm it or anything after it, and asks Telegram again every
``REPOLL`` seconds for what came meanwhile (at most 100 updates are given past an unconfirmed
one; heavy work is bounded, see ``bot.conversation.asking.heavy_work``).

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
import functools
import hmac
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from http import HTTPStatus

from aiohttp import web
from telegram import Update
from telegram.error import RetryAfter, TelegramError

from bot.channels.telegram.pacing import retry_seconds
from bot.storage import inbox
from bot.storage.postgres import DatabaseUnavailable
from bot.storage.reader import nothing, together
from bot.texts import render
from bot.channels.telegram.context import DubanApplication

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"

REPOLL = 0.2
"""Seconds between ``getUpdates`` while an update is being handled (each returns at once, with
the unconfirmed update again): how long another person's message may wait to be seen."""


def lane_of(update: Update) -> int | None:
    """Whose updates must keep their order: the sender's (or the chat's, for a channel post);
    None for an update of no one (a poll's result), which goes on its own."""
    if update.effective_user is not None:
        return update.effective_user.id
    if update.effective_chat is not None:
        return update.effective_chat.id
    return None


class Lanes:
    """Runs updates one person after another, different people side by side."""

    def __init__(self, work: Callable[[Update], Awaitable[None]]) -> None:
        self._work = work
        self._queues: dict[object, deque[tuple[Update, asyncio.Future[None]]]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self.stopping = False

    def put(self, update: Update) -> asyncio.Future[None]:
        """Queue ``update`` behind its person's earlier ones; the future ends with its handling."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        key: object = lane_of(update)
        if key is None:
            key = ("update", update.update_id)
        queue = self._queues.get(key)
        if queue is not None:
            queue.append((update, done))
            return done
        self._queues[key] = deque([(update, done)])
        task = asyncio.create_task(self._drain(key), name="updates:%s" % (key,))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return done

    async def _drain(self, key: object) -> None:
        queue = self._queues[key]
        try:
            while queue:
                update, done = queue[0]
                if self.stopping:
                    done.cancel()  # not handled: not confirmed, taken again at the next start
                else:
                    try:
                        await self._work(update)
                    except Exception as exc:
                        if not done.done():
                            done.set_exception(exc)
                        # The person's later updates wait for this one to be taken again.
                        while len(queue) > 1:
                            queue.pop()[1].cancel()
                    else:
                        if not done.done():
                            done.set_result(None)
                queue.popleft()
        finally:
            del self._queues[key]

    async def finish(self) -> None:
        """Let the updates being handled end; those still queued are dropped (unconfirmed)."""
        self.stopping = True
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)


def forged(update: Update) -> bool:
    """A private chat's update whose sender is not the chat's person: Telegram never sends one
    (a private chat's id is its person's), so it came from someone holding the token or the
    webhook secret, and would make the bot answer one person's request into another's chat."""
    chat, user = update.effective_chat, update.effective_user
    return chat is not None and user is not None and chat.type == "private" and chat.id != user.id


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
        """Apply ``update``, or, when it was applied before, answer the person again; an update
        of a shape Telegram never sends (``forged``) is ignored, and logged."""
        if forged(update):
            assert update.effective_user is not None and update.effective_chat is not None
            log.warning(
                "update %s ignored: from user %s in the private chat %s, which is not theirs",
                update.update_id, update.effective_user.id, update.effective_chat.id,
            )
            return
        reader = self.application.bot_data["office"].db.reader
        token = inbox.handling.set(update.update_id)
        inbox.interrupted(update.update_id)  # this attempt starts afresh
        try:
            persistence, user = self.application.persistence, update.effective_user
            # Read before the handlers' filters look for an open dialog (PTB reads it later).
            dialog = (
                persistence.refresh_user_data(user.id, self.application.user_data[user.id])
                if persistence is not None and user is not None else nothing()
            )
            seen, _ = await together(reader, (inbox.handled(reader, update.update_id), dialog))
            if seen:
                log.info("update %s was applied before; answered again, not applied again", update.update_id)
                await self._answer_again(update)
                return
            await self.application.process_update(update)
            if inbox.interrupted(update.update_id):
                # The database went away meanwhile: none of it is committed. Not confirmed, it is
                # handled again once the database is back.
                raise DatabaseUnavailable(f"update {update.update_id} was interrupted: the database went away")
            if self.application.persistence is not None:
                # Several instances (bot.channels.telegram.persistence): the person's dialog is written before the
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
    """Long polling that confirms an update only after it, and every earlier one, was handled."""

    def __init__(self, inbox_: Inbox, timeout: int) -> None:
        self.inbox = inbox_
        self.timeout = timeout
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._next: int | None = None
        self._done: set[int] = set()
        self._out: dict[int, asyncio.Future[None]] = {}
        """Updates queued or being handled."""
        self._again: set[int] = set()
        """Updates whose handling failed (the inbox's database): to be taken again, in order."""
        self._lanes = Lanes(self.inbox.handle)
        self._progress = asyncio.Event()
        self._backoff = 0.1

    async def start(self) -> None:
        """Leave webhook mode (``getUpdates`` is refused while a webhook is set) and poll."""
        await self.inbox.forget_old()
        await self.inbox.application.bot.delete_webhook()
        self._task = asyncio.create_task(self._run(), name="update-poller")

    async def stop(self) -> None:
        """Finish the updates being handled, confirm what was handled, and stop."""
        self._stopping = True
        task, self._task = self._task, None
        if task is None:
            return
        task.cancel()  # it waits for Telegram or for handling to end; the handling goes on
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await self._lanes.finish()
        offset = self._offset()
        if offset is not None:
            # The confirming call PTB makes on stop too: without it, the last batch would come
            # again at the next start and be answered twice.
            with contextlib.suppress(TelegramError):
                await self.inbox.application.bot.get_updates(offset=offset, limit=1, timeout=0)

    def _offset(self) -> int | None:
        unconfirmed = [i for i in (self.inbox.oldest_held, min(self._out, default=None), min(self._again, default=None)) if i is not None]
        if self._next is None:
            return min(unconfirmed, default=None)
        return min([self._next, *unconfirmed])

    async def _run(self) -> None:
        bot = self.inbox.application.bot
        backoff = 0.1
        while not self._stopping:
            if self._out:
                # Something is being handled: its update cannot be confirmed yet, so Telegram
                # would return it at once. Wait for it to end, or look again shortly for others'.
                self._progress.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._progress.wait(), timeout=REPOLL)
                if self._stopping:
                    return
            if self._again and self._backoff > 0.1:
                await asyncio.sleep(self._backoff)
            offset = self._offset()
            try:
                # Raw, so that only updates not seen before are parsed: those still being
                # handled are unconfirmed and come back with every call.
                found = await bot.do_api_request(
                    "getUpdates",
                    api_kwargs={"offset": offset, "timeout": 0 if self._out else self.timeout, "allowed_updates": Update.ALL_TYPES},
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
            backoff = 0.1
            for data in found or ():
                if self._stopping:
                    return
                uid = int(data["update_id"])
                if uid not in self._done and uid not in self._out:
                    update = Update.de_json(data, bot)
                    self._again.discard(uid)
                    self._out[uid] = future = self._lanes.put(update)
                    future.add_done_callback(functools.partial(self._ended, uid))
                self._next = max(self._next or 0, uid + 1)
            # Ids below the offset are never returned again: no need to remember them.
            floor = self._offset()
            if floor is not None:
                self._done = {i for i in self._done if i >= floor}

    def _ended(self, update_id: int, future: asyncio.Future[None]) -> None:
        del self._out[update_id]
        self._progress.set()
        if future.cancelled():
            self._again.add(update_id)
        elif future.exception() is not None:
            # Handlers' own errors are PTB's error handler's; this is the inbox's database
            # failing. The update stays unconfirmed and is taken again, after a growing pause.
            self._backoff = min(self._backoff * 2, 5.0)
            log.error("update %s not handled; taken again in %.1f s", update_id, self._backoff, exc_info=future.exception())
            self._again.add(update_id)
        else:
            self._backoff = 0.1
            self._done.add(update_id)


class WebhookServer:
    """The webhook endpoint: answers Telegram after the update's work is committed.

    One person's updates are handled in the order they arrived, different people's side by
    side (``Lanes``), as in polling.
    """

    def __init__(self, inbox_: Inbox, listen: str, port: int, path: str, secret_token: str) -> None:
        self.inbox = inbox_
        self.listen = listen
        self.port = port
        self.path = "/" + path.strip("/")
        self.secret_token = secret_token
        self._runner: web.AppRunner | None = None
        self._lanes = Lanes(self.inbox.handle)

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
        """Stop listening, after the updates being handled are answered."""
        await self._lanes.finish()
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
        try:
            # shield: a client that hangs up does not cancel the handling half-way
            await asyncio.shield(self._lanes.put(update))
        except asyncio.CancelledError:
            # Stopping, or an earlier update of the person failed: not handled, delivered again.
            return web.Response(status=HTTPStatus.SERVICE_UNAVAILABLE)
        except Exception:
            # Nothing was committed for it: Telegram will deliver it again.
            log.exception("update %s not handled; Telegram will deliver it again", update.update_id)
            return web.Response(status=HTTPStatus.INTERNAL_SERVER_ERROR)
        return web.Response(status=HTTPStatus.OK)
