"""Dates people choose that fall on a rest day (SPEC section 4): moved to the next working day
as 民法典 第二百零三条 moves every deadline, and the person who chose it is told in the same
answer. The unit receives the moved date only."""

from __future__ import annotations

from datetime import date

from bot.domain.calendar import arrangement_known
from bot.domain.tasks import SourceType
from bot.emulators.telegram.client import wait_idle
from bot.services.issuing import AssignmentDraft, issue_assignment
from bot.storage import org, tasks
from bot.texts import plain
from tests.e2e.test_extension import issue, on
from tests.e2e.test_slip_actions import slip_message


async def return_asking_date(official, clerk, slip) -> None:
    """The unit answers the slip; the clerk presses 退回, gives a reason and is asked the date."""
    await official.reply_to(slip, "已完成")
    review = await clerk.wait_for(text_contains="已完成", predicate=lambda m: bool(m.inline_keyboard))
    await clerk.press("退回", message=review)
    await clerk.wait_for(text_contains="退回理由")
    await clerk.send("缺少台账。")
    await clerk.wait_for(text_contains="新的办结期限")


async def grant_asking_date(official, leader, slip) -> None:
    """The unit asks for 10 more days; the leader presses 改期同意 and is asked the date."""
    await official.press("申请延期", message=slip)
    await official.wait_for(text_contains="天数或日期")
    await official.send("10")
    await official.wait_for(text_contains="理由")
    await official.send("涉及三个部门会签")
    request = await leader.wait_for(text_contains="延期申请")
    await leader.press("改期同意", message=request)
    await leader.wait_for(text_contains="同意延至的日期")


async def test_a_return_date_on_a_saturday_moves_to_monday(city, office, bot):
    clerk, official = city["clerk"], city["zhujian"]
    task = await issue(office, clerk)  # 12-01, due 12-08
    slip = await slip_message(office, official, task)
    on(office, date(2026, 12, 7))
    await return_asking_date(official, clerk, slip)
    await clerk.send("2026-12-12")  # a Saturday
    done = plain((await clerk.wait_for(text_contains="已退回")).text)
    assert "新的办结期限：2026年12月14日（2026年12月12日为法定休假日或休息日，按民法典第二百零三条顺延至2026年12月14日）" in done
    told = plain((await official.wait_for(text_contains="退回理由")).text)
    assert "新的办结期限：2026年12月14日" in told and "12月12日" not in told
    assert (await tasks.get(office.db.reader, task.id)).deadline == date(2026, 12, 14)


async def test_another_date_granted_on_a_sunday_moves_and_the_leader_is_told(city, office, bot):
    clerk, official, leader = city["clerk"], city["zhujian"], city["leader"]
    task = await issue(office, clerk)
    slip = await slip_message(office, official, task)
    on(office, date(2026, 12, 3))
    await grant_asking_date(official, leader, slip)
    await leader.send("12月20日")  # a Sunday
    answer = plain((await leader.wait_for(text_contains="新的办结期限")).text)
    assert "新的办结期限：2026年12月21日（2026年12月20日为法定休假日或休息日，按民法典第二百零三条顺延至2026年12月21日）" in answer
    told = plain((await official.wait_for(text_contains="已同意")).text)
    assert "2026年12月21日" in told and "12月20日" not in told
    assert (await tasks.get(office.db.reader, task.id)).deadline == date(2026, 12, 21)


