"""阶段汇报 reminders (README "Long and shared tasks"): the unit is reminded on the last working
day before each report date — a date right after the 国庆 break before the break — and on the
date itself, unless it has reported; once it reports, /task's 「下次」 is the date after."""

from __future__ import annotations

from datetime import date

from bot.emulators.telegram.client import wait_idle
from bot.texts import plain
from tests.e2e.test_escalation import daily
from tests.e2e.test_extension import on
from tests.e2e.test_long_and_shared import TITLE, form, report_progress
from tests.e2e.test_slip_actions import recorded


async def reminders_on(office, bot, official, day: date) -> list[str]:
    """The unit's 督办提醒 of ``day`` (none when the check sent it nothing)."""
    await daily(office, bot, day)
    await wait_idle(official.state, quiet=0.3)
    heading = f"{day.year}年{day.month}月{day.day}日 督办提醒"
    return [plain(m.text) for m in official.messages() if heading in m.text]


async def test_a_report_due_right_after_national_day_is_reminded_before_the_break(city, office, bot):
    clerk, official = city["clerk"], city["zhujian"]
    on(office, date(2026, 9, 28))
    await clerk.send(form(period="2026-12-31", schedule="10月8日、11月5日"))
    await clerk.press("确认签发", message=await clerk.wait_for(text_contains="确认签发"))
    await clerk.wait_for(text_contains="已签发1份交办单")
    slip = await official.wait_for(text_contains="工作交办单", predicate=lambda m: bool(m.inline_keyboard))
    await recorded(office, slip)

    # Wednesday 9月30日 is the last working day before 国庆 (10月1–7日): the unit hears of 10月8日
    assert await reminders_on(office, bot, official, date(2026, 9, 29)) == [], "not before the last working day"
    [before] = await reminders_on(office, bot, official, date(2026, 9, 30))
    assert "2026年10月8日（星期四）报送阶段进展，今天是报送前最后一个工作日" in before and TITLE in before
    [on_the_day] = await reminders_on(office, bot, official, date(2026, 10, 8))
    assert "今天报送阶段进展" in on_the_day and TITLE in on_the_day

    await report_progress(office, official, slip, date(2026, 10, 8), "已完成3个小区的管网改造")
    await official.send("/task 〔2026〕1号")
    shown = plain((await official.wait_for(text_contains="阶段汇报：")).text)
    assert "（共2次，下次2026年11月5日）" in shown
    assert "下次2026年10月8日" not in shown and "最近汇报：2026年10月8日" in shown

    # the day before 11月5日 (a Thursday): 明天; nothing more once it is reported early
    [eve] = await reminders_on(office, bot, official, date(2026, 11, 4))
    assert "明天报送阶段进展" in eve and TITLE in eve
    await report_progress(office, official, slip, date(2026, 11, 4), "又完成2个小区")
    assert await reminders_on(office, bot, official, date(2026, 11, 5)) == []
    await official.send("/task 〔2026〕1号")
    shown = plain((await official.wait_for(text_contains="最近汇报：2026年11月4日")).text)
    assert "下次" not in shown
