"""Long and shared tasks (SPEC section 10): a 交办单 with a 阶段汇报 schedule, and one matter issued
to a 牵头单位 with 配合单位 — as the clerk writes them in one message and as each unit reads its
slip. Bad input is refused with a line saying what to write, and issues nothing."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date, datetime, time
from decimal import Decimal

from openpyxl import load_workbook

from bot.domain.scores import ScoreCategory, ScoreRules, ranking
from bot.domain.deadlines import DeadlineMode
from bot.domain.sharing import ChaseRule
from bot.emulators.telegram.client import wait_idle
from bot.services import reports
from bot.views.exports import ledger
from bot.services.daily import run_daily
from bot.storage import org as org_store
from bot.storage import scores
from tests.e2e.test_slip_actions import recorded

TITLE = "老旧小区改造工程推进"
REQUIREMENTS = "按月推进，年底前全部完工"
BASIS = "市政府第12次常务会议纪要"
NOTICE = "交由你单位办理，请抓紧落实，在收件之日起"


def at(office, day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), office.settings.timezone)


def on(office, day: date) -> None:
    office.clock = lambda: at(office, day)


async def task_count(office) -> int:
    async with office.db.reader.execute("SELECT count(*) FROM tasks") as cur:
        row = await cur.fetchone()
    return int(row[0])


def form(units: str = "住建局", period: str = "2027-05-31", schedule: str | None = "每月5日前") -> str:
    lines = [f"/new\n事项：{TITLE}\n要求：{REQUIREMENTS}\n依据：{BASIS}\n单位：{units}\n期限：{period}"]
    if schedule is not None:
        lines.append(f"汇报：{schedule}")
    return "\n".join(lines)


async def test_a_six_month_task_says_its_monthly_reports_on_the_slip(city, office):
    on(office, date(2026, 11, 30))
    clerk, zhujian = city["clerk"], city["zhujian"]
    await clerk.send(form())
    await clerk.press("确认签发", message=await clerk.wait_for(text_contains="确认签发"))
    receipt = await clerk.wait_for(text_contains="已签发1份交办单")
    assert "阶段汇报：每月5日前" in receipt.text and "由牵头单位报送" not in receipt.text
    slip = await zhujian.wait_for(text_contains="工作交办单")
    # the notice's sentence is intact; the schedule is a line of its own: 12-05 is a Saturday → 12-07
    assert f"{NOTICE}182天内办结" in slip.text
    assert "阶段汇报：每月5日前报送工作进展（共6次，首次2026年12月7日），其余时间不需另报。" in slip.text
    async with office.db.reader.execute("SELECT report_schedule, unit_role FROM tasks") as cur:
        assert [tuple(r) async for r in cur] == [("monthly:5", "sole")]


async def test_a_lead_and_two_partners_each_get_their_copy(city, office):
    on(office, date(2026, 11, 30))
    clerk, zhujian, jiaotong, town = city["clerk"], city["zhujian"], city["jiaotong"], city["town"]
    await clerk.send(form("住建局（牵头）、交通运输局、穰东镇", period="30天", schedule=None))
    await clerk.press("确认签发", message=await clerk.wait_for(text_contains="确认签发"))
    receipt = await clerk.wait_for(text_contains="已签发3份交办单")
    assert "→ 住建局（牵头）" in receipt.text and "→ 穰东镇（配合）" in receipt.text
    lead = await zhujian.wait_for(text_contains="工作交办单")
    assert "牵头配合：本事项由你单位牵头，交通运输局、穰东镇配合，请汇总配合单位办理情况后一并反馈。" in lead.text
    for member in (jiaotong, town):
        copy = await member.wait_for(text_contains="工作交办单")
        assert f"{NOTICE}30天内办结" in copy.text
        assert "牵头配合：本事项由住建局牵头，你单位配合，请于2026年12月28日前将配合办理情况报送住建局" in copy.text
        assert "书面反馈" not in copy.text  # one instruction: the part goes to the 牵头单位
        assert "阶段汇报" not in copy.text
    async with office.db.reader.execute("SELECT unit_role, count(DISTINCT matter_id) FROM tasks GROUP BY unit_role ORDER BY unit_role") as cur:
        assert [tuple(r) async for r in cur] == [("lead", 1), ("partner", 1)]


async def daily(office, bot, day: date) -> None:
    on(office, day)
    await run_daily(office, day)
    bot.bot_data["sender"].wake()


async def monthly(office, bot, day: date) -> None:
    on(office, day)
    await reports.run_monthly(office, day)
    bot.bot_data["sender"].wake()


async def report_progress(office, member, slip, day: date, text: str) -> None:
    on(office, day)
    await member.press("汇报进展", message=slip)
    await member.wait_for(text_contains="请发送本阶段工作进展")
    await member.send(text)
    await member.wait_for(text_contains="已记下")
    await member.press("提交")
    receipt = await member.wait_for(text_contains="阶段进展汇报")
    assert "任务仍在办理中" in receipt.text


async def ledger_line(member) -> dict[str, object]:
    """The first line of the person's /ledger, by heading."""
    await member.send("/ledger")
    sent = await member.wait_for(predicate=lambda m: m.document is not None)
    sheet = load_workbook(io.BytesIO(member.file_bytes(sent))).worksheets[0]
    header, *rows = [list(r) for r in sheet.iter_rows(min_row=ledger.HEADING_ROW, values_only=True)]
    return dict(zip(header, rows[0], strict=True))


