"""Invites: one-time, expiring codes that bind a Telegram account to a person."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import aiosqlite

from bot.domain.errors import DomainError
from bot.storage.rows import stamp


@dataclass(frozen=True)
class Invite:
    """An invite code for a person."""

    code: str
    person_id: int
    expires_at: datetime


async def create(conn: aiosqlite.Connection, person_id: int, now: datetime, ttl: timedelta) -> Invite:
    """A new code (URL-safe, fits Telegram's 64-character start parameter); the person's unused
    codes sent before are replaced by it."""
    code = secrets.token_urlsafe(18)
    expires = now + ttl
    await conn.execute(
        "UPDATE invites SET replaced_at = ? WHERE person_id = ? AND used_at IS NULL AND replaced_at IS NULL",
        (stamp(now), person_id),
    )
    await conn.execute(
        "INSERT INTO invites (code, person_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
        (code, person_id, stamp(now), stamp(expires)),
    )
    return Invite(code, person_id, expires)


async def redeem(conn: aiosqlite.Connection, code: str, now: datetime) -> int:
    """Use a code once; return its person. Unknown, used, replaced and expired codes are refused.
    The account it bound is in the accounts table, with the time."""
    person_id = await peek(conn, code, now)
    await conn.execute("UPDATE invites SET used_at = ? WHERE code = ?", (stamp(now), code))
    return person_id


async def peek(conn: aiosqlite.Connection, code: str, now: datetime) -> int:
    """The person a code is for, if it may be used now; refused as ``redeem`` would, and not used."""
    async with conn.execute("SELECT * FROM invites WHERE code = ?", (code,)) as cur:
        row = await cur.fetchone()
    if row is None:
        raise DomainError("invite_unknown")
    if row["used_at"] is not None:
        raise DomainError("invite_used")
    if row["replaced_at"] is not None:
        raise DomainError("invite_replaced")
    if datetime.fromisoformat(row["expires_at"]) <= now:
        raise DomainError("invite_expired")
    return int(row["person_id"])
