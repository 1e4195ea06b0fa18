"""Looking things up: /tasks, /task <编号> and /overdue, each within the asker's scope."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.domain.slips import SlipNumber
from bot.domain.tasks import SourceType, Task
from bot.emulators.telegram.client import wait_idle
from bot.services import handling
from bot.services.context import Office
from bot.services.issuing import AssignmentDraft, issue_assignment
from bot.storage import history, org

LIMIT = 4096


async def issue(
    office: Office, issuer, unit: str, title: str, *, days: int = 7, now: datetime | None = None,
    requirements: str = "按要求落实", basis: str = "市政府常务会议纪要〔2026〕15号",
) -> Task:
    """Issue one 交办单 through the real service, as the issuer's /new would."""
    found = await org.unit_by_name(office.db.reader, unit)
    assert found is not None
    draft = AssignmentDraft(
        title=title, requirements=requirements, basis=basis, source=SourceType.OTHER,
        unit_ids=(found.id,), period_days=days,
    )
    [issued] = await issue_assignment(office, draft, issuer.person, now or office.now())
    return issued.task


def short(number: SlipNumber) -> str:
    return f"{number.year}-{number.seq}"


def longest(member) -> int:
    return max((len(m.content) for m in member.messages()), default=0)


async def test_an_official_sees_only_the_units_tasks(city, office):
    clerk, zhujian = city["clerk"], city["zhujian"]
    await issue(office, clerk, "住建局", "老旧小区改造")
    await issue(office, clerk, "交通运输局", "公交站台维修")
    await zhujian.send("/tasks")
    listing = await zhujian.wait_for(text_contains="在办事项")
    assert "老旧小区改造" in listing.text and "公交站台维修" not in listing.text
    assert "已交办" in listing.text and "住建局" in listing.text and "还剩" in listing.text


async def test_a_clerk_sees_the_sections_tasks(city, office):
    clerk, supervisor = city["clerk"], city["supervisor"]
    await issue(office, clerk, "住建局", "老旧小区改造")
    await issue(office, supervisor, "交通运输局", "公交站台维修")
    await clerk.send("/tasks")
    listing = await clerk.wait_for(text_contains="在办事项")
    assert "老旧小区改造" in listing.text and "公交站台维修" not in listing.text


async def test_the_supervision_office_sees_all_and_filters_by_unit(city, office):
    clerk, supervisor = city["clerk"], city["supervisor"]
    await issue(office, clerk, "住建局", "老旧小区改造")
    await issue(office, supervisor, "交通运输局", "公交站台维修")
    await supervisor.send("/tasks")
    listing = await supervisor.wait_for(text_contains="在办事项")
    assert "老旧小区改造" in listing.text and "公交站台维修" in listing.text

    await supervisor.send("/tasks 住建局")
    narrowed = await supervisor.wait_for(text_contains="在办事项")
    assert "（住建局）" in narrowed.text
    assert "老旧小区改造" in narrowed.text and "公交站台维修" not in narrowed.text

    await supervisor.send("/tasks 水利局")
    unknown = await supervisor.wait_for(text_contains="水利局")
    assert "住建局、交通运输局、穰东镇" in unknown.text


async def test_escalation_marks_and_acknowledged_group(city, office):
    clerk, zhujian = city["clerk"], city["zhujian"]
    task = await issue(office, clerk, "住建局", "老旧小区改造")
    await handling.acknowledge(office, zhujian.person, task.id, office.now())
    async with office.db.transaction() as conn:
        await conn.execute("UPDATE tasks SET stage = 'reminded' WHERE id = ?", (task.id,))
    await zhujian.send("/tasks")
    listing = await zhujian.wait_for(text_contains="在办事项")
    assert "已签收" in listing.text and "【已催办】" in listing.text


