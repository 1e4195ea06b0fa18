"""A file a notice carries, on whichever messenger the notice goes.

A file somebody sent the bot is known by the channel it came on and that channel's reference
to it. A notice carrying it to a person on the same channel names it by that reference; to a
person on another channel (a 钉钉 official's photo for a clerk on Telegram, a clerk's file issued
with a 交办单 to a 企业微信 unit) its bytes are fetched through the channel it came on, each
running channel having registered its way to fetch (``Office.file_sources``), and uploaded.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from bot.domain.feedback import MAX_KEPT_BYTES
from bot.edge import File
from bot.services.context import Office

log = logging.getLogger(__name__)

LIMIT = MAX_KEPT_BYTES
"""The largest file carried across channels: what the archive keeps, and what every
messenger's upload takes (钉钉 and 企业微信 20 MB, Telegram 50 MB)."""


class FileUnreachable(Exception):
    """The channel a file came on failed to give its bytes for now: the notice is tried again
    later, as after a passing failure of its own channel."""


def foreign(file: File, channel: str) -> bool:
    """Whether ``file`` must go as bytes on ``channel``: kept by the bot, or received on another."""
    return bool(file.kept) or file.channel != channel


async def bytes_of(office: Office, file: File) -> bytes | None:
    """The bytes of a file a notice carries: the archive's copy, or fetched through the channel it
    was received on. None when no channel running here reaches it (the notice's words go without
    it, and the log says so).

    Raises:
        ValueError: the file is over :data:`LIMIT`.
        FileUnreachable: its channel failed to give it for now.
    """
    if file.kept:
        return await asyncio.to_thread((Path(office.settings.archive_dir) / file.kept).read_bytes)
    fetch = office.file_sources.get(file.channel)
    if fetch is None or not file.received:
        log.warning("no channel here fetches files received on %s (%s); the words go without it", file.channel, file.name)
        return None
    try:
        return await fetch(file, LIMIT)
    except ValueError:
        raise
    except Exception as exc:
        raise FileUnreachable(f"{file.channel} did not give {file.name or file.received}: {exc}") from exc
