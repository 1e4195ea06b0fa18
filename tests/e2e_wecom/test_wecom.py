"""The bot on 企业微信, beside Telegram in one deployment: a member binds with the same one-time
invite, looks up tasks, receives a 交办单 a Telegram clerk issued as a 模板卡片 with its buttons
and signs for it (the card changes); a callback 企业微信 sends again because it was not answered
in time is applied once."""

from __future__ import annotations

import asyncio

from bot.channels.wecom.adapter import WECOM
from bot.channels.wecom.channel import WecomChannel
from bot.domain.feedback import Attachment
from bot.domain.org import Role
from bot.domain.tasks import TaskStatus
from bot.edge import Account
from bot.emulators.wecom import WecomEmulator
from bot.services.context import Office
from bot.storage import org, outbox, tasks
from tests.e2e_wecom.conftest import Organisation
from tests.organisation import issue, slip_number, until


async def test_a_wecom_member_binds_with_the_invite_sent_as_a_command_or_alone(organisation: Organisation, office: Office):
    await organisation.unit("住建局")
    liu, code = await organisation.invited("刘局长", Role.RESPONSIBLE, unit="住建局")
    chen, bare_code = await organisation.invited("陈科长", Role.RESPONSIBLE, unit="住建局")
    stranger = organisation.member("luren", "路人甲")
    liu_chat = organisation.member("liuju", "刘局长")
    chen_chat = organisation.member("chenke", "陈科长")

    await stranger.send("/tasks")
    await stranger.wait_for("邀请")
    await liu_chat.send(f"/start {code}")
    await liu_chat.wait_for("绑定成功")
    await chen_chat.send(bare_code)  # no deep links on 企业微信: the code alone binds too
    await chen_chat.wait_for("绑定成功")

    assert (await org.person_by_account(office.db.reader, Account(WECOM, "liuju"))).id == liu.id  # type: ignore[union-attr]
    assert (await org.person_by_account(office.db.reader, Account(WECOM, "chenke"))).id == chen.id  # type: ignore[union-attr]
    await stranger.send(bare_code)  # used once: anyone else is refused, and nobody is re-bound
    await stranger.wait_for("使用过")
    assert await org.person_by_account(office.db.reader, Account(WECOM, "luren")) is None


async def test_tasks_and_task_on_wecom(city, office: Office):  # type: ignore[no-untyped-def]
    clerk, zhujian = city["clerk"], city["zhujian"]
    task = await issue(office, clerk, "住建局", "老旧小区改造")
    await issue(office, clerk, "交通运输局", "公交站台维修")
    await zhujian.wait_for(slip_number(task), timeout=10)

    await zhujian.send("/tasks")
    listing = await zhujian.wait_for("在办事项", timeout=10)
    assert "老旧小区改造" in listing.content and "公交站台维修" not in listing.content

    await zhujian.send(f"/task {task.number}")
    found = await zhujian.wait_for("老旧小区改造", timeout=10)
    assert "住建局" in found.content and "<b>" not in found.content
    assert not any("已读" in e.content for e in zhujian.messages())  # 企业微信 has no read receipts


async def test_a_slip_issued_on_telegram_arrives_as_a_card_and_signing_for_it_changes_the_card(city, office: Office, wecom: WecomEmulator):  # type: ignore[no-untyped-def]
    clerk, zhujian = city["clerk"], city["zhujian"]
    task = await issue(office, clerk)
    text = await zhujian.wait_for(slip_number(task), timeout=10)  # the whole slip, then its card
    assert "城区积水点排查整治" in text.content and "工作交办单" in text.content
    card = await zhujian.wait_for("[签收]", timeout=10)
    assert card.kind == "card" and card.card is not None
    assert [b["text"] for b in card.card.template_card["button_list"]] == ["签收", "反馈", "申请延期"]
    delivered = await clerk.wait_for(text_contains="送达")  # the clerk, on Telegram, hears it reached 企业微信
    assert "李住建" in delivered.text and slip_number(task) in delivered.text

    async def recorded() -> bool:  # the sender records the delivery just after 企业微信 answers
        return any(r.channel == WECOM for r in await outbox.delivered_slips(office.db.reader, task.id))

    await until(recorded)
    await zhujian.press("签收", card)
    await zhujian.wait_for("已签收", timeout=10)
    changed = wecom.card("lizhujian", card.card.task_id)

    async def signed() -> bool:  # the card now offers what is left to do
        got = await tasks.get(office.db.reader, task.id)
        buttons = [b["text"] for b in changed.template_card["button_list"]]
        return got is not None and got.status == TaskStatus.ACKNOWLEDGED and changed.updated and buttons == ["反馈", "申请延期"]

    await until(signed)
    assert sum("已签收" in e.content for e in zhujian.messages()) >= 1
    assert not any("已读" in e.content for e in zhujian.messages())
    ack = await clerk.wait_for(text_contains="签收")
    assert "住建局" in ack.text


