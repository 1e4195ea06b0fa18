"""The bot on 钉钉, beside Telegram in one deployment: a person binds with the same one-time
invite, looks up tasks, receives a 交办单 a Telegram clerk issued as a card with its buttons;
a message 钉钉 pushes again is applied once; a quota refusal delays a notice, never drops it."""

from __future__ import annotations

import asyncio


from bot.channels.dingtalk.adapter import DINGTALK
from bot.channels.dingtalk.channel import DingTalkChannel
from bot.domain.org import Role
from bot.domain.feedback import Attachment
from bot.domain.tasks import TaskStatus
from bot.edge import Account
from bot.emulators.dingtalk import DingTalkPeople
from bot.services.context import Office
from bot.storage import org, outbox, tasks
from tests.e2e_dingtalk.conftest import Organisation
from tests.organisation import issue, slip_number, until


async def test_a_dingtalk_person_binds_with_the_invite_sent_as_a_command_or_alone(organisation: Organisation, office: Office, people: DingTalkPeople):
    await organisation.unit("住建局")
    liu, code = await organisation.invited("刘局长", Role.RESPONSIBLE, unit="住建局")
    chen, bare_code = await organisation.invited("陈科长", Role.RESPONSIBLE, unit="住建局")
    stranger = await people.add_person("路人甲", userid="luren")
    liu_chat = await people.add_person("刘局长", userid="liuju")
    chen_chat = await people.add_person("陈科长", userid="chenke")

    await stranger.send("/tasks")
    await stranger.wait_for(text_contains="邀请")
    await liu_chat.send(f"/start {code}")
    await liu_chat.wait_for(text_contains="绑定成功")
    await chen_chat.send(bare_code)  # 钉钉 has no deep link: the code alone binds too
    await chen_chat.wait_for(text_contains="绑定成功")

    assert (await org.person_by_account(office.db.reader, Account(DINGTALK, "liuju"))).id == liu.id  # type: ignore[union-attr]
    assert (await org.person_by_account(office.db.reader, Account(DINGTALK, "chenke"))).id == chen.id  # type: ignore[union-attr]
    await stranger.send(bare_code)  # used once: anyone else is refused, and nobody is re-bound
    await stranger.wait_for(text_contains="使用过")
    assert await org.person_by_account(office.db.reader, Account(DINGTALK, "luren")) is None


async def test_tasks_and_task_on_dingtalk(city, office: Office):  # type: ignore[no-untyped-def]
    clerk, zhujian = city["clerk"], city["zhujian"]
    task = await issue(office, clerk, "住建局", "老旧小区改造")
    await issue(office, clerk, "交通运输局", "公交站台维修")
    await zhujian.wait_for(card_with=slip_number(task), timeout=10)

    await zhujian.send("/tasks")
    listing = await zhujian.wait_for(text_contains="在办事项", timeout=10)
    shown = listing["text"] + (listing.get("card") or {}).get("markdown", "")
    assert "老旧小区改造" in shown and "公交站台维修" not in shown

    await zhujian.send(f"/task {task.number}")
    found = await zhujian.wait_for(text_contains="老旧小区改造", timeout=10)
    shown = found["text"] + (found.get("card") or {}).get("markdown", "")
    assert "住建局" in shown and "**" not in found.get("title", "")


async def test_a_slip_issued_on_telegram_reaches_the_dingtalk_official_as_a_card_with_its_buttons(city, office: Office):  # type: ignore[no-untyped-def]
    clerk, zhujian = city["clerk"], city["zhujian"]
    task = await issue(office, clerk)
    card = await zhujian.wait_for(card_with=slip_number(task), timeout=10)
    assert card["kind"] == "card"
    assert "城区积水点排查整治" in card["card"]["markdown"] and "工作交办单" in card["card"]["markdown"]
    assert [b["text"] for b in card["card"]["buttons"]] == ["签收", "反馈", "申请延期"]
    # The clerk, on Telegram, hears that it reached the unit on 钉钉.
    delivered = await clerk.wait_for(text_contains="送达")
    assert "李住建" in delivered.text and slip_number(task) in delivered.text


