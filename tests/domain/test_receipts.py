"""A slip's 已送达 / 已读 / 已签收, and 「已读未签收」 (bot/domain/receipts.py).

SPEC section 12: "钉钉 tells who has read a 工作通知, so 交办单, 催办单 and 督办通知单 show 已送达 /
已读 / 已签收 with times, and 「已读未签收」 after a set number of hours is told to the clerk and
counted in the 督办日报."
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.receipts import Copy, receipt, read_unacknowledged
from bot.domain.tasks import TaskStatus

SHANGHAI = ZoneInfo("Asia/Shanghai")
DELIVERED = datetime(2026, 12, 1, 9, 0, tzinfo=SHANGHAI)
READ = datetime(2026, 12, 1, 10, 0, tzinfo=SHANGHAI)


def test_read_and_not_acknowledged_four_hours_on_is_told() -> None:
    assert not read_unacknowledged(READ, TaskStatus.ISSUED, READ + timedelta(hours=3, minutes=59), 4)
    assert read_unacknowledged(READ, TaskStatus.ISSUED, READ + timedelta(hours=4), 4)


@pytest.mark.parametrize(
    "status", [TaskStatus.ACKNOWLEDGED, TaskStatus.FEEDBACK_PENDING, TaskStatus.COMPLETED, TaskStatus.WITHDRAWN]
)
def test_a_task_signed_for_answered_closed_or_withdrawn_is_never_read_unacknowledged(status: TaskStatus) -> None:
    """签收, or a 反馈 (which counts as 签收), or 办结 / 撤回: nothing is left to 签收."""
    assert not read_unacknowledged(READ, status, READ + timedelta(days=30), 4)


def test_a_slip_never_read_is_never_read_unacknowledged() -> None:
    """Unread (or read where no read is reported): the daily check's 催办 chases it, not this rule."""
    assert not read_unacknowledged(None, TaskStatus.ISSUED, READ + timedelta(days=30), 4)


moments = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(SHANGHAI)
)


@given(read=moments, later=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=10)), hours=st.integers(1, 72))
def test_once_read_unacknowledged_it_stays_so_until_signed_for(read: datetime, later: timedelta, hours: int) -> None:
    """The rule only turns on as time passes: what was told is never untrue a moment later."""
    now = read + later
    if read_unacknowledged(read, TaskStatus.ISSUED, now, hours):
        assert read_unacknowledged(read, TaskStatus.ISSUED, now + timedelta(minutes=1), hours)
    assert read_unacknowledged(read, TaskStatus.ISSUED, now, hours) == (later >= timedelta(hours=hours))


def test_a_slip_on_telegram_is_delivered_and_never_called_read() -> None:
    """Telegram tells nothing of reads: even a read time wrongly given for its copy is not believed."""
    shown = receipt([Copy(DELIVERED, reports_reads=False, read_at=READ)], acknowledged_at=None)
    assert shown.delivered_at == DELIVERED
    assert not shown.reads_reported
    assert shown.read_at is None


def test_a_unit_with_copies_on_both_channels_shows_the_first_arrival_and_the_first_read() -> None:
    later = DELIVERED + timedelta(minutes=5)
    shown = receipt(
        [
            Copy(later, reports_reads=True, read_at=READ + timedelta(hours=1)),
            Copy(DELIVERED, reports_reads=False),
            Copy(later, reports_reads=True, read_at=READ),
            Copy(None, reports_reads=True),
        ],
        acknowledged_at=READ + timedelta(hours=2),
    )
    assert (shown.delivered_at, shown.reads_reported, shown.read_at) == (DELIVERED, True, READ)
    assert shown.acknowledged_at == READ + timedelta(hours=2)


def test_a_copy_not_yet_delivered_says_nothing() -> None:
    shown = receipt([Copy(None, reports_reads=True)], acknowledged_at=None)
    assert shown.delivered_at is None and not shown.reads_reported and shown.read_at is None


@given(st.lists(st.tuples(st.booleans(), st.booleans(), st.integers(0, 600)), max_size=6))
def test_read_is_shown_only_where_a_channel_reports_it(copies: list[tuple[bool, bool, int]]) -> None:
    made = [
        Copy(DELIVERED + timedelta(minutes=m), reports_reads=reports, read_at=READ + timedelta(minutes=m) if was_read else None)
        for reports, was_read, m in copies
    ]
    shown = receipt(made, None)
    believed = [c.read_at for c in made if c.reports_reads and c.read_at is not None]
    assert shown.read_at == (min(believed) if believed else None)
    assert shown.read_at is None or shown.reads_reported
