"""Messages to people, written to the outbox inside the caller's transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import aiosqlite

from bot.actions import Offer
from bot.domain.org import Person
from bot.message_size import fits_in_message, split_message
from bot.storage import outbox
from bot.texts import render

Keyboard = list[list[dict[str, str]]]


def button(text: str, offer: Offer) -> dict[str, str]:
    """An inline button offering an action of ``bot.actions``."""
    return {"text": text, "callback_data": offer.data}


def message(text: str, keyboard: Keyboard | None = None) -> dict[str, Any]:
    """A sendMessage payload in Telegram HTML."""
    payload: dict[str, Any] = {"text": text, "parse_mode": "HTML", "link_preview_options": {"is_disabled": True}}
    if keyboard:
        payload["reply_markup"] = {"inline_keyboard": keyboard}
    return payload


async def send(
    conn: aiosqlite.Connection,
    person: Person,
    payload: dict[str, Any],
    now: datetime,
    *,
    method: str = "sendMessage",
    task_id: int | None = None,
    slip_id: int | None = None,
    purpose: str = "",
) -> bool:
    """Queue ``payload`` for ``person``; False when the person has no Telegram account bound yet.

    A text longer than one Telegram message goes as several, cut between lines, the buttons
    under the last: Telegram would refuse it whole, and the message would be lost.
    """
    if person.telegram_id is None:
        return False
    for part in _parts(payload, method):
        await outbox.enqueue(
            conn, person.telegram_id, part, now,
            method=method, person_id=person.id, task_id=task_id, slip_id=slip_id, purpose=purpose,
        )
    return True


def _parts(payload: dict[str, Any], method: str) -> list[dict[str, Any]]:
    text = payload.get("text")
    if method != "sendMessage" or not isinstance(text, str) or fits_in_message(text):
        return [payload]
    texts = split_message(text)
    plain_part = {k: v for k, v in payload.items() if k != "reply_markup"}
    return [{**plain_part, "text": t} for t in texts[:-1]] + [{**payload, "text": texts[-1]}]


async def tell(
    conn: aiosqlite.Connection,
    person: Person,
    template: str,
    now: datetime,
    /,
    *,
    keyboard: Keyboard | None = None,
    task_id: int | None = None,
    purpose: str = "",
    **context: Any,
) -> bool:
    """Render ``messages/<template>.j2`` and queue it for ``person``."""
    return await send(conn, person, message(render(template, **context), keyboard), now, task_id=task_id, purpose=purpose)
