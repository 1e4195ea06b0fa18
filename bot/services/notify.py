"""Notices to people (``bot.edge``), written to the outbox inside the caller's transaction.

A notice goes to the person's account (the latest bound); each channel renders and sends it.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

import aiosqlite

from bot.actions import Offer
from bot.domain.org import Person
from bot.edge import TELEGRAM, Account, Button, Buttons, Change, File, Menu, Notice, Outgoing, reply_finds_slip
from bot.message_size import fits_in_message, split_message
from bot.storage import outbox
from bot.texts import render

Keyboard = list[list[Button]]
"""Rows of buttons as a service draws them."""


def button(label: str, offer: Offer) -> Button:
    """A button offering an action of ``bot.actions``."""
    return Button(label, offer)


def buttons(keyboard: Keyboard | Buttons | None) -> Buttons:
    """Rows of buttons, empty rows left out."""
    return tuple(tuple(row) for row in keyboard or () if row)


def message(text: str, keyboard: Keyboard | Buttons | None = None, *, template: str = "") -> Notice:
    """A message notice: ``text`` in the bot's markup, the buttons under it."""
    return Notice(text, buttons(keyboard), template=template)


def received(ref: str, kind: str = "document", name: str = "", channel: str = TELEGRAM) -> File:
    """A file someone sent the bot, by the reference the channel it came on gave it: it is
    fetched again through that channel."""
    return File(name or "", photo=kind == "photo", channel=channel, received=ref)


def with_file(file: File, caption: str = "") -> Notice:
    """A notice carrying one file, ``caption`` under it."""
    return Notice(caption, files=(file,))


async def send(
    conn: aiosqlite.Connection,
    person: Person,
    notice: Notice,
    now: datetime,
    *,
    task_id: int | None = None,
    slip_id: int | None = None,
    purpose: str = "",
) -> bool:
    """Queue ``notice`` for ``person``; False when the person has no account bound yet.

    A text longer than one message goes as several, cut between lines, the buttons under the
    last: the messenger would refuse it whole, and the message would be lost.
    """
    if person.account is None:
        return False
    notice = replace(
        notice, task_id=task_id if task_id is not None else notice.task_id,
        slip_id=slip_id if slip_id is not None else notice.slip_id, purpose=purpose or notice.purpose,
    )
    for part in _parts(notice):
        await outbox.enqueue(conn, person.account, part, now, person_id=person.id)
    return True


async def send_to(
    conn: aiosqlite.Connection, account: Account, notice: Notice, now: datetime, *, task_id: int | None = None,
    purpose: str = "",
) -> None:
    """Queue ``notice`` for an address that is no person's (a group chat named in the settings)."""
    for part in _parts(replace(notice, task_id=task_id, purpose=purpose)):
        await outbox.enqueue(conn, account, part, now)


def _parts(notice: Notice) -> list[Notice]:
    if notice.files or fits_in_message(notice.text):
        return [notice]
    texts = split_message(notice.text)
    return [replace(notice, text=t, buttons=()) for t in texts[:-1]] + [replace(notice, text=texts[-1])]


async def change_delivered(
    conn: aiosqlite.Connection, delivered: list[outbox.OutboxMessage], now: datetime, *,
    buttons: Buttons, task_id: int | None = None,
) -> None:
    """Give notices new buttons (``()``: none), each where it went: delivered earlier, or still on
    their way (the change follows the notice in its address's queue)."""
    for row in delivered:
        change = Change(row.id, buttons=buttons, task_id=task_id)
        await outbox.enqueue(conn, Account(row.channel, row.address), change, now, person_id=row.person_id)


async def set_menu(conn: aiosqlite.Connection, person: Person, menu: Menu, now: datetime) -> None:
    """Queue the person's command menu for their account."""
    if person.account is not None:
        await outbox.enqueue(conn, person.account, menu, now, person_id=person.id)


async def queue(conn: aiosqlite.Connection, account: Account, item: Outgoing, now: datetime) -> None:
    """Queue any outgoing item for the channel of ``account`` (a download from it)."""
    await outbox.enqueue(conn, account, item, now)


async def tell(
    conn: aiosqlite.Connection,
    person: Person,
    template: str,
    now: datetime,
    /,
    *,
    keyboard: Keyboard | Buttons | None = None,
    task_id: int | None = None,
    purpose: str = "",
    **context: Any,
) -> bool:
    """Render ``messages/<template>.j2`` and queue it for ``person``; ``by_reply`` tells the
    template whether replying to a slip's message is feedback on the person's channel."""
    by_reply = person.account is not None and reply_finds_slip(person.account.channel)
    notice = message(render(template, by_reply=by_reply, **context), keyboard, template=template)
    return await send(conn, person, notice, now, task_id=task_id, purpose=purpose)