async def test_a_message_pushed_again_after_a_lost_acknowledgement_is_applied_once(
    organisation: Organisation, office: Office, people: DingTalkPeople, channel: DingTalkChannel
):
    """The bind is committed, then the connection drops before the acknowledgement goes out:
    钉钉 pushes the message again on the new connection, and the bot answers that it is done
    instead of binding again (which the used invite would refuse)."""
    await organisation.unit("住建局")
    person, code = await organisation.invited("刘局长", Role.RESPONSIBLE, unit="住建局")
    liu = await people.add_person("刘局长", userid="liuju")
    handle = channel.stream.on_message
    dropped = asyncio.Event()

    async def connection_lost_before_the_ack(message):  # type: ignore[no-untyped-def]
        await handle(message)
        if not dropped.is_set():
            dropped.set()
            await people.drop_stream(warn=False)

    channel.stream.on_message = connection_lost_before_the_ack
    await liu.send(f"/start {code}")
    await liu.wait_for(text_contains="绑定成功", timeout=10)
    again = await liu.wait_for(text_contains="已经办理", timeout=15)
    assert again["kind"] == "robot"
    await asyncio.sleep(1.0)  # acknowledged now: pushed no more
    chat = [e for e in await liu.chat() if e["kind"] != "user"]
    assert sum("绑定成功" in e["text"] for e in chat) == 1 and sum("已经办理" in e["text"] for e in chat) == 1
    assert not any("使用过" in e["text"] for e in chat)
    bound = await org.person_by_account(office.db.reader, Account(DINGTALK, "liuju"))
    assert bound is not None and bound.id == person.id
    stream = await people.stream()
    assert stream["opened"] >= 2 and all(d["acked"] for d in stream["deliveries"])


async def test_a_quota_refusal_delays_a_notice_and_drops_none(city, office: Office, people: DingTalkPeople, channel: DingTalkChannel):  # type: ignore[no-untyped-def]
    clerk, zhujian = city["clerk"], city["zhujian"]
    await people.limits(calls_per_minute_by_route={"/v1.0/card/instances/deliver": 1})
    first = await issue(office, clerk, title="老旧小区改造")
    second = await issue(office, clerk, title="背街小巷硬化")
    await zhujian.wait_for(card_with=slip_number(first), timeout=10)

    async def refused() -> bool:
        return channel.sender.quota_refusals >= 1

    await until(refused)
    assert not any(slip_number(second) in str(e.get("card")) for e in await zhujian.chat())
    await people.advance_clock(61)  # 钉钉's minute passes
    await zhujian.wait_for(card_with=slip_number(second), timeout=20)

    async def recorded() -> bool:  # the sender marks the row sent just after 钉钉 answers
        return len([r for r in await outbox.delivered_slips(office.db.reader, second.id) if r.channel == DINGTALK]) == 1

    await until(recorded)
    cards = [e for e in await zhujian.chat() if e["kind"] == "card"]
    assert sum(slip_number(second) in e["card"]["markdown"] for e in cards) == 1


async def test_acknowledging_on_the_card_changes_its_buttons_and_says_so(city, office: Office):  # type: ignore[no-untyped-def]
    """签收 on the slip's card: the card keeps 反馈 · 申请延期 only, the chat says when it was
    signed for (a robot message after the card: one-to-one messages quote nothing), and the
    task is 已签收."""
    clerk, zhujian = city["clerk"], city["zhujian"]
    task = await issue(office, clerk)
    slip = await zhujian.wait_for(card_with=slip_number(task), timeout=10)
    await zhujian.press("签收", out_track_id=slip["card"]["out_track_id"])
    await zhujian.wait_for(kind="robot", text_contains="已签收", timeout=10)
    changed = await zhujian.wait_for(match=lambda e: e["id"] == slip["id"], timeout=10)
    assert [b["text"] for b in changed["card"]["buttons"]] == ["反馈", "申请延期"]
    assert (await tasks.get(office.db.reader, task.id)).status is TaskStatus.ACKNOWLEDGED  # type: ignore[union-attr]


async def test_turning_the_task_list_redraws_the_same_card(city, office: Office):  # type: ignore[no-untyped-def]
    """A card's button answered by a neutral route: 下一页 draws the next page on the card
    pressed (its new look rides on the press's acknowledgement), no new message."""
    clerk, zhujian = city["clerk"], city["zhujian"]
    issued = [await issue(office, clerk, title=f"背街小巷第{n}段硬化") for n in range(1, 12)]
    await zhujian.wait_for(card_with=slip_number(issued[-1]), timeout=20)
    await zhujian.send("/tasks")
    first = await zhujian.wait_for(card_with="在办事项", timeout=10)
    assert [b["text"] for b in first["card"]["buttons"]] == ["下一页"]
    entries_before = len(await zhujian.chat())

    await zhujian.press("下一页", out_track_id=first["card"]["out_track_id"])
    second = await zhujian.wait_for(match=lambda e: e["id"] == first["id"], timeout=10)
    assert [b["text"] for b in second["card"]["buttons"]] == ["上一页"]
    assert second["card"]["markdown"] != first["card"]["markdown"] and "背街小巷" in second["card"]["markdown"]
    assert len(await zhujian.chat()) == entries_before


