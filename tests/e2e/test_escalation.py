"""The escalation chain of notice section 二, day by day through the real bot and the emulator:
交办 → 到期提醒 → 催办单 → 督办通知单 → 约谈 → 移交作风办, with the unit's score after each step."""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import date, datetime, time
from decimal import Decimal

from bot.domain.scores import ScoreRules, ranking
from bot.domain.tasks import EscalationStage, SourceType
from bot.services import escalating
from bot.services.daily import run_daily
from bot.services.issuing import AssignmentDraft, issue_assignment
from bot.storage import scores, tasks
from bot.emulators.telegram.client import wait_idle
from bot.texts import plain

TZ_NOW = "Asia/Shanghai"


def at(office, day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), office.settings.timezone)


async def unit_score(office, unit_id: int, year: int = 2026) -> Decimal:
    events = await scores.between(office.db.reader, date(year, 1, 1), date(year, 12, 31), unit_id)
    (row,) = ranking(events, [unit_id], year, ScoreRules())
    return row.score


async def daily(office, bot, day: date) -> None:
    office.clock = lambda: at(office, day, 9)
    await run_daily(office, day)
    bot.bot_data["sender"].wake()


async def duban_daily(office, day: str) -> str:
    """`duban daily --date`, as an operator runs it, in its own process on the same database."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "--db", str(office.settings.db_path), "daily", "--date", day,
        env={**os.environ, **({"DUBAN_DATABASE_URL": office.settings.database_url} if office.settings.database_url else {})},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()
    return out.decode()


async def test_whole_escalation_day_by_day(office, bot, city):
    clerk, official, supervisor = city["clerk"], city["zhujian"], city["supervisor"]
    issued_on = date(2026, 12, 1)
    office.clock = lambda: at(office, issued_on)
    (issued,) = await issue_assignment(
        office,
        AssignmentDraft(
            title="老旧小区改造进度核查", requirements="逐小区核查并报送进度表", basis="市政府常务会议纪要",
            source=SourceType.LEADER_ASSIGNMENT, unit_ids=(official.person.unit_id,), period_days=7,
        ),
        clerk.person, office.now(),
    )
    bot.bot_data["sender"].wake()
    await official.wait_for(text_contains="交办单")
    unit_id = official.person.unit_id
    assert await unit_score(office, unit_id) == Decimal("100")

    # 在收件之日起7天内: issued 12-01, due at the end of 12-08.
    await daily(office, bot, date(2026, 12, 7))
    assert "明天到期" in (await official.wait_for(text_contains="督办提醒")).text
    await daily(office, bot, date(2026, 12, 8))
    assert "今天到期" in (await official.wait_for(text_contains="督办提醒")).text

    # 12-09: overdue by one day → 工作催办单〔2026〕1号, −0.2, window 3 days (12-12 is a Saturday → 12-14).
    out = await duban_daily(office, "2026-12-09")
    assert "工作催办单：1项" in out
    bot.bot_data["sender"].wake()
    reminder = await official.wait_for(text_contains="工作催办单》")
    assert plain(reminder.text).splitlines()[1] == "〔2026〕1号"
    assert (
        "老旧小区改造进度核查已于2026年12月1日交由你单位办理（邓州市人民政府工作交办单〔2026〕1号），期限7天。"
        "现已逾期1天，请在本催办单下发后3日内向市政府办公室政务监督室上报办理结果情况（请在反馈材料中注明催办单编号）。"
    ) in plain(reminder.text)
    assert await unit_score(office, unit_id) == Decimal("99.8")
    filed = await supervisor.wait_for(text_contains="2026年12月9日 督办日报")
    assert "下发工作催办单（备案） 催办单〔2026〕1号 住建局" in filed.text
    task = await tasks.get(office.db.reader, issued.task.id)
    assert task.stage is EscalationStage.REMINDED and task.window_until == date(2026, 12, 14)
    assert task.deadline == date(2026, 12, 8) and task.is_overdue(date(2026, 12, 9)), "the window is not a new deadline"

    # Rerunning the same day changes nothing: no second slip, no second deduction.
    assert "已执行过" in await duban_daily(office, "2026-12-09")
    assert await unit_score(office, unit_id) == Decimal("99.8")

    # 12-15: the window has passed → 督办通知单〔2026〕1号, −0.5, into the 专项台账.
    await daily(office, bot, date(2026, 12, 15))
    notice = await official.wait_for(text_contains="督办通知单》")
    assert (
        "老旧小区改造进度核查已于2026年12月1日交由你单位办理，期限7天〔逾期1天后发出催办通知"
        "（邓州市人民政府工作催办单〔2026〕1号）〕，但至今你单位未按要求完成工作任务，责令你单位在收到本督办通知单后3日内"
        "向市政府办公室政务监督室上报办理结果情况（请在反馈材料中注明督办单编号）。"
    ) in plain(notice.text)
    assert await unit_score(office, unit_id) == Decimal("99.3")
    task = await tasks.get(office.db.reader, issued.task.id)
    assert task.stage is EscalationStage.SUPERVISED and task.special_ledger and task.window_until == date(2026, 12, 18)

    # The window ended Friday 12-18. The weekend's checks do nothing: no proposal, no summary.
    await wait_idle(supervisor.state, quiet=0.2)
    sent = len(supervisor.messages())
    await daily(office, bot, date(2026, 12, 19))
    assert "休息日" in await duban_daily(office, "2026-12-20")
    await wait_idle(supervisor.state, quiet=0.2)
    assert len(supervisor.messages()) == sent
    # Monday 12-21: window passed → 约谈 proposed to 政务监督室, once.
    await daily(office, bot, date(2026, 12, 21))
    assert "建议约谈" in (await supervisor.wait_for(text_contains="建议约谈")).text
    await daily(office, bot, date(2026, 12, 22))
    summary = await supervisor.wait_for(text_contains="2026年12月22日 督办日报")
    assert "建议约谈" not in summary.text

    # 约谈 recorded: −3, a last window of 3 days (12-22 → 12-25).
    office.clock = lambda: at(office, date(2026, 12, 22))
    await escalating.record_interview(office, supervisor.person, issued.task.id, date(2026, 12, 22), "刘副市长", "", office.now())
    assert await unit_score(office, unit_id) == Decimal("96.3")
    await daily(office, bot, date(2026, 12, 28))
    assert "移交" in (await supervisor.wait_for(text_contains="建议移交")).text
    office.clock = lambda: at(office, date(2026, 12, 28), 11)
    await escalating.record_transfer(office, supervisor.person, issued.task.id, "", office.now())
    task = await tasks.get(office.db.reader, issued.task.id)
    assert task.stage is EscalationStage.TRANSFERRED
    assert "移交市作风办" in (await official.wait_for(text_contains="问责追责")).text
    assert await unit_score(office, unit_id) == Decimal("96.3")


async def test_a_digest_longer_than_one_message_arrives_in_parts(office, bot, city):
    official = city["zhujian"]
    unit = official.person.unit_id
    titles = [f"第{n}项：{'老旧小区改造与城区道路积水点排查整治' * 5}" for n in range(1, 61)]
    for n, title in enumerate(titles):
        # Thirty due on 1 December, thirty on the 2nd: both lists of the 1st's digest are full.
        issued_on = date(2026, 11, 24) if n < 30 else date(2026, 11, 25)
        draft = AssignmentDraft(title, "按要求办理", "会议纪要", SourceType.OTHER, (unit,), 7)
        await issue_assignment(office, draft, city["clerk"].person, at(office, issued_on))
    await daily(office, bot, date(2026, 12, 1))
    parts = [await official.wait_for(text_contains="督办提醒", timeout=10)]
    while titles[-1] not in parts[-1].text:
        parts.append(await official.wait_for(text_contains="交办单〔2026〕", timeout=10))
    assert len(parts) > 1, "one message would pass Telegram's 4,096 characters"
    text = "\n".join(m.text for m in parts)
    assert all(f"「{title}」" in text for title in titles), "every task is listed, none lost with the message"
    async with office.db.reader.execute("SELECT count(*) FROM outbox WHERE status = 'failed'") as cur:
        assert (await cur.fetchone())[0] == 0


async def test_the_last_reminder_before_a_monday_deadline_goes_on_friday(office, bot, city):
    """Working days only (the default): a deadline on Monday 12-14 is reminded on Friday 12-11,
    which says the day; nothing goes out on the weekend; Monday says 今天到期."""
    clerk, official = city["clerk"], city["zhujian"]
    unit = official.person.unit_id
    office.clock = lambda: at(office, date(2026, 12, 4))
    draft = AssignmentDraft("汛后道路修复", "按要求修复", "会议纪要", SourceType.OTHER, (unit,), 10)
    [issued] = await issue_assignment(office, draft, clerk.person, office.now())
    assert issued.task.deadline == date(2026, 12, 14)
    await daily(office, bot, date(2026, 12, 10))
    await daily(office, bot, date(2026, 12, 11))
    friday = plain((await official.wait_for(text_contains="2026年12月11日 督办提醒")).text)
    assert "2026年12月14日（星期一）前到期，今天是到期前最后一个工作日" in friday
    assert "「汛后道路修复」2026年12月14日（星期一）到期" in friday
    for weekend in (12, 13):
        await daily(office, bot, date(2026, 12, weekend))
    await daily(office, bot, date(2026, 12, 14))
    monday = plain((await official.wait_for(text_contains="2026年12月14日 督办提醒")).text)
    assert "今天到期" in monday
    reminders = [m.text for m in official.messages() if "督办提醒" in m.text]
    assert len(reminders) == 2, "Thursday is no last day before it, the weekend is quiet"
