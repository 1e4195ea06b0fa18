"""Issuing a 工作交办单 with /new: the guided dialog and the one-message form, as a clerk sees it
and as each 责任单位 receives it (notice 附件1; SPEC sections 3 and 8)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from bot.domain.deadlines import DeadlineMode, next_workday_on_or_after
from bot.emulators.telegram.client import wait_idle
from bot.texts import plain
from tests.e2e.test_slip_actions import forge_press

TITLE = "全市城区积水点排查整治"
REQUIREMENTS = "逐点建立台账，明确整改措施和完成时间"
BASIS = "市政府第12次常务会议纪要"
SENTENCE = (
    f"根据{BASIS}，现将{TITLE}交由你单位办理，请抓紧落实，在收件之日起7天内办结并将办理结果情况"
    "书面反馈市政府办公室（综合一科）（请在反馈材料中注明交办单编号）。"
)


async def task_count(office) -> int:
    async with office.db.reader.execute("SELECT count(*) FROM tasks") as cur:
        row = await cur.fetchone()
    return int(row[0])


async def answer_texts(member) -> None:
    """/new, then 事项, 要求 and 根据."""
    await member.send("/new")
    await member.wait_for(text_contains="工作事项")
    await member.send(TITLE)
    await member.wait_for(text_contains="工作要求")
    await member.send(REQUIREMENTS)
    await member.wait_for(text_contains="根据")
    await member.send(BASIS)
    await member.wait_for(text_contains="交办类型")


async def choose_two_units(member):
    """住建局 and 交通运输局 as 责任单位, 李住建 the 责任人 of 住建局, none named for 交通运输局;
    the question that follows (which unit leads)."""
    await member.press("住建局")
    await member.wait_for(text_contains="已选：住建局（1个）")
    await member.press("交通运输局")
    await member.wait_for(text_contains="已选：住建局、交通运输局（2个）")
    await member.press("选好了")
    await member.wait_for(text_contains="住建局的责任人")
    await member.press("李住建")
    await member.wait_for(text_contains="交通运输局的责任人")
    await member.press("跳过")
    return await member.wait_for(text_contains="牵头单位")


def buttons(message) -> list[str]:
    return [b["text"] for row in message.inline_keyboard for b in row]


async def test_guided_dialog_issues_one_slip_per_unit(city, office):
    clerk, zhujian, jiaotong = city["clerk"], city["zhujian"], city["jiaotong"]
    year = office.now().year
    await answer_texts(clerk)
    question = clerk.messages()[-1]
    await clerk.press("其他口线工作")
    await clerk.wait_for(text_contains="责任单位")
    # The choice is echoed into the question it was made on, whose buttons come off.
    echoed = await clerk.wait_for(predicate=lambda m: m.message_id == question.message_id and not m.inline_keyboard)
    assert "交办类型" in echoed.text and echoed.text.rstrip().endswith("✔️ 已选：其他口线工作")
    lead = await choose_two_units(clerk)
    assert buttons(lead) == ["住建局牵头", "交通运输局牵头", "不设牵头，各自办理"]
    await clerk.press("不设牵头，各自办理")
    question = await clerk.wait_for(text_contains="时限")
    assert buttons(question) == ["3天", "5天", "7天", "15天", "30天"]
    await clerk.press("7天")
    await clerk.wait_for(text_contains="专项工作台账")
    await clerk.press("否")
    await clerk.wait_for(text_contains="工作任务分解台账")
    await clerk.press("跳过")

    # The slip as 住建局 will receive it and what will be issued: one message, with 确认签发.
    preview = await clerk.wait_for(text_contains="工作交办单")
    assert f"〔{year}〕待编号" in preview.text
    assert "住建局：" in preview.text and SENTENCE in preview.text
    assert "责 任 人：李住建" in preview.text and "联 系 人：王科员" in preview.text
    summary = preview
    assert buttons(summary) == ["确认签发", "修改", "取消"]
    assert "将签发2份交办单" in summary.text and "住建局、交通运输局" in summary.text
    assert await task_count(office) == 0

    await clerk.press("确认签发")
    first = await zhujian.wait_for(text_contains="工作交办单")
    second = await jiaotong.wait_for(text_contains="工作交办单")
    assert f"〔{year}〕1号" in first.text and "住建局：" in first.text and SENTENCE in first.text
    assert f"〔{year}〕2号" in second.text and "交通运输局：" in second.text and SENTENCE in second.text
    for slip in (first, second):
        assert buttons(slip) == ["签收", "反馈", "申请延期"]
    receipt = await clerk.wait_for(text_contains="已签发2份交办单")
    assert f"交办单〔{year}〕1号 → 住建局" in receipt.text
    assert f"交办单〔{year}〕2号 → 交通运输局" in receipt.text
    assert await task_count(office) == 2
    assert not any("工作交办单" in m.content for m in city["town"].messages())


async def confirmed(clerk, office) -> None:
    """The one-message form's preview (the dialog's own, nothing numbered yet), then 确认签发."""
    preview = await clerk.wait_for(text_contains="确认签发")
    assert buttons(preview) == ["确认签发", "修改", "取消"]
    assert await task_count(office) == 0, "nothing is issued before 确认签发"
    await clerk.press("确认签发", message=preview)


async def test_one_message_form_shows_the_preview_and_issues_on_confirm(city, office):
    clerk, zhujian, jiaotong = city["clerk"], city["zhujian"], city["jiaotong"]
    year = office.now().year
    await clerk.send(
        f"/new\n事项: {TITLE}\n要求：{REQUIREMENTS}\n根据：{BASIS}\n单位: 住建局， 交通运输局\n时限：7天\n专项：是\n责任人：张交通"
    )
    preview = await clerk.wait_for(text_contains="确认签发")
    shown = plain(preview.text)
    assert "《邓州市人民政府工作交办单》" in shown and SENTENCE in shown and "住建局：" in shown
    assert "〔2026〕待编号" in shown and "住建局、交通运输局" in shown and "交通运输局 张交通" in shown and "专项工作台账：纳入" in shown
    assert buttons(preview) == ["确认签发", "修改", "取消"] and await task_count(office) == 0
    await clerk.press("确认签发", message=preview)
    echoed = await clerk.wait_for(predicate=lambda m: m.message_id == preview.message_id and "已选：确认签发" in m.text)
    assert echoed.inline_keyboard == []
    receipt = await clerk.wait_for(text_contains="已签发2份交办单")
    assert f"交办单〔{year}〕1号 → 住建局" in receipt.text
    first = await zhujian.wait_for(text_contains="工作交办单")
    second = await jiaotong.wait_for(text_contains="工作交办单")
    assert SENTENCE in first.text and "住建局：" in first.text
    assert "责 任 人：张交通" in second.text and f"〔{year}〕2号" in second.text
    async with office.db.reader.execute("SELECT source, special_ledger, period_days FROM tasks ORDER BY id") as cur:
        rows = [tuple(r) async for r in cur]
    assert rows == [("other", 1, 7), ("other", 1, 7)]


async def test_a_typed_date_is_the_deadline_when_periods_count_working_days(city, office):
    """「期限：12月11日」 where 时限 count working days: the slip's N counts working days up to that
    date, so the deadline is the date typed, not N working days after it, and the slip says
    「N个工作日内」."""
    office.settings = replace(office.settings, deadline_mode=DeadlineMode.WORKING)
    clerk = city["clerk"]
    today = office.now().date()
    stated = next_workday_on_or_after(today + timedelta(days=12), office.calendar)
    await clerk.send(f"/new\n事项：{TITLE}\n要求：{REQUIREMENTS}\n依据：{BASIS}\n单位：住建局\n期限：{stated.month}月{stated.day}日")
    await confirmed(clerk, office)
    receipt = await clerk.wait_for(text_contains="已签发1份交办单")
    assert f"办结期限 {stated.year}年{stated.month}月{stated.day}日" in receipt.text
    async with office.db.reader.execute("SELECT deadline, period_days FROM tasks") as cur:
        rows = [tuple(r) async for r in cur]
    workdays = sum(1 for n in range(1, (stated - today).days + 1) if office.calendar.is_workday(today + timedelta(days=n)))
    assert rows == [(stated.isoformat(), workdays)]
    assert workdays < (stated - today).days  # a weekend lies between: the two counts differ
    slip = await city["zhujian"].wait_for(text_contains="工作交办单")
    assert f"在收件之日起{workdays}个工作日内办结" in slip.text  # the unit counts as the bot does


async def test_a_date_without_a_year_typed_in_december_is_the_coming_january(city, office):
    """「期限：1月15日」 sent on 12月18日 is the coming 15 January (as a 会议纪要's 「1月15日前」 is
    read), while 「12月1日」, just past, is refused as past rather than taken for next December."""
    office.clock = lambda: datetime(2026, 12, 18, 10, tzinfo=office.settings.timezone)
    clerk = city["clerk"]
    await clerk.send(f"/new\n事项：{TITLE}\n要求：{REQUIREMENTS}\n依据：{BASIS}\n单位：住建局\n期限：12月1日")
    refusal = await clerk.wait_for(text_contains="第6行")
    assert "期限：12月1日" in refusal.text and await task_count(office) == 0
    await clerk.send(f"/new\n事项：{TITLE}\n要求：{REQUIREMENTS}\n依据：{BASIS}\n单位：住建局\n期限：1月15日")
    await confirmed(clerk, office)
    receipt = await clerk.wait_for(text_contains="已签发1份交办单")
    assert "办结期限 2027年1月15日" in receipt.text


async def test_one_message_form_cancelled_at_its_preview_issues_nothing(city, office, emulator):
    clerk = city["clerk"]
    await clerk.send(f"/new\n事项：{TITLE}\n要求：{REQUIREMENTS}\n依据：{BASIS}\n单位：住建局\n期限：7天")
    preview = await clerk.wait_for(text_contains="确认签发")
    await clerk.press("取消", message=preview)
    await clerk.wait_for(text_contains="已取消")
    await wait_idle(emulator.state)
    assert await task_count(office) == 0
    assert not any("工作交办单" in m.content for m in city["zhujian"].messages())


async def test_one_message_form_with_a_bad_line_issues_nothing(city, office, emulator):
    clerk = city["clerk"]
    await clerk.send(f"/new\n事项：{TITLE}\n要求：{REQUIREMENTS}\n依据：{BASIS}\n单位：住建局、水利局\n期限：7天\n级别：高")
    refusal = await clerk.wait_for(text_contains="未签发")
    assert "第7行「级别：高」" in refusal.text and "没有「级别」这个栏目" in refusal.text
    assert "第5行「单位：住建局、水利局」" in refusal.text and "没有名为「水利局」的责任单位" in refusal.text
    assert "现有单位：住建局、交通运输局、穰东镇" in refusal.text

    await clerk.send(f"/new\n事项：{TITLE}\n依据：{BASIS}\n单位：住建局\n期限：昨天")
    refusal = await clerk.wait_for(text_contains="未签发")
    assert "缺少「要求」一行" in refusal.text and "第5行「期限：昨天」" in refusal.text
    # A 责任人 who is not in the chosen unit.
    await clerk.send(f"/new\n事项：{TITLE}\n要求：{REQUIREMENTS}\n依据：{BASIS}\n单位：住建局\n期限：7天\n责任人：张交通")
    refusal = await clerk.wait_for(text_contains="未签发")
    assert "第7行「责任人：张交通」" in refusal.text and "「张交通」不是所选责任单位的人员。可选：李住建" in refusal.text
    await wait_idle(emulator.state)
    assert await task_count(office) == 0
    assert city["zhujian"].last_message().text.startswith("✅ 绑定成功")


async def test_responsible_official_may_not_issue(city, office):
    official = city["zhujian"]
    await official.send("/new")
    assert "没有权限" in (await official.wait_for(text_contains="权限")).text
    await official.send(f"/new\n事项：{TITLE}\n要求：x\n依据：y\n单位：住建局\n期限：7天")
    assert "没有权限" in (await official.wait_for(text_contains="权限")).text
    assert await task_count(office) == 0


async def test_cancel_ends_the_dialog_and_its_buttons_change_nothing(city, office, emulator):
    clerk = city["clerk"]
    await answer_texts(clerk)
    await clerk.press("其他口线工作")
    units = await clerk.wait_for(text_contains="责任单位")
    old_unit = units.find_button("住建局")["callback_data"]
    old_done = units.find_button("选好了")["callback_data"]
    await clerk.send("/cancel")
    assert "已取消" in (await clerk.wait_for(text_contains="已取消")).text
    await wait_idle(emulator.state)
    # The question loses its buttons with the dialog; one pressed all the same (a double tap,
    # a slow client) is refused and changes nothing.
    assert not clerk.private_chat.messages[units.message_id].inline_keyboard
    answered = await clerk.wait_for_answer(forge_press(clerk, old_unit, "住建局", message=units))
    assert answered.show_alert and "已失效" in (answered.answer_text or "")
    await wait_idle(emulator.state)
    assert "已选：无" in clerk.private_chat.messages[units.message_id].text

    # A new dialog does not take the old dialog's buttons either.
    await clerk.send("/new")
    await clerk.wait_for(text_contains="工作事项")
    press = forge_press(clerk, old_done, "选好了", message=units)
    assert "已失效" in ((await clerk.wait_for_answer(press)).answer_text or "")
    await clerk.send(TITLE)
    await clerk.wait_for(text_contains="工作要求")
    assert await task_count(office) == 0


async def test_past_date_is_refused_and_asked_again(city, office):
    clerk = city["clerk"]
    today = office.now().date()
    await answer_texts(clerk)
    await clerk.press("市领导交办任务")
    await clerk.wait_for(text_contains="责任单位")
    await clerk.press("穰东镇")
    await clerk.wait_for(text_contains="已选：穰东镇")
    await clerk.press("选好了")
    await clerk.wait_for(text_contains="穰东镇的责任人")
    await clerk.press("跳过")
    await clerk.wait_for(text_contains="时限")

    await clerk.send((today - timedelta(days=1)).isoformat())
    assert "已过" in (await clerk.wait_for(text_contains="请填写今天以后的日期")).text
    await clerk.wait_for(text_contains="请选择时限")
    await clerk.send(today.isoformat())
    await clerk.wait_for(text_contains="请填写今天以后的日期")
    await clerk.wait_for(text_contains="请选择时限")

    await clerk.send((today + timedelta(days=10)).isoformat())
    await clerk.wait_for(text_contains="专项工作台账")
    await clerk.press("是")
    await clerk.wait_for(text_contains="工作任务分解台账")
    await clerk.send_document("分解台账.xlsx", b"PK\x03\x04 ledger", mime_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    preview = await clerk.wait_for(text_contains="工作交办单")
    assert "在收件之日起10天内办结" in preview.text and "附件：分解台账.xlsx" in preview.text
    summary = preview
    assert "纳入" in summary.text and "市领导交办任务" in summary.text
    await clerk.press("确认签发")
    await clerk.wait_for(text_contains="已签发1份交办单")
    town = city["town"]
    slip = await town.wait_for(text_contains="工作交办单")
    assert "穰东镇：" in slip.text and "附件：分解台账.xlsx" in slip.text
    attachment = await town.wait_for(predicate=lambda m: m.document is not None)
    assert town.file_bytes(attachment) == b"PK\x03\x04 ledger"


async def test_special_sources_only_for_the_supervision_office(city):
    clerk, supervisor = city["clerk"], city["supervisor"]
    await answer_texts(clerk)
    offered = buttons(clerk.last_message())
    assert offered == ["市领导交办任务", "其他口线工作"]
    await clerk.send("/cancel")
    await clerk.wait_for(text_contains="已取消")

    await answer_texts(supervisor)
    offered = buttons(supervisor.last_message())
    assert offered == ["市政府常务会议议定事项", "市政府主要领导批示件", "重要政务工作", "市领导交办任务", "其他口线工作"]


async def test_clerk_cannot_put_a_special_source_in_the_form(city, office):
    clerk = city["clerk"]
    await clerk.send(f"/new\n事项：{TITLE}\n要求：x\n依据：y\n单位：住建局\n期限：7天\n类型：主要领导批示件")
    refusal = await clerk.wait_for(text_contains="未签发")
    assert "第7行「类型：主要领导批示件」" in refusal.text and "政务监督室专项交办" in refusal.text
    assert await task_count(office) == 0


async def test_edit_one_field_keeps_the_rest(city, office):
    clerk = city["clerk"]
    await answer_texts(clerk)
    await clerk.press("其他口线工作")
    await clerk.wait_for(text_contains="责任单位")
    await clerk.press("住建局")
    await clerk.wait_for(text_contains="已选：住建局")
    await clerk.press("选好了")
    await clerk.wait_for(text_contains="责任人")
    await clerk.press("跳过")
    await clerk.wait_for(text_contains="时限")
    await clerk.press("3天")
    await clerk.wait_for(text_contains="专项工作台账")
    await clerk.press("否")
    await clerk.wait_for(text_contains="工作任务分解台账")
    await clerk.press("跳过")
    await clerk.wait_for(text_contains="确认签发")
    await clerk.press("修改")
    await clerk.wait_for(text_contains="要修改的内容")
    await clerk.press("事项")
    await clerk.wait_for(text_contains="工作事项")
    await clerk.send("城区积水点复查")
    preview = await clerk.wait_for(text_contains="工作交办单")
    assert "现将城区积水点复查交由你单位办理" in preview.text and "3天内办结" in preview.text
    assert "确认签发" in preview.text
    await clerk.press("取消")
    await clerk.wait_for(text_contains="已取消")
    assert await task_count(office) == 0


async def test_units_are_paged_eight_at_a_time(organisation, city):
    for n in range(1, 9):
        await organisation.unit(f"第{n}街道")
    clerk = city["clerk"]
    await answer_texts(clerk)
    await clerk.press("其他口线工作")
    first = await clerk.wait_for(text_contains="第1/2页")
    assert "第6街道" not in buttons(first) and "下一页" in buttons(first) and "上一页" not in buttons(first)
    await clerk.press("住建局")
    await clerk.wait_for(text_contains="已选：住建局")
    await clerk.press("下一页")
    second = await clerk.wait_for(text_contains="第2/2页")
    assert buttons(second)[:3] == ["第6街道", "第7街道", "第8街道"] and "上一页" in buttons(second)
    await clerk.press("第8街道")
    await clerk.wait_for(text_contains="已选：住建局、第8街道（2个）")


async def test_long_title_is_refused_and_asked_again(city):
    clerk = city["clerk"]
    await clerk.send("/new")
    await clerk.wait_for(text_contains="工作事项")
    await clerk.send("事" * 501)
    assert "501字" in (await clerk.wait_for(text_contains="太长")).text
    await clerk.send(TITLE)
    await clerk.wait_for(text_contains="工作要求")


async def test_a_dialog_left_an_hour_has_lapsed_and_says_how_to_start_again(city, office):
    """Nothing counts the hour in memory (another instance may take the next answer): the
    clerk hears the dialog lapsed when answering it, and nothing is issued."""
    clerk = city["clerk"]
    await answer_texts(clerk)
    source = clerk.last_message()
    later = office.now() + timedelta(hours=1, minutes=1)
    office.clock = lambda: later
    press = await clerk.press("其他口线工作", message=source)
    answered = await clerk.wait_for_answer(press)
    assert answered.show_alert and "已自动结束" in (answered.answer_text or "") and "/new" in (answered.answer_text or "")
    await clerk.send("住建局")
    # forgotten with the press: a later message is not an answer to it either
    assert "没看懂" in (await clerk.wait_for(text_contains="没看懂")).text

    await answer_texts(clerk)
    office.clock = lambda: later + timedelta(hours=2)
    await clerk.send("住建局")
    lapsed = await clerk.wait_for(text_contains="已自动结束")
    assert "1小时" in lapsed.text and "请重新发送 /new" in lapsed.text
    assert await task_count(office) == 0


async def test_a_dialog_answered_within_the_hour_goes_on(city, office):
    """The hour runs from the question last asked, not from /new."""
    clerk = city["clerk"]
    start = office.now()
    office.clock = lambda: start
    await clerk.send("/new")
    await clerk.wait_for(text_contains="工作事项")
    office.clock = lambda: start + timedelta(minutes=50)
    await clerk.send(TITLE)
    await clerk.wait_for(text_contains="工作要求")
    office.clock = lambda: start + timedelta(minutes=100)
    await clerk.send(REQUIREMENTS)
    await clerk.wait_for(text_contains="根据")


async def test_a_slip_too_long_for_one_message_is_refused_and_can_be_shortened(city, office):
    clerk = city["clerk"]
    await clerk.send("/new")
    for question, answer in (("工作事项", "排" * 500), ("工作要求", "要" * 2000), ("根据", "依" * 2000)):
        await clerk.wait_for(text_contains=question)
        await clerk.send(answer)
    for question, button in (("交办类型", "其他口线工作"), ("责任单位", "住建局"), ("已选：住建局", "选好了"),
                             ("住建局的责任人", "跳过"), ("时限", "7天"), ("专项工作台账", "否"), ("工作任务分解台账", "跳过")):
        await clerk.wait_for(text_contains=question)
        await clerk.press(button)
    # Every field within its own limit, but together more than one message: the unit could
    # never receive it. The clerk is told why and picks what to shorten.
    refusal = await clerk.wait_for(text_contains="超过了一条消息的上限")
    assert "单位将无法收到" in refusal.text and "请选择要修改的内容" in refusal.text
    assert "依据" in buttons(refusal) and "要求" in buttons(refusal)
    await clerk.press("依据", message=refusal)
    await clerk.wait_for(text_contains="根据")
    await clerk.send("依" * 1400)
    # The slip fits one message now, but not together with the summary: they come one after
    # the other, the buttons under the summary.
    slip = await clerk.wait_for(text_contains="工作交办单")
    assert "依" * 1400 in slip.text and "确认签发" not in slip.text and not slip.inline_keyboard
    summary = await clerk.wait_for(text_contains="确认签发")
    assert buttons(summary) == ["确认签发", "修改", "取消"]
    await clerk.press("确认签发", message=summary)
    await clerk.wait_for(text_contains="已签发1份交办单")
    assert "要" * 2000 in (await city["zhujian"].wait_for(text_contains="工作交办单")).text


async def test_the_one_message_form_refuses_a_slip_too_long_to_deliver(city, office, emulator):
    clerk = city["clerk"]
    form = f"/new\n事项：{'排' * 500}\n要求：{'要' * 2000}\n依据：{'依' * 1480}\n单位：住建局\n期限：7天"
    assert len(form) <= 4096, "a message Telegram lets a person send"
    await clerk.send(form)
    refusal = await clerk.wait_for(text_contains="超过了一条消息的上限")
    assert "请精简「工作要求」或「根据」" in refusal.text
    await wait_idle(emulator.state)
    assert await task_count(office) == 0