async def test_word_of_a_slip_and_the_board_come_as_files_in_the_dingtalk_chat(city, office: Office, people: DingTalkPeople):  # type: ignore[no-untyped-def]
    clerk, zhujian = city["clerk"], city["zhujian"]
    task = await issue(office, clerk)
    await zhujian.wait_for(card_with=slip_number(task), timeout=10)
    await zhujian.send(f"/task {task.number}")
    detail = await zhujian.wait_for(card_with="下载Word", timeout=10)
    await zhujian.press("下载Word", out_track_id=detail["card"]["out_track_id"])
    sent = await zhujian.wait_for(kind="robot", match=lambda e: e["msg_type"] == "file", timeout=15)
    assert sent["file"]["name"].endswith(".docx")
    assert (await people.file(sent["file"]["media_id"])).startswith(b"PK")  # a Word file, whole
    await zhujian.wait_for(text_contains="可直接打印", timeout=10)

    await zhujian.send("/board")
    picture = await zhujian.wait_for(kind="robot", match=lambda e: e["msg_type"] == "file", timeout=30)
    assert picture["file"]["name"] == "board.png"
    assert (await people.file(picture["file"]["media_id"])).startswith(b"\x89PNG")


async def test_a_withdrawn_slip_loses_its_buttons_on_the_dingtalk_card(city, office: Office):  # type: ignore[no-untyped-def]
    """A change of a notice delivered earlier reaches the card it became: the clerk withdraws
    the 交办单 (through the service, as the 撤回 button would), and the official's card keeps its
    text and loses 签收 · 反馈 · 申请延期; the unit is told in a message of its own."""
    from bot.services import corrections
    from bot.storage import slips

    clerk, zhujian = city["clerk"], city["zhujian"]
    task = await issue(office, clerk)
    card = await zhujian.wait_for(card_with=slip_number(task), timeout=10)

    async def recorded() -> bool:
        return bool(await outbox.delivered_slips(office.db.reader, task.id))

    await until(recorded)
    [slip] = await slips.of_task(office.db.reader, task.id)
    await corrections.withdraw(office, clerk.person, slip.id, "误发，需重新交办", office.now())
    changed = await zhujian.wait_for(match=lambda e: e["id"] == card["id"], timeout=10)
    assert changed["card"]["buttons"] == [] and changed["card"]["markdown"] == card["card"]["markdown"]
    told = await zhujian.wait_for(text_contains="交办单撤回通知", timeout=10)
    assert "误发，需重新交办" in told["text"]


async def test_a_button_from_before_an_upgrade_is_told_stale(city, office: Office, people: DingTalkPeople):  # type: ignore[no-untyped-def]
    """A card pressed whose button data no action writes any more (a card from an older
    version): the person is told, in a message, that the button is no longer valid."""
    clerk, zhujian = city["clerk"], city["zhujian"]
    await issue(office, clerk)
    card = await zhujian.wait_for(kind="card", timeout=10)
    await people.call("POST", f"/staff/{zhujian.userid}/press",
                      json={"button": "签收", "out_track_id": card["card"]["out_track_id"], "params": {"data": "zz:retired"}})
    told = await zhujian.wait_for(text_contains="按钮已失效", timeout=10)
    assert told["kind"] == "robot"
    [still] = [e for e in await zhujian.chat() if e["id"] == card["id"]]
    assert [b["text"] for b in still["card"]["buttons"]] == ["签收", "反馈", "申请延期"]  # nothing changed


async def test_a_message_held_back_by_dingtalks_flow_control_comes_later(city, office: Office, people: DingTalkPeople):  # type: ignore[no-untyped-def]
    """钉钉 holds back robot messages to one person beyond its per-person rate
    (``flowControlledStaffIdList``, the call itself succeeding): the bot sends the message
    again later instead of counting it delivered."""
    from bot.services import corrections
    from bot.storage import slips

    clerk, zhujian = city["clerk"], city["zhujian"]
    first = await issue(office, clerk, title="老旧小区改造")
    second = await issue(office, clerk, title="背街小巷硬化")
    await zhujian.wait_for(card_with=slip_number(second), timeout=10)
    await people.limits(robot_messages_per_person_per_minute=1)
    for task in (first, second):
        [slip] = await slips.of_task(office.db.reader, task.id)
        await corrections.withdraw(office, clerk.person, slip.id, "误发，需重新交办", office.now())
    await zhujian.wait_for(text_contains="老旧小区改造", kind="robot", timeout=10)
    await asyncio.sleep(1.0)
    assert not any("背街小巷硬化" in e["text"] for e in await zhujian.chat() if e["kind"] == "robot")
    await people.advance_clock(61)
    await zhujian.wait_for(text_contains="背街小巷硬化", kind="robot", timeout=20)