async def test_a_callback_sent_again_because_it_was_not_answered_in_time_is_applied_once(
    organisation: Organisation, office: Office, wecom: WecomEmulator, channel: WecomChannel,
):
    """The binding takes longer than 企业微信 waits: it sends the callback again while the first
    is at work and after; the binding is applied once and answered once more as done."""
    await organisation.unit("住建局")
    person, code = await organisation.invited("刘局长", Role.RESPONSIBLE, unit="住建局")
    liu = organisation.member("liuju", "刘局长")
    take = channel._take

    async def slow(key, item):  # type: ignore[no-untyped-def]
        await take(key, item)
        await asyncio.sleep(1.5)  # answered after 企业微信 gave up on the first attempt

    channel._take = slow  # type: ignore[method-assign]
    delivery = await liu.send(f"/start {code}")
    await liu.wait_for("绑定成功", timeout=10)
    await asyncio.wait_for(delivery.finished.wait(), 20)
    assert len(delivery.attempts) >= 2 and delivery.answered
    texts = [e.content for e in liu.messages() if e.sender == "bot"]
    assert sum("绑定成功" in t for t in texts) == 1
    assert not any("使用过" in t for t in texts)
    bound = await org.person_by_account(office.db.reader, Account(WECOM, "liuju"))
    assert bound is not None and bound.id == person.id


PDF = b"%PDF-1.4\n" + b"0" * 2000 + b"\n%%EOF\n"


async def test_files_both_ways_a_word_slip_to_wecom_and_a_report_from_it(city, office: Office, wecom: WecomEmulator):  # type: ignore[no-untyped-def]
    clerk, zhujian = city["clerk"], city["zhujian"]
    task = await issue(office, clerk)
    slip = await zhujian.wait_for("[签收]", timeout=10)

    await zhujian.send(f"/task {task.number}")
    detail = await zhujian.wait_for("下载Word", timeout=10)
    await zhujian.press("下载Word", detail)
    sent = await zhujian.wait_for(".docx", timeout=15)
    assert sent.kind == "file" and wecom.world.media[sent.media_id].content.startswith(b"PK")  # a Word file, whole

    await zhujian.press("反馈", slip)
    await zhujian.wait_for("反馈", timeout=10)
    await zhujian.send_file("排查台账.pdf", PDF)
    await zhujian.send("已完成全部积水点排查，台账见附件")
    await zhujian.press("提交")
    review = await clerk.wait_for(text_contains="已完成全部积水点排查", timeout=15)
    assert "住建局" in review.text

    async def archived() -> bool:  # the report, fetched from 企业微信 into the evidence archive
        return any(p.name.endswith("排查台账.pdf") and p.read_bytes() == PDF for p in office.settings.archive_dir.rglob("*.pdf"))

    await until(archived, timeout=20)


async def test_a_limit_refusal_delays_a_notice_and_drops_none(city, office: Office, wecom: WecomEmulator, channel: WecomChannel):  # type: ignore[no-untyped-def]
    clerk, zhujian = city["clerk"], city["zhujian"]
    wecom.fail("message/send", 45033, times=2)  # 「接口并发调用超过限制」, twice
    task = await issue(office, clerk)
    await zhujian.wait_for("[签收]", timeout=20)
    assert channel.sender.quota_refusals == 2
    slips = [e for e in zhujian.messages() if e.sender == "bot" and slip_number(task) in e.content]
    assert [e.kind for e in slips] == ["markdown", "card"]  # the slip once, its card once
    assert wecom.world.dropped == []


async def test_files_cross_between_wecom_and_telegram_whole(city, office: Office, wecom: WecomEmulator):  # type: ignore[no-untyped-def]
    """The file a Telegram clerk issues with a 交办单 reaches the 企业微信 unit, and the file its
    official sends with feedback reaches the clerk, each byte for byte."""
    clerk, zhujian = city["clerk"], city["zhujian"]
    ledger = "分解台账".encode() + b"PK\x03\x04"
    sent = await clerk.send_document("分解台账.xlsx", ledger)
    assert sent.document is not None
    await issue(office, clerk, attachment=Attachment("document", sent.document.file_id, file_name="分解台账.xlsx"))
    slip = await zhujian.wait_for("[签收]", timeout=20)
    issued = await zhujian.wait_for("分解台账.xlsx", timeout=15)
    assert issued.kind == "file" and wecom.world.media[issued.media_id].content == ledger

    report = b"%PDF-1.4\n" + "排查台账".encode() + b"\n%%EOF\n"
    await zhujian.press("反馈", slip)
    await zhujian.wait_for("反馈", timeout=10)
    await zhujian.send_file("排查台账.pdf", report)
    await zhujian.send("已完成全部积水点排查，台账见附件")
    await zhujian.press("提交")
    await clerk.wait_for(text_contains="已完成全部积水点排查", timeout=15)
    copy = await clerk.wait_for(predicate=lambda m: m.document is not None, timeout=15)
    assert copy.document.file_name == "排查台账.pdf" and clerk.file_bytes(copy) == report
