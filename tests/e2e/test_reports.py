"""The monthly cycle (notice, section 四 and 五) through to publication, and the year-end ranking.

"……经市政府分管领导审阅后报市政府办公室政务监督室汇总，按程序报市政府主要领导审阅。"
"市政府办公室政务监督室负责每月通报各单位加减分情况。"
"""

from __future__ import annotations

import io
import re
from datetime import date, datetime, time

from openpyxl import load_workbook

from bot.domain.errors import DomainError
from bot.domain.org import Role
from bot.domain.scores import ScoreCategory
from bot.emulators.telegram.client import wait_idle
from bot.services import reports, scoring
from bot.services.scoring import Entry
from bot.storage import org


def at(office, day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), office.settings.timezone)


async def _november(office, city, year: int = 2026) -> None:
    zhujian = await org.unit_by_name(office.db.reader, "住建局")
    town = await org.unit_by_name(office.db.reader, "穰东镇")
    supervisor, clerk = city["supervisor"].person, city["clerk"].person
    await scoring.record(office, supervisor, [Entry(zhujian.id, ScoreCategory.PRAISE)], "防汛表扬", date(year, 11, 4), at(office, date(year, 11, 4)))
    await scoring.record(office, clerk, [Entry(town.id, ScoreCategory.MEETING_ABSENT)], "全市防汛会", date(year, 11, 9), at(office, date(year, 11, 9)))
    await scoring.record(office, clerk, [Entry(town.id, ScoreCategory.MATERIAL_LATE)], "月报迟报", date(year, 11, 20), at(office, date(year, 11, 20)))


async def test_monthly_cycle_through_publication(office, city, organisation, bot):
    principal = await organisation.join("周市长", Role.PRINCIPAL)
    await _november(office, city)
    leader, supervisor = city["leader"], city["supervisor"]

    office.clock = lambda: at(office, date(2026, 12, 1), 9)
    assert await reports.run_monthly(office, date(2026, 12, 1)) is True
    assert await reports.run_monthly(office, date(2026, 12, 2)) is False  # once, never twice
    bot.bot_data["sender"].wake()
    analyses = []
    for _ in range(2):  # 政务监督室 and 综合一科 both have 刘副市长 as their leader
        analyses.append(await leader.wait_for(text_contains="督查分析"))
    mine = next(m for m in analyses if "综合一科" in m.text)
    assert "2026年11月" in mine.text and "会议缺席：1次，-0.5分" in mine.text and "材料未按时、按要求上报：1次，-0.2分" in mine.text
    # Not yet reviewed: 政务监督室 has no report to publish.
    await wait_idle(supervisor.state, quiet=0.2)
    assert not any("加减分汇总" in m.text for m in supervisor.messages())

    for message in analyses:
        press = await leader.press("已审阅", message=message)
        answered = await leader.wait_for_answer(press)
        assert "已审阅" in (answered.answer_text or "")
        marked = await leader.wait_for(predicate=lambda m, at=message.message_id: m.message_id == at and "✅ 已审阅 · " in m.text)
        assert "督查分析" in marked.text and not marked.inline_keyboard  # the analysis keeps its text, and says it was read
    report = await supervisor.wait_for(text_contains="加减分汇总")
    assert "均已经分管市领导审阅" in report.text
    lines = [line for line in report.text.splitlines() if re.match(r"\d+\. ", line)]
    assert lines[0].startswith("1. 住建局 · 本月+1 · 年度101")
    assert lines[-1].startswith("3. 穰东镇 · 本月-0.7 · 年度99.3")

    await supervisor.press("发布通报", message=report)
    marked = await supervisor.wait_for(text_contains="✅ 已发布通报 · ")
    assert marked.message_id == report.message_id and not marked.inline_keyboard
    told = await city["town"].wait_for(text_contains="加减分通报")
    assert "本月加减分：-0.7分" in told.text and "会议缺席1次" in told.text and "年度得分：99.3分，排名第3" in told.text
    told = await city["zhujian"].wait_for(text_contains="加减分通报")
    assert "排名第1" in told.text
    ranking = await principal.wait_for(text_contains="各单位加减分情况通报")
    assert "1. 住建局" in ranking.text
    await principal.press("下载Excel（含图表）", message=ranking)
    sent = await principal.wait_for(predicate=lambda m: m.document is not None)
    sheet = load_workbook(io.BytesIO(principal.file_bytes(sent))).worksheets[0]
    assert sheet["A1"].value == "2026年11月各单位加减分情况通报" and len(sheet._charts) == 1
    rows = {r[1]: r for r in sheet.iter_rows(min_row=3, values_only=True)}
    assert rows["穰东镇"][-2] == 99.3 and rows["住建局"][0] == 1
    filed = await principal.wait_for(predicate=lambda m: m.document is not None and m.document.file_name.endswith(".docx"))
    assert filed.document.file_name == "2026年11月各单位加减分情况通报.docx"
    chart = await principal.wait_for(predicate=lambda m: m.photo is not None)
    assert principal.file_bytes(chart)[:4] == b"\x89PNG"

    # The button is gone; publishing twice is refused and the units are not told again.
    assert report.find_button("发布通报") is None
    try:
        await reports.publish(office, supervisor.person, "2026-11", office.now())
    except DomainError as exc:
        assert exc.code == "report_already_published"
    else:
        raise AssertionError("published twice")
    await wait_idle(supervisor.state, quiet=0.2)
    assert sum("加减分通报" in m.text for m in city["town"].messages()) == 1


