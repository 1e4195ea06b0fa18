"""Recording 加减分 in chat and reading the 百分制 (notice, section 五), as the people would.

"各部门参会迟到、早退、替会扣0.2分，缺席会议扣0.5分，未按时、按要求上报材料扣0.2分；责任单位每受到
市政府通报表扬一次加1分；每受到市政府通报批评一次扣1分。" "年终总分低于80分的单位不能评为先进单位。"
"""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal

from bot.domain.scores import ScoreCategory
from bot.emulators.telegram.client import wait_idle
from bot.services import scoring
from bot.services.scoring import Entry
from bot.storage import org
from bot.storage import scores as store
from tests.e2e.test_slip_actions import forge_press


def at(office, day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), office.settings.timezone)


async def events(office) -> list:
    return await store.between(office.db.reader, date(2000, 1, 1), date(2100, 1, 1))


async def unit_id(office, name: str) -> int:
    unit = await org.unit_by_name(office.db.reader, name)
    assert unit is not None
    return unit.id


async def test_praise_in_one_line_for_two_units_tells_both(office, city):
    office.clock = lambda: at(office, date(2026, 11, 20))
    supervisor = city["supervisor"]
    await supervisor.send("/praise 住建局、交通运输局 在防汛工作中表现突出")
    answer = await supervisor.wait_for(text_contains="已记录2条")
    assert "住建局" in answer.text and "交通运输局" in answer.text and "+1分" in answer.text
    told = await city["zhujian"].wait_for(text_contains="加减分通知")
    assert "市政府通报表扬" in told.text and "+1分" in told.text and "在防汛工作中表现突出" in told.text
    await city["jiaotong"].wait_for(text_contains="市政府通报表扬")
    booked = await events(office)
    assert [(e.category, e.points, e.occurred_on) for e in booked] == [
        (ScoreCategory.PRAISE, Decimal("1"), date(2026, 11, 20))
    ] * 2
    assert city["town"].last_message() is None or "加减分" not in city["town"].last_message().text


async def test_criticize_and_material_one_line(office, city):
    office.clock = lambda: at(office, date(2026, 11, 20))
    await city["supervisor"].send("/criticize 穰东镇 信访积案化解推进不力")
    await city["supervisor"].wait_for(text_contains="已记录1条")
    await city["clerk"].send("/material 住建局 三季度经济运行分析材料未按时上报")
    await city["clerk"].wait_for(text_contains="已记录1条")
    told = await city["town"].wait_for(text_contains="市政府通报批评")
    assert "-1分" in told.text
    told = await city["zhujian"].wait_for(text_contains="材料未按时、按要求上报")
    assert "-0.2分" in told.text
    assert sorted((e.category.value, str(e.points)) for e in await events(office)) == [
        ("criticism", "-1"), ("material_late", "-0.2"),
    ]


async def test_meeting_one_line_books_each_mark(office, city):
    office.clock = lambda: at(office, date(2026, 11, 21))
    clerk = city["clerk"]
    await clerk.send("/meeting 全市防汛工作会议 2026-11-20 住建局 迟到，交通运输局 缺席；穰东镇 替会")
    answer = await clerk.wait_for(text_contains="已记录3条")
    assert "会议缺席 -0.5分" in answer.text and "2026年11月20日" in answer.text
    booked = {(e.unit_id, e.category, e.points, e.occurred_on, e.note) for e in await events(office)}
    day = date(2026, 11, 20)
    assert booked == {
        (await unit_id(office, "住建局"), ScoreCategory.MEETING_LATE, Decimal("-0.2"), day, "全市防汛工作会议"),
        (await unit_id(office, "交通运输局"), ScoreCategory.MEETING_ABSENT, Decimal("-0.5"), day, "全市防汛工作会议"),
        (await unit_id(office, "穰东镇"), ScoreCategory.MEETING_SUBSTITUTE, Decimal("-0.2"), day, "全市防汛工作会议"),
    }
    told = await city["jiaotong"].wait_for(text_contains="会议缺席")
    assert "-0.5分" in told.text


