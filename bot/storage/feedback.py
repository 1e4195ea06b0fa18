"""Feedback (办理结果情况) and its attachments."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from bot.domain.feedback import Attachment, Feedback, FeedbackKind, FeedbackStatus
from bot.storage.rows import stamp

__all__ = [
    "Attachment", "Feedback", "FeedbackStatus", "KeptAttachment", "add", "attachment_ids", "get", "mark_archived",
    "of_task", "pending_of_task", "review",
]


async def add(
    conn: aiosqlite.Connection,
    task_id: int,
    slip_id: int | None,
    submitted_by: int,
    now: datetime,
    text: str,
    attachments: tuple[Attachment, ...] = (),
    kind: FeedbackKind = FeedbackKind.RESULT,
) -> Feedback:
    """Record a feedback with its attachments; a 阶段进展 or a 配合单位's part needs no review."""
    status = FeedbackStatus.PENDING if kind is FeedbackKind.RESULT else FeedbackStatus.NOTED
    cur = await conn.execute(
        """INSERT INTO feedback (task_id, slip_id, submitted_by, submitted_at, text, status, kind)
           VALUES (?, ?, ?, ?, ?, ?, ?)""",
        (task_id, slip_id, submitted_by, stamp(now), text, status.value, kind.value),
    )
    feedback_id = cur.lastrowid or 0
    await conn.executemany(
        """INSERT INTO attachments (feedback_id, task_id, kind, file_id, file_unique_id, file_name, mime_type, size, channel)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        [
            (feedback_id, task_id, a.kind, a.file_id, a.file_unique_id, a.file_name, a.mime_type, a.size, a.channel)
            for a in attachments
        ],
    )
    return Feedback(feedback_id, task_id, slip_id, submitted_by, now, text, status, None, attachments)


async def _attachments(conn: aiosqlite.Connection, feedback_id: int) -> tuple[Attachment, ...]:
    async with conn.execute(
        "SELECT kind, file_id, file_unique_id, file_name, mime_type, size, channel FROM attachments WHERE feedback_id = ? ORDER BY id",
        (feedback_id,),
    ) as cur:
        return tuple([Attachment(*r) async for r in cur])


async def _feedback(conn: aiosqlite.Connection, row: aiosqlite.Row) -> Feedback:
    return Feedback(
        row["id"], row["task_id"], row["slip_id"], row["submitted_by"],
        datetime.fromisoformat(row["submitted_at"]), row["text"], FeedbackStatus(row["status"]),
        row["review_note"], await _attachments(conn, row["id"]),
    )


async def get(conn: aiosqlite.Connection, feedback_id: int) -> Feedback | None:
    """One feedback by id."""
    async with conn.execute("SELECT * FROM feedback WHERE id = ?", (feedback_id,)) as cur:
        row = await cur.fetchone()
    return await _feedback(conn, row) if row else None


async def pending_of_task(conn: aiosqlite.Connection, task_id: int) -> Feedback | None:
    """The feedback waiting for review, if any."""
    async with conn.execute(
        "SELECT * FROM feedback WHERE task_id = ? AND status = 'pending' ORDER BY id DESC LIMIT 1", (task_id,)
    ) as cur:
        row = await cur.fetchone()
    return await _feedback(conn, row) if row else None


async def review(
    conn: aiosqlite.Connection, feedback_id: int, status: FeedbackStatus, reviewer_id: int, now: datetime, note: str | None
) -> None:
    """Record the section's decision on a feedback."""
    await conn.execute(
        "UPDATE feedback SET status = ?, reviewed_by = ?, reviewed_at = ?, review_note = ? WHERE id = ?",
        (status.value, reviewer_id, stamp(now), note, feedback_id),
    )


@dataclass(frozen=True)
class KeptAttachment:
    """An attachment of a task's feedback, and where the archive keeps it (None: not yet)."""

    id: int
    feedback_id: int | None
    kind: str
    file_name: str | None
    size: int | None
    local_path: str | None
    sha256: str | None
    failed: bool = False
    """Its download was given up (Telegram refused the file): it lives only in the chat."""


async def attachment_ids(conn: aiosqlite.Connection, feedback_id: int) -> list[tuple[int, Attachment]]:
    """The ids the attachments of one feedback were stored under, in the order sent."""
    async with conn.execute(
        "SELECT id, kind, file_id, file_unique_id, file_name, mime_type, size, channel FROM attachments WHERE feedback_id = ? ORDER BY id",
        (feedback_id,),
    ) as cur:
        return [(r[0], Attachment(*r[1:])) async for r in cur]


async def of_task(conn: aiosqlite.Connection, task_id: int) -> list[KeptAttachment]:
    """Every attachment sent with the task's feedback, oldest first."""
    async with conn.execute(
        """SELECT a.id, a.feedback_id, a.kind, a.file_name, a.size, a.local_path, a.sha256,
                  EXISTS (SELECT 1 FROM outbox o WHERE o.task_id = a.task_id AND o.purpose = 'archive'
                          AND o.status = 'failed' AND CAST(json_extract(o.notice, '$.attachment_id') AS INTEGER) = a.id)
           FROM attachments a WHERE a.task_id = ? ORDER BY a.id""",
        (task_id,),
    ) as cur:
        return [KeptAttachment(r[0], r[1], r[2], r[3], r[4], r[5], r[6], bool(r[7])) async for r in cur]


async def mark_archived(
    conn: aiosqlite.Connection, attachment_id: int, local_path: str, sha256: str, size: int, now: datetime
) -> None:
    """The attachment is in the archive at ``local_path`` (relative to ``archive_dir``)."""
    await conn.execute(
        "UPDATE attachments SET local_path = ?, sha256 = ?, size = ?, archived_at = ? WHERE id = ?",
        (local_path, sha256, size, stamp(now), attachment_id),
    )
