"""Feedback (反馈): the unit's written 办理结果情况 on a slip, with its attachments.

"请在反馈材料中注明交办单编号" — each feedback is recorded against the slip it cites.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class FeedbackStatus(StrEnum):
    """The review of one feedback."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    RETURNED = "returned"
    NOTED = "noted"
    """A 阶段进展 report or a 配合单位's part: seen, not reviewed."""


class FeedbackKind(StrEnum):
    """What a feedback is for."""

    RESULT = "result"
    """办理结果情况: reviewed, and closes the task when accepted."""

    PROGRESS = "progress"
    """阶段进展 on a scheduled report date: does not close the task and needs no review."""

    PART = "part"
    """A 配合单位's part, sent to the 牵头单位 for its consolidated 办理结果."""


@dataclass(frozen=True)
class Attachment:
    """A document or photo sent with feedback: the channel's reference to it (``file_id``) and
    what we know of it."""

    kind: str
    file_id: str
    file_unique_id: str | None = None
    file_name: str | None = None
    mime_type: str | None = None
    size: int | None = None
    channel: str = "telegram"
    """The channel it came on (``bot.edge``): the file is fetched again through that channel."""


@dataclass(frozen=True)
class Feedback:
    """One 反馈 of a unit on a task."""

    id: int
    task_id: int
    slip_id: int | None
    submitted_by: int
    submitted_at: datetime
    text: str
    status: FeedbackStatus
    review_note: str | None
    attachments: tuple[Attachment, ...] = ()


MAX_KEPT_BYTES = 20 * 1024 * 1024
"""The largest attachment the bot can keep: Telegram serves bots files up to 20 MB."""


def too_big_to_keep(attachment: Attachment) -> bool:
    """Whether the attachment is over ``MAX_KEPT_BYTES``: the bot could never download it, so
    its 书面反馈 would live only as a Telegram file id. Refused when it is sent."""
    return attachment.size is not None and attachment.size > MAX_KEPT_BYTES


_UNSAFE = set('<>:"|?*\\/')


def archive_name(attachment_id: int, file_name: str | None, kind: str) -> str:
    """The file name an attachment is kept under: its id, then what is left of the sender's
    name once every path part, control character and leading dot is taken away.

    The name comes from the sender's phone and can be anything (``../../etc/passwd``); what
    is returned is one plain name, never a path, so the file stays inside the archive folder.
    The id in front keeps two files of the same name apart.
    """
    base = (file_name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(c for c in base if c.isprintable() and c not in _UNSAFE).strip(" .")
    if len(base) > 120:  # file systems allow 255 bytes; a Chinese character takes three
        stem, dot, ext = base.rpartition(".")
        base = (stem[: 110] + dot + ext[:9]) if dot and len(ext) <= 9 else base[:120]
    if not base:
        base = "photo.jpg" if kind == "photo" else "file"
    return f"{attachment_id}-{base}"