async def test_quoting_a_message_that_cites_the_slip_is_feedback_on_it(city, office: Office):  # type: ignore[no-untyped-def]
    """钉钉 quotes the text of the message replied to, not an id the bot knows: a reply quoting
    the 「已签收交办单〔2026〕N号」 message is feedback on that slip, as a reply to the slip is on
    Telegram; the clerk gets it to review."""
    clerk, zhujian = city["clerk"], city["zhujian"]
    task = await issue(office, clerk)
    slip = await zhujian.wait_for(card_with=slip_number(task), timeout=10)
    await zhujian.press("签收", out_track_id=slip["card"]["out_track_id"])
    signed = await zhujian.wait_for(kind="robot", text_contains=f"已签收{task.number.full}", timeout=10)
    await zhujian.send("积水点已全部排查，整改完成。", reply_to=signed["id"])
    await zhujian.wait_for(kind="robot", text_contains="已提交", timeout=10)
    review = await clerk.wait_for(text_contains="积水点已全部排查", timeout=10)
    assert [b["text"] for row in review.inline_keyboard for b in row][:2] == ["通过(办结)", "退回"]
    assert (await tasks.get(office.db.reader, task.id)).status is TaskStatus.FEEDBACK_PENDING  # type: ignore[union-attr]


async def test_the_words_offer_replying_to_a_slip_only_where_a_reply_finds_it(city, office: Office):  # type: ignore[no-untyped-def]
    """钉钉 quotes no card: quoting the slip's card is not feedback, and nothing the bot says
    there sends a person to 「回复交办单消息」; it points to the card's 「反馈」 and /feedback 单号
    instead, and the slip stays as it was."""
    clerk, zhujian = city["clerk"], city["zhujian"]
    task = await issue(office, clerk)
    slip = await zhujian.wait_for(card_with=slip_number(task), timeout=10)

    await zhujian.send("积水点已全部排查，整改完成。", reply_to=slip["id"])
    refused = await zhujian.wait_for(kind="robot", text_contains="没有认出", timeout=10)
    assert "点交办单下的“反馈”" in refused["text"] and "/feedback 单号 内容" in refused["text"]
    await zhujian.send("你好")
    hint = await zhujian.wait_for(kind="robot", text_contains="没看懂", timeout=10)
    assert "点交办单下的“反馈”" in hint["text"]
    await zhujian.send("/help")
    manual = await zhujian.wait_for(kind="robot", text_contains="/feedback", timeout=10)
    assert "「反馈」按钮" in manual["text"]
    for said in (refused, hint, manual):
        assert "回复”交办单" not in said["text"] and "回复交办单" not in said["text"]
    assert (await tasks.get(office.db.reader, task.id)).status is TaskStatus.ISSUED  # type: ignore[union-attr]


async def test_a_file_crosses_from_one_messenger_to_another_whole(city, office: Office, people: DingTalkPeople):  # type: ignore[no-untyped-def]
    """Evidence does not stop at a messenger's edge: the file a 钉钉 official sends with feedback
    reaches the Telegram clerk who reviews it, and the file a Telegram clerk issues with a 交办单
    reaches the 钉钉 unit, each byte for byte (fetched through the messenger it came on)."""
    clerk, zhujian = city["clerk"], city["zhujian"]
    report = b"%PDF-1.4\n% \xe6\x8e\x92\xe6\x9f\xa5\xe5\x8f\xb0\xe8\xb4\xa6\n%%EOF\n"
    task = await issue(office, clerk)
    slip = await zhujian.wait_for(card_with=slip_number(task), timeout=10)
    await zhujian.press("反馈", out_track_id=slip["card"]["out_track_id"])
    await zhujian.wait_for(text_contains="请发送办理结果情况", timeout=10)
    await zhujian.send("已完成全部32处积水点排查，台账见附件。")
    await zhujian.wait_for(text_contains="已记下", timeout=10)
    await zhujian.send_file("排查台账.pdf", report)
    draft = await zhujian.wait_for(card_with="附件1个", timeout=10)
    await zhujian.press("提交", out_track_id=draft["card"]["out_track_id"])
    await clerk.wait_for(text_contains="已完成全部32处积水点排查", timeout=10)
    copy = await clerk.wait_for(predicate=lambda m: m.document is not None, timeout=15)
    assert copy.document.file_name == "排查台账.pdf" and clerk.file_bytes(copy) == report
    assert task.number.full in copy.content

    ledger = b"PK\x03\x04 \xe5\x88\x86\xe8\xa7\xa3\xe5\x8f\xb0\xe8\xb4\xa6"
    sent = await clerk.send_document("分解台账.xlsx", ledger)
    assert sent.document is not None
    attached = Attachment("document", sent.document.file_id, file_name="分解台账.xlsx")
    second = await issue(office, clerk, title="老旧小区改造摸底", attachment=attached)
    await zhujian.wait_for(card_with=slip_number(second), timeout=10)
    file = await zhujian.wait_for(kind="robot", match=lambda e: e["msg_type"] == "file", timeout=15)
    assert file["file"]["name"] == "分解台账.xlsx"
    assert await people.file(file["file"]["media_id"]) == ledger