async def test_meeting_dialog_with_buttons(office, city):
    office.clock = lambda: at(office, date(2026, 11, 21))
    clerk = city["clerk"]
    await clerk.send("/meeting")
    await clerk.wait_for(text_contains="会议名称和日期")
    await clerk.send("全市安全生产会议 2026-11-19")
    picker = await clerk.wait_for(text_contains="点单位名称标记情形")
    await clerk.press("住建局", message=picker)
    picker = await clerk.wait_for(predicate=lambda m: m.find_button("住建局：迟到") is not None)
    await clerk.press("住建局：迟到", message=picker)  # → 早退
    picker = await clerk.wait_for(predicate=lambda m: m.find_button("住建局：早退") is not None)
    await clerk.press("穰东镇", message=picker)
    picker = await clerk.wait_for(predicate=lambda m: m.find_button("穰东镇：迟到") is not None)
    for now, following in (("迟到", "早退"), ("早退", "替会"), ("替会", "缺席")):
        await clerk.press(f"穰东镇：{now}", message=picker)
        picker = await clerk.wait_for(predicate=lambda m, f=following: m.find_button(f"穰东镇：{f}") is not None)
    await clerk.press("选好了，记录", message=picker)
    answer = await clerk.wait_for(text_contains="已记录2条")
    assert "会议早退" in answer.text and "会议缺席" in answer.text
    kinds = {(e.unit_id, e.category, e.occurred_on) for e in await events(office)}
    assert kinds == {
        (await unit_id(office, "住建局"), ScoreCategory.MEETING_EARLY_LEAVE, date(2026, 11, 19)),
        (await unit_id(office, "穰东镇"), ScoreCategory.MEETING_ABSENT, date(2026, 11, 19)),
    }


async def test_praise_dialog_asks_for_the_reason(office, city):
    office.clock = lambda: at(office, date(2026, 11, 21))
    supervisor = city["supervisor"]
    await supervisor.send("/praise")
    picker = await supervisor.wait_for(text_contains="点选责任单位")
    await supervisor.press("交通运输局", message=picker)
    picker = await supervisor.wait_for(predicate=lambda m: m.find_button("✓ 交通运输局") is not None)
    await supervisor.press("选好了，记录", message=picker)
    await supervisor.wait_for(text_contains="请发送事由")
    await supervisor.send("春运保障工作成效明显")
    await supervisor.wait_for(text_contains="已记录1条")
    (event,) = await events(office)
    assert event.category is ScoreCategory.PRAISE and event.note == "春运保障工作成效明显"


async def test_cancel_ends_the_recording_and_its_buttons_go(office, city):
    """/cancel ends a recording like every other dialog: nothing is booked, the unit buttons
    come off, and text typed afterwards is not taken as a 事由."""
    office.clock = lambda: at(office, date(2026, 11, 21))
    supervisor = city["supervisor"]
    await supervisor.send("/praise")
    picker = await supervisor.wait_for(text_contains="点选责任单位")
    await supervisor.press("交通运输局", message=picker)
    await supervisor.wait_for(predicate=lambda m: m.find_button("✓ 交通运输局") is not None)
    await supervisor.send("/cancel")
    await supervisor.wait_for(text_contains="已取消，没有记录任何内容")
    await wait_idle(supervisor.state, quiet=0.2)
    assert not supervisor.private_chat.messages[picker.message_id].inline_keyboard
    await supervisor.send("春运保障工作成效明显")
    await supervisor.wait_for(text_contains="没看懂")
    assert await events(office) == []