async def test_six_month_task_with_monthly_reports_one_missed_then_cleared(city, office, bot):
    """每月5日前 on a task due 2027-05-31: reminded on 12-07 (12-05 a Saturday), reports; misses
    01-05 and shows 超期未汇报 on /task, /tasks and 政务监督室's summary; reports late and it
    clears; the final feedback closes the task as any other."""
    clerk, zhujian, supervisor = city["clerk"], city["zhujian"], city["supervisor"]
    on(office, date(2026, 11, 30))
    await clerk.send(form() + "\n专项：是")
    await clerk.press("确认签发", message=await clerk.wait_for(text_contains="确认签发"))
    await clerk.wait_for(text_contains="已签发1份交办单")
    slip = await zhujian.wait_for(text_contains="工作交办单", predicate=lambda m: bool(m.inline_keyboard))
    await recorded(office, slip)
    assert "汇报进展" in str(slip.inline_keyboard)

    await daily(office, bot, date(2026, 12, 4))
    friday = await zhujian.wait_for(text_contains="2026年12月4日 督办提醒")
    assert "2026年12月7日（星期一）报送阶段进展，今天是报送前最后一个工作日" in friday.text and TITLE in friday.text
    await daily(office, bot, date(2026, 12, 7))
    digest = await zhujian.wait_for(text_contains="督办提醒")
    assert "2026年12月7日" in digest.text and "今天报送阶段进展" in digest.text and TITLE in digest.text
    assert not any("今天报送阶段进展" in m.text and "12月4日" in m.text for m in zhujian.messages())

    await report_progress(office, zhujian, slip, date(2026, 12, 7), "已完成3个小区的管网改造")
    seen = await clerk.wait_for(text_contains="阶段进展")
    assert "已完成3个小区的管网改造" in seen.text and "无需审核" in seen.text and not seen.inline_keyboard
    assert "已完成3个小区的管网改造" in (await supervisor.wait_for(text_contains="阶段进展")).text  # 专项
    # December's analysis to the section's 分管市领导: one report due, made on time
    await monthly(office, bot, date(2027, 1, 4))  # 1月1日 元旦, 2–3日 a weekend
    analysis = await city["leader"].wait_for(text_contains="综合一科 · 2026年12月督查分析")
    assert "阶段汇报：本月应报1次，按期报送1次。" in analysis.text

    # 2027-01-05 passes with no report
    await daily(office, bot, date(2027, 1, 5))
    await daily(office, bot, date(2027, 1, 6))
    summary = await supervisor.wait_for(text_contains="督办日报", predicate=lambda m: "2027年1月6日" in m.text)
    assert "超期未汇报阶段进展：1项" in summary.text and TITLE in summary.text
    await clerk.send("/task 2026-1")
    detail = await clerk.wait_for(text_contains="阶段汇报：")
    # 2027年2月5日 is 除夕 (春节 5–10日, a holiday the law fixes): the report is due on the 11th
    assert "阶段汇报：每月5日前（共6次，下次2027年2月11日）" in detail.text
    assert "最近汇报：2026年12月7日" in detail.text and "【超期未汇报】（2027年1月5日应报）" in detail.text
    assert "状态：已交办" in detail.text
    await zhujian.send("/tasks")
    assert "【超期未汇报】" in (await zhujian.wait_for(text_contains=TITLE)).text
    line = await ledger_line(clerk)
    assert line["阶段汇报"] == "每月5日前" and line["最近汇报"] == datetime(2026, 12, 7)
    assert line["超期未汇报"] == "超期未汇报" and line["牵头/配合"] is None
    await clerk.send("/board")
    board = await clerk.wait_for(predicate=lambda m: m.photo is not None)
    assert "🟢 绿 0 项 · 🟡 黄 1 项 · 🔴 红 0 项" in board.content  # five months to go: yellow only for the missed report

    await report_progress(office, zhujian, slip, date(2027, 1, 7), "又完成2个小区")
    await clerk.send("/task 2026-1")
    detail = await clerk.wait_for(text_contains="阶段汇报：")
    assert "最近汇报：2027年1月7日" in detail.text and "超期未汇报" not in detail.text
    line = await ledger_line(clerk)
    assert line["最近汇报"] == datetime(2027, 1, 7) and line["超期未汇报"] is None
    await clerk.send("/board")
    board = await clerk.wait_for(predicate=lambda m: m.photo is not None)
    assert "🟢 绿 1 项 · 🟡 黄 0 项" in board.content
    await daily(office, bot, date(2027, 1, 8))
    summary = await supervisor.wait_for(text_contains="督办日报", predicate=lambda m: "2027年1月8日" in m.text)
    assert "超期未汇报" not in summary.text
    # January's figures keep the date that was missed; the late report counts for February's
    await monthly(office, bot, date(2027, 2, 1))
    analysis = await city["leader"].wait_for(text_contains="综合一科 · 2027年1月督查分析")
    assert "阶段汇报：本月应报1次，按期报送0次，未按期1次。" in analysis.text

    # the final feedback is reviewed and closes the task, as it always has
    on(office, date(2027, 5, 20))
    await zhujian.reply_to(slip, "全部完工")
    review = await clerk.wait_for(text_contains="全部完工")
    await clerk.press("通过(办结)", message=review)
    await zhujian.wait_for(text_contains="审核通过")
    async with office.db.reader.execute("SELECT status, last_report_on FROM tasks") as cur:
        assert [tuple(r) async for r in cur] == [("completed", "2027-01-07")]
    async with office.db.reader.execute("SELECT count(*) FROM score_events") as cur:
        assert (await cur.fetchone())[0] == 0  # 超期未汇报 costs nothing unless configured
    async with office.db.reader.execute("SELECT kind, status FROM feedback ORDER BY id") as cur:
        assert [tuple(r) async for r in cur] == [("progress", "noted"), ("progress", "noted"), ("result", "accepted")]


