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
    """A document or photo sent with feedback: Telegram's file id and what we know of it."""

    kind: str
    file_id: str
    file_unique_id: str | None = None
    file_name: str | None = None
    mime_type: str | None = None
    size: int | None = None


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
