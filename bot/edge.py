"""The channel edge: what the core and the messengers (Telegram, 钉钉, 企业微信) say to each
other, in terms that belong to none of them.

A person is reached through an ``Account`` on a channel; what the bot offers to press is a
``Button`` naming an action of ``bot.actions`` with its typed values. Each channel turns these
into its own wire format (Telegram: an inline button's data; 钉钉: a card's action) and back;
nothing in the core knows a platform's ids or payloads.

What the bot says goes out as notices, queued in the outbox per person (``bot.services.notify``)
and rendered by the channel of the person's account: a ``Notice`` (a message: text in the bot's
markup, buttons, files, what it is about), a ``Change`` of a notice delivered earlier (new text,
new buttons or none), a person's ``Menu`` of commands, and a ``Download`` of a received file into
the evidence archive, which the channel fetches (``FetchFile``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Protocol

from bot.actions import ACTIONS, Offer

TELEGRAM = "telegram"
"""The channel of the Telegram Bot API."""

DINGTALK = "dingtalk"
"""The channel of 钉钉 (its robot, cards and 工作通知)."""

READ_RECEIPTS = frozenset({DINGTALK})
"""The channels that say when a delivered message was read: 钉钉's 工作通知 (``getsendresult``
lists who has read it). Telegram and 企业微信 do not, and a message there is never called 已读."""


def reports_reads(channel: str) -> bool:
    """Whether ``channel`` tells when its messages are read (:data:`READ_RECEIPTS`)."""
    return channel in READ_RECEIPTS


REPLIES_NAME_THE_MESSAGE = frozenset({TELEGRAM})
"""The channels whose reply names the message replied to, so that replying to a slip's own
message is feedback on that slip: Telegram. 钉钉 quotes only a message's text (a card's none)
and 企业微信's application hears no quote at all, so there a person gives feedback with the
slip's 「反馈」 button or ``/feedback 单号``, and the bot's words say so."""


def reply_finds_slip(channel: str) -> bool:
    """Whether replying to a slip's message on ``channel`` is feedback on that slip
    (:data:`REPLIES_NAME_THE_MESSAGE`): the texts offer 「回复交办单消息」 only where it works."""
    return channel in REPLIES_NAME_THE_MESSAGE


@dataclass(frozen=True)
class Account:
    """A person's address on one channel (a Telegram user id, a 钉钉 userId, as text)."""

    channel: str
    address: str

    def __str__(self) -> str:
        return f"{self.channel}:{self.address}"


@dataclass(frozen=True)
class Button:
    """One button under a message: its label and the action it offers."""

    label: str
    offer: Offer


Buttons = tuple[tuple[Button, ...], ...]
"""Rows of buttons, top to bottom."""


# ------------------------------------------------------------------------------ notices


@dataclass(frozen=True)
class File:
    """A file a notice carries: one somebody sent the bot earlier, named by the channel it came
    on and that channel's own reference to it (opaque to the core), or one the bot keeps under
    its archive folder (``kept``: the path relative to it)."""

    name: str = ""
    photo: bool = False
    """Shown as a picture rather than as a document."""
    channel: str = ""
    received: str = ""
    """The channel's reference of a file received on it."""
    kept: str = ""


@dataclass(frozen=True)
class Notice:
    """A message to one person: the template it comes from, its text rendered in the bot's
    markup (the HTML subset ``messages/`` templates are written in), the buttons under it, the
    files it carries (the text as their caption), and what it is about."""

    text: str
    buttons: Buttons = ()
    files: tuple[File, ...] = ()
    template: str = ""
    task_id: int | None = None
    slip_id: int | None = None
    purpose: str = ""


@dataclass(frozen=True)
class Change:
    """A change of a notice delivered earlier (``notice_id``, its number in the outbox): its
    new text and/or buttons. ``buttons=()`` takes the buttons away; ``None`` leaves them."""

    notice_id: int
    text: str | None = None
    buttons: Buttons | None = None
    task_id: int | None = None
    purpose: str = "buttons"


@dataclass(frozen=True)
class Command:
    """One entry of a person's command menu."""

    command: str
    description: str


@dataclass(frozen=True)
class Menu:
    """The commands a person's chat offers, in order."""

    commands: tuple[Command, ...]
    purpose: str = "menu"


@dataclass(frozen=True)
class Download:
    """Keep a file someone sent in the evidence archive: ``folder``/``name`` under it, recorded
    for the attachment ``attachment_id`` once on disk."""

    attachment_id: int
    file: File
    folder: str
    name: str
    task_id: int | None = None
    purpose: str = "archive"


Outgoing = Notice | Change | Menu | Download
"""What the outbox holds: everything the bot owes a channel."""


class FetchFile(Protocol):
    """A channel's way to fetch the bytes of a file received on it (``File.received``)."""

    async def __call__(self, file: File, limit: int) -> bytes:
        """The file's bytes. Raises ``ValueError`` when it is over ``limit`` bytes (it never
        will be less); the channel's own errors when the fetch fails for now."""
        ...


# ------------------------------------------------------------------------------ stored form


def _buttons_record(buttons: Buttons) -> list[list[dict[str, str]]]:
    return [[{"label": b.label, "action": b.offer.action.name, "data": b.offer.data} for b in row] for row in buttons]


def _buttons_of(rows: list[list[dict[str, str]]]) -> Buttons:
    return tuple(tuple(Button(b["label"], _offer(b["action"], b["data"])) for b in row) for row in rows)


def _offer(name: str, data: str) -> Offer:
    action = ACTIONS_BY_NAME[name]
    return Offer(action, action.read(data))


ACTIONS_BY_NAME = {a.name: a for a in ACTIONS}


def record(item: Outgoing) -> tuple[str, dict[str, Any]]:
    """The kind and JSON-ready values the outbox stores for ``item``."""
    if isinstance(item, Notice):
        values: dict[str, Any] = {"text": item.text, "template": item.template}
        if item.buttons:
            values["buttons"] = _buttons_record(item.buttons)
        if item.files:
            values["files"] = [asdict(f) for f in item.files]
        return "notice", values
    if isinstance(item, Change):
        values = {"notice_id": item.notice_id}
        if item.text is not None:
            values["text"] = item.text
        if item.buttons is not None:
            values["buttons"] = _buttons_record(item.buttons)
        return "change", values
    if isinstance(item, Menu):
        return "menu", {"commands": [[c.command, c.description] for c in item.commands]}
    return "download", {
        "attachment_id": item.attachment_id, "file": asdict(item.file), "folder": item.folder, "name": item.name,
    }


def outgoing(kind: str, values: dict[str, Any], task_id: int | None, slip_id: int | None, purpose: str) -> Outgoing | None:
    """What ``record`` stored; None for a kind this version does not know (a row queued by an
    earlier one, which its channel sends as it was queued)."""
    if kind == "notice":
        return Notice(
            values["text"], _buttons_of(values.get("buttons", [])), tuple(File(**f) for f in values.get("files", [])),
            values.get("template", ""), task_id, slip_id, purpose,
        )
    if kind == "change":
        buttons = values.get("buttons")
        return Change(values["notice_id"], values.get("text"), None if buttons is None else _buttons_of(buttons), task_id, purpose)
    if kind == "menu":
        return Menu(tuple(Command(c, d) for c, d in values["commands"]), purpose)
    if kind == "download":
        return Download(values["attachment_id"], File(**values["file"]), values["folder"], values["name"], task_id, purpose)
    return None