async def test_bad_schedules_and_units_are_refused_and_nothing_is_issued(city, office, emulator):
    on(office, date(2026, 11, 30))
    clerk = city["clerk"]
    await clerk.send(form(schedule="每月32日"))
    refusal = await clerk.wait_for(text_contains="未签发")
    assert "第7行「汇报：每月32日」" in refusal.text and "每月没有32日" in refusal.text

    await clerk.send(form("住建局（牵头）、交通运输局、住建局（配合）"))
    refusal = await clerk.wait_for(text_contains="不能同时作为配合单位")
    assert "第5行" in refusal.text and "住建局已是牵头单位" in refusal.text

    # a quarterly report on a one-month task: none falls before the deadline
    await clerk.send(form(period="2026-12-25", schedule="每季度末"))
    refusal = await clerk.wait_for(text_contains="一次汇报也没有")
    assert "第7行「汇报：每季度末」" in refusal.text and "期限2026年12月25日之前" in refusal.text

    await clerk.send(form(period="30天", schedule="2027-02-01"))
    refusal = await clerk.wait_for(text_contains="不在期限")
    assert "汇报日期2027年2月1日不在期限2026年12月30日之前" in refusal.text

    await clerk.send(form(schedule="2026-11-20"))
    refusal = await clerk.wait_for(text_contains="已经过了")
    assert "汇报日期2026年11月20日已经过了" in refusal.text

    await clerk.send(form("交通运输局（配合）、穰东镇"))
    refusal = await clerk.wait_for(text_contains="没有写牵头单位")
    assert "住建局（牵头）" in refusal.text

    await wait_idle(emulator.state)
    assert await task_count(office) == 0
    assert city["zhujian"].last_message().text.startswith("✅ 绑定成功")


