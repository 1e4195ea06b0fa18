"""Across the new year (SPEC section 5, docs/rules.md "Which days the check runs"): January 2027
opens with 元旦 on a Friday and a weekend, in a year whose State Council arrangement the
installed calendar does not know. No paper is made or dated on 1月1–3日: the daily check, the
monthly 通报 cycle, the weekly digests and the year-end ranking all wait for Monday 1月4日, and
each is dated that day."""

from __future__ import annotations

import re
from datetime import date, timedelta

from bot.domain.calendar import arrangement_known
from bot.domain.org import Role
from bot.domain.tasks import SourceType
from bot.emulators.telegram.client import wait_idle
from bot.scheduling import run_periodic
from bot.services.daily import run_daily
from bot.services.issuing import AssignmentDraft, issue_assignment
from bot.storage import org
from bot.texts import plain
from tests.e2e.test_extension import on

STEP_DATE = re.compile(r"(?:限期上报|约谈后最后期限)至(\d{4}年\d{1,2}月\d{1,2}日)")

REST_DAYS = {date(2026, 12, 26), date(2026, 12, 27), date(2027, 1, 1), date(2027, 1, 2), date(2027, 1, 3)}


async def step(office, bot, members, first: date, last: date, each_day=None) -> dict[date, dict[str, list[str]]]:
    """Each day from ``first`` to ``last`` as the schedule runs it (the daily check at 09:00, then
    the periodic papers); what each person's chat received that day (``each_day`` looks at it
    before the next day comes)."""
    received: dict[date, dict[str, list[str]]] = {}
    day = first
    while day <= last:
        seen = {name: len(m.messages()) for name, m in members.items()}
        on(office, day, 9)
        await run_daily(office, day)
        await run_periodic(office, day)
        bot.bot_data["sender"].wake()
        await wait_idle(next(iter(members.values())).state, quiet=0.3)
        received[day] = {
            name: [plain(msg.text or msg.caption or "") for msg in m.messages()[seen[name]:]] for name, m in members.items()
        }
        if each_day is not None:
            await each_day(day, received[day])
        day += timedelta(days=1)
    return received


