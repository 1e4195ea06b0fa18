"""The people's side of the escalation chain (notice, section 二): 政务监督室 records 约谈 and
移交 by command or from the daily proposals, a clerk chases an overdue task by hand with 催办,
and in confirm mode the drafted slips are issued (签发) or put aside (暂缓) with one tap."""

from __future__ import annotations

import asyncio
import re
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from bot.config import EscalationMode
from bot.domain.slips import SlipType
from bot.domain.tasks import EscalationStage
from bot.emulators.telegram.client import wait_idle
from bot.services import handling
from bot.storage import history, slips, tasks
from tests.e2e.test_escalation import unit_score
from tests.e2e.test_extension import daily, issue, on
from tests.e2e.test_slip_actions import buttons, forge_press, slip_message


@pytest.fixture
def confirm_office(office):
    """The office in confirm mode: the daily check drafts 催办单 / 督办通知单 for one tap."""
    office.settings = replace(office.settings, escalation_mode=EscalationMode.CONFIRM)
    return office


def has_buttons(message) -> bool:
    return bool(message.inline_keyboard)


async def stage(office, task) -> EscalationStage:
    return (await tasks.get(office.db.reader, task.id)).stage


async def slip_count(office, task, slip_type: SlipType) -> int:
    return sum(1 for s in await slips.of_task(office.db.reader, task.id) if s.number.type is slip_type)


async def drafts_of(office, task) -> list[tuple[str, str]]:
    async with office.db.reader.execute("SELECT type, status FROM drafts WHERE task_id = ? ORDER BY id", (task.id,)) as cur:
        return [tuple(r) async for r in cur]


async def test_interview_and_transfer_by_command(city, office, bot):
    clerk, official, supervisor = city["clerk"], city["zhujian"], city["supervisor"]
    task = await issue(office, clerk)
    number = f"{task.number.year}-{task.number.seq}"
    unit_id = official.person.unit_id

    await daily(office, bot, date(2026, 12, 9))  # 催办单, −0.2
    on(office, date(2026, 12, 10))
    await supervisor.send(f"/interview {number} 刘副市长")
    refusal = await supervisor.wait_for(text_contains="尚未下发督办通知单")
    assert "按规定须督办后仍未完成才约谈" in refusal.text
    assert await stage(office, task) is EscalationStage.REMINDED

    await daily(office, bot, date(2026, 12, 15))  # 督办通知单, −0.5
    await daily(office, bot, date(2026, 12, 21))  # 约谈 proposed (12-19 and 12-20 are a weekend)
    assert "建议约谈" in (await supervisor.wait_for(text_contains="建议约谈")).text
    assert await unit_score(office, unit_id) == Decimal("99.3")

    on(office, date(2026, 12, 21))
    await supervisor.send("/interview")
    assert "/interview 2026-12 刘副市长" in (await supervisor.wait_for(text_contains="记录约谈请这样写")).text
    await supervisor.send(f"/interview {number}")
    assert f"/interview {number} 刘副市长" in (await supervisor.wait_for(text_contains="记录约谈请这样写")).text
    await supervisor.send(f"/interview {number} 刘副市长 2026-12-25")
    assert "还没到" in (await supervisor.wait_for(text_contains="还没到")).text
    await supervisor.send(f"/interview {number} 刘副市长 2026-13-45")
    assert "不是有效的约谈日期" in (await supervisor.wait_for(text_contains="约谈日期")).text
    assert await stage(office, task) is EscalationStage.SUPERVISED

    await supervisor.send(f"/interview 交办〔2026〕{task.number.seq}号 刘副市长 12月20日 已约谈局主要负责人")
    recorded = await supervisor.wait_for(text_contains="已记录约谈")
    assert "刘副市长于2026年12月20日约谈（已约谈局主要负责人）" in recorded.text
    assert "约谈一次扣3分" in recorded.text and "已扣3分" in recorded.text
    assert "2026年12月24日" in recorded.text  # the last window: 3 days from 12-21
    told = await official.wait_for(text_contains="对你单位进行约谈")
    assert "移交市作风办问责追责" in told.text
    assert await unit_score(office, unit_id) == Decimal("96.3")

    # A second /interview for the same task is refused by the stage; the −3 is booked once.
    await supervisor.send(f"/interview {number} 刘副市长")
    await supervisor.wait_for(text_contains="尚未下发督办通知单")
    assert await unit_score(office, unit_id) == Decimal("96.3")

    await supervisor.send("/transfer")
    assert "/transfer 2026-12" in (await supervisor.wait_for(text_contains="记录移交作风办请这样写")).text
    await supervisor.send(f"/transfer {number} 约谈后仍未完成。")
    done = await supervisor.wait_for(text_contains="已记录移交")
    assert "市作风办" in done.text and "（约谈后仍未完成）。" in done.text, "the note's own 。 is not doubled"
    assert "问责追责" in (await official.wait_for(text_contains="问责追责")).text
    assert await stage(office, task) is EscalationStage.TRANSFERRED
    await supervisor.send(f"/transfer {number}")
    assert "已移交" in (await supervisor.wait_for(regex="已移交|移交")).text
    assert await unit_score(office, unit_id) == Decimal("96.3")