async def unit_score(office, name: str) -> Decimal:
    unit = await org_store.unit_by_name(office.db.reader, name)
    events = await scores.between(office.db.reader, date(2026, 1, 1), date(2026, 12, 31), unit.id)
    (row,) = ranking(events, [unit.id], 2026, ScoreRules())
    return row.score


async def test_a_lead_and_two_partners_from_issue_to_completion_with_one_partner_late(city, office, bot, emulator):
    """住建局牵头，交通运输局、穰东镇配合: 交通运输局 sends its part on time, 穰东镇 does not. The
    matter's deadline is the 牵头单位's: the 催办单 goes to 住建局 only (and so does its −0.2);
    穰东镇's late part still reaches 住建局; 住建局's consolidated feedback, accepted, closes all three."""
    clerk, zhujian, jiaotong, town = city["clerk"], city["zhujian"], city["jiaotong"], city["town"]
    on(office, date(2026, 11, 30))
    await clerk.send(form("住建局（牵头）、交通运输局、穰东镇", period="10天", schedule=None))
    await clerk.press("确认签发", message=await clerk.wait_for(text_contains="确认签发"))
    await clerk.wait_for(text_contains="已签发3份交办单")
    lead_slip = await zhujian.wait_for(text_contains="工作交办单", predicate=lambda m: bool(m.inline_keyboard))
    jiaotong_slip = await jiaotong.wait_for(text_contains="工作交办单", predicate=lambda m: bool(m.inline_keyboard))
    town_slip = await town.wait_for(text_contains="工作交办单", predicate=lambda m: bool(m.inline_keyboard))
    for slip in (lead_slip, jiaotong_slip, town_slip):
        await recorded(office, slip)  # a person reads before replying; a test waits for the record

    on(office, date(2026, 12, 3))
    await jiaotong.reply_to(jiaotong_slip, "交通运输局：已完成周边道路改造方案")
    receipt = await jiaotong.wait_for(text_contains="配合办理情况")
    assert "已送牵头单位汇总" in receipt.text
    part = await zhujian.wait_for(text_contains="交通运输局 配合办理情况")
    assert "已完成周边道路改造方案" in part.text and "请汇总后一并反馈" in part.text and not part.inline_keyboard
    assert "已完成周边道路改造方案" in (await clerk.wait_for(text_contains="交通运输局 配合办理情况")).text

    # due 12-10; on 12-11 the matter is 逾期 on the 牵头单位's task alone
    await daily(office, bot, date(2026, 12, 11))
    reminder = await zhujian.wait_for(text_contains="工作催办单")
    assert "住建局：" in reminder.text
    await wait_idle(emulator.state)
    for member in (jiaotong, town):  # told of it, but no slip of their own
        assert not any("工作催办单》" in m.text for m in member.messages())
        assert any("已收到工作催办单" in m.text for m in member.messages())
    assert await unit_score(office, "住建局") == Decimal("99.8")
    assert await unit_score(office, "穰东镇") == Decimal("100")
    assert await unit_score(office, "交通运输局") == Decimal("100")
    await clerk.send("/overdue")
    overdue = await clerk.wait_for(text_contains="逾期")
    assert "住建局" in overdue.text and "穰东镇" not in overdue.text

    on(office, date(2026, 12, 12))
    await town.press("反馈", message=town_slip)
    assert "你单位的配合办理情况（送牵头单位汇总）" in (await town.wait_for(text_contains="请发送")).text
    await town.send("/cancel")
    await town.wait_for(text_contains="取消")
    await town.reply_to(town_slip, "穰东镇：辖区内3个小区已摸底")
    assert "辖区内3个小区已摸底" in (await zhujian.wait_for(text_contains="穰东镇 配合办理情况")).text
    await clerk.send("/task 2026-3")
    detail = await clerk.wait_for(text_contains="责任单位：穰东镇")
    assert "责任单位：穰东镇（配合，住建局牵头）" in detail.text
    await clerk.send("/tasks")
    listing = await clerk.wait_for(text_contains="在办事项")
    assert "住建局 · " in listing.text and "【牵头】" in listing.text and listing.text.count("【配合】") == 2
    await clerk.send("/task 2026-1")
    assert "责任单位：住建局（牵头，交通运输局、穰东镇配合）" in (await clerk.wait_for(text_contains="责任单位：住建局")).text
    await clerk.send("/ledger")
    sent = await clerk.wait_for(predicate=lambda m: m.document is not None)
    sheet = load_workbook(io.BytesIO(clerk.file_bytes(sent))).worksheets[0]
    header, *rows = [list(r) for r in sheet.iter_rows(min_row=ledger.HEADING_ROW, values_only=True)]
    roles = {r[header.index("责任单位")]: r[header.index("牵头/配合")] for r in rows}
    assert roles == {"住建局": "牵头", "交通运输局": "配合（住建局牵头）", "穰东镇": "配合（住建局牵头）"}

    await zhujian.reply_to(lead_slip, "汇总：改造方案已定，3个小区已开工")
    review = await clerk.wait_for(text_contains="汇总：改造方案已定")
    await clerk.press("通过(办结)", message=review)
    await zhujian.wait_for(text_contains="审核通过")
    for member in (jiaotong, town):
        closed = await member.wait_for(text_contains="配合任务一并办结")
        assert "牵头单位的办理结果（交办单〔2026〕1号）" in closed.text
    async with office.db.reader.execute("SELECT unit_role, status, completed_on FROM tasks ORDER BY id") as cur:
        assert [tuple(r) async for r in cur] == [
            ("lead", "completed", "2026-12-12"), ("partner", "completed", "2026-12-12"), ("partner", "completed", "2026-12-12"),
        ]


