"""Slip numbers: SPEC §3 "Each slip type has its own sequence per calendar year … Numbers are
unique, have no gaps, and stay correct when two clerks issue at the same moment"."""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path

import pytest

from bot.config import Settings
from bot.domain.errors import DomainError
from bot.domain.slips import SlipNumber, SlipType
from bot.domain.tasks import SourceType
from bot.services.context import Office
from bot.services.issuing import AssignmentDraft, issue_assignment
from bot.storage import slips, tasks
from tests.storage.conftest import NOW, SHANGHAI, Org

N = 200


def draft(org: Org, i: int) -> AssignmentDraft:
    return AssignmentDraft(
        title=f"第{i}项工作事项",
        requirements="按要求办理",
        basis="市政府常务会议纪要",
        source=SourceType.OTHER,
        unit_ids=(org.town.id,),
        period_days=7,
    )


async def issue(office: Office, org: Org, i: int, now: datetime = NOW) -> SlipNumber:
    (issued,) = await issue_assignment(office, draft(org, i), org.clerk, now)
    return issued.task.number


async def stored_numbers(office: Office, slip_type: SlipType, year: int) -> list[int]:
    async with office.db.reader.execute(
        "SELECT seq FROM slips WHERE type = ? AND year = ? ORDER BY seq", (slip_type.value, year)
    ) as cur:
        return [r[0] async for r in cur]


async def assert_numbers_are_1_to_n(office: Office, returned: list[SlipNumber], n: int) -> None:
    assert sorted(number.seq for number in returned) == list(range(1, n + 1))
    assert {number.year for number in returned} == {2026}
    assert await stored_numbers(office, SlipType.ASSIGNMENT, 2026) == list(range(1, n + 1))
    async with office.db.reader.execute("SELECT id FROM tasks") as cur:
        task_ids = [r[0] async for r in cur]
    assert len(task_ids) == n
    # every task's 交办单 carries the number it was issued with, and its text prints it
    for task_id in task_ids[:: max(1, n // 20)]:
        task = await tasks.get(office.db.reader, task_id)
        assert task is not None
        (slip,) = await slips.of_task(office.db.reader, task_id)
        assert slip.number == task.number
        assert str(task.number) in await slips.text_of(office.db.reader, slip.id)


async def test_concurrent_issues_in_one_process_get_1_to_n(office: Office, org: Org) -> None:
    """Two hundred 交办单 signed at the same moment: 〔2026〕1号 … 〔2026〕200号, none twice, none missing."""
    numbers = await asyncio.gather(*(issue(office, org, i) for i in range(N)))
    await assert_numbers_are_1_to_n(office, list(numbers), N)


async def test_concurrent_issues_from_two_processes_get_1_to_n(office: Office, org: Org, db_path: Path) -> None:
    """The bot and a CLI command (two connections to one file) issue at the same time."""
    other = await Office.open(Settings(db_path=db_path, database_url=office.settings.database_url))
    try:
        clerks_a = [issue(office, org, i) for i in range(0, N, 2)]
        clerks_b = [issue(other, org, i) for i in range(1, N, 2)]
        numbers = await asyncio.gather(*(c for pair in zip(clerks_a, clerks_b, strict=True) for c in pair))
    finally:
        await other.db.close()
    await assert_numbers_are_1_to_n(office, list(numbers), N)
    async with office.db.reader.execute(
        "SELECT last FROM slip_sequences WHERE type = 'assignment' AND year = 2026"
    ) as cur:
        assert (await cur.fetchone())[0] == N


async def test_sequences_are_per_type(office: Office, org: Org) -> None:
    """交办单〔2026〕1号, 催办单〔2026〕1号 and 督办通知单〔2026〕1号 are three different slips."""
    for i in range(3):
        await issue(office, org, i)
    async with office.db.transaction() as conn:
        reminders = [await slips.next_number(conn, SlipType.REMINDER, 2026) for _ in range(2)]
        notice = await slips.next_number(conn, SlipType.SUPERVISION, 2026)
    assert reminders == [SlipNumber(SlipType.REMINDER, 2026, 1), SlipNumber(SlipType.REMINDER, 2026, 2)]
    assert notice == SlipNumber(SlipType.SUPERVISION, 2026, 1)
    assert (await issue(office, org, 9)).seq == 4


async def test_sequences_are_per_year(office: Office, org: Org) -> None:
    """A new calendar year (Asia/Shanghai) starts again at 1."""
    for i in range(3):
        await issue(office, org, i)
    new_year = datetime(2027, 1, 4, 9, 0, tzinfo=SHANGHAI)
    first_2027 = await issue(office, org, 10, new_year)
    assert first_2027 == SlipNumber(SlipType.ASSIGNMENT, 2027, 1)
    assert str(first_2027) == "〔2027〕1号"
    assert (await issue(office, org, 11, new_year)).seq == 2
    assert (await issue(office, org, 12)).seq == 4  # 2026 carries on where it was
    assert await stored_numbers(office, SlipType.ASSIGNMENT, 2027) == [1, 2]


async def test_a_failed_issue_leaves_no_gap(office: Office, org: Org) -> None:
    """A number taken inside a transaction that fails is given back: the next slip gets it."""
    await issue(office, org, 0)
    bad = AssignmentDraft(
        title="事项", requirements="要求", basis="依据", source=SourceType.OTHER,
        unit_ids=(org.town.id, org.street.id, 9999), period_days=7,
    )
    with pytest.raises(DomainError) as info:
        await issue_assignment(office, bad, org.clerk, NOW)
    assert info.value.code == "unit_unknown"
    assert (await issue(office, org, 1)).seq == 2
    assert await stored_numbers(office, SlipType.ASSIGNMENT, 2026) == [1, 2]

