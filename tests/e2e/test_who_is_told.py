"""Who is told, per the notice (SPEC section 4, "Who is told").

The issuing 科室 — whose clerk the 催办单 prints as 联系人 — hears of every 催办单, 督办通知单, 约谈
proposal, 约谈 and 移交 on its tasks, the daily check's steps grouped in one message a day. A unit's
answer to a 催办单 or 督办通知单, which told it to "向市政府办公室政务监督室上报办理结果情况", reaches
政务监督室 too, naming the slip it answers, while the review stays with the 科室.
"""

from __future__ import annotations

from datetime import date

from bot.services import escalating, handling
from bot.texts import plain
from tests.e2e.test_extension import daily, issue, on
from tests.e2e.test_slip_actions import buttons


async def test_the_issuing_section_hears_of_each_step_once_a_day(city, office, bot):
    clerk, supervisor = city["clerk"], city["supervisor"]
    first = await issue(office, clerk, title="城区积水点排查整治")
    second = await issue(office, clerk, unit="交通运输局", title="公交站台维修")
    await daily(office, bot, date(2026, 12, 9))  # both 逾期1天 → two 催办单
    digest = plain((await clerk.wait_for(text_contains="本科室交办事项今日督办情况")).text)
    assert "（2项）" in digest
    assert f"{first.number.full}「城区积水点排查整治」：已下发催办单〔2026〕1号" in digest
    assert f"{second.number.full}「公交站台维修」：已下发催办单〔2026〕2号" in digest
    assert sum("督办情况" in m.text for m in clerk.messages()) == 1, "one message for the day"

    await daily(office, bot, date(2026, 12, 15))  # windows passed → 督办通知单
    digest = plain((await clerk.wait_for(text_contains="2026年12月15日 待办")).text)
    assert "政务监督室已下发督办通知单〔2026〕1号" in digest and "督办通知单〔2026〕2号" in digest
    await daily(office, bot, date(2026, 12, 21))  # after the weekend
    digest = plain((await clerk.wait_for(text_contains="2026年12月21日 待办")).text)
    assert digest.count("已建议政务监督室约谈") == 2

    # 约谈 and 移交, recorded by 政务监督室 by hand: the 科室 is told at once.
    on(office, date(2026, 12, 21), 15)
    await escalating.record_interview(office, supervisor.person, first.id, date(2026, 12, 21), "刘副市长", "", office.now())
    bot.bot_data["sender"].wake()
    told = plain((await clerk.wait_for(text_contains="约谈责任单位")).text)
    assert f"{first.number.full}「城区积水点排查整治」" in told and "刘副市长已于2026年12月21日约谈责任单位" in told
    assert "最后期限 2026年12月24日" in told
    on(office, date(2026, 12, 28), 15)
    await escalating.record_transfer(office, supervisor.person, first.id, "", office.now())
    bot.bot_data["sender"].wake()
    assert "已移交市作风办问责追责" in (await clerk.wait_for(text_contains="已移交市作风办")).text


async def test_an_answer_to_a_reminder_slip_reaches_the_supervision_office(city, office, bot):
    clerk, supervisor, official = city["clerk"], city["supervisor"], city["zhujian"]
    await issue(office, clerk, unit="交通运输局", title="公交站台维修")
    task = await issue(office, clerk, title="城区积水点排查整治")
    await daily(office, bot, date(2026, 12, 9))  # both chased: 催办单 1号 and 2号
    on(office, date(2026, 12, 10))
    await handling.submit_feedback(office, official.person, task.id, "已完成全部积水点排查", office.now())
    bot.bot_data["sender"].wake()
    copy = await supervisor.wait_for(text_contains="上报办理结果")
    assert "针对催办单〔2026〕2号" in plain(copy.text) and "已完成全部积水点排查" in copy.text
    assert "由王科员审核" in plain(copy.text)
    assert buttons(copy) == [], "the review stays with the 科室"
    review = await clerk.wait_for(text_contains="已完成全部积水点排查")
    assert "（针对催办单〔2026〕2号）" in plain(review.text)
    assert buttons(review) == ["通过(办结)", "退回"]

    # Feedback on a task never chased goes to the 科室 alone.
    fresh = await issue(office, clerk, title="燃气管道排查")
    on(office, date(2026, 12, 10), 11)
    await handling.submit_feedback(office, official.person, fresh.id, "燃气管道已排查", office.now())
    bot.bot_data["sender"].wake()
    await clerk.wait_for(text_contains="燃气管道已排查")
    assert not any("燃气管道已排查" in m.text for m in supervisor.messages())