async def test_25_tasks_page_through_the_same_message(city, office):
    clerk, zhujian = city["clerk"], city["zhujian"]
    # Long titles with markup characters: lines are cut and escaped, pages stay short.
    for i in range(25):
        await issue(office, clerk, "住建局", f"事项{i:02d} <b>&" + "很长的标题" * 95, days=7 + i)
    await zhujian.send("/tasks")
    first = await zhujian.wait_for(text_contains="第1页")
    assert first.text.count("• ") == 10 and "事项00" in first.text and "<b>&" in first.text
    assert first.find_button("下一页") is not None and first.find_button("上一页") is None

    await zhujian.press("下一页", message=first)
    second = await zhujian.wait_for(text_contains="第2页")
    assert second.message_id == first.message_id
    assert "事项10" in second.text and "事项00" not in second.text

    await zhujian.press("下一页", message=second)
    third = await zhujian.wait_for(text_contains="第3页")
    assert third.text.count("• ") == 5 and third.find_button("下一页") is None

    await zhujian.press("上一页", message=third)
    back = await zhujian.wait_for(text_contains="第2页")
    assert "事项19" in back.text
    await wait_idle(zhujian.state)
    assert longest(zhujian) < LIMIT


async def test_task_shows_slips_and_history_after_acknowledgement(city, office):
    clerk, zhujian = city["clerk"], city["zhujian"]
    task = await issue(office, clerk, "住建局", "老旧小区改造", requirements="12月底前完成<全部>")
    await handling.acknowledge(office, zhujian.person, task.id, office.now())
    await zhujian.send(f"/task {task.number}")
    detail = await zhujian.wait_for(text_contains="工作事项")
    text = detail.text
    for expected in (
        f"工作交办单{task.number}", "老旧小区改造", "12月底前完成<全部>", "市政府常务会议纪要", "其他口线工作",
        "责任单位：住建局", "签发科室：综合一科", "期限：7天", "办结期限", "当前期限", "状态：已签收",
        "专项台账：否", "签发交办单", "签收",
    ):
        assert expected in text, expected
    assert text.index("王科员 签发交办单") < text.index("李住建 签收")


async def test_task_accepts_loose_number_forms(city, office):
    clerk, zhujian = city["clerk"], city["zhujian"]
    task = await issue(office, clerk, "住建局", "老旧小区改造")
    y, n = task.number.year, task.number.seq
    wide = str(n).translate({ord(c): 0xFF10 + int(c) for c in "0123456789"})
    for form in (f"〔{y}〕{n}号", f"[{y}]{n}号", f"({y}){n}", f"{y}-{n}", f"{y}/{n}", f"{n}号", f"交办{n}号", f"J{y}-{n}", f"{wide}号"):
        await zhujian.send(f"/task {form}")
        detail = await zhujian.wait_for(text_contains="工作事项")
        assert "老旧小区改造" in detail.text, form


async def test_unknown_or_malformed_number_lists_forms_and_open_slips(city, office):
    clerk, zhujian = city["clerk"], city["zhujian"]
    task = await issue(office, clerk, "住建局", "老旧小区改造")
    await zhujian.send("/task 不是单号")
    answer = await zhujian.wait_for(text_contains="没有找到")
    assert "2026-12" in answer.text or "-12" in answer.text
    assert task.number.full in answer.text and "老旧小区改造" in answer.text
    await zhujian.send("/task 999号")
    assert "没有找到单号「999号」" in (await zhujian.wait_for(text_contains="没有找到")).text
    await zhujian.send("/task")
    assert "请在 /task 后面写上单号" in (await zhujian.wait_for(text_contains="单号")).text


async def test_another_units_task_is_refused(city, office):
    clerk, zhujian = city["clerk"], city["zhujian"]
    task = await issue(office, clerk, "交通运输局", "公交站台维修")
    await zhujian.send(f"/task {short(task.number)}")
    refusal = await zhujian.wait_for(text_contains="您没有权限")
    assert "公交站台维修" not in refusal.text
    await wait_idle(zhujian.user.state, quiet=0.2)
    last = zhujian.last_message()
    assert last is not None and last.message_id == refusal.message_id, "the refusal is the only answer"


