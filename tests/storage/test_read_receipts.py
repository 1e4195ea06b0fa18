"""Read receipts as stored: a slip's copy read once (the first read counts), with its history, and
「已读未签收」 told to the issuer once — the SQL's candidates and the domain's rule held together."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from bot.domain.receipts import read_unacknowledged
from bot.domain.tasks import TaskStatus
from bot.edge import DINGTALK, TELEGRAM, Account, Notice
from bot.services import daily, delivery, handling
from bot.services.context import Office
from bot.services.issuing import issue_assignment
from bot.storage import history, org as org_store, outbox, receipts, slips
from tests.storage.conftest import NOW, Org
from tests.storage.test_services import draft

DING = Account(DINGTALK, "manager4012")
"""李镇长's 钉钉 userId: bound after his Telegram account, so the unit's slips reach him there."""


async def issue_and_deliver(office: Office, org: Org) -> tuple[int, int, dict[str, int]]:
    """Issue a 交办单 to 穰东镇 (李镇长 on 钉钉) and 古城街道 (孙主任 on Telegram); deliver every
    copy as its channel's message 7001, 7002 … (the 钉钉 copy first); return the two tasks and
    each copy's row by channel."""
    async with office.db.transaction() as conn:
        await org_store.bind_account(conn, org.town_head.id, DING, NOW)
    town, street = await issue_assignment(office, draft(org), org.clerk, NOW)
    rows: dict[str, int] = {}
    async with office.db.transaction() as conn:
        async with conn.execute("SELECT id, channel FROM outbox WHERE purpose = 'slip' ORDER BY channel, id") as cur:
            copies = [(r[0], r[1]) async for r in cur]
        for number, (row_id, channel) in enumerate(copies, start=7001):
            assert await outbox.claim(conn, row_id, NOW)
            assert await outbox.mark_sent(conn, row_id, number, NOW)
            rows[channel] = row_id
    return town.task.id, street.task.id, rows


async def test_the_first_read_counts_and_a_later_one_changes_nothing(office: Office, org: Org) -> None:
    town_task, _, rows = await issue_and_deliver(office, org)
    first, later = NOW + timedelta(minutes=40), NOW + timedelta(hours=2)
    # 钉钉 reports times in UTC; the office keeps its own zone
    assert await delivery.read(office, DING, "7001", first.astimezone(ZoneInfo("UTC")))
    assert not await delivery.read_notice(office, rows[DINGTALK], later), "a second report of a read changes nothing"

    copies = await receipts.copies_of_task(office.db.reader, town_task)
    ((copy,),) = copies.values()
    assert copy.read_at == first and copy.read_at.utcoffset() == timedelta(hours=8)
    entries = [e for e in await history.of_task(office.db.reader, town_task) if e.kind == "slip_read"]
    assert [(e.actor_id, e.at, e.details["number"]) for e in entries] == [(org.town_head.id, first, "交办单〔2026〕1号")]


async def test_a_telegram_copy_is_never_recorded_as_read(office: Office, org: Org) -> None:
    _, street_task, rows = await issue_and_deliver(office, org)
    assert not await delivery.read_notice(office, rows[TELEGRAM], NOW + timedelta(hours=1))
    ((copy,),) = (await receipts.copies_of_task(office.db.reader, street_task)).values()
    assert copy.delivered_at == NOW and not copy.reports_reads and copy.read_at is None
    assert not [e for e in await history.of_task(office.db.reader, street_task) if e.kind == "slip_read"]


async def test_a_read_of_a_message_that_is_no_slip_is_not_recorded(office: Office, org: Org) -> None:
    await issue_and_deliver(office, org)
    async with office.db.transaction() as conn:
        other = await outbox.enqueue(conn, DING, Notice("你好"), NOW)
        await outbox.claim(conn, other, NOW)
        await outbox.mark_sent(conn, other, 9001, NOW)
    assert not await delivery.read(office, DING, "9001", NOW)
    assert not await delivery.read(office, DING, "123456", NOW), "an unknown message"


