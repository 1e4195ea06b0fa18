"""Read receipts as the clerk and 政务监督室 see them (SPEC section 12): a 交办单 that reached its
unit on 钉钉 shows 已送达 and 已读 with times in /task and the 台账; read and not 签收'd four hours
on, its clerk is told once and the 督办日报 counts it; a slip on Telegram, which reports no reads,
never shows 已读 or 未读.

The running bot serves the Telegram people through the emulator. 陈镇长 of 穰东镇 is bound on
钉钉: his slip is delivered and read by calling what the 钉钉 sender calls after its send and its
``getsendresult`` poll (a stand-in for that sender, which is not part of this Application).
"""

from __future__ import annotations

import shutil
from datetime import date, datetime, time, timedelta

from bot.edge import DINGTALK, Account
from bot.emulators.telegram.client import wait_idle
from bot.services import daily, delivery, handling, onboarding
from bot.services.context import Office
from bot.storage import outbox
from bot.views.exports import ledger
from tests.e2e.test_exports import rows_of
from tests.e2e.test_lookup import issue
from tests.e2e.test_printed import overprinted, pages, print_to_pdf, smallest_print

CHEN = Account(DINGTALK, "chenzhenzhang01")
"""陈镇长's 钉钉 userId."""

DAY = date(2026, 12, 1)


def at(office: Office, hour: int, minute: int = 0, day: date = DAY) -> datetime:
    return datetime.combine(day, time(hour, minute), office.settings.timezone)


async def bind_on_dingtalk(office: Office, member) -> None:  # type: ignore[no-untyped-def]
    """The same one-time invite, the code sent to the 钉钉 robot instead of Telegram."""
    invite = await onboarding.create_invite(office, member.person.id, office.now())
    await onboarding.redeem_invite(office, invite.code, CHEN, office.now())


async def deliver_on_dingtalk(office: Office, message_id: int, now: datetime) -> None:
    """What the 钉钉 sender does once its 工作通知 went out: the row marked sent with the id 钉钉
    gave it, and what follows a delivery, in one transaction."""
    [row] = await outbox.heads(office.db.reader, now, channel=DINGTALK)
    async with office.db.transaction() as conn:
        assert await outbox.claim(conn, row.id, now)
        assert await outbox.mark_sent(conn, row.id, message_id, now)
        await delivery.delivered(conn, row, now)