async def test_a_long_history_is_cut_to_the_latest_entries(city, office):
    clerk, zhujian = city["clerk"], city["zhujian"]
    # The longest 交办单 that still goes in one message, and a long history.
    task = await issue(
        office, clerk, "住建局", "长" * 500, requirements="要" * 2000, basis="据" * 1400,
    )
    async with office.db.transaction() as conn:
        for i in range(300):
            await history.append(
                conn, "feedback_returned", office.now(), task_id=task.id, actor_id=clerk.person.id,
                reason=f"第{i}次退回，" + "理由" * 80,
            )
    await zhujian.send(f"/task {short(task.number)}")
    detail = await zhujian.wait_for(text_contains="工作事项")
    assert "只显示最近" in detail.text and "第299次退回" in detail.text and "第0次退回" not in detail.text
    assert len(detail.text) < LIMIT


async def test_overdue_lists_overdue_tasks_with_days(city, office):
    clerk, supervisor, zhujian = city["clerk"], city["supervisor"], city["zhujian"]
    past = office.now() - timedelta(days=20)
    late = await issue(office, clerk, "住建局", "老旧小区改造", days=3, now=past)
    await issue(office, clerk, "住建局", "公园绿化", days=30)
    overdue_by = (office.now().date() - late.deadline).days
    assert overdue_by > 0
    for member in (zhujian, supervisor, clerk):
        await member.send("/overdue")
        listing = await member.wait_for(text_contains="逾期事项")
        assert "老旧小区改造" in listing.text and f"逾期{overdue_by}天" in listing.text
        assert "公园绿化" not in listing.text
    jiaotong = city["jiaotong"]
    await jiaotong.send("/overdue")
    assert "目前没有逾期事项" in (await jiaotong.wait_for(text_contains="逾期事项")).text


async def test_page_buttons_check_the_person_again(city, office, bot, simulator):
    clerk, zhujian = city["clerk"], city["zhujian"]
    await issue(office, clerk, "交通运输局", "公交站台维修")
    other_unit = await org.unit_by_name(office.db.reader, "交通运输局")
    assert other_unit is not None
    from telegram import InlineKeyboardButton, InlineKeyboardMarkup

    forged = InlineKeyboardMarkup([[InlineKeyboardButton("伪造", callback_data=f"tasks:0:{other_unit.id}")]])
    await bot.bot.send_message(zhujian.id, "伪造的翻页按钮", reply_markup=forged)
    carrier = await zhujian.wait_for(text_contains="伪造的翻页按钮")
    press = await zhujian.press("伪造", message=carrier)
    await zhujian.wait_for_answer(press)
    assert "您没有权限" in (press.answer_text or "")
    assert "公交站台维修" not in zhujian.transcript()

    stranger = await simulator.create_user("路人")
    await bot.bot.send_message(stranger.id, "翻页", reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("下一页", callback_data="tasks:1")]]))
    carrier = await stranger.wait_for(text_contains="翻页")
    press = await stranger.press("下一页", message=carrier)
    await stranger.wait_for_answer(press)
    assert "邀请链接" in (press.answer_text or "")
    assert "公交站台维修" not in stranger.transcript()


async def test_a_reminder_slip_shows_in_the_task_and_finds_it(city, office):
    from bot.services import escalating

    clerk, zhujian = city["clerk"], city["zhujian"]
    task = await issue(office, clerk, "住建局", "老旧小区改造", days=3, now=office.now() - timedelta(days=20))
    reminder = await escalating.issue_reminder_slip(office, task.id, office.now(), clerk.person)
    await zhujian.send(f"/task 催办{reminder.number.year}-{reminder.number.seq}")
    detail = await zhujian.wait_for(text_contains="工作事项")
    assert "老旧小区改造" in detail.text and f"工作催办单{reminder.number}" in detail.text
    assert f"下发催办单 {reminder.number.full}（逾期" in detail.text and "督办阶段：已催办" in detail.text
    await zhujian.send("/tasks")
    assert "【已催办】" in (await zhujian.wait_for(text_contains="在办事项")).text
