"""Taking one input of a channel exactly once: what every channel but Telegram does alike.

A channel that is not Telegram (钉钉's Stream pushes, 企业微信's callbacks) names each input by a
key that is the same each time the platform delivers it again (``dingtalk:msg:<msgId>``,
``wecom:msg:<MsgId>``, …) and hands it to :func:`take_once`:

1. The key is looked up in the inbox (``bot.storage.inbox``, ``inbox_keys``), together with the
   person's open dialogs (``bot.storage.channel_dialogs``). A key found there was applied before
   (a delivery again after a crash or a lost acknowledgement): the person is told it is done,
   nothing is applied again.
2. Otherwise the input is made a ``Said`` (by the channel's adapter) and handed to
   ``bot.conversation.router.dispatch`` with the channel's ``Answer``. Every transaction opened
   meanwhile records the key (``inbox.handling_key``), so "applied" and "known as applied" are
   one fact.
3. The dialogs, when changed, are written back (with the key, too), then the answer's work left
   for after the handler is finished; only then does :func:`take_once` return, and the channel
   acknowledges the input. If the database went away meanwhile, ``DatabaseUnavailable`` is
   raised: the input is left unacknowledged and the platform delivers it again once it is back.

A refusal of the rules (``DomainError``) is answered with its sentence; anything else is logged
and answered with the generic one, and the input is acknowledged: delivering it again would fail
the same way.

:class:`CommitWatch` lets a channel's sender look at the outbox after every commit.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from typing import Protocol

from bot.conversation import router
from bot.conversation.answer import Answer
from bot.conversation.said import DialogStore, Said
from bot.domain.errors import DomainError
from bot.edge import Account
from bot.services.context import Office
from bot.storage import channel_dialogs, inbox
from bot.storage.postgres import DatabaseUnavailable
from bot.storage.reader import together
from bot.texts import explain, render as render_text

log = logging.getLogger(__name__)

INVITE_CODE = re.compile(r"[A-Za-z0-9_-]{16,64}")
"""What an invite code looks like (``secrets.token_urlsafe``), sent alone: a channel without
deep links that carry one reads it as ``/start CODE``."""


# ------------------------------------------------------------------------------ reading text


def command_of(text: str) -> tuple[str | None, tuple[str, ...]]:
    """The command of a message and its words after it (``None`` for no command)."""
    stripped = text.strip()
    if not stripped or stripped[0] not in "/／":
        return None, ()
    words = stripped[1:].split()
    if not words:
        return None, ()
    return words[0].split("@", 1)[0].lower(), tuple(words[1:])


def looks_like_invite(text: str) -> bool:
    """A message that is one invite code and nothing else."""
    return INVITE_CODE.fullmatch(text.strip()) is not None


def as_invite(said: Said) -> Said:
    """The same message read as ``/start CODE``."""
    code = said.text.strip()
    said.command, said.args, said.text = "start", (code,), f"/start {code}"
    return said


# ------------------------------------------------------------------------------ taking once



class ChannelAnswer(Answer, Protocol):
    """An ``Answer`` whose work left for after the handler is done by ``finish``."""

    async def finish(self) -> None:
        """Do what the handler left for after it (before the input is acknowledged)."""
        ...


async def take_once(office: Office, key: str, account: Account, make: Callable[[DialogStore], Awaitable[Said]],
                    answer: ChannelAnswer, *, pressed: bool) -> None:
    """Apply the input known by ``key`` unless it was applied before (see the module).

    Args:
        office: The office.
        key: The input's key, channel-qualified and the same on every delivery.
        account: Who sent it.
        make: Makes the ``Said`` of the input, given the person's dialogs.
        answer: Where the answers go.
        pressed: The input is a button press (a refusal is an ``alert`` then, else a message).

    Raises:
        DatabaseUnavailable: the database went away: leave the input unacknowledged.
    """
    reader = office.db.reader
    token = inbox.handling_key.set(key)
    inbox.interrupted(key)  # this attempt starts afresh
    try:
        seen, stored = await together(reader, (inbox.handled_key(reader, key), channel_dialogs.read(reader, account)))
        if seen:
            log.info("%s was applied before; answered again, not applied again", key)
            await answer.say(render_text("inbox/already_done"))
            return
        said = await make(channel_dialogs.loads(stored))
        try:
            await router.dispatch(said, answer)
        except DatabaseUnavailable:
            raise
        except DomainError as exc:
            await _refuse(answer, explain(exc), pressed)
        except Exception:
            if inbox.interrupted(key):
                raise DatabaseUnavailable(f"{key} was interrupted: the database went away") from None
            log.exception("%s failed", key)
            await _refuse(answer, explain(DomainError("unexpected")), pressed)
        if inbox.interrupted(key):
            raise DatabaseUnavailable(f"{key} was interrupted: the database went away")
        changed = channel_dialogs.dumps(dict(said.dialogs))
        if changed != (stored if stored is not None else channel_dialogs.dumps({})):
            async with office.db.transaction() as conn:
                await channel_dialogs.write(conn, account, changed, office.now())
        await answer.finish()
    finally:
        inbox.handling_key.reset(token)


async def _refuse(answer: Answer, html: str, pressed: bool) -> None:
    await (answer.alert(html) if pressed else answer.say(html))


class CommitWatch:
    """Calls ``committed`` after every commit of the office's database, beside whatever hook was
    there (another channel's sender), from ``start`` until ``stop``; ``start`` also forgets inbox
    keys old enough that no platform delivers them again."""

    def __init__(self, office: Office, committed: Callable[[], None]) -> None:
        self.office = office
        self.committed = committed
        self._before: Callable[[], None] | None = None

    async def start(self) -> None:
        before = self._before = self.office.db.on_commit
        own = self.committed

        def committed() -> None:
            if before is not None:
                before()
            own()

        self.office.db.on_commit = committed
        async with self.office.db.transaction() as conn:
            await inbox.prune(conn)

    def stop(self) -> None:
        self.office.db.on_commit = self._before
