"""签收, 反馈 and the section's review, played by the people of a little city over the emulator."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bot.domain.deadlines import next_workday_on_or_after
from bot.domain.slips import SlipType
from bot.edge import TELEGRAM
from bot.domain.tasks import SourceType, TaskStatus
from bot.emulators.telegram.client import SimulatedUser, wait_idle
from bot.services.handling import MAX_FEEDBACK
from bot.services.issuing import AssignmentDraft, issue_assignment
from bot.storage import feedback as feedback_store
from bot.storage import org, outbox, slips, tasks

PDF = b"%PDF-1.4 report of the drainage works"
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


async def issue(office, clerk, unit_name="住建局", title="城区积水点排查整治"):
    """The clerk signs a 交办单 (through the service, as the /new dialog would)."""
    unit = await org.unit_by_name(office.db.reader, unit_name)
    draft = AssignmentDraft(
        title=title, requirements="逐点建立台账，明确整改措施和完成时间。", basis="市政府第12次常务会议纪要",
        source=SourceType.OTHER, unit_ids=(unit.id,), period_days=7,
    )
    [issued] = await issue_assignment(office, draft, clerk.person, office.now())
    return issued.task


async def slip_message(office, member, task):
    """The 交办单 as it reached the official's chat, once the sender has recorded its message id
    (a person takes longer than that to reply; a test does not)."""
    message = await member.wait_for(
        text_contains=f"〔{task.number.year}〕{task.number.seq}号", predicate=lambda m: bool(m.inline_keyboard)
    )
    await recorded(office, message)
    return message


async def recorded(office, message):
    """Wait until the outbox knows which row produced ``message`` (the sender records it just
    after Telegram answers; on a loaded 2-core machine that can take a moment)."""
    for _ in range(500):
        if await outbox.sent_message(office.db.reader, TELEGRAM, str(message.chat.id), str(message.message_id)) is not None:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"message {message.message_id} never recorded as sent")


def buttons(message):
    return [b["text"] for row in message.inline_keyboard for b in row]


async def stored(office, task):
    return await tasks.get(office.db.reader, task.id)


def forge_press(member, data, text="签收", message=None):
    """A press with callback data the presser's chat does not show (someone else's button, or one
    already taken off), on a message in the presser's own chat: what a double tap or a modified
    client sends. The bot must not trust the data."""
    client = member if isinstance(member, SimulatedUser) else member.user
    state = client.state
    message = message or client.last_message()
    record = state.add_callback(client.user, message, data, text)
    state.push_update("callback_query", record.to_api())
    return record


async def feedback_begun(office, clerk, official):
    """A 交办单 to ``official``'s unit, and a 反馈 dialog on it with a first part sent: the
    task, the slip as the official sees it, and the dialog's 「已记下」 message."""
    task = await issue(office, clerk)
    slip = await slip_message(office, official, task)
    await official.press("反馈", message=slip)
    await official.wait_for(text_contains="请发送办理结果情况")
    await official.send("第一部分：排查完毕。")
    return task, slip, await official.wait_for(text_contains="已记下")


async def eventually(check, timeout: float = 5.0) -> None:  # type: ignore[no-untyped-def]
    """Wait until ``check()`` holds (an edit made in the background, at Telegram's pace)."""
    for _ in range(int(timeout / 0.05)):
        if check():
            return
        await asyncio.sleep(0.05)
    assert check()


