"""申请延期's typed time and reason (``/extend 单号 7天 理由``), read outside the handler."""

from __future__ import annotations

from datetime import date

import pytest

from bot.domain.errors import DomainError
from bot.services.extensions import TimeAsked, read_time_asked

TODAY = date(2026, 11, 24)


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("7天 需协调用地", TimeAsked(7, None, "需协调用地")),
        ("7 天 需协调用地", TimeAsked(7, None, "需协调用地")),
        ("7天需协调用地", TimeAsked(7, None, "需协调用地")),
        ("2026-12-31 等待省厅批复", TimeAsked(None, date(2026, 12, 31), "等待省厅批复")),
        ("12月31日 等待省厅批复", TimeAsked(None, date(2026, 12, 31), "等待省厅批复")),
        ("7天", TimeAsked(7, None, "")),
    ],
)
def test_the_time_and_the_reason(typed: str, read: TimeAsked) -> None:
    assert read_time_asked(typed, TODAY) == read


@pytest.mark.parametrize("typed", ["", "下个月 理由", "理由在前 7天"])
def test_no_time_reads_as_none(typed: str) -> None:
    assert read_time_asked(typed, TODAY) is None


def test_a_date_that_does_not_exist_is_refused() -> None:
    with pytest.raises(DomainError):
        read_time_asked("2026-02-30 理由", TODAY)