async def test_cancel_button_and_a_stale_picker(office, city):
    """取消 on the picker ends the dialog; a picker of a dialog replaced by a newer one is
    refused (and changes nothing) instead of marking units of the newer one."""
    office.clock = lambda: at(office, date(2026, 11, 21))
    supervisor = city["supervisor"]
    await supervisor.send("/criticize")
    older = await supervisor.wait_for(text_contains="点选责任单位")
    stale_data = older.find_button("交通运输局")["callback_data"]
    stale_cancel = older.find_button("取消")["callback_data"]
    await supervisor.send("/criticize")
    newer = await supervisor.wait_for(predicate=lambda m: m.message_id != older.message_id and "点选责任单位" in m.text)
    await wait_idle(supervisor.state, quiet=0.2)
    assert not supervisor.private_chat.messages[older.message_id].inline_keyboard
    answered = await supervisor.wait_for_answer(forge_press(supervisor, stale_data, "交通运输局", message=older))
    assert answered.show_alert and "已失效" in answered.answer_text
    assert supervisor.private_chat.messages[newer.message_id].find_button("✓ 交通运输局") is None
    # the older picker's 取消 carries the older dialog's id: it cancels nothing now
    assert stale_cancel != newer.find_button("取消")["callback_data"]
    answered = await supervisor.wait_for_answer(forge_press(supervisor, stale_cancel, "取消", message=older))
    assert answered.show_alert and "已失效" in answered.answer_text
    await supervisor.press("交通运输局", message=newer)
    await supervisor.wait_for(predicate=lambda m: m.find_button("✓ 交通运输局") is not None)
    await supervisor.press("取消", message=newer)
    await supervisor.wait_for(text_contains="已取消，没有记录任何内容")
    await wait_idle(supervisor.state, quiet=0.2)
    assert not supervisor.private_chat.messages[newer.message_id].inline_keyboard
    assert await events(office) == []


async def test_bad_input_says_what_to_type_and_changes_nothing(office, city):
    supervisor, clerk = city["supervisor"], city["clerk"]
    await supervisor.send("/praise 不存在局 表现突出")
    answer = await supervisor.wait_for(text_contains="请至少写一个责任单位")
    assert "/praise 住建局" in answer.text
    await supervisor.send("/praise 住建局")
    await supervisor.wait_for(text_contains="请在单位名称后面写明事由")
    await clerk.send("/meeting 防汛会 住建局 迟到")
    await clerk.wait_for(text_contains="会议名称 日期 单位 情形")
    await clerk.send("/meeting 防汛会 2026-01-05 住建局 睡觉")
    await clerk.wait_for(text_contains="迟到、早退、替会、缺席")
    await supervisor.send("/void 一二 理由")
    await supervisor.wait_for(text_contains="/void 12 重复录入")
    assert await events(office) == []


async def test_who_may_record_what(office, city):
    await city["clerk"].send("/praise 住建局 表现突出")
    await city["clerk"].wait_for(text_contains="您没有权限")
    await city["zhujian"].send("/material 住建局 材料")
    await city["zhujian"].wait_for(text_contains="您没有权限")
    await city["leader"].send("/meeting 会 2026-01-05 住建局 迟到")
    await city["leader"].wait_for(text_contains="您没有权限")
    assert await events(office) == []


async def test_void_keeps_the_event_visible_and_stops_it_counting(office, city):
    office.clock = lambda: at(office, date(2026, 11, 20))
    zhujian_id = await unit_id(office, "住建局")
    (event,) = await scoring.record(
        office, city["supervisor"].person, [Entry(zhujian_id, ScoreCategory.CRITICISM)], "误记", date(2026, 11, 20), office.now()
    )
    await city["zhujian"].send("/scores")
    shown = await city["zhujian"].wait_for(text_contains="年度得分")
    assert "年度得分：99" in shown.text
    await city["clerk"].send(f"/void {event.id} 重复录入")
    await city["clerk"].wait_for(text_contains="您没有权限")
    await city["supervisor"].send(f"/void {event.id} 重复录入")
    answer = await city["supervisor"].wait_for(text_contains="已作废")
    assert "重复录入" in answer.text
    await city["zhujian"].wait_for(text_contains="作废通知")
    await city["zhujian"].send("/scores")
    shown = await city["zhujian"].wait_for(text_contains="年度得分")
    assert "年度得分：100" in shown.text and "已作废" in shown.text and "重复录入" in shown.text
    await city["supervisor"].send(f"/void {event.id} 再来一次")
    await city["supervisor"].wait_for(text_contains="已作废")
    (stored,) = await events(office)
    assert stored.void_reason == "重复录入"


