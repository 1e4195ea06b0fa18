"""What became of a slip once it went out: 已送达, 已读, 已签收 — and 「已读未签收」.

A 交办单, 催办单 or 督办通知单 goes to each bound person of its unit. The channel says when it
arrived (已送达, every channel) and, where it can, when it was read (已读: 钉钉's 工作通知 lists
who has read it; Telegram and 企业微信 say nothing of the kind, so a slip that reached its unit
there is never called 已读, read or not). 签收 is the unit's, once per task: "the unit confirms it
received the 交办单" (bot/domain/tasks.py), or its first 反馈, which counts as 签收 as well.

「已读未签收」 (SPEC section 12): the unit has read the slip and, a set number of hours on
(``reminders.read_unacknowledged_hours``), still not 签收'd it. The clerk who issued it is told,
once, and the 督办日报 counts it: a slip read and left unanswered is a unit that knows and waits,
not one the message missed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.domain.tasks import TaskStatus

DEFAULT_READ_UNACKNOWLEDGED_HOURS = 4
"""Hours after a slip was read by which its unit is expected to have 签收'd it."""


@dataclass(frozen=True)
class Copy:
    """One person's copy of a slip, as its channel reported it."""

    delivered_at: datetime | None
    """When the channel accepted it; None while it waits to be sent."""
    reports_reads: bool
    """The channel tells when it is read (``bot.edge.reports_reads``)."""
    read_at: datetime | None = None
    """When it was first read, as the channel said; only ever set where ``reports_reads``."""


@dataclass(frozen=True)
class Receipt:
    """A slip's 已送达 / 已读 / 已签收, as /task, the 督办日报 and the 台账 show them."""

    delivered_at: datetime | None
    """已送达: the first copy's arrival; None while no copy has arrived."""
    reads_reported: bool
    """Some copy went where reads are reported: only then is 已读 (or 未读) shown at all."""
    read_at: datetime | None
    """已读: the first read of any copy; None when unread or not reported."""
    acknowledged_at: datetime | None
    """已签收: when the unit 签收'd the task (or first reported on it); None while it has not."""


def receipt(copies: Iterable[Copy], acknowledged_at: datetime | None) -> Receipt:
    """A slip's receipt from its copies: the first arrival, the first read where reads are
    reported (a read of a copy on a channel that reports none is not believed), and the task's 签收."""
    delivered = [c for c in copies if c.delivered_at is not None]
    reads = [c.read_at for c in delivered if c.reports_reads and c.read_at is not None]
    return Receipt(
        delivered_at=min((c.delivered_at for c in delivered if c.delivered_at is not None), default=None),
        reads_reported=any(c.reports_reads for c in delivered),
        read_at=min(reads, default=None),
        acknowledged_at=acknowledged_at,
    )


def read_unacknowledged(read_at: datetime | None, status: TaskStatus, now: datetime, hours: int) -> bool:
    """「已读未签收」: the slip was read at least ``hours`` hours before ``now`` and its task is
    still 已交办 — not 签收'd, no 反馈 (which counts as 签收), not withdrawn or 办结.

    A slip never read (or read where reads are not reported) is never 已读未签收: it is the
    daily check's 催办 that chases a unit the slip may not have reached.
    """
    return read_at is not None and status is TaskStatus.ISSUED and now >= read_at + timedelta(hours=hours)