async def test_the_proposals_buttons_record_interview_and_transfer(city, office, bot):
    clerk, official, supervisor = city["clerk"], city["zhujian"], city["supervisor"]
    task = await issue(office, clerk)
    for day in (9, 15, 21):
        await daily(office, bot, date(2026, 12, day))
    proposal = await supervisor.wait_for(text_contains="建议约谈")
    assert buttons(proposal) == ["记录约谈"]

    on(office, date(2026, 12, 21), 15)
    await supervisor.press("记录约谈", message=proposal)
    await supervisor.wait_for(text_contains="请发送约谈领导")
    await supervisor.send("刘副市长")
    ask_note = await supervisor.wait_for(text_contains="约谈情况")
    await supervisor.press("跳过", message=ask_note)
    ask_day = await supervisor.wait_for(text_contains="应在哪天前上报办理结果")
    assert "默认期限 2026年12月24日" in ask_day.text  # 12-21 + 3 days
    await supervisor.press("按默认期限（12月24日）", message=ask_day)
    recorded = await supervisor.wait_for(text_contains="已记录约谈")
    assert "刘副市长于2026年12月21日约谈" in recorded.text and "最后期限 2026年12月24日" in recorded.text
    assert await stage(office, task) is EscalationStage.INTERVIEWED
    assert await unit_score(office, official.person.unit_id) == Decimal("96.3")

    # The old proposal's button again: the stage has moved on, nothing is booked twice.
    again = await supervisor.press("记录约谈", message=proposal)
    assert "尚未下发督办通知单" in (await supervisor.wait_for_answer(again)).answer_text

    await daily(office, bot, date(2026, 12, 25))  # last window 12-24 passed → 移交 proposed
    handover = await supervisor.wait_for(text_contains="建议移交")
    on(office, date(2026, 12, 25), 15)
    await supervisor.press("记录移交", message=handover)
    await supervisor.wait_for(text_contains="移交说明")
    await supervisor.send("经约谈仍未落实")
    assert "经约谈仍未落实" in (await supervisor.wait_for(text_contains="已记录移交")).text
    assert await stage(office, task) is EscalationStage.TRANSFERRED
    kinds = [e.kind for e in await history.of_task(office.db.reader, task.id)]
    assert kinds.count("interview_recorded") == 1 and kinds[-1] == "transfer_recorded"


