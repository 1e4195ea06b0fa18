"""The evidence archive: every feedback attachment (书面反馈) downloaded into ``archive_dir``.

A feedback's transaction queues one outbox row per attachment (method ``ARCHIVE``); the sender
takes it like a message — in order, retried after network errors and 5xx, given up after a 400
— and, instead of a Bot API call, runs ``download``: ``getFile``, the bytes, a SHA-256. The file
is written under a temporary name and renamed into place, and the row is marked done in the
same transaction that records the file's path and checksum. A crash before that transaction
leaves the row to be taken again: the same name is written again, so nothing is kept twice and
nothing recorded that is not on disk.

``download`` is the one way the bot keeps a file someone sent: other intakes call it too.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import aiosqlite
from telegram import Bot

from bot.domain.feedback import MAX_KEPT_BYTES, archive_name
from bot.storage import feedback as feedback_store
from bot.storage import outbox

ARCHIVE = "archiveFile"
"""The outbox method of a download into the archive (not a Bot API method: the sender runs it)."""
ARCHIVE_CHAT = 0
"""The outbox "chat" of downloads: one queue of their own, taken one at a time and in order,
never in the way of a message to a person."""
PARTIAL = ".partial"
"""Folder under the archive for files being written."""


@dataclass(frozen=True)
class KeptFile:
    """A file written into the archive."""

    relative_path: str
    """Where it is, relative to the archive folder (what the database records)."""
    sha256: str
    size: int


def folder_of_task(year: int, seq: int) -> str:
    """The archive folder of one task's files: ``2026/0012``."""
    return f"{year}/{seq:04d}"


async def download(bot: Bot, file_id: str, archive_dir: Path, folder: str, name: str) -> KeptFile:
    """Fetch ``file_id`` from Telegram (``getFile``, then the file) into ``archive_dir/folder/name``.

    ``name`` must be one plain file name (``bot.domain.feedback.archive_name`` makes one);
    anything that would land outside ``archive_dir`` is refused with ``ValueError``.

    Raises:
        telegram.error.TelegramError: as ``getFile`` or the download fails (the caller retries).
        ValueError: the name or folder would leave the archive, or Telegram's file is over 20 MB.
    """
    _target(archive_dir, folder, name)  # refused before anything is fetched
    telegram_file = await bot.get_file(file_id)
    if telegram_file.file_size is not None and telegram_file.file_size > MAX_KEPT_BYTES:
        raise ValueError(f"file over {MAX_KEPT_BYTES} bytes")
    data = bytes(await telegram_file.download_as_bytearray())
    return await keep(archive_dir, folder, name, data)


async def keep(archive_dir: Path, folder: str, name: str, data: bytes) -> KeptFile:
    """Write bytes the bot already holds (a 会议纪要 it has read) into ``archive_dir/folder/name``.

    Raises:
        ValueError: the name or folder would leave the archive.
    """
    root, target = _target(archive_dir, folder, name)
    digest = hashlib.sha256(data).hexdigest()
    await asyncio.to_thread(_write, root, target, data)
    return KeptFile(target.relative_to(root).as_posix(), digest, len(data))


def _target(archive_dir: Path, folder: str, name: str) -> tuple[Path, Path]:
    root = archive_dir.resolve()
    target = (root / folder / name).resolve()
    if target.parent != (root / folder).resolve() or not target.is_relative_to(root) or "/" in name:
        raise ValueError(f"archive name outside the archive: {folder}/{name}")
    return root, target


def _write(root: Path, target: Path, data: bytes) -> None:
    # Written aside and renamed: a crash leaves either no file or the whole file at its name,
    # never half a file that a backup would copy as evidence.
    partial = root / PARTIAL / f"{target.name}.{os.getpid()}"
    partial.parent.mkdir(parents=True, exist_ok=True)
    with open(partial, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(partial, target)


async def queue(
    conn: aiosqlite.Connection, feedback_id: int, task_id: int, year: int, seq: int, now: datetime
) -> None:
    """In the feedback's transaction: one download per attachment, for the sender."""
    for attachment_id, attachment in await feedback_store.attachment_ids(conn, feedback_id):
        payload = {
            "attachment_id": attachment_id,
            "file_id": attachment.file_id,
            "folder": folder_of_task(year, seq),
            "name": archive_name(attachment_id, attachment.file_name, attachment.kind),
        }
        await outbox.enqueue(conn, ARCHIVE_CHAT, payload, now, method=ARCHIVE, task_id=task_id, purpose="archive")


async def record(conn: aiosqlite.Connection, attachment_id: int, kept: KeptFile, now: datetime) -> None:
    """In the sender's transaction that marks the download done: where the file is, its checksum."""
    await feedback_store.mark_archived(conn, attachment_id, kept.relative_path, kept.sha256, kept.size, now)

