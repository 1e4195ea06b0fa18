"""The 钉钉 channel: the Stream connection in, the sender out, each message taken exactly once.

A robot message or a card press arrives over Stream (``StreamClient``, one person's one after
another) and is taken once by ``bot.channels.intake.take_once``: its key —
``dingtalk:msg:<msgId>`` for a message, ``dingtalk:card:<messageId>`` for a press, both the
same each time 钉钉 pushes it — tells a push again from a new input. The handler returns only
when what it caused is committed; ``StreamClient`` acknowledges the frame after that, and a
press's acknowledgement carries the card's new look. If the database went away meanwhile, the
frame is left unacknowledged and 钉钉 pushes it again once it is back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from bot.channels.dingtalk import adapter, render
from bot.channels.dingtalk.adapter import DINGTALK, CardTexts, DingTalkAnswer
from bot.channels.dingtalk.openapi import DingTalkApi, DingTalkApp
from bot.channels.dingtalk.sender import DingTalkSender
from bot.channels.dingtalk.stream import CardAction, RobotMessage, StreamClient
from bot.channels import intake
from bot.conversation import router
from bot.conversation.said import DialogStore, Said
from bot.edge import Account
from bot.services.context import Office
from bot.storage import outbox

log = logging.getLogger(__name__)


class DingTalkChannel:
    """The 钉钉 channel of one office: ``start``, then ``stop``.

    Args:
        office: The office (its settings' ``[dingtalk]`` name the app).
        app: The app, when not the one the settings name (tests).
        per_second: Sends a second; None: ``[dingtalk] send_per_second``.
        reconnect_delay: The Stream client's first wait before reconnecting.
    """

    def __init__(self, office: Office, app: DingTalkApp | None = None, *, per_second: float | None = None,
                 reconnect_delay: float = 1.0) -> None:
        settings = office.settings.dingtalk
        self.office = office
        self.app = app or DingTalkApp.from_settings(settings)
        self.template_id = settings.card_template_id
        self.api = DingTalkApi(self.app)
        self.texts = CardTexts()
        self.commands = router.commands()
        self.stream = StreamClient(self.app, self.on_message, self.on_card_action, reconnect_delay=reconnect_delay)
        self.sender = DingTalkSender(office, self.api, self.template_id,
                                     settings.send_per_second if per_second is None else per_second)
        self._runner: asyncio.Task[None] | None = None
        self.watch = intake.CommitWatch(office, self.sender.committed)

    # ------------------------------------------------------------------ running

    async def start(self, connect_timeout: float | None = None) -> None:
        """Start the sender and the Stream connection (waiting up to ``connect_timeout`` for it
        to open, if given: ``TimeoutError`` then)."""
        await self.watch.start()
        self.sender.start()
        self._runner = asyncio.create_task(self.stream.run(), name="dingtalk-stream")
        if connect_timeout is not None:
            await self.stream.wait_connected(connect_timeout)

    async def stop(self) -> None:
        """Stop taking messages (those in hand finish and are acknowledged), then the sender."""
        await self.stream.stop()
        if self._runner is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._runner, 30)
            self._runner = None
        await self.sender.stop()
        self.watch.stop()
        await self.api.close()

    @property
    def connected(self) -> bool:
        """The Stream connection is open."""
        return self.stream.connected

    # ------------------------------------------------------------------ taking

    async def on_message(self, message: RobotMessage) -> None:
        """A robot message, applied once."""
        account = Account(DINGTALK, message.sender)
        answer = DingTalkAnswer(self.api, message.sender, self.template_id, self.texts)

        async def said(dialogs: DialogStore) -> Said:
            made = adapter.said_of_message(self.office, self.api, message, dialogs, self.commands)
            if made.command is None and not made.in_group and intake.looks_like_invite(made.text) and await made.person() is None:
                made = intake.as_invite(made)
            return made

        await self._take(f"{DINGTALK}:msg:{message.msg_id}", account, said, answer, pressed=False)

    async def on_card_action(self, action: CardAction) -> dict[str, Any] | None:
        """A card press, applied once; the card's new look, for the acknowledgement."""
        account = Account(DINGTALK, action.userid)
        text, label = await self._card_text(action)
        answer = DingTalkAnswer(self.api, action.userid, self.template_id, self.texts, action.out_track_id, text)

        async def said(dialogs: DialogStore) -> Said:
            return adapter.said_of_action(self.office, action, label, dialogs, self.commands, text)

        await self._take(f"{DINGTALK}:card:{action.message_id}", account, said, answer, pressed=True)
        return answer.acknowledgement()

    async def _take(self, key: str, account: Account, make: Callable[[DialogStore], Awaitable[Said]], answer: DingTalkAnswer,
                    pressed: bool) -> None:
        await intake.take_once(self.office, key, account, make, answer, pressed=pressed)

    async def _card_text(self, action: CardAction) -> tuple[str | None, str | None]:
        """What the pressed card shows (its text, to mark under) and the pressed button's label."""
        data = render.pressed_data(action.action_ids, action.params)
        outbox_id = render.outbox_id_of(action.out_track_id)
        text = self.texts.get(action.out_track_id)
        label = render.pressed_label(action.params)
        if outbox_id is not None:
            row = await outbox.message(self.office.db.reader, outbox_id)
            if row is not None and row.channel == DINGTALK:
                text = text or row.values.get("text")
                label = label or next((b["label"] for r in row.values.get("buttons", []) for b in r if b.get("data") == data), None)
        return text, label
