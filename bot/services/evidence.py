"""The evidence archive: every feedback attachment (书面反馈) downloaded into ``archive_dir``.

A feedback's transaction queues one outbox row per attachment (a ``bot.edge.Download``); the
sender of the file's channel takes it like a message — in order, retried after network errors
and 5xx, given up after a 400 — and, instead of sending, runs ``download`` with the channel's
way to fetch a received file (``bot.edge.FetchFile``): the bytes, a SHA-256. The file
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

from bot.domain.feedback import MAX_KEPT_BYTES, archive_name
from bot.storage import feedback as feedback_store
from bot.edge import Account, Download, FetchFile, File
from bot.services.notify import queue as queue_outgoing
from bot.services.notify import received

ARCHIVE_ADDRESS = "0"
"""The outbox address of downloads on their channel: one queue of their own, taken one at a
time and in order, never in the way of a message to a person."""
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


async def download(fetch: FetchFile, file: File, archive_dir: Path, folder: str, name: str) -> KeptFile:
    """Fetch a received ``file`` through its channel into ``archive_dir/folder/name``.

    ``name`` must be one plain file name (``bot.domain.feedback.archive_name`` makes one);
    anything that would land outside ``archive_dir`` is refused with ``ValueError``.

    Raises:
        ValueError: the name or folder would leave the archive, or the file is over 20 MB.
        The channel's errors as the fetch fails (the caller retries).
    """
    _target(archive_dir, folder, name)  # refused before anything is fetched
    data = await fetch(file, MAX_KEPT_BYTES)
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
        file = received(attachment.file_id, attachment.kind, attachment.file_name or "", attachment.channel)
        item = Download(
            attachment_id, file, folder_of_task(year, seq), archive_name(attachment_id, attachment.file_name, attachment.kind),
            task_id=task_id,
        )
        await queue_outgoing(conn, Account(file.channel, ARCHIVE_ADDRESS), item, now)


async def record(conn: aiosqlite.Connection, attachment_id: int, kept: KeptFile, now: datetime) -> None:
    """In the sender's transaction that marks the download done: where the file is, its checksum."""
    await feedback_store.mark_archived(conn, attachment_id, kept.relative_path, kept.sha256, kept.size, now)