async def test_acknowledge_reply_with_document_and_accept(city, office):
    clerk, official = city["clerk"], city["zhujian"]
    task = await issue(office, clerk)
    slip = await slip_message(office, official, task)
    assert buttons(slip) == ["签收", "反馈", "申请延期"]

    press = await official.press("签收", message=slip)
    answer = await official.wait_for_answer(press)
    assert "已签收" in answer.answer_text and not answer.show_alert
    # Beyond the toast, the slip keeps a mark: a reply to it with the day and time (年月日).
    mark = await official.wait_for(text_contains="已签收 · ")
    now = office.now()
    assert mark.reply_to is not None and mark.reply_to.message_id == slip.message_id, "the mark answers the slip"
    assert f"已签收 · {now.year}年{now.month}月{now.day}日 " in mark.text
    refreshed = await official.wait_for(predicate=lambda m: m.message_id == slip.message_id and "签收" not in buttons(m))
    assert buttons(refreshed) == ["反馈", "申请延期"]
    notice = await clerk.wait_for(text_contains="已由 住建局")
    assert "住建局" in notice.text and "李住建" in notice.text and task.number.full in notice.text
    assert f"{now.year}年{now.month}月{now.day}日 {now:%H}:" in notice.text, "年月日 with the time"
    assert (await stored(office, task)).status is TaskStatus.ACKNOWLEDGED

    await official.send_document("排查台账.pdf", PDF, caption="已完成全部32处积水点排查。", mime_type="application/pdf", reply_to=slip)
    confirmed = await official.wait_for(text_contains="已提交")
    assert task.number.full in confirmed.text

    review = await clerk.wait_for(text_contains="反馈", predicate=lambda m: bool(m.inline_keyboard))
    assert "已完成全部32处积水点排查" in review.text and buttons(review) == ["通过(办结)", "退回"]
    document = await clerk.wait_for(predicate=lambda m: m.document is not None)
    assert clerk.file_bytes(document) == PDF and task.number.full in document.caption
    item = await feedback_store.pending_of_task(office.db.reader, task.id)
    assert item.attachments[0].file_name == "排查台账.pdf" and item.slip_id is not None

    press = await clerk.press("通过(办结)", message=review)
    await clerk.wait_for_answer(press)
    assert "办结" in (await clerk.wait_for(text_contains="已审核通过")).text
    assert (await stored(office, task)).status is TaskStatus.COMPLETED
    marked = clerk.private_chat.messages[review.message_id]
    assert marked.inline_keyboard == []
    assert "已完成全部32处积水点排查" in marked.text, "the review keeps its text"
    assert marked.text.rstrip().splitlines()[-1].startswith("✅ 已通过（办结） · "), marked.text
    told = await official.wait_for(text_contains="审核通过")
    assert task.number.full in told.text
    # The slip's buttons were taken off before that notice was queued.
    assert official.private_chat.messages[slip.message_id].inline_keyboard == []

    # Twice: a short notice, nothing changes.
    press = forge_press(clerk, f"acc:{item.id}", "通过(办结)")
    assert "已经审核过" in (await clerk.wait_for_answer(press)).answer_text

    # A completed task takes no more feedback.
    await official.reply_to(slip, "补充一点材料")
    assert "已办结" in (await official.wait_for(text_contains="已办结")).text



async def test_feedback_command_with_loose_numbers(city, office):
    clerk, official = city["clerk"], city["zhujian"]
    task = await issue(office, clerk)
    await slip_message(office, official, task)
    year = task.number.year
    wide = str(year).translate(str.maketrans("0123456789", "０１２３４５６７８９"))

    await official.send(f"/feedback 交办〔{wide}〕{task.number.seq}号 已完成排查，共32处。")
    confirmed = await official.wait_for(text_contains="已提交")
    assert task.number.full in confirmed.text
    review = await clerk.wait_for(text_contains="已完成排查，共32处。")
    assert buttons(review) == ["通过(办结)", "退回"]
    assert (await stored(office, task)).status is TaskStatus.FEEDBACK_PENDING

    # While it is being reviewed, a second report is refused.
    await official.send(f"/feedback {year}-{task.number.seq} 再补充一句")
    assert "正在审核" in (await official.wait_for(text_contains="审核")).text


async def test_a_reminder_slip_number_finds_its_task(city, office):
    clerk, official = city["clerk"], city["zhujian"]
    task = await issue(office, clerk)
    await slip_message(office, official, task)
    # A 催办单 of the same task, with the same 序号 as the 交办单 of another.
    other = await issue(office, clerk, "交通运输局", "国省道养护")
    async with office.db.transaction() as conn:
        number = await slips.next_number(conn, SlipType.REMINDER, task.number.year)
        reminder = await slips.add(conn, task.id, number, office.now().date(), clerk.person.id, "催办单")
    assert number.seq == task.number.seq  # 催办单〔Y〕1号 beside 交办单〔Y〕1号
    await official.send(f"/feedback C{number.seq} 已整改到位")
    confirmed = await official.wait_for(text_contains="已提交")
    assert number.full in confirmed.text and task.number.full in confirmed.text
    item = await feedback_store.pending_of_task(office.db.reader, task.id)
    assert item.slip_id == reminder.id
    assert (await stored(office, other)).status is TaskStatus.ISSUED