def buttons(message) -> list[str]:
    return [b["text"] for row in message.inline_keyboard for b in row]


async def guided_to_units(clerk) -> None:
    """The guided /new up to its question of the 责任单位."""
    await clerk.send("/new")
    await clerk.wait_for(text_contains="工作事项")
    for answer, next_question in ((TITLE, "工作要求"), (REQUIREMENTS, "根据"), (BASIS, "交办类型")):
        await clerk.send(answer)
        await clerk.wait_for(text_contains=next_question)
    await clerk.press("其他口线工作")
    await clerk.wait_for(text_contains="责任单位")


async def test_the_guided_dialog_asks_the_lead_and_on_a_long_task_the_schedule(city, office):
    """Two units: which leads (or none). A period over 30 days: a 阶段汇报 schedule, typed or a
    button; 「每月32日」 is explained and asked again. Both are echoed in the preview and issued."""
    on(office, date(2026, 11, 30))
    clerk, jiaotong = city["clerk"], city["jiaotong"]
    await guided_to_units(clerk)
    await clerk.press("住建局")
    await clerk.wait_for(text_contains="已选：住建局")
    await clerk.press("交通运输局")
    await clerk.wait_for(text_contains="已选：住建局、交通运输局")
    await clerk.press("选好了")
    for _ in range(2):
        await clerk.wait_for(text_contains="的责任人")
        await clerk.press("跳过")
    await clerk.wait_for(text_contains="牵头单位")
    await clerk.press("住建局牵头")
    await clerk.wait_for(text_contains="时限")
    await clerk.send("2027-05-31")
    question = await clerk.wait_for(text_contains="阶段汇报")
    assert buttons(question) == ["每周五", "每月5日前", "每季度末", "不需要阶段汇报"]
    assert "办结期限是 2027年5月31日" in question.text
    await clerk.send("每月32日")
    assert "每月没有32日" in (await clerk.wait_for(text_contains="每月没有32日")).text
    await clerk.wait_for(text_contains="是否需要阶段汇报")
    await clerk.send("每月5日前")
    await clerk.wait_for(text_contains="专项工作台账")
    await clerk.press("否")
    await clerk.wait_for(text_contains="工作任务分解台账")
    await clerk.press("跳过")
    preview = await clerk.wait_for(text_contains="确认签发")
    assert "牵头单位：住建局" in preview.text and "阶段汇报：每月5日前" in preview.text
    assert "本事项由你单位牵头，交通运输局配合" in preview.text
    await clerk.press("确认签发")
    receipt = await clerk.wait_for(text_contains="已签发2份交办单")
    assert "阶段汇报：每月5日前（由牵头单位报送）" in receipt.text
    copy = await jiaotong.wait_for(text_contains="工作交办单")
    # the 牵头单位 reports the matter's progress; its 配合单位 are not asked to as well
    assert "本事项由住建局牵头，你单位配合" in copy.text and "阶段汇报" not in copy.text
    async with office.db.reader.execute("SELECT unit_role, report_schedule FROM tasks ORDER BY id") as cur:
        assert [tuple(r) async for r in cur] == [("lead", "monthly:5"), ("partner", None)]


