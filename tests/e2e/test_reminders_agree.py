"""The unit's daily reminder states what /task states (docs/rules.md "One clock per task"): at
each stage of the chain the date the running step runs to — the 催办单's or 督办通知单's window,
the last date a 约谈 set — and the slip it follows from; after 移交作风办 the unit is no longer
reminded. Issued 12-01 with 7 days: due 12-08, 催办单 12-09 (window to Monday 12-14), 督办通知单
12-15 (to 12-18), 约谈 proposed 12-21, recorded 12-22 (to 12-25), 移交 proposed 12-28."""

from __future__ import annotations

import re
from datetime import date

from bot.emulators.telegram.client import wait_idle
from bot.services import escalating
from bot.storage import tasks
from bot.texts import plain
from tests.e2e.test_escalation import daily
from tests.e2e.test_extension import issue, on

STEP_DATE = re.compile(r"(限期上报|约谈后最后期限)至(\d{4}年\d{1,2}月\d{1,2}日)")


async def reminder_on(office, bot, official, day: date) -> str:
    """The unit's 督办提醒 of ``day``."""
    await daily(office, bot, day)
    return plain((await official.wait_for(text_contains=f"{day.year}年{day.month}月{day.day}日 督办提醒")).text)


async def task_shows(office, official, number: str, day: date) -> str:
    """What /task shows the unit on ``day``."""
    on(office, day, 11)
    await official.send(f"/task {number}")
    return plain((await official.wait_for(text_contains="督办阶段：")).text)


def running_step(text: str) -> tuple[str, str]:
    [found] = STEP_DATE.findall(text)
    return found


async def chain_to(office, bot, city, last: date):
    """Issue and run the daily checks up to ``last``, 约谈 recorded on 12-22."""
    clerk, supervisor = city["clerk"], city["supervisor"]
    task = await issue(office, clerk)  # 12-01, 7 days: due 12-08
    for day in (date(2026, 12, 9), date(2026, 12, 15), date(2026, 12, 21)):
        if day <= last:
            await daily(office, bot, day)
    if last >= date(2026, 12, 22):
        on(office, date(2026, 12, 22))
        await escalating.record_interview(office, supervisor.person, task.id, date(2026, 12, 22), "刘副市长", "", office.now())
    if last >= date(2026, 12, 28):
        await daily(office, bot, date(2026, 12, 28))
    await wait_idle(city["zhujian"].state, quiet=0.2)
    return task


async def test_on_the_last_day_of_a_reminder_slips_window_the_reminder_says_today(city, office, bot):
    official = city["zhujian"]
    await chain_to(office, bot, city, date(2026, 12, 9))
    reminder = await reminder_on(office, bot, official, date(2026, 12, 14))
    shown = await task_shows(office, official, "〔2026〕1号", date(2026, 12, 14))
    assert running_step(reminder) == running_step(shown) == ("限期上报", "2026年12月14日")
    assert "• 催办单〔2026〕1号「城区积水点排查整治」限期上报至2026年12月14日（今天）；期限 2026年12月8日，已逾期6天" in reminder
    assert "督办阶段：已催办（限期上报至2026年12月14日）" in shown and "当前期限：2026年12月8日（逾期6天）" in shown


async def test_during_a_supervision_notices_window_reminder_and_task_name_its_last_day(city, office, bot):
    official = city["zhujian"]
    await chain_to(office, bot, city, date(2026, 12, 15))
    reminder = await reminder_on(office, bot, official, date(2026, 12, 16))
    shown = await task_shows(office, official, "〔2026〕1号", date(2026, 12, 16))
    assert running_step(reminder) == running_step(shown) == ("限期上报", "2026年12月18日")
    assert "督办通知单〔2026〕1号「城区积水点排查整治」限期上报至2026年12月18日；期限 2026年12月8日，已逾期8天" in reminder
    assert "督办阶段：已督办（限期上报至2026年12月18日）" in shown


async def test_after_an_interview_reminder_and_task_state_its_last_date_and_the_transfer_proposal(city, office, bot):
    official = city["zhujian"]
    await chain_to(office, bot, city, date(2026, 12, 22))
    reminder = await reminder_on(office, bot, official, date(2026, 12, 23))
    shown = await task_shows(office, official, "〔2026〕1号", date(2026, 12, 23))
    assert running_step(reminder) == running_step(shown) == ("约谈后最后期限", "2026年12月25日")
    assert "已约谈（约谈后最后期限至2026年12月25日）" in shown
    assert "2026年12月18日" not in reminder, "the 督办通知单's window is over"

    await daily(office, bot, date(2026, 12, 28))  # the window passed: 移交 proposed
    reminder = await reminder_on(office, bot, official, date(2026, 12, 29))
    shown = await task_shows(office, official, "〔2026〕1号", date(2026, 12, 29))
    assert running_step(reminder) == running_step(shown) == ("约谈后最后期限", "2026年12月25日")
    assert "已建议移交市作风办" in reminder and "已建议移交市作风办" in shown


async def test_after_the_transfer_the_unit_is_no_longer_reminded(city, office, bot):
    official, supervisor = city["zhujian"], city["supervisor"]
    task = await chain_to(office, bot, city, date(2026, 12, 28))
    on(office, date(2026, 12, 28), 11)
    await escalating.record_transfer(office, supervisor.person, task.id, "", office.now())
    bot.bot_data["sender"].wake()
    await official.wait_for(text_contains="问责追责")
    reminded = sum("督办提醒" in m.text for m in official.messages())
    assert reminded > 0
    for day in (date(2026, 12, 29), date(2026, 12, 30), date(2026, 12, 31)):
        await daily(office, bot, day)
    await wait_idle(official.state, quiet=0.3)
    assert sum("督办提醒" in m.text for m in official.messages()) == reminded
    shown = await task_shows(office, official, "〔2026〕1号", date(2026, 12, 31))
    assert "督办阶段：已移交作风办" in shown and "已建议移交" not in shown
    assert (await tasks.get(office.db.reader, task.id)).is_open is False