async def test_unknown_or_foreign_number_lists_the_open_slips(city, office):
    clerk, official = city["clerk"], city["zhujian"]
    task = await issue(office, clerk)
    await slip_message(office, official, task)
    other = await issue(office, clerk, "交通运输局", "国省道养护")
    second = await issue(office, clerk, "住建局", "老旧小区改造")

    await official.send("/feedback 99号 已完成")
    answer = await official.wait_for(text_contains="没有找到单号")
    assert "没有找到单号「99号」。" in answer.text, "the number alone is quoted, not the words after it"
    items = [line for line in answer.text.splitlines() if line.startswith("•")]
    assert len(items) == 2 and all(line.count("•") == 1 for line in items), "one open slip a line"
    assert second.number.full in answer.text
    assert task.number.full in answer.text and "城区积水点排查整治" in answer.text
    assert "国省道养护" not in answer.text

    await official.send(f"/feedback 催办单〔{other.number.year}〕77号 已完成")
    assert f"没有找到单号「催办单〔{other.number.year}〕77号」。" in (await official.wait_for(text_contains="没有找到单号")).text

    await official.send(f"/feedback {other.number.year}-{other.number.seq} 已完成")
    answer = await official.wait_for(text_contains="不是您单位的事项")
    assert f"单号「{other.number.year}-{other.number.seq}」不是您单位的事项" in answer.text
    assert task.number.full in answer.text and "国省道养护" not in answer.text

    await official.send("/feedback 已经完成了")
    kept = await official.wait_for(text_contains="没有认出这条反馈写的是哪个单号")
    assert task.number.full in kept.text and "已保留，还没有提交" in kept.text
    await official.send("/feedback")
    assert "/feedback" in (await official.wait_for(text_contains="请在 /feedback 后面")).text
    assert (await stored(office, other)).status is TaskStatus.ISSUED
    assert (await stored(office, task)).status is TaskStatus.ISSUED


async def test_too_long_feedback_is_refused_with_the_limit(city, office):
    clerk, official = city["clerk"], city["zhujian"]
    task = await issue(office, clerk)
    slip = await slip_message(office, official, task)
    await official.reply_to(slip, "很" * (MAX_FEEDBACK + 1))
    answer = await official.wait_for(text_contains="内容太长")
    assert str(MAX_FEEDBACK) in answer.text
    assert (await stored(office, task)).status is TaskStatus.ISSUED