async def test_a_skip_of_a_dialog_replaced_is_refused_and_one_from_before_still_works(city, office, bot):
    """跳过 belongs to its 记录约谈 dialog: once the dialog is begun again, the first one's 跳过 is
    told it is over and records nothing; a 跳过 drawn before the buttons named their dialog still
    answers the dialog that is open."""
    clerk, supervisor = city["clerk"], city["supervisor"]
    task = await issue(office, clerk)
    for day in (9, 15, 21):
        await daily(office, bot, date(2026, 12, day))
    proposal = await supervisor.wait_for(text_contains="建议约谈")
    on(office, date(2026, 12, 21), 15)

    await supervisor.press("记录约谈", message=proposal)
    await supervisor.wait_for(text_contains="请发送约谈领导")
    await supervisor.send("刘副市长")
    first_ask = await supervisor.wait_for(text_contains="约谈情况")
    first_skip = first_ask.find_button("跳过")["callback_data"]

    await supervisor.press("记录约谈", message=proposal)  # begun again: the first question is over
    await wait_idle(supervisor.state, quiet=0.3)
    assert buttons(supervisor.private_chat.messages[first_ask.message_id]) == []
    await supervisor.send("张副市长")
    second_ask = await supervisor.wait_for(text_contains="张副市长", predicate=has_buttons)
    assert second_ask.find_button("跳过")["callback_data"] != first_skip

    stale = forge_press(supervisor, first_skip, "跳过", message=first_ask)
    assert "这个按钮已失效" in (await supervisor.wait_for_answer(stale)).answer_text
    assert await stage(office, task) is not EscalationStage.INTERVIEWED

    before = forge_press(supervisor, f"ivwskip:{task.id}", "跳过", message=second_ask)
    await supervisor.wait_for_answer(before)
    ask_day = await supervisor.wait_for(text_contains="应在哪天前上报办理结果")
    await supervisor.press(ask_day.find_button("按默认期限（12月24日）")["callback_data"], message=ask_day)
    recorded = await supervisor.wait_for(text_contains="已记录约谈")
    assert "张副市长于2026年12月21日约谈" in recorded.text
    await wait_idle(supervisor.state, quiet=0.3)
    assert "已选：按默认期限（12月24日）" in supervisor.private_chat.messages[ask_day.message_id].text
    assert await stage(office, task) is EscalationStage.INTERVIEWED


async def test_manual_reminder_from_the_task_detail(city, office, bot):
    clerk, official, supervisor = city["clerk"], city["zhujian"], city["supervisor"]
    task = await issue(office, clerk)
    number = f"{task.number.year}-{task.number.seq}"

    on(office, date(2026, 12, 8))  # the last day: nothing to chase yet
    await clerk.send(f"/task {number}")
    assert buttons(await clerk.wait_for(text_contains="工作事项")) == ["下载Word", "撤回", "更正"], "no 催办 before it is due"

    on(office, date(2026, 12, 10))
    await official.send(f"/task {number}")  # the unit itself gets no 催办 button
    assert "催办" not in buttons(await official.wait_for(text_contains="工作事项"))
    await clerk.send(f"/task {number}")
    detail = await clerk.wait_for(text_contains="工作事项")
    assert buttons(detail) == ["催办", "下载Word", "撤回", "更正"]
    press = await clerk.press("催办", message=detail)
    assert "催办单〔2026〕1号" in (await clerk.wait_for_answer(press)).answer_text
    assert "已下发催办单〔2026〕1号" in (await clerk.wait_for(text_contains="已下发")).text
    marked = clerk.private_chat.messages[detail.message_id]
    assert "✅ 已催办：催办单〔2026〕1号 · " in marked.text and buttons(marked) == []
    reminder = await official.wait_for(text_contains="工作催办单》")
    assert "现已逾期2天" in reminder.text and "王科员" in reminder.text
    assert "备案" in (await supervisor.wait_for(text_contains="备案")).text
    assert await unit_score(office, official.person.unit_id) == Decimal("99.8")

    # Pressed again (the button was taken off; a copy of it): refused, nothing booked twice.
    again = forge_press(clerk, f"rmd:{task.id}", "催办", message=detail)
    assert "已下发过工作催办单" in (await clerk.wait_for_answer(again)).answer_text
    assert await slip_count(office, task, SlipType.REMINDER) == 1
    assert await unit_score(office, official.person.unit_id) == Decimal("99.8")
    # Nor does the daily check issue another.
    await daily(office, bot, date(2026, 12, 11))
    assert await slip_count(office, task, SlipType.REMINDER) == 1


