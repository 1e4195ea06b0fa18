"""The cards of a channel whose cards change only with a one-time code (企业微信's
``response_code``): what each shows, its buttons' labels, and the codes left to change it."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import aiosqlite

from bot.storage.rows import stamp

KEEP = timedelta(days=7)
"""A card untouched this long is forgotten (企业微信's codes are good for three days)."""


@dataclass
class StoredCard:
    """One card: its text, ``labels`` (action data → button label) and the codes left."""

    html: str
    labels: dict[str, str] = field(default_factory=dict)
    codes: list[str] = field(default_factory=list)


async def read(conn: aiosqlite.Connection, channel: str, card: str) -> StoredCard | None:
    async with conn.execute("SELECT html, buttons, codes FROM channel_cards WHERE channel = ? AND card = ?", (channel, card)) as cur:
        row = await cur.fetchone()
    if row is None:
        return None
    return StoredCard(str(row[0]), {data: label for label, data in json.loads(row[1])}, list(json.loads(row[2])))


async def write(conn: aiosqlite.Connection, channel: str, card: str, stored: StoredCard, now: datetime) -> None:
    await conn.execute(
        "INSERT OR REPLACE INTO channel_cards (channel, card, html, buttons, codes, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
        (channel, card, stored.html, json.dumps([[label, data] for data, label in stored.labels.items()], ensure_ascii=False),
         json.dumps(stored.codes), stamp(now)),
    )


async def prune(conn: aiosqlite.Connection, now: datetime) -> None:
    """Forget cards untouched for :data:`KEEP`."""
    await conn.execute("DELETE FROM channel_cards WHERE updated_at < ?", (stamp(now - KEEP),))