async def test_help_shows_the_schedule_and_lead_forms(city):
    clerk = city["clerk"]
    await clerk.send("/help")
    shown = await clerk.wait_for(text_contains="使用说明")
    assert "汇报: 每月5日前" in shown.text and "单位: 住建局（牵头）、交通运输局、穰东镇" in shown.text


async def test_named_rule_chases_the_partner_the_lead_names_until_its_part_arrives(city, office, bot, emulator):
    """sharing.chase = "named": 住建局 names 穰东镇, whose part is missing; the 催办单 and its −0.2
    go to 穰东镇 and 住建局 waits; once 穰东镇 sends its part, 住建局's own task is chased again."""
    office.settings = replace(office.settings, shared_chase=ChaseRule.NAMED)
    clerk, zhujian, jiaotong, town = city["clerk"], city["zhujian"], city["jiaotong"], city["town"]
    on(office, date(2026, 11, 30))
    await clerk.send(form("住建局（牵头）、交通运输局、穰东镇", period="10天", schedule=None))
    await clerk.press("确认签发", message=await clerk.wait_for(text_contains="确认签发"))
    await clerk.wait_for(text_contains="已签发3份交办单")
    jiaotong_slip = await jiaotong.wait_for(text_contains="工作交办单", predicate=lambda m: bool(m.inline_keyboard))
    town_slip = await town.wait_for(text_contains="工作交办单", predicate=lambda m: bool(m.inline_keyboard))
    for slip in (jiaotong_slip, town_slip):
        await recorded(office, slip)
    on(office, date(2026, 12, 3))
    await jiaotong.reply_to(jiaotong_slip, "交通运输局配合情况")
    await zhujian.wait_for(text_contains="交通运输局 配合办理情况")

    # bad names first: a partner that has sent its part, a unit that is no partner, a partner's own copy
    await zhujian.send("/late 2026-1 交通运输局")
    assert "交通运输局已报送配合办理情况" in (await zhujian.wait_for(text_contains="已报送配合办理情况")).text
    await zhujian.send("/late 2026-1 城管局")
    assert "本事项的配合单位：交通运输局、穰东镇" in (await zhujian.wait_for(text_contains="不是本事项的配合单位")).text
    await jiaotong.send("/late 2026-2 穰东镇")
    await jiaotong.wait_for(text_contains="没有权限")
    await zhujian.send("/late 2026-1")
    await zhujian.wait_for(text_contains="请这样写")

    await zhujian.send("/late 2026-1 穰东镇")
    await zhujian.wait_for(text_contains="已指明 穰东镇")
    await town.wait_for(text_contains="指明你单位尚未报送配合办理情况")
    await clerk.wait_for(text_contains="逾期催办改发 穰东镇")

    await daily(office, bot, date(2026, 12, 11))
    reminder = await town.wait_for(text_contains="工作催办单")
    assert "穰东镇：" in reminder.text
    await wait_idle(emulator.state)
    assert not any("工作催办单" in m.text for m in zhujian.messages())
    assert await unit_score(office, "穰东镇") == Decimal("99.8")
    assert await unit_score(office, "住建局") == Decimal("100")

    on(office, date(2026, 12, 14))
    await town.reply_to(town_slip, "穰东镇配合情况")
    await zhujian.wait_for(text_contains="穰东镇 配合办理情况")
    await daily(office, bot, date(2026, 12, 15))
    assert "住建局：" in (await zhujian.wait_for(text_contains="工作催办单")).text
    assert await unit_score(office, "住建局") == Decimal("99.8")


