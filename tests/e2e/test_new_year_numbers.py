"""Slip numbers across the new year (docs/rules.md "How short numbers resolve in January"): in
January nearly every open slip is the year before's, and people cite it as they did in December.
A short number (「1号」, no year) means the person's slip of this year, else their open slip of
the year before; where each year has one the bot asks with buttons. A feedback typed with a
number that names nothing is kept and the person picks its slip: never lost, never retyped."""

from __future__ import annotations

from datetime import date

from bot.domain.tasks import SourceType
from bot.emulators.telegram.client import wait_idle
from bot.services.issuing import AssignmentDraft, issue_assignment
from bot.storage import feedback, org
from bot.texts import plain
from tests.e2e.test_extension import on


async def issue_on(office, bot, city, day: date, title: str, unit: str = "住建局"):
    on(office, day)
    found = await org.unit_by_name(office.db.reader, unit)
    draft = AssignmentDraft(title, "按要求办理", "市政府第12次常务会议纪要", SourceType.OTHER, (found.id,), 30)
    [issued] = await issue_assignment(office, draft, city["clerk"].person, office.now())
    return issued.task


async def test_a_short_number_in_january_means_last_years_open_slip(city, office, bot):
    official, clerk = city["zhujian"], city["clerk"]
    december = await issue_on(office, bot, city, date(2026, 12, 10), "冬季供暖保障")
    assert str(december.number) == "〔2026〕1号"
    on(office, date(2027, 1, 5), 11)

    await official.send("/task 1号")
    shown = plain((await official.wait_for(text_contains="工作事项：冬季供暖保障")).text)
    assert "交办单〔2026〕1号" in shown and "没有找到" not in shown

    await official.send("/feedback 1号 已完成管网检修")
    done = plain((await official.wait_for(text_contains="已提交")).text)
    assert "已提交 交办单〔2026〕1号 的办理结果反馈「冬季供暖保障」" in done
    review = plain((await clerk.wait_for(text_contains="已完成管网检修")).text)
    assert "交办单〔2026〕1号「冬季供暖保障」" in review


async def test_where_both_years_have_the_number_the_person_picks_with_buttons(city, office, bot):
    official, clerk = city["zhujian"], city["clerk"]
    await issue_on(office, bot, city, date(2026, 12, 10), "冬季供暖保障")
    january = await issue_on(office, bot, city, date(2027, 1, 5), "春节市场保供")
    assert str(january.number) == "〔2027〕1号"
    on(office, date(2027, 1, 6), 11)

    await official.send("/task 1号")
    ask = await official.wait_for(text_contains="没有写年份", predicate=lambda m: bool(m.inline_keyboard))
    assert "交办单〔2026〕1号 冬季供暖保障" in plain(ask.text) and "交办单〔2027〕1号 春节市场保供" in plain(ask.text)
    await official.press("交办单〔2026〕1号", message=ask)
    shown = plain((await official.wait_for(text_contains="工作事项：冬季供暖保障")).text)
    assert "交办单〔2026〕1号" in shown
    assert "已选：交办单〔2026〕1号" in plain(official.private_chat.messages[ask.message_id].text)

    await official.send("/feedback 1号 已完成节前市场检查")
    kept = await official.wait_for(text_contains="已保留", predicate=lambda m: bool(m.inline_keyboard))
    assert "今年和去年各有一份您单位的单据是这个号" in plain(kept.text)
    assert await feedback.pending_of_task(office.db.reader, january.id) is None, "nothing recorded before the choice"
    await official.press("交办单〔2027〕1号 春节市场保供", message=kept)
    done = plain((await official.wait_for(text_contains="已提交")).text)
    assert "已提交 交办单〔2027〕1号 的办理结果反馈「春节市场保供」" in done
    assert "已选：交办单〔2027〕1号" in plain(official.private_chat.messages[kept.message_id].text)
    review = plain((await clerk.wait_for(text_contains="已完成节前市场检查")).text)
    assert "交办单〔2027〕1号「春节市场保供」" in review


async def test_a_feedback_whose_number_names_nothing_is_kept_until_its_slip_is_picked(city, office, bot):
    official, clerk = city["zhujian"], city["clerk"]
    task = await issue_on(office, bot, city, date(2026, 12, 10), "冬季供暖保障")
    on(office, date(2027, 1, 5), 11)

    await official.send("/feedback 99号 管网检修已完成，详见附件")
    kept = await official.wait_for(text_contains="已保留", predicate=lambda m: bool(m.inline_keyboard))
    assert "没有找到单号「99号」" in plain(kept.text) and "交办单〔2026〕1号 冬季供暖保障" in plain(kept.text)
    assert await feedback.pending_of_task(office.db.reader, task.id) is None
    await official.press("交办单〔2026〕1号 冬季供暖保障", message=kept)
    await official.wait_for(text_contains="已提交 交办单〔2026〕1号")
    review = plain((await clerk.wait_for(text_contains="管网检修已完成")).text)
    assert "管网检修已完成，详见附件" in review

    # the choice is marked where it was made, its buttons gone: nothing can be recorded twice
    await wait_idle(official.state, quiet=0.3)
    picked = official.private_chat.messages[kept.message_id]
    assert not picked.inline_keyboard and "已选：交办单〔2026〕1号" in plain(picked.text)
    async with office.db.reader.execute("SELECT count(*) FROM feedback WHERE task_id = ?", (task.id,)) as cur:
        assert (await cur.fetchone())[0] == 1

    # no number at all: the text is the feedback, kept the same way
    await official.send("/feedback 整改材料已报送")
    kept = await official.wait_for(text_contains="已保留", predicate=lambda m: bool(m.inline_keyboard))
    assert "没有认出这条反馈写的是哪个单号" in plain(kept.text)


async def test_other_commands_read_short_numbers_the_same_way(city, office, bot):
    """/extend in January: 「1号」 is last year's open slip; with a slip of each year, both are
    named and the number asked with its year; nothing is requested meanwhile."""
    official, leader = city["zhujian"], city["leader"]
    december = await issue_on(office, bot, city, date(2026, 12, 10), "冬季供暖保障")
    on(office, date(2027, 1, 5), 11)
    await official.send("/extend 1号 7天 管材到货延迟")
    await official.wait_for(text_contains="已提交延期申请")
    request = await leader.wait_for(text_contains="延期申请")
    assert "交办单〔2026〕1号" in request.text and "冬季供暖保障" in request.text

    await issue_on(office, bot, city, date(2027, 1, 5), "春节市场保供")
    on(office, date(2027, 1, 6), 11)
    await official.send("/extend 1号 7天 节日人手不足")
    refused = plain((await official.wait_for(text_contains="没有写年份")).text)
    assert "交办单〔2026〕1号" in refused and "交办单〔2027〕1号" in refused and "请发送带年份的完整单号" in refused
    async with office.db.reader.execute("SELECT count(*) FROM extension_requests") as cur:
        assert (await cur.fetchone())[0] == 1
    assert december.number.year == 2026