async def test_confirm_mode_drafts_are_held_then_issued(city, confirm_office, bot):
    office = confirm_office
    clerk, official, supervisor = city["clerk"], city["zhujian"], city["supervisor"]
    task = await issue(office, clerk)
    await slip_message(office, official, task)

    await daily(office, bot, date(2026, 12, 9))
    draft = await clerk.wait_for(text_contains="工作催办单草稿", predicate=has_buttons)
    assert buttons(draft) == ["签发", "暂缓"]
    assert await slip_count(office, task, SlipType.REMINDER) == 0

    on(office, date(2026, 12, 9), 10)
    issue_data = draft.find_button("签发")["callback_data"]
    press = await clerk.press("暂缓", message=draft)
    assert "已暂缓" in (await clerk.wait_for_answer(press)).answer_text
    marked = await clerk.wait_for(text_contains="⏸ 已暂缓 · ")
    assert marked.message_id == draft.message_id and "工作催办单草稿" in marked.text and buttons(marked) == []
    assert await drafts_of(office, task) == [("reminder", "held")]
    assert await slip_count(office, task, SlipType.REMINDER) == 0
    again = forge_press(clerk, issue_data, "签发", message=draft)
    assert "已经暂缓过" in (await clerk.wait_for_answer(again)).answer_text

    # Still overdue the next morning: drafted again; 签发 issues it.
    await daily(office, bot, date(2026, 12, 10))
    draft = await clerk.wait_for(text_contains="工作催办单草稿", predicate=has_buttons)
    on(office, date(2026, 12, 10), 10)
    issue_data = draft.find_button("签发")["callback_data"]
    press = await clerk.press("签发", message=draft)
    assert "已签发催办单〔2026〕1号" in (await clerk.wait_for_answer(press)).answer_text
    reminder = await official.wait_for(text_contains="工作催办单》")
    assert "现已逾期2天" in reminder.text
    assert "备案" in (await supervisor.wait_for(text_contains="备案")).text
    assert await drafts_of(office, task) == [("reminder", "held"), ("reminder", "issued")]
    assert await unit_score(office, official.person.unit_id) == Decimal("99.8")
    assert (await tasks.get(office.db.reader, task.id)).stage is EscalationStage.REMINDED

    # A second 签发 on the same draft: nothing twice.
    second = forge_press(clerk, issue_data, "签发", message=draft)
    assert "已经签发过" in (await clerk.wait_for_answer(second)).answer_text
    assert await slip_count(office, task, SlipType.REMINDER) == 1

    # The 督办通知单 draft goes to 政务监督室, and is issued there.
    await daily(office, bot, date(2026, 12, 16))
    notice_draft = await supervisor.wait_for(text_contains="督办通知单草稿", predicate=has_buttons)
    on(office, date(2026, 12, 16), 10)
    await supervisor.press("签发", message=notice_draft)
    assert "已签发督办通知单〔2026〕1号" in (await supervisor.wait_for(text_contains="已签发")).text
    assert "督办通知单》" in (await official.wait_for(text_contains="督办通知单》")).text
    assert await unit_score(office, official.person.unit_id) == Decimal("99.3")


async def test_confirm_mode_stale_draft_changes_nothing(city, confirm_office, bot):
    office = confirm_office
    clerk, official = city["clerk"], city["zhujian"]
    task = await issue(office, clerk)
    await slip_message(office, official, task)
    await daily(office, bot, date(2026, 12, 9))
    draft = await clerk.wait_for(text_contains="工作催办单草稿", predicate=has_buttons)

    # Feedback arrives before anyone signs: the draft is stale.
    on(office, date(2026, 12, 9), 11)
    await handling.submit_feedback(office, official.person, task.id, "已全部整改完毕", office.now())
    press = await clerk.press("签发", message=draft)
    assert "有反馈正在审核" in (await clerk.wait_for_answer(press)).answer_text
    press = await clerk.press("暂缓", message=draft)
    assert "情况已有变化" in (await clerk.wait_for_answer(press)).answer_text
    await wait_idle(official.state, quiet=0.1)
    assert await slip_count(office, task, SlipType.REMINDER) == 0
    assert await drafts_of(office, task) == [("reminder", "pending")]
    assert await unit_score(office, official.person.unit_id) == Decimal("100")

    # The next morning the draft lapses: the clerk's 待办 no longer counts it, its buttons say so.
    await daily(office, bot, date(2026, 12, 10))
    assert await drafts_of(office, task) == [("reminder", "lapsed")]
    todo = await clerk.wait_for(text_contains="12月10日 待办")
    assert "1项反馈等待审核" in todo.text and "草稿" not in todo.text
    on(office, date(2026, 12, 10), 10)
    press = await clerk.press("签发", message=draft)
    assert "情况已有变化" in (await clerk.wait_for_answer(press)).answer_text
    assert await slip_count(office, task, SlipType.REMINDER) == 0