async def test_return_with_reason_and_new_date(city, office):
    clerk, official = city["clerk"], city["zhujian"]
    task = await issue(office, clerk)
    slip = await slip_message(office, official, task)
    await official.reply_to(slip, "已完成")
    await official.wait_for(text_contains="已提交")
    review = await clerk.wait_for(text_contains="已完成", predicate=lambda m: bool(m.inline_keyboard))
    return_data = review.find_button("退回")["callback_data"]

    await clerk.press("退回", message=review)
    asked = await clerk.wait_for(text_contains="退回理由")
    assert buttons(asked) == ["取消"]
    await clerk.send("缺少整改前后对比照片。")
    asked_date = await clerk.wait_for(text_contains="新的办结期限")
    # The dialog moved on: the reason's question loses its 取消, the date's question has its own.
    await clerk.wait_for(predicate=lambda m: m.message_id == asked.message_id and not m.inline_keyboard)
    assert buttons(asked_date) == ["跳过", "取消"]
    await clerk.send("明天下午")
    assert "不是日期" in (await clerk.wait_for(text_contains="不是日期")).text
    assert buttons(clerk.private_chat.messages[asked_date.message_id]) == ["跳过", "取消"], "the question stands"
    # A working day, whatever today is: a rest day would move (tests/e2e/test_rest_days.py).
    new_date = next_workday_on_or_after(office.now().date() + timedelta(days=30), office.calendar)
    await clerk.send(new_date.isoformat())
    done = await clerk.wait_for(text_contains="已退回")
    assert "缺少整改前后对比照片" in done.text
    # The answer first; then the review's 通过 / 退回 come off (Telegram's pace: one a second).
    marked = await clerk.wait_for(predicate=lambda m: m.message_id == review.message_id and not m.inline_keyboard)
    assert "已完成" in marked.text and "↩️ 已退回：缺少整改前后对比照片。" in marked.text
    assert f"（新期限{new_date.year}年{new_date.month}月{new_date.day}日）" in marked.text
    await eventually(lambda: not clerk.private_chat.messages[asked_date.message_id].inline_keyboard)

    told = await official.wait_for(text_contains="退回理由")
    assert "缺少整改前后对比照片。" in told.text and f"{new_date.year}年{new_date.month}月{new_date.day}日" in told.text
    after = await stored(office, task)
    assert after.status is TaskStatus.ACKNOWLEDGED and after.deadline == new_date
    assert buttons(official.private_chat.messages[slip.message_id]) == ["反馈", "申请延期"]

    # The same 退回 button again: a short notice, nothing changes.
    press = forge_press(clerk, return_data, "退回")
    assert "已经审核过" in (await clerk.wait_for_answer(press)).answer_text

    # The unit reports again, replying to the 退回 notice; its number is cited in the text.
    await official.reply_to(told, f"{task.number.full}：已补充对比照片。")
    assert task.number.full in (await official.wait_for(text_contains="已提交")).text


async def test_return_keeping_the_deadline_and_cancel(city, office):
    clerk, official = city["clerk"], city["zhujian"]
    task = await issue(office, clerk)
    slip = await slip_message(office, official, task)
    await official.reply_to(slip, "已完成")
    review = await clerk.wait_for(text_contains="已完成", predicate=lambda m: bool(m.inline_keyboard))

    await clerk.press("退回", message=review)
    await clerk.wait_for(text_contains="退回理由")
    await clerk.send("/cancel")
    await clerk.wait_for(text_contains="已取消")
    assert (await stored(office, task)).status is TaskStatus.FEEDBACK_PENDING

    await clerk.press("退回", message=review)
    await clerk.wait_for(text_contains="退回理由")
    await clerk.send("请写明完成时间。")
    await clerk.wait_for(text_contains="新的办结期限")
    await clerk.press("跳过")
    await clerk.wait_for(text_contains="已退回")
    assert "请写明完成时间。" in (await official.wait_for(text_contains="退回理由")).text
    after = await stored(office, task)
    assert after.status is TaskStatus.ACKNOWLEDGED and after.deadline == task.deadline


async def test_feedback_button_dialog(city, office):
    clerk, official = city["clerk"], city["zhujian"]
    task = await issue(office, clerk)
    slip = await slip_message(office, official, task)

    await official.press("反馈", message=slip)
    prompt = await official.wait_for(text_contains="请发送办理结果情况")
    assert task.number.full in prompt.text
    await official.send("/cancel")
    await official.wait_for(text_contains="已取消")
    await official.send("这句话不是反馈")
    await official.wait_for(text_contains="没看懂")

    await official.press("反馈", message=slip)
    await official.wait_for(text_contains="请发送办理结果情况")
    await official.send("/done")
    await official.wait_for(text_contains="反馈内容为空")
    await official.send("第一部分：排查完毕。")
    await official.wait_for(text_contains="已记下")
    await official.send_photo(PNG, caption="整改后照片")
    await official.wait_for(text_contains="附件1个")
    await official.send_document("台账.xlsx", b"PK\x03\x04 ledger")
    await official.wait_for(text_contains="附件2个")
    await official.press("提交")
    confirmed = await official.wait_for(text_contains="已提交")
    assert task.number.full in confirmed.text and "附件2个" in confirmed.text

    review = await clerk.wait_for(text_contains="第一部分：排查完毕。", predicate=lambda m: bool(m.inline_keyboard))
    assert "整改后照片" in review.text
    await clerk.wait_for(predicate=lambda m: m.photo is not None)
    await clerk.wait_for(predicate=lambda m: m.document is not None)
    item = await feedback_store.pending_of_task(office.db.reader, task.id)
    assert [a.kind for a in item.attachments] == ["photo", "document"]