async def clerk_notices(office: Office, org: Org) -> list[str]:
    async with office.db.reader.execute(
        "SELECT notice FROM outbox WHERE person_id = ? AND notice LIKE '%已读未签收%'", (org.clerk.id,)
    ) as cur:
        return [r[0] async for r in cur]


async def test_read_unacknowledged_is_told_to_the_issuer_once_after_the_hours_set(office: Office, org: Org) -> None:
    town_task, _, rows = await issue_and_deliver(office, org)
    read_at = NOW + timedelta(minutes=30)
    await delivery.read_notice(office, rows[DINGTALK], read_at)

    assert await delivery.chase_read_unacknowledged(office, read_at + timedelta(hours=3, minutes=59)) == 0
    assert await delivery.chase_read_unacknowledged(office, read_at + timedelta(hours=4)) == 1
    assert await delivery.chase_read_unacknowledged(office, read_at + timedelta(hours=9)) == 0, "told once"
    (told,) = await clerk_notices(office, org)
    assert "交办单〔2026〕1号" in told and "4小时后仍未签收" in told
    assert len(await receipts.told_still_unacknowledged(office.db.reader)) == 1, "the 督办日报 counts it"

    await handling.acknowledge(office, org.town_head, town_task, read_at + timedelta(hours=10))
    assert await receipts.told_still_unacknowledged(office.db.reader) == [], "签收'd: no longer counted"
    assert await receipts.acknowledged_at(office.db.reader, town_task) == read_at + timedelta(hours=10)


async def test_the_sql_candidates_and_the_rule_agree(office: Office, org: Org) -> None:
    """Every slip the SQL offers is one the rule may call 已读未签收 (its task 已交办, read); a
    task 签收'd before the hours passed is neither offered nor told."""
    town_task, _, rows = await issue_and_deliver(office, org)
    read_at = NOW + timedelta(minutes=30)
    await delivery.read_notice(office, rows[DINGTALK], read_at)
    candidates = await receipts.read_not_acknowledged(office.db.reader)
    assert [(c.task_id, c.read_at, c.status) for c in candidates] == [(town_task, read_at, TaskStatus.ISSUED)]
    assert all(read_unacknowledged(c.read_at, c.status, read_at + timedelta(hours=4), 4) for c in candidates)

    await handling.acknowledge(office, org.town_head, town_task, read_at + timedelta(hours=1))
    assert await receipts.read_not_acknowledged(office.db.reader) == []
    assert await delivery.chase_read_unacknowledged(office, read_at + timedelta(days=1)) == 0
    assert await clerk_notices(office, org) == []


async def test_a_reminder_slip_read_on_an_unsigned_task_is_told_with_its_own_number(office: Office, org: Org) -> None:
    """A 催办单 goes where the 交办单 went and is read on its own: each slip keeps its own times,
    and a task never 签收'd is 已读未签收 on the 催办单 too."""
    town_task, _, rows = await issue_and_deliver(office, org)
    await daily.run_daily(office, date(2026, 12, 2))  # 12-01 passed: the daily check issues 催办单
    run = daily.run_time(office, date(2026, 12, 2))
    reminder = [r for r in await outbox.heads(office.db.reader, run, channel=DINGTALK) if r.purpose == "slip"]
    assert len(reminder) == 1 and reminder[0].id != rows[DINGTALK]
    async with office.db.transaction() as conn:
        await outbox.claim(conn, reminder[0].id, run)
        await outbox.mark_sent(conn, reminder[0].id, 7101, run)
    assert await delivery.read(office, DING, "7101", run + timedelta(minutes=10))

    copies = await receipts.copies_of_task(office.db.reader, town_task)
    assignment, reminder_slip = await slips.of_task(office.db.reader, town_task)
    assert [c.read_at for c in copies[assignment.id]] == [None], "the 交办单 unread"
    assert [c.read_at for c in copies[reminder_slip.id]] == [run + timedelta(minutes=10)], "the 催办单 read"
    assert await delivery.chase_read_unacknowledged(office, run + timedelta(hours=4, minutes=10)) == 1
    (told,) = await clerk_notices(office, org)
    assert "催办单〔2026〕1号" in told
