"""The 企业微信 channel: the callback URL in, the sender out, each input taken exactly once.

The callback URL (接收消息) is served by the channel's own small aiohttp server on
``[wecom] listen:port`` at ``callback_path``, behind the same reverse proxy as the rest: the
Telegram webhook server is PTB's (tornado, and only in webhook mode), while 企业微信 must be
reachable whether Telegram polls, takes webhooks or is not configured at all.

A callback is decrypted and parsed (``CallbackEndpoint``) and taken once by
``bot.channels.intake.take_once`` under the key ``wecom:<identity>`` — ``msg/<MsgId>`` for a
message, ``event/<user>/<CreateTime>/…`` for a card press, the same on 企业微信's retries. The
callback is answered (HTTP 200) only once what it caused is committed and answered, so a bot
that dies half-way is sent it again. 企业微信 waits five seconds, then retries (three times):
a retry that comes while the first attempt is still at work waits for that same work instead of
starting it again, and one that comes later finds the key in the inbox and is answered
"already done". If the database went away, the answer is 500 and 企业微信 retries.

企业微信 sends each callback on its own, so a person's file and the text right after it may
arrive together: a person's inputs are taken one at a time, in the order they arrived, so each
finds the dialog the one before left (its dialogs are written back before the next starts).
"""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from bot.channels import intake
from bot.channels.outbox_sender import PerAddressWindow
from bot.channels.wecom import adapter, render
from bot.channels.wecom.adapter import WECOM, Cards, Messenger, WecomAnswer
from bot.channels.wecom.api import WecomApi
from bot.channels.wecom.callback import CallbackCrypto, CallbackEndpoint
from bot.channels.wecom.inputs import CardPress, FileInput, Input, TextInput
from bot.channels.wecom.sender import WecomSender
from bot.conversation import router
from bot.conversation.said import DialogStore, Said
from bot.edge import Account
from bot.services.context import Office
from bot.storage import channel_cards, outbox

log = logging.getLogger(__name__)


class WecomChannel:
    """The 企业微信 channel of one office: ``start``, then ``stop``.

    Args:
        office: The office (its settings' ``[wecom]`` name the application).
        port: The callback server's port, when not the settings' (0: any free one, tests).
        per_second: Sends a second; None: ``[wecom] send_per_second``.

    Raises:
        ValueError: a setting ``[wecom]`` needs is missing.
    """

    def __init__(self, office: Office, *, port: int | None = None, per_second: float | None = None) -> None:
        s = office.settings.wecom
        missing = [name for name, value in (("agent_id", s.agent_id), ("secret", s.secret), ("token", s.token),
                                            ("encoding_aes_key", s.encoding_aes_key)) if value is None]
        if s.corp_id is None or missing:
            raise ValueError("[wecom] " + ", ".join(missing or ["corp_id"]))
        assert s.agent_id is not None and s.secret is not None and s.token is not None and s.encoding_aes_key is not None
        self.office = office
        self.settings = s
        self.api = WecomApi(s.corp_id, s.agent_id, s.secret.reveal(), api_url=s.api_url)
        self.messenger = Messenger(self.api, PerAddressWindow(s.member_per_minute), Cards(office))
        self.sender = WecomSender(office, self.messenger, s.send_per_second if per_second is None else per_second)
        self.endpoint = CallbackEndpoint(CallbackCrypto(s.token.reveal(), s.encoding_aes_key.reveal(), s.corp_id), self.on_input)
        self.watch = intake.CommitWatch(office, self.sender.committed)
        self.commands = router.commands()
        self.host = s.listen
        self.port = s.port if port is None else port
        self._runner: web.AppRunner | None = None
        self._handling: dict[str, asyncio.Future[None]] = {}
        self.taken = 0
        """Inputs applied or answered (tests, health)."""

    @property
    def url(self) -> str:
        """The callback URL as served here (the reverse proxy's public one points to it)."""
        return f"http://{self.host}:{self.port}{self.settings.callback_path}"

    async def start(self) -> None:
        """The sender, then the callback server."""
        await self.watch.start()
        async with self.office.db.transaction() as conn:
            await channel_cards.prune(conn, self.office.now())
        self.sender.start()
        app = web.Application(client_max_size=1024 * 1024)
        self.endpoint.add_routes(app, self.settings.callback_path)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=5.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, self.port).start()
        self.port = self._runner.addresses[0][1]
        log.info("企业微信 callback on %s", self.url)

    async def stop(self) -> None:
        """Stop taking callbacks (those in hand finish), then the sender."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._handling:
            await asyncio.gather(*self._handling.values(), return_exceptions=True)
        await self.sender.stop()
        self.watch.stop()
        await self.api.close()

    @property
    def serving(self) -> bool:
        """The callback server listens."""
        return self._runner is not None

    # ------------------------------------------------------------------ taking

    async def on_input(self, item: Input) -> None:
        """One callback: taken once; returns when what it caused is done (then it is answered)."""
        key = f"{WECOM}:{item.origin.identity}"
        running = self._handling.get(key)
        if running is None:
            running = asyncio.ensure_future(self._take(key, item))
            self._handling[key] = running
            running.add_done_callback(lambda _: self._handling.pop(key, None))
        else:
            log.info("企业微信 %s delivered again while at work: waiting for that work", key)
        await asyncio.shield(running)

    async def _take(self, key: str, item: Input) -> None:
        async with self.messenger.turn(item.origin.userid):
            await self._take_now(key, item)

    async def _take_now(self, key: str, item: Input) -> None:
        userid = item.origin.userid
        account = Account(WECOM, userid)
        m = self.messenger
        if isinstance(item, TextInput):
            answer = WecomAnswer(m, userid)

            async def said(dialogs: DialogStore) -> Said:
                made = adapter.said_of_text(self.office, item, dialogs, self.commands)
                if made.command is None and intake.looks_like_invite(made.text) and await made.person() is None:
                    made = intake.as_invite(made)
                return made

            await intake.take_once(self.office, key, account, said, answer, pressed=False)
        elif isinstance(item, FileInput):
            answer = WecomAnswer(m, userid)

            async def said(dialogs: DialogStore) -> Said:
                media = await self.api.download_media(item.media_id)
                return adapter.said_of_file(self.office, item, media, dialogs, self.commands)

            await intake.take_once(self.office, key, account, said, answer, pressed=False)
        elif isinstance(item, CardPress):
            html, label = await self._card_text(item)
            answer = WecomAnswer(m, userid, item.task_id, item.response_code, html)

            async def said(dialogs: DialogStore) -> Said:
                return adapter.said_of_press(self.office, item, label, html, dialogs, self.commands)

            await intake.take_once(self.office, key, account, said, answer, pressed=True)
        else:
            log.info("企业微信 %s: nothing to do with %s", key, item.kind)
        self.taken += 1

    async def _card_text(self, item: CardPress) -> tuple[str | None, str | None]:
        """What the pressed card shows and the pressed button's label."""
        state = await self.messenger.cards.get(item.task_id)
        html = state.html if state else None
        label = state.labels.get(item.event_key) if state else None
        outbox_id = render.outbox_id_of(item.task_id)
        if outbox_id is not None and (html is None or label is None):
            row = await outbox.message(self.office.db.reader, outbox_id)
            if row is not None and row.channel == WECOM:
                html = html or row.values.get("text")
                label = label or next((b["label"] for r in row.values.get("buttons", []) for b in r if b.get("data") == item.event_key), None)
        return html, label