async def test_under_the_default_rule_the_lead_cannot_name_a_partner(city, office):
    clerk, zhujian = city["clerk"], city["zhujian"]
    on(office, date(2026, 11, 30))
    await clerk.send(form("住建局（牵头）、交通运输局", period="10天", schedule=None))
    await clerk.press("确认签发", message=await clerk.wait_for(text_contains="确认签发"))
    await clerk.wait_for(text_contains="已签发2份交办单")
    await zhujian.send("/late 2026-1 交通运输局")
    refusal = await zhujian.wait_for(text_contains="只催办牵头单位")
    assert "不需要指明配合单位" in refusal.text
    async with office.db.reader.execute("SELECT count(*) FROM tasks WHERE named_late = 1 OR waiting_on_partner = 1") as cur:
        assert (await cur.fetchone())[0] == 0


async def test_a_missed_report_books_points_only_when_the_score_table_says_so(city, office, bot):
    """0 by default (the six-month test's unit keeps 100); configured −0.1, once per missed date."""
    rules = office.settings.score_rules
    office.settings = replace(
        office.settings, score_rules=replace(rules, points={**rules.points, ScoreCategory.REPORT_MISSED: Decimal("-0.1")}),
    )
    clerk, zhujian = city["clerk"], city["zhujian"]
    on(office, date(2026, 11, 30))
    await clerk.send(form(period="60天", schedule="每周五"))
    await clerk.press("确认签发", message=await clerk.wait_for(text_contains="确认签发"))
    await clerk.wait_for(text_contains="已签发1份交办单")
    for day in (date(2026, 12, 4), date(2026, 12, 7), date(2026, 12, 8)):  # 12-04 let pass
        await daily(office, bot, day)
    assert await unit_score(office, "住建局") == Decimal("99.9")
    await zhujian.send("/scores")
    assert "超期未汇报" in (await zhujian.wait_for(text_contains="99.9")).text