async def test_a_deadline_in_a_year_the_calendar_does_not_know_is_warned(city, office, bot):
    """Issued 12-24 with 8 days: the last day, 2027-01-01, is 元旦 — a holiday the law fixes, so
    a rest day though the installed calendar lacks 2027's arrangement — and moves to Monday
    01-04. The clerk is warned in the issuing answer, every time, that 2027's 调休 are not known
    yet; 政务监督室 once a year."""
    clerk, supervisor = city["clerk"], city["supervisor"]
    assert not arrangement_known(office.calendar, 2027), "the test needs a year the package does not know"
    on(office, date(2026, 12, 24))
    unit = await org.unit_by_name(office.db.reader, "住建局")
    for title in ("元旦期间安全检查", "节后复工检查"):
        draft = AssignmentDraft(title, "按要求检查", "会议纪要", SourceType.OTHER, (unit.id,), 8)
        [issued] = await issue_assignment(office, draft, clerk.person, office.now())
        assert issued.task.deadline == date(2027, 1, 4)
    bot.bot_data["sender"].wake()
    await clerk.wait_for(predicate=lambda m: sum("已签发1份交办单" in x.text for x in clerk.messages()) == 2)
    answers = [plain(m.text) for m in clerk.messages() if "已签发1份交办单" in m.text]
    assert all("节假日日历还没有2027年的国务院放假安排" in a and "2027年的调休" in a and "暂不知道" in a
               and "duban calendar" in a for a in answers)
    warning = plain((await supervisor.wait_for(text_contains="节假日日历缺少2027年的放假安排")).text)
    assert "duban calendar" in warning and "法定节假日（元旦、春节、清明节、劳动节、端午节、中秋节、国庆节）" in warning
    assert "调休（周末上班、节前节后连休）暂不知道" in warning
    await wait_idle(supervisor.state, quiet=0.2)
    assert sum("缺少2027年" in m.text for m in supervisor.messages()) == 1, "once a year"


async def test_a_new_slip_due_on_a_saturday_is_due_on_monday_and_the_clerk_is_told(city, office, bot):
    """/new with 期限 as a date on a rest day (or N days landing on one): the deadline moves and
    the issuing answer says so."""
    clerk, official = city["clerk"], city["zhujian"]
    on(office, date(2026, 12, 1))
    await clerk.send("/new\n事项：道路修复\n要求：按要求修复\n依据：会议纪要\n单位：住建局\n期限：2026-12-12")
    await clerk.press("确认签发", message=await clerk.wait_for(text_contains="确认签发"))
    receipt = plain((await clerk.wait_for(text_contains="已签发1份交办单")).text)
    assert "办结期限 2026年12月14日（2026年12月12日为法定休假日或休息日，按民法典第二百零三条顺延至2026年12月14日）" in receipt
    await official.wait_for(text_contains="道路修复")
    async with office.db.reader.execute("SELECT deadline FROM tasks") as cur:
        assert [r[0] async for r in cur] == ["2026-12-14"]


async def test_a_return_date_before_the_deadline_is_said_to_be_earlier(city, office, bot):
    """退回 with a date before the current deadline (12-08): allowed, and the clerk and the unit
    read that it is earlier."""
    clerk, official = city["clerk"], city["zhujian"]
    task = await issue(office, clerk)  # 12-01, due 12-08
    slip = await slip_message(office, official, task)
    on(office, date(2026, 12, 3))
    await return_asking_date(official, clerk, slip)
    await clerk.send("12月7日")
    done = plain((await clerk.wait_for(text_contains="已退回")).text)
    assert "新的办结期限：2026年12月7日（早于原办结期限2026年12月8日，期限提前）" in done
    told = plain((await official.wait_for(text_contains="退回理由")).text)
    assert "新的办结期限：2026年12月7日（早于原办结期限2026年12月8日，期限提前）" in told
    assert (await tasks.get(office.db.reader, task.id)).deadline == date(2026, 12, 7)


async def test_another_date_granted_before_the_deadline_is_said_to_be_earlier(city, office, bot):
    """改期同意 with a date before the current deadline (12-08): the leader's date stands, and the
    unit and the issuing clerk read that it is earlier; a later date reads as before."""
    clerk, official, leader = city["clerk"], city["zhujian"], city["leader"]
    task = await issue(office, clerk)
    slip = await slip_message(office, official, task)
    on(office, date(2026, 12, 3))
    await grant_asking_date(official, leader, slip)
    await leader.send("12月2日")  # past: refused, the dialog waits for another date
    assert "已过" in (await leader.wait_for(text_contains="2026年12月2日")).text
    assert (await tasks.get(office.db.reader, task.id)).extension_pending
    await leader.send("12月7日")
    await leader.wait_for(text_contains="已同意")
    for person in (official, clerk):
        told = plain((await person.wait_for(text_contains="已同意", predicate=lambda m: "刘副市长" in m.text)).text)
        assert "新的办结期限：2026年12月7日（早于原办结期限2026年12月8日，期限提前）" in told
    assert (await tasks.get(office.db.reader, task.id)).deadline == date(2026, 12, 7)