async def test_report_is_sent_after_the_wait_without_review(office, city, bot):
    await _november(office, city)
    office.clock = lambda: at(office, date(2026, 12, 1), 9)
    await reports.periodic(office, date(2026, 12, 1))
    await reports.periodic(office, date(2026, 12, 3))
    bot.bot_data["sender"].wake()
    await wait_idle(city["supervisor"].state, quiet=0.2)
    assert not any("加减分汇总" in m.text for m in city["supervisor"].messages())
    assert office.settings.review_wait_days == 5
    # the wait ends on Sunday 12月6日: the report waits for Monday, the first working day
    office.clock = lambda: at(office, date(2026, 12, 6), 9)
    assert await reports.periodic(office, date(2026, 12, 6)) == []
    office.clock = lambda: at(office, date(2026, 12, 7), 9)
    assert await reports.periodic(office, date(2026, 12, 7)) == ["consolidated"]
    bot.bot_data["sender"].wake()
    report = await city["supervisor"].wait_for(text_contains="加减分汇总")
    assert "未经分管市领导审阅" in report.text


async def test_report_command_shows_a_month(office, city):
    await _november(office, city)
    office.clock = lambda: at(office, date(2026, 12, 10))
    clerk = city["clerk"]
    await clerk.send("/report 2026-11")
    shown = await clerk.wait_for(text_contains="2026年11月各单位加减分情况通报")
    assert "穰东镇 · 本月-0.7" in shown.text
    await clerk.wait_for(predicate=lambda m: m.document is not None)
    await clerk.wait_for(predicate=lambda m: m.photo is not None)
    await city["zhujian"].send("/report 2026-11")
    await city["zhujian"].wait_for(text_contains="您没有权限")
    await clerk.send("/report 11月")
    await clerk.wait_for(text_contains="不是有效的月份")


async def test_report_of_a_month_not_published_is_a_draft(office, city, bot):
    """/report for a month not over, and for one over but not yet published: marked 未发布 with
    when it will be; the buttons the message speaks of are under it and work."""
    await _november(office, city)
    clerk = city["clerk"]
    office.clock = lambda: at(office, date(2026, 12, 10))
    await clerk.send("/report 2026-12")
    shown = await clerk.wait_for(text_contains="2026年12月各单位加减分情况通报")
    assert "（草稿，未发布）" in shown.text and "已发布" not in shown.text
    assert "本月尚未结束" in shown.text and "2027年1月4日起" in shown.text
    assert [b["text"] for row in shown.inline_keyboard for b in row] == ["下载Excel（含图表）", "柱状图"]
    await clerk.wait_for(predicate=lambda m: m.photo is not None)
    await clerk.press("下载Excel（含图表）", message=shown)
    sheet = await clerk.wait_for(predicate=lambda m: m.document is not None and m.message_id > shown.message_id + 2)
    assert "2026年12月" in (sheet.document.file_name or "")

    office.clock = lambda: at(office, date(2026, 12, 3))
    await clerk.send("/report 2026-11")
    shown = await clerk.wait_for(text_contains="2026年11月各单位加减分情况通报")
    assert "（草稿，未发布）" in shown.text and "分管市领导审阅" in shown.text
    assert f"最迟2026年12月{1 + office.settings.review_wait_days}日" in shown.text
    office.clock = lambda: at(office, date(2026, 12, 20))
    await clerk.send("/report 2026-11")
    shown = await clerk.wait_for(text_contains="待政务监督室发布通报")
    assert "（草稿，未发布）" in shown.text


async def test_annual_ranking_on_the_first_working_day_of_january(office, city, organisation, bot):
    principal = await organisation.join("周市长", Role.PRINCIPAL)
    await _november(office, city, 2025)
    office.clock = lambda: at(office, date(2026, 1, 1), 9)
    assert await reports.run_annual(office, date(2026, 1, 1)) is False  # 元旦 is no working day
    first = reports.first_working_day(office, 2026)
    assert first == date(2026, 1, 4)  # 元旦 1–3 off, Sunday the 4th a make-up working day
    office.clock = lambda: at(office, first, 9)
    assert await reports.run_annual(office, first) is True
    assert await reports.run_annual(office, first) is False
    bot.bot_data["sender"].wake()
    for member in (principal, city["supervisor"]):
        annual = await member.wait_for(text_contains="2025年度各单位百分制考核排名")
        assert "1. 住建局 · 101分" in annual.text and "3. 穰东镇 · 99.3分" in annual.text
