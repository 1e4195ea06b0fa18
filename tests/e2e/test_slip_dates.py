"""Slips that never contradict themselves (SPEC section 4, "One clock").

For each way a deadline moves — an extension approved as asked, 改期同意 to another date, a 退回
with a new date, a 退回 without one — the unit's 工作催办单 is read as the unit sees it in chat,
and its dates and numbers must agree with each other and with the task: the day it was handed
over plus 期限N天 (or the date the slip names after it) is the current deadline, and 逾期d天 is
counted from that deadline to the date the slip bears.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from bot.services import extensions, handling
from bot.storage import feedback, tasks
from bot.texts import plain
from tests.e2e.test_extension import daily, issue, on

REMINDER_BODY = re.compile(
    r"已于(\d+)年(\d+)月(\d+)日交由你单位办理（.+?工作交办单(〔\d+〕\d+号)），期限(\d+)天"
    r"(?:（(?:经分管市领导同意延期至|退回重办，办结期限重新确定为|至)(\d+)年(\d+)月(\d+)日）)?"
    r"。现已逾期(\d+)天，请在本催办单下发后(\d+)日内"
)
SIGNED = re.compile(r"^(\d+)年(\d+)月(\d+)日$")


def read_reminder(text: str) -> dict:
    """What a reader of the 催办单 can work out from it alone."""
    shown = plain(text)
    found = REMINDER_BODY.search(shown)
    assert found, shown
    g = found.groups()
    handed = date(int(g[0]), int(g[1]), int(g[2]))
    stated = date(int(g[5]), int(g[6]), int(g[7])) if g[5] else None
    signed_line = [line for line in shown.splitlines() if SIGNED.match(line.strip())][-1]
    y, m, d = SIGNED.match(signed_line.strip()).groups()
    return {
        "assignment": g[3], "handed": handed, "period": int(g[4]), "stated": stated,
        "late": int(g[8]), "window": int(g[9]), "signed": date(int(y), int(m), int(d)),
    }


def agrees(slip: dict, task) -> None:
    """The slip's own arithmetic holds, and it is the task's."""
    deadline = slip["stated"] or slip["handed"] + timedelta(days=slip["period"])
    assert deadline == task.deadline, "the deadline the slip implies is the task's current one"
    assert slip["signed"] - deadline == timedelta(days=slip["late"]), "逾期d天 from that deadline to the slip's date"
    assert slip["late"] > 0
    assert slip["assignment"] == f"〔{task.number.year}〕{task.number.seq}号"
    assert slip["handed"] == task.issued_on and slip["period"] == task.period_days


async def pending_id(office, task_id: int) -> int:
    item = await feedback.pending_of_task(office.db.reader, task_id)
    assert item is not None
    return item.id


async def extended_as_asked(office, city, task) -> date:
    on(office, date(2026, 12, 7))
    _, request = await extensions.request_extension(office, city["zhujian"].person, task.id, "需协调资金", office.now(), until=date(2026, 12, 15))
    await extensions.decide_extension(office, city["leader"].person, request.id, True, office.now())
    return date(2026, 12, 16)


async def extended_to_another_date(office, city, task) -> date:
    """改期同意 to Saturday 12-19: the date moves to Monday 12-21 (民法典 第二百零三条)."""
    on(office, date(2026, 12, 7))
    _, request = await extensions.request_extension(office, city["zhujian"].person, task.id, "需协调资金", office.now(), until=date(2026, 12, 15))
    await extensions.decide_extension(office, city["leader"].person, request.id, True, office.now(), date(2026, 12, 19))
    return date(2026, 12, 22)


async def returned_with_a_date(office, city, task) -> date:
    on(office, date(2026, 12, 7))
    await handling.submit_feedback(office, city["zhujian"].person, task.id, "已完成排查", office.now())
    on(office, date(2026, 12, 9))
    await handling.return_feedback(office, city["clerk"].person, await pending_id(office, task.id), "台账不全", office.now(), date(2026, 12, 14))
    return date(2026, 12, 15)


async def returned_without_a_date(office, city, task) -> date:
    on(office, date(2026, 12, 7))
    await handling.submit_feedback(office, city["zhujian"].person, task.id, "已完成排查", office.now())
    on(office, date(2026, 12, 10))
    await handling.return_feedback(office, city["clerk"].person, await pending_id(office, task.id), "台账不全", office.now())
    return date(2026, 12, 11)


@pytest.mark.parametrize(
    ("path", "wording"),
    [
        (extended_as_asked, "（经分管市领导同意延期至2026年12月15日）"),
        (extended_to_another_date, "（经分管市领导同意延期至2026年12月21日）"),
        (returned_with_a_date, "（退回重办，办结期限重新确定为2026年12月14日）"),
        (returned_without_a_date, "期限7天。现已逾期3天"),
    ],
)
async def test_the_reminder_slip_agrees_with_itself_and_the_task(city, office, bot, path, wording):
    official = city["zhujian"]
    task = await issue(office, city["clerk"])
    check_day = await path(office, city, task)
    await daily(office, bot, check_day)
    slip = await official.wait_for(text_contains="工作催办单》")
    assert wording in plain(slip.text)
    now = await tasks.get(office.db.reader, task.id)
    read = read_reminder(slip.text)
    agrees(read, now)
    assert read["signed"] == check_day


async def test_the_supervision_notice_after_an_extension_dates_the_reminder(city, office, bot):
    """A 催办单, then an extension, then a 督办通知单 once the granted date has passed: the notice
    names the new date, and says when the 催办单 (逾期1天, counted from the old one) went out."""
    official = city["zhujian"]
    task = await issue(office, city["clerk"])
    await daily(office, bot, date(2026, 12, 9))  # 逾期1天 → 催办单, window to 12-14
    await official.wait_for(text_contains="工作催办单》")
    on(office, date(2026, 12, 10))
    _, request = await extensions.request_extension(office, official.person, task.id, "需协调资金", office.now(), until=date(2026, 12, 17))
    await extensions.decide_extension(office, city["leader"].person, request.id, True, office.now())
    await daily(office, bot, date(2026, 12, 15))
    assert (await tasks.get(office.db.reader, task.id)).stage.value == "reminded", "the granted date holds the 督办通知单"
    await daily(office, bot, date(2026, 12, 16))
    reminder = plain((await official.wait_for(text_contains="2026年12月16日 督办提醒")).text)
    assert "明天到期" in reminder and "催办单〔2026〕1号「城区积水点排查整治」" in reminder, "the latest slip is cited"
    await daily(office, bot, date(2026, 12, 18))
    notice = plain((await official.wait_for(text_contains="督办通知单》")).text)
    assert (
        "已于2026年12月1日交由你单位办理，期限7天（经分管市领导同意延期至2026年12月17日）"
        "〔逾期1天后于2026年12月9日发出催办通知（邓州市人民政府工作催办单〔2026〕1号）〕"
    ) in notice
    assert notice.rstrip().endswith("2026年12月18日")
