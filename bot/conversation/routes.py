"""Which handler takes what a person said, declared in no messenger's terms.

A module of the conversation layer lists its ``ROUTES``; the modules' routes are tried in the
order of ``FEATURES`` (``bot/conversation/router.py``) and, within a module, in the order
listed: the first route that fits takes the message, so the order is the precedence. The
channel's adapter turns each route into its own dispatch (``bot/channels/telegram/adapter.py``).

Every handler is ``async def h(said, answer)``; one of a pressed action also gets the action's
typed values: ``async def h(said, answer, values)``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeAlias

from bot.actions import Action
from bot.conversation.answer import Answer
from bot.conversation.said import Said

Takes: TypeAlias = Callable[[Said, Answer], Awaitable[None]]
TakesPressed: TypeAlias = Callable[[Said, Answer, Any], Awaitable[None]]


@dataclass(frozen=True)
class Command:
    """``/name`` in a private chat; with ``while_open``, only while one of those dialogs is open
    (``bot.conversation.kit``) and has not lapsed."""

    name: str
    takes: Takes
    while_open: tuple[str, ...] = ()


@dataclass(frozen=True)
class Pressed:
    """A button of ``action``: the handler gets its typed values."""

    action: Action[Any]
    takes: TakesPressed


@dataclass(frozen=True)
class AnyPress:
    """Any button no route before took (one of an old keyboard)."""

    takes: Takes


@dataclass(frozen=True)
class InGroup:
    """Anything said in a group chat."""

    takes: Takes


@dataclass(frozen=True)
class Edited:
    """An old message edited."""

    takes: Takes


@dataclass(frozen=True)
class AnyMessage:
    """Any message in a private chat that no route before took."""

    takes: Takes


WORDS = "words"
"""Typed words: text that is no command, with no file."""
DOCUMENT = "document"
"""A document (not a photo)."""
REPORT = "report"
"""Words, or a document or photo (with a caption or not)."""
ANYTHING = "anything"
"""Any message that is no command."""


@dataclass(frozen=True)
class InDialog:
    """A message of the kind ``kind`` of a person who has dialog ``key`` open
    (``bot.conversation.kit``) and has not left it too long; with ``fits``, only while the draft
    is at a step that takes it."""

    key: str
    takes: Takes
    kind: str = WORDS
    fits: Callable[[Any], bool] | None = None


@dataclass(frozen=True)
class Lapsed:
    """A message (no command) of a person whose open dialog has lapsed."""

    takes: Takes


@dataclass(frozen=True)
class Reply:
    """Words or files sent as a reply to (a quote of) one of the bot's messages."""

    takes: Takes


@dataclass(frozen=True)
class FileSent:
    """A document or photo sent on its own (no reply to anything)."""

    takes: Takes


@dataclass(frozen=True)
class AlbumGoesOn:
    """A later message of a group of files sent together (``Said.album``) whose first message
    was taken and is still being gathered (``going_on`` says so)."""

    takes: Takes
    going_on: Callable[[Said], bool]


Route: TypeAlias = (
    Command | Pressed | AnyPress | InGroup | Edited | InDialog | Lapsed | AlbumGoesOn | Reply | FileSent | AnyMessage
)