async def test_a_feedback_dialog_left_an_hour_has_lapsed(city, office):
    """No timer ends a dialog: the official who comes back to it after the hour is told it
    lapsed and how to begin again, and nothing of it is recorded."""
    clerk, official = city["clerk"], city["zhujian"]
    task, slip, draft = await feedback_begun(office, clerk, official)
    later = office.now() + timedelta(minutes=61)
    office.clock = lambda: later

    answered = await official.wait_for_answer(await official.press("提交", message=draft))
    assert answered.show_alert and "已自动结束" in (answered.answer_text or "")
    assert "重新点消息下方的按钮" in (answered.answer_text or "")
    assert await feedback_store.pending_of_task(office.db.reader, task.id) is None

    await official.press("反馈", message=slip)
    await official.wait_for(text_contains="请发送办理结果情况", predicate=lambda m: m.message_id > draft.message_id)
    office.clock = lambda: later + timedelta(minutes=61)
    await official.send("第二部分：已整改。")
    lapsed = await official.wait_for(text_contains="已自动结束")
    assert "1小时无操作" in lapsed.text and "没有记录任何内容" in lapsed.text
    await official.send("这句话不是反馈")
    await official.wait_for(text_contains="没看懂")
    assert await feedback_store.pending_of_task(office.db.reader, task.id) is None
    # The dialog is over: the next text is not taken as feedback.
    await official.send("谢谢")
    await official.wait_for(text_contains="没看懂")


async def test_presses_without_the_right_change_nothing(city, office, simulator):
    clerk, official, other, supervisor = city["clerk"], city["zhujian"], city["jiaotong"], city["supervisor"]
    task = await issue(office, clerk)
    slip = await slip_message(office, official, task)

    for member in (other, clerk):
        press = forge_press(member, f"ack:{task.id}")
        answered = await member.wait_for_answer(press)
        assert answered.show_alert and "没有权限" in answered.answer_text
        press = forge_press(member, f"fb:{task.id}", "反馈")
        assert "没有权限" in (await member.wait_for_answer(press)).answer_text
    stranger = await simulator.create_user("路人")
    await stranger.send("hello")
    await stranger.wait_for(text_contains="邀请链接")
    press = forge_press(stranger, f"ack:{task.id}")
    assert "邀请链接" in (await stranger.wait_for_answer(press)).answer_text
    await stranger.send("/feedback 1号 已完成")
    await stranger.wait_for(text_contains="邀请链接")
    assert (await stored(office, task)).status is TaskStatus.ISSUED

    press = await official.press("签收", message=slip)
    await official.wait_for_answer(press)
    press = forge_press(official, f"ack:{task.id}", message=slip)  # a second tap before the buttons changed
    answered = await official.wait_for_answer(press)
    assert answered.show_alert and "已签收，无需重复签收" in answered.answer_text

    await official.reply_to(slip, "已完成")
    review = await clerk.wait_for(text_contains="已完成", predicate=lambda m: bool(m.inline_keyboard))
    feedback_id = int(review.inline_keyboard[0][0]["callback_data"].split(":")[1])
    for member in (official, other):
        for data in (f"acc:{feedback_id}", f"ret:{feedback_id}"):
            press = forge_press(member, data, "通过(办结)")
            assert "没有权限" in (await member.wait_for_answer(press)).answer_text
    # 政务监督室 may review; a clerk replying to the review message is pointed to the buttons.
    await recorded(office, review)
    await clerk.reply_to(review, "收到")
    await clerk.wait_for(text_contains="请点这条反馈下面")
    await wait_idle(clerk.user.state)
    assert (await stored(office, task)).status is TaskStatus.FEEDBACK_PENDING
    press = forge_press(supervisor, f"acc:{feedback_id}", "通过(办结)")
    await supervisor.wait_for_answer(press)
    assert (await stored(office, task)).status is TaskStatus.COMPLETED


