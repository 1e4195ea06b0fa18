"""Read receipts on 钉钉 (SPEC section 12): a 交办单 to a 钉钉 person goes as its card in the robot
chat and as a 工作通知; the person opens it, the read poll asks 钉钉 and the clerk's /task shows
已读 with the time; read and left unsigned past ``reminders.read_unacknowledged_hours``, the
clerk is told once and the 督办日报 counts it. A 催办单 the same day to the same person is not
swallowed by 钉钉's same-content rule, and a 工作通知 钉钉 holds back loses no slip.

The bot runs against the 钉钉 emulator over HTTP; the poll's turns are called where a test
needs one (``DingTalkSender.poll_reads_once``, what its loop calls every
``[dingtalk] read_poll_seconds``), the office's clock set to the hour of each step.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from bot.channels.dingtalk.channel import DingTalkChannel
from bot.domain.org import Role
from bot.emulators.dingtalk import DingTalkPeople
from bot.emulators.telegram.client import wait_idle
from bot.services import daily, escalating
from bot.services.context import Office
from bot.storage import outbox, work_notices
from tests.e2e_dingtalk.conftest import Organisation
from tests.e2e_dingtalk.test_dingtalk import issue, slip_number

DAY = date(2026, 12, 1)


def at(office: Office, hour: int, minute: int = 0, day: date = DAY) -> datetime:
    return datetime.combine(day, time(hour, minute), office.settings.timezone)


async def test_a_slip_read_in_dingtalk_shows_read_and_is_told_once_when_left_unsigned(
    city, organisation: Organisation, office: Office, channel: DingTalkChannel,
):  # type: ignore[no-untyped-def]
    await organisation.section("政务监督室", supervision_office=True)
    supervisor = await organisation.join_telegram("赵督查", Role.SUPERVISOR, section="政务监督室")
    clerk, zhujian = city["clerk"], city["zhujian"]
    office.clock = lambda: at(office, 9)
    task = await issue(office, clerk, title="城区积水点排查整治")
    number = slip_number(task)

    # The slip twice in 钉钉: the card with its buttons in the robot chat, and the 工作通知.
    await zhujian.wait_for(card_with=number, timeout=10)
    notice = await zhujian.wait_for(kind="notice", text_contains=number, timeout=10)
    assert "签收" in notice["text"] and not notice["read"]
    await clerk.wait_for(text_contains="送达住建局")
    assert await channel.sender.poll_reads_once() == 0, "delivered, not read"
    await clerk.send(f"/task {task.number.full}")
    detail = await clerk.wait_for(text_contains="城区积水点排查整治")
    assert "已送达 2026年12月1日 09:00 · 未读" in detail.text

    # 李住建 opens it; the next turn of the poll learns it from 钉钉 at 10:15.
    await zhujian.read()
    office.clock = lambda: at(office, 10, 15)
    assert await channel.sender.poll_reads_once() == 1
    assert await channel.sender.poll_reads_once() == 0, "a read is recorded once"
    office.clock = lambda: at(office, 10, 20)
    await clerk.send(f"/task {task.number.full}")
    detail = await clerk.wait_for(text_contains="城区积水点排查整治", predicate=lambda m: "已读 " in m.text)
    assert "已送达 2026年12月1日 09:00 · 已读 2026年12月1日 10:15" in detail.text
    assert "已签收" not in detail.text and "李住建 已读 交办单" in detail.text

    # Unsigned four hours after the read: the poll tells the clerk at 14:15, and only then, once.
    office.clock = lambda: at(office, 14, 14)
    await channel.sender.poll_reads_once()
    office.clock = lambda: at(office, 14, 15)
    await channel.sender.poll_reads_once()
    told = await clerk.wait_for(text_contains="已读未签收")
    assert task.number.full in told.text and "2026年12月1日 10:15 已读，4小时后仍未签收" in told.text
    office.clock = lambda: at(office, 16)
    await channel.sender.poll_reads_once()

    # The next morning's 督办日报 counts it; the clerk has heard of it once.
    office.clock = lambda: at(office, 9, 5, DAY + timedelta(days=1))
    await daily.run_daily(office, DAY + timedelta(days=1))
    summary = await supervisor.wait_for(text_contains="督办日报")
    assert "已读未签收：1项" in summary.text
    assert "已送达 2026年12月1日 09:00 · 已读 2026年12月1日 10:15 · 未签收" in summary.text
    await wait_idle(clerk.state, quiet=0.3)
    assert sum("已读未签收" in m.content for m in clerk.messages()) == 1, "told once"


async def test_a_reminder_the_same_day_is_not_swallowed_and_a_notice_held_back_loses_no_slip(
    city, office: Office, people: DingTalkPeople, channel: DingTalkChannel,
):  # type: ignore[no-untyped-def]
    clerk, zhujian = city["clerk"], city["zhujian"]
    office.clock = lambda: at(office, 9)
    first = await issue(office, clerk, title="老旧小区改造")
    second = await issue(office, clerk, title="背街小巷硬化")
    # Past the first one's deadline — the same day in 钉钉 — its 催办单 goes to the same person.
    office.clock = lambda: at(office, 9, 30, DAY + timedelta(days=12))
    await escalating.issue_reminder_slip(office, first.id, office.now(), clerk.person)
    await zhujian.wait_for(card_with="工作催办单", timeout=10)
    await zhujian.wait_for(kind="notice", text_contains="工作催办单", timeout=10)
    notices = [e["text"] for e in await zhujian.chat() if e["kind"] == "notice"]
    assert len(notices) == 3, "three slips, three 工作通知, none swallowed as the same content"
    assert [slip_number(first) in n and "老旧小区改造" in n for n in notices] == [True, False, True]
    await channel.sender.poll_reads_once()
    rows = [r for t in (first, second) for r in await outbox.delivered_slips(office.db.reader, t.id)]
    assert len(rows) == 3
    for row in rows:
        assert await work_notices.state_of(office.db.reader, row.id) == (work_notices.SENT, "")

    # 钉钉 takes a 工作通知 past its daily cap and delivers nothing: the slip's card still comes,
    # the notice is recorded as not delivered, and the slip is 已送达 all the same.
    await people.limits(notices_per_person_per_day=3)
    third = await issue(office, clerk, title="城区绿化补植")
    card = await zhujian.wait_for(card_with=slip_number(third), timeout=10)
    assert [b["text"] for b in card["card"]["buttons"]][:1] == ["签收"]
    await clerk.wait_for(text_contains="送达住建局", predicate=lambda m: third.number.full in m.text)
    assert len([e for e in await zhujian.chat() if e["kind"] == "notice"]) == 3
    await channel.sender.poll_reads_once()
    [row] = await outbox.delivered_slips(office.db.reader, third.id)
    assert await work_notices.state_of(office.db.reader, row.id) == (work_notices.NOT_DELIVERED, "getsendresult: forbidden")
    await clerk.send(f"/task {third.number.full}")
    detail = await clerk.wait_for(text_contains="城区绿化补植", predicate=lambda m: "已送达" in m.text)
    assert "已送达 2026年12月12日" in detail.text or "已送达 2026年12月13日" in detail.text