async def test_scores_for_each_role(office, city, organisation):
    office.clock = lambda: at(office, date(2026, 11, 20))
    ids = {name: await unit_id(office, name) for name in ("住建局", "交通运输局", "穰东镇")}
    supervisor = city["supervisor"].person
    # 穰东镇 falls below 80 over the year: seven 约谈-sized criticisms are not in the notice, so
    # twenty-one 通报批评 (−1 each) do it: 100 − 21 = 79.
    for month in range(1, 11):
        await scoring.record(office, supervisor, [Entry(ids["穰东镇"], ScoreCategory.CRITICISM)] * 1, "批评",
                             date(2026, month, 5), office.now())
        await scoring.record(office, supervisor, [Entry(ids["穰东镇"], ScoreCategory.CRITICISM)], "批评",
                             date(2026, month, 6), office.now())
    await scoring.record(office, supervisor, [Entry(ids["穰东镇"], ScoreCategory.CRITICISM)], "十一月批评", date(2026, 11, 3), office.now())
    await scoring.record(office, supervisor, [Entry(ids["住建局"], ScoreCategory.PRAISE)], "防汛表扬", date(2026, 11, 4), office.now())
    await scoring.record(office, city["clerk"].person, [Entry(ids["交通运输局"], ScoreCategory.MATERIAL_LATE)], "材料迟报", date(2026, 10, 30), office.now())
    await wait_idle(city["zhujian"].state, quiet=0.2)

    # A unit's official: the unit's annual score and this month's events, nothing of others.
    zhujian = city["zhujian"]
    await zhujian.send("/scores")
    own = await zhujian.wait_for(text_contains="年度得分")
    assert "住建局 · 2026年度得分：101" in own.text and "防汛表扬" in own.text and "穰东镇" not in own.text
    await zhujian.send("/scores 穰东镇")
    refused = await zhujian.wait_for(text_contains="没有找到单位")
    assert "例如：/scores 住建局" in refused.text and "/tasks" not in refused.text, "the example is of the command typed"
    town = city["town"]
    await town.send("/scores")
    own = await town.wait_for(text_contains="年度得分")
    assert "年度得分：79" in own.text and "不能评为先进单位" in own.text
    await town.send("/scores 2026-03")
    march = await town.wait_for(text_contains="2026年3月加减分")
    assert "-2分" in march.text and "年度得分：94" in march.text  # the score as of 3月31日

    # Clerks, leaders, 政务监督室: the table of every unit, best first, the below-80 mark.
    for who in ("clerk", "leader", "supervisor"):
        member = city[who]
        await member.send("/scores")
        table = await member.wait_for(text_contains="各单位百分制得分")
        lines = [line for line in table.text.splitlines() if line[:1].isdigit()]
        assert lines[0].startswith("1. 住建局 · 101 · +1"), lines
        assert lines[1].startswith("2. 交通运输局 · 99.8 · 0"), lines
        assert lines[2].startswith("3. 穰东镇 · 79 · -1") and "不能评为先进单位" in lines[2], lines
    clerk = city["clerk"]
    await clerk.send("/scores 2026")
    year = await clerk.wait_for(text_contains="2026年全年")
    assert "交通运输局 · 99.8 · -0.2" in year.text
    await clerk.send("/scores 2026-13")
    await clerk.wait_for(text_contains="不是有效的月份")
    await clerk.send("/scores 穰东镇 2026-10")
    detail = await clerk.wait_for(text_contains="穰东镇 · 2026年度得分")
    assert "年度得分：80" in detail.text


async def test_a_long_table_is_paged(office, city, organisation):
    for n in range(95):
        await organisation.unit(f"测试乡镇{n:03d}")
    clerk = city["clerk"]
    await clerk.send("/scores")
    first = await clerk.wait_for(text_contains="第1/3页")
    assert len(first.text) < 4096
    first_text = first.text
    await clerk.press("下一页", message=first)
    second = await clerk.wait_for(text_contains="第2/3页")
    def names(text: str) -> set[str]:
        return {line.split(" · ")[0].split(". ")[1] for line in text.splitlines() if line[:1].isdigit()}

    assert len(names(first_text)) == 40 and len(names(second.text)) == 40
    assert not names(first_text) & names(second.text)