async def test_a_slip_read_on_dingtalk_shows_read_and_is_told_once_when_left_unacknowledged(city, office, tmp_path):
    clerk, supervisor, town = city["clerk"], city["supervisor"], city["town"]
    office.clock = lambda: at(office, 8, 50)
    await bind_on_dingtalk(office, town)
    task = await issue(office, clerk, "穰东镇", "镇区污水管网排查", now=at(office, 9))
    number = task.number.full

    await deliver_on_dingtalk(office, 50001, at(office, 9, 1))
    assert number in (await clerk.wait_for(text_contains="送达穰东镇")).text

    # Delivered, not yet read: 钉钉 reports reads, so the slip says 未读.
    office.clock = lambda: at(office, 9, 30)
    await clerk.send(f"/task {number}")
    detail = await clerk.wait_for(text_contains="镇区污水管网排查")
    assert "已送达 2026年12月1日 09:01 · 未读" in detail.text and "已签收" not in detail.text

    # The poll finds 陈镇长 has read it at 10:15 (钉钉 says so in UTC); a later poll says it again.
    assert await delivery.read(office, CHEN, "50001", at(office, 10, 15).astimezone(tz=None))
    assert not await delivery.read(office, CHEN, "50001", at(office, 11))
    office.clock = lambda: at(office, 10, 20)
    await clerk.send(f"/task {number}")
    detail = await clerk.wait_for(text_contains="镇区污水管网排查")
    assert "已送达 2026年12月1日 09:01 · 已读 2026年12月1日 10:15" in detail.text
    assert "已签收" not in detail.text and "陈镇长 已读 交办单" in detail.text, "the read is in the 办理记录"

    # Three hours on, nothing; four hours on, the clerk is told, once, whoever asks again.
    assert await delivery.chase_read_unacknowledged(office, at(office, 14, 14)) == 0
    assert await delivery.chase_read_unacknowledged(office, at(office, 14, 15)) == 1
    told = await clerk.wait_for(text_contains="已读未签收")
    assert number in told.text and "2026年12月1日 10:15 已读，4小时后仍未签收" in told.text
    assert "送达：2026年12月1日 09:01" in told.text
    assert await delivery.chase_read_unacknowledged(office, at(office, 16)) == 0

    # The next morning's 督办日报 counts it, with its times; the check tells the clerk nothing new.
    office.clock = lambda: at(office, 9, 5, DAY + timedelta(days=1))
    await daily.run_daily(office, DAY + timedelta(days=1))
    summary = await supervisor.wait_for(text_contains="督办日报")
    assert "已读未签收：1项" in summary.text
    assert f"{number} 穰东镇「镇区污水管网排查」：已送达 2026年12月1日 09:01 · 已读 2026年12月1日 10:15 · 未签收" in summary.text
    await wait_idle(clerk.state, quiet=0.2)
    assert sum("已读未签收" in m.content for m in clerk.messages()) == 1, "told once"

    # The 台账 has the times to the minute.
    data, _ = await ledger.ledger_workbook(office, clerk.person, ledger.LedgerFilter(), DAY + timedelta(days=1))
    header, rows = rows_of(data)
    [line] = rows
    assert line[header.index("送达时间")] == datetime(2026, 12, 1, 9, 1)
    assert line[header.index("已读时间")] == datetime(2026, 12, 1, 10, 15)
    assert line[header.index("签收日期")] is None
    if shutil.which("soffice") and shutil.which("pdftotext"):
        # printed, the times stay whole in their columns, at a readable size
        pdf = print_to_pdf({"ledger.xlsx": data}, tmp_path / "printed")["ledger.xlsx"]
        printed = "".join(pages(pdf))
        assert "送达时间" in printed and "已读时间" in printed and "12-01 09:01" in printed and "12-01 10:15" in printed
        assert "#" not in printed and overprinted(pdf) == [] and smallest_print(pdf) >= 9

    # 陈镇长 签收 on 钉钉 (the card's button calls the same service): 已签收 with its time, and
    # the next 督办日报 no longer counts it.
    await handling.acknowledge(office, town.person, task.id, at(office, 9, 40, DAY + timedelta(days=1)))
    office.clock = lambda: at(office, 10, 0, DAY + timedelta(days=1))
    await clerk.send(f"/task {number}")
    detail = await clerk.wait_for(text_contains="镇区污水管网排查", predicate=lambda m: "已签收 " in m.text)
    assert "已读 2026年12月1日 10:15 · 已签收 2026年12月2日 09:40" in detail.text
    await daily.run_daily(office, DAY + timedelta(days=2))
    summary = await supervisor.wait_for(text_contains="2026年12月3日 督办日报")
    assert "已读未签收" not in summary.text


async def test_a_slip_on_telegram_is_delivered_and_signed_for_but_never_called_read(city, office):
    clerk, supervisor, zhujian = city["clerk"], city["supervisor"], city["zhujian"]
    office.clock = lambda: at(office, 9)
    task = await issue(office, clerk, "住建局", "老旧小区改造", now=at(office, 9))
    slip = await zhujian.wait_for(text_contains="工作交办单》", predicate=lambda m: bool(m.inline_keyboard))
    await clerk.wait_for(text_contains="送达住建局")

    # Were anyone to report a read of a Telegram message, it would not be believed.
    [row] = [r for r in await outbox.delivered_slips(office.db.reader, task.id)]
    assert not await delivery.read_notice(office, row.id, at(office, 10))
    assert not await delivery.read(office, Account(row.channel, row.address), str(slip.message_id), at(office, 10))

    await clerk.send(f"/task {task.number.full}")
    detail = await clerk.wait_for(text_contains="老旧小区改造")
    assert "已送达 2026年12月1日 09:00" in detail.text
    assert "已读" not in detail.text and "未读" not in detail.text

    await zhujian.press("签收", message=slip)
    await clerk.wait_for(text_contains="签收")
    office.clock = lambda: at(office, 11)
    await clerk.send(f"/task {task.number.full}")
    detail = await clerk.wait_for(text_contains="老旧小区改造", predicate=lambda m: "已签收 " in m.text)
    assert "已送达 2026年12月1日 09:00 · 已签收 2026年12月1日" in detail.text
    assert "已读" not in detail.text and "未读" not in detail.text

    assert await delivery.chase_read_unacknowledged(office, at(office, 23)) == 0
    await daily.run_daily(office, DAY + timedelta(days=1))
    summary = await supervisor.wait_for(text_contains="督办日报")
    assert "已读未签收" not in summary.text

    data, _ = await ledger.ledger_workbook(office, clerk.person, ledger.LedgerFilter(), DAY + timedelta(days=1))
    header, [line] = rows_of(data)
    assert line[header.index("送达时间")] == datetime(2026, 12, 1, 9, 0)
    assert line[header.index("已读时间")] is None, "no 已读, and no 未读 either, on Telegram"