async def test_an_extension_granted_to_the_lead_moves_its_partners_copies(city, office, bot, emulator):
    """The matter has one deadline: 刘副市长 grants 住建局 (牵头) an extension to 12月18日, its
    配合单位 are told and their copies move too — so 穰东镇, named late on 12月14日, is not chased
    for the old 12月10日, and its 催办单 after 12月18日 states the extended date."""
    office.settings = replace(office.settings, shared_chase=ChaseRule.NAMED)
    clerk, zhujian, jiaotong, town, leader = city["clerk"], city["zhujian"], city["jiaotong"], city["town"], city["leader"]
    on(office, date(2026, 11, 30))
    await clerk.send(form("住建局（牵头）、交通运输局、穰东镇", period="10天", schedule=None))
    await clerk.press("确认签发", message=await clerk.wait_for(text_contains="确认签发"))
    await clerk.wait_for(text_contains="已签发3份交办单")
    town_slip = await town.wait_for(text_contains="工作交办单", predicate=lambda m: bool(m.inline_keyboard))
    await recorded(office, town_slip)

    on(office, date(2026, 12, 8))
    await zhujian.send("/extend 交办〔2026〕1号 2026-12-18 等待配合单位数据")
    await zhujian.wait_for(text_contains="已提交延期申请")
    request = await leader.wait_for(text_contains="延期申请")
    await leader.press("同意", message=request)
    for partner in (jiaotong, town):
        told = await partner.wait_for(text_contains="同步延至")
        assert "牵头单位住建局" in told.text and "2026年12月18日" in told.text
    async with office.db.reader.execute("SELECT unit_role, deadline FROM tasks ORDER BY id") as cur:
        assert [tuple(r) async for r in cur] == [("lead", "2026-12-18"), ("partner", "2026-12-18"), ("partner", "2026-12-18")]

    on(office, date(2026, 12, 14))
    await zhujian.send("/late 2026-1 穰东镇")
    await zhujian.wait_for(text_contains="已指明 穰东镇")
    await daily(office, bot, date(2026, 12, 15))
    await wait_idle(emulator.state)
    assert not any("工作催办单" in m.text for m in town.messages() + zhujian.messages())

    await daily(office, bot, date(2026, 12, 21))
    reminder = await town.wait_for(text_contains="工作催办单")
    assert "穰东镇：" in reminder.text and "经分管市领导同意延期至2026年12月18日" in reminder.text
    assert await unit_score(office, "穰东镇") == Decimal("99.8")
    assert await unit_score(office, "住建局") == Decimal("100")


async def test_where_periods_count_working_days_thirty_of_them_is_a_long_task(city, office):
    """deadline_mode = "working": 「30个工作日」 runs six weeks, so the dialog asks for a 阶段汇报
    schedule, as it does for any task of more than 30 calendar days; its buttons say 工作日."""
    office.settings = replace(office.settings, deadline_mode=DeadlineMode.WORKING)
    on(office, date(2026, 11, 30))
    clerk = city["clerk"]
    await guided_to_units(clerk)
    await clerk.press("住建局")
    await clerk.wait_for(text_contains="已选：住建局")
    await clerk.press("选好了")
    await clerk.wait_for(text_contains="的责任人")
    await clerk.press("跳过")
    period = await clerk.wait_for(text_contains="时限")
    assert "几个工作日内办结" in period.text and buttons(period)[-1] == "30个工作日"
    await clerk.press("30个工作日")
    question = await clerk.wait_for(text_contains="是否需要阶段汇报")
    assert "办结期限是 2027年1月1" in question.text  # six weeks on (1月11日, or 12日 once 元旦 2027 is known)