async def test_nothing_is_made_or_dated_on_new_years_day_and_the_weekend(city, office, organisation, bot):
    assert not arrangement_known(office.calendar, 2027), "the test needs a year the package does not know"
    principal = await organisation.join("钱市长", Role.PRINCIPAL)
    members = {**city, "principal": principal}
    unit = await org.unit_by_name(office.db.reader, "住建局")
    on(office, date(2026, 12, 21))
    draft = AssignmentDraft("元旦期间安全检查", "按要求检查", "市政府第12次常务会议纪要", SourceType.OTHER, (unit.id,), 11)
    [issued] = await issue_assignment(office, draft, city["clerk"].person, office.now())
    assert issued.task.deadline == date(2027, 1, 4)  # 12月21日 + 11 = 1月1日, 元旦: 民法典 第二百零三条
    bot.bot_data["sender"].wake()
    await city["zhujian"].wait_for(text_contains="元旦期间安全检查")
    await city["clerk"].wait_for(text_contains="已签发1份交办单")

    await step(office, bot, members, date(2026, 12, 21), date(2026, 12, 21))  # November's cycle, this week's digests

    compared: list[date] = []

    async def reminder_agrees_with_task(day: date, chats: dict[str, list[str]]) -> None:
        """Every reminder of the unit's names the date /task names for the running step."""
        for reminder in (t for t in chats["zhujian"] if "督办提醒" in t and "元旦期间安全检查" in t):
            on(office, day, 11)
            await city["zhujian"].send("/task 〔2026〕1号")
            shown = plain((await city["zhujian"].wait_for(text_contains="督办阶段：")).text)
            stated = STEP_DATE.findall(reminder)
            assert stated == STEP_DATE.findall(shown) or (not stated and "未催办" in shown), (day, reminder, shown)
            if not stated:  # before the 催办单: the deadline the reminder names is /task's 当前期限
                assert "2027年1月4日" in reminder and "当前期限：2027年1月4日" in shown
            compared.append(day)

    received = await step(office, bot, members, date(2026, 12, 22), date(2027, 1, 8), reminder_agrees_with_task)
    assert date(2026, 12, 31) in compared and date(2027, 1, 8) in compared

    for day in REST_DAYS:
        assert not any(received[day].values()), f"sent on the rest day {day}: {received[day]}"
    every_text = [t for chats in received.values() for texts in chats.values() for t in texts]
    for rest in ("2027年1月1日", "2027年1月2日", "2027年1月3日"):
        assert not any(rest in t for t in every_text), [t for t in every_text if rest in t]

    # Thursday 12-31 is the last check before the Monday deadline: the unit is told so then.
    [reminder] = [t for t in received[date(2026, 12, 31)]["zhujian"] if "督办提醒" in t]
    assert "2027年1月4日（星期一）前到期，今天是到期前最后一个工作日" in reminder and "元旦期间安全检查" in reminder
    [due] = [t for t in received[date(2027, 1, 4)]["zhujian"] if "督办提醒" in t]
    assert "2027年1月4日 督办提醒" in due and "今天到期" in due
    # the 催办单 is issued and dated on Tuesday, the first check after the deadline
    [slip] = [t for t in received[date(2027, 1, 5)]["zhujian"] if "工作催办单" in t and "〔2027〕" in t]
    assert "2027年1月5日" in slip

    # 1月8日, the 催办单's window's last day: the reminder states what /task states
    [last] = [t for t in received[date(2027, 1, 8)]["zhujian"] if "督办提醒" in t]
    assert "催办单〔2027〕1号「元旦期间安全检查」限期上报至2027年1月8日（今天）；期限 2027年1月4日，已逾期4天" in last
    on(office, date(2027, 1, 8), 11)
    await city["zhujian"].send("/task 〔2026〕1号")
    shown = plain((await city["zhujian"].wait_for(text_contains="督办阶段：")).text)
    assert "督办阶段：已催办（限期上报至2027年1月8日）" in shown and "当前期限：2027年1月4日（逾期4天）" in shown

    # Monday 1月4日: December's analysis to the 分管市领导, the 2026 ranking, the weekly digests
    monday = received[date(2027, 1, 4)]
    assert any("综合一科 · 2026年12月督查分析" in t for t in monday["leader"])
    assert any("2026年度各单位百分制考核排名" in t for t in monday["principal"])
    assert any("2026年度各单位百分制考核排名" in t for t in monday["supervisor"])
    assert any("重点事项落实情况周报（2026年12月28日—2027年1月4日）" in t for t in monday["principal"])
    assert any("督办日报" in t and "2027年1月4日" in t for t in monday["supervisor"])
    for day, chats in received.items():
        if day != date(2027, 1, 4):
            assert not any("督查分析" in t or "年度各单位百分制考核排名" in t for texts in chats.values() for t in texts), (day, chats)


async def test_a_weekly_digest_due_on_a_holiday_monday_goes_out_on_the_first_working_day(city, office, organisation, bot):
    """国庆 2026: Monday 10月5日 is a holiday; the digests of that week go out on Thursday 10月8日,
    the first working day, and say so in their dates."""
    principal = await organisation.join("钱市长", Role.PRINCIPAL)
    received = await step(office, bot, {**city, "principal": principal}, date(2026, 10, 5), date(2026, 10, 9))
    for day in (date(2026, 10, 5), date(2026, 10, 6), date(2026, 10, 7)):
        assert not any(received[day].values())
    assert any("重点事项落实情况周报（2026年10月1日—2026年10月8日）" in t for t in received[date(2026, 10, 8)]["principal"])
    assert not received[date(2026, 10, 9)]["principal"]