async def test_the_interview_dialog_asks_the_last_date_and_the_unit_gets_that_one(city, office, bot):
    """The 约谈 dialog asks by when the unit must report; a date on a rest day moves to the next
    working day (民法典 第二百零三条) and the recorder is told in the same answer; the unit receives
    that one date. A date that is no date, or already past, is refused and the dialog waits."""
    clerk, official, supervisor = city["clerk"], city["zhujian"], city["supervisor"]
    task = await issue(office, clerk)
    for day in (9, 15, 21):
        await daily(office, bot, date(2026, 12, day))
    proposal = await supervisor.wait_for(text_contains="建议约谈")
    on(office, date(2026, 12, 21), 15)
    await supervisor.press("记录约谈", message=proposal)
    await supervisor.wait_for(text_contains="请发送约谈领导")
    await supervisor.send("刘副市长")
    await supervisor.wait_for(text_contains="约谈情况")
    await supervisor.send("已约谈主要负责人")
    await supervisor.wait_for(text_contains="应在哪天前上报办理结果")

    await supervisor.send("尽快")
    assert "不是日期" in (await supervisor.wait_for(text_contains="「尽快」")).text
    await supervisor.send("2026-12-20")
    await supervisor.wait_for(text_contains="已过")
    assert await stage(office, task) is EscalationStage.SUPERVISED, "nothing recorded yet"

    await supervisor.send("12月26日")  # a Saturday
    recorded = (await supervisor.wait_for(text_contains="已记录约谈")).text
    assert "最后期限 2026年12月28日" in recorded and "2026年12月26日为法定休假日或休息日" in recorded
    told = (await official.wait_for(text_contains="对你单位进行约谈")).text
    assert "请于 2026年12月28日 前完成并反馈" in told
    assert re.findall(r"\d+年\d+月\d+日", told.split("进行约谈")[1]) == ["2026年12月28日"], "one date"
    stored = await tasks.get(office.db.reader, task.id)
    assert stored.window_until == date(2026, 12, 28)


async def test_a_drafted_reminder_lapses_when_its_slip_is_withdrawn(city, confirm_office, bot):
    """The daily check drafts a 催办单 for the clerk; 政务监督室 withdraws the 交办单 before 签发:
    the draft lapses at once, its 签发 · 暂缓 come off, the clerk hears of the withdrawal once,
    and a press of the old 签发 is refused saying the slip was withdrawn; no 催办单, no points."""
    office = confirm_office
    clerk, official, supervisor = city["clerk"], city["zhujian"], city["supervisor"]
    task = await issue(office, clerk)
    await slip_message(office, official, task)
    await daily(office, bot, date(2026, 12, 9))
    draft = await clerk.wait_for(text_contains="工作催办单草稿", predicate=has_buttons)
    issue_data = draft.find_button("签发")["callback_data"]

    on(office, date(2026, 12, 9), 10)
    await supervisor.send(f"/withdraw {task.number} 单位填错")
    await supervisor.press("确认撤回", message=await supervisor.wait_for(text_contains="确认撤回"))
    await supervisor.wait_for(text_contains="已撤回")
    await clerk.wait_for(text_contains="交办单撤回")
    assert await drafts_of(office, task) == [("reminder", "lapsed")]
    for _ in range(50):
        if clerk.private_chat.messages[draft.message_id].inline_keyboard == []:
            break
        await asyncio.sleep(0.1)
    else:
        raise AssertionError("the lapsed draft kept its buttons")

    press = forge_press(clerk, issue_data, "签发", message=draft)
    assert f"{task.number} 已撤回，不能再进行此操作" in (await clerk.wait_for_answer(press)).answer_text
    await wait_idle(clerk.state, quiet=0.2)
    assert sum("交办单撤回" in m.text for m in clerk.messages()) == 1, clerk.transcript()
    assert await slip_count(office, task, SlipType.REMINDER) == 0
    assert await unit_score(office, official.person.unit_id) == Decimal("100")