async def test_reply_with_an_album_is_one_feedback(city, office):
    clerk, official = city["clerk"], city["zhujian"]
    task = await issue(office, clerk)
    slip = await slip_message(office, official, task)
    state = official.user.state
    for n in range(3):
        stored_file = state.store_file("photo", PNG, None, None, (1, 1))
        message = state.add_message(
            official.private_chat, official.user.user, photo=stored_file, caption="整改前后对比" if n == 0 else None, reply_to=slip
        )
        update = message.to_api()
        update["media_group_id"] = "album-1"
        official.user._acted()
        state.push_update("message", update)
    confirmed = await official.wait_for(text_contains="已提交")
    assert "附件3个" in confirmed.text
    item = await feedback_store.pending_of_task(office.db.reader, task.id)
    assert len(item.attachments) == 3 and item.text == "整改前后对比"


async def test_feedback_command_with_only_a_number_opens_the_dialog(city, office):
    clerk, official = city["clerk"], city["zhujian"]
    task = await issue(office, clerk)
    await slip_message(office, official, task)
    await official.send(f"/feedback J{task.number.year}-{task.number.seq}")
    assert task.number.full in (await official.wait_for(text_contains="请发送办理结果情况")).text
    await official.send("已全部完成。")
    await official.wait_for(text_contains="已记下")
    await official.send("/done")
    assert task.number.full in (await official.wait_for(text_contains="已提交")).text
    assert (await stored(office, task)).status is TaskStatus.FEEDBACK_PENDING


async def test_a_message_nothing_took_gets_the_hint_of_the_persons_role(city, office):
    """A clerk is not told to reply to a 交办单; an official's loose file is not 「没看懂」."""
    clerk, official, supervisor = city["clerk"], city["zhujian"], city["supervisor"]
    await clerk.send("这是什么")
    hint = await clerk.wait_for(text_contains="没看懂")
    assert "/new" in hint.text and "回复”交办单" not in hint.text and "/feedback" not in hint.text
    await supervisor.send("你好")
    assert "/new" in (await supervisor.wait_for(text_contains="没看懂")).text

    await official.send("你好")
    hint = await official.wait_for(text_contains="没看懂")
    assert "/feedback 单号 内容" in hint.text and "“回复”交办单消息" in hint.text  # Telegram's reply names the slip
    task = await issue(office, clerk)
    await slip_message(office, official, task)
    await official.send_document("台账.xlsx", b"PK\x03\x04 ledger")
    answer = await official.wait_for(text_contains="文件")
    assert "未作为反馈记录" in answer.text and "没看懂" not in answer.text
    assert (await feedback_store.pending_of_task(office.db.reader, task.id)) is None


async def test_a_submit_of_a_dialog_begun_again_is_stale_and_one_sent_before_dialog_ids_still_submits(city, office):
    """提交 carries its dialog: the 提交 of a 反馈 dialog begun again since records nothing, and
    says so; a 提交 drawn before buttons carried the dialog (``fbsend:<task>``) still submits
    the open dialog of its task."""
    clerk, official = city["clerk"], city["zhujian"]
    task, slip, first = await feedback_begun(office, clerk, official)
    old_submit = next(b["callback_data"] for row in first.inline_keyboard for b in row if b["text"] == "提交")
    assert old_submit.startswith(f"fbsend:{task.id}:")

    await official.press("反馈", message=slip)
    await official.wait_for(text_contains="请发送办理结果情况", predicate=lambda m: m.message_id > first.message_id)
    answered = await official.wait_for_answer(forge_press(official, old_submit, "提交", message=first))
    assert answered.show_alert and "已失效" in (answered.answer_text or "")
    assert await feedback_store.pending_of_task(office.db.reader, task.id) is None

    await official.send("第二部分：已整改。")
    collected = await official.wait_for(text_contains="已记下", predicate=lambda m: m.message_id > first.message_id)
    await official.wait_for_answer(forge_press(official, f"fbsend:{task.id}", "提交", message=collected))
    await official.wait_for(text_contains="已提交")
    item = await feedback_store.pending_of_task(office.db.reader, task.id)
    assert item is not None and item.text == "第二部分：已整改。"
