"""延期 through chat: "如确需延长办理时间的，需经分管市领导同意" (notice, section 二).

The 责任单位 asks (the slip's 申请延期 button, or /extend), the 分管市领导 decides with one tap, and
the daily check holds the task's escalation while the request waits (SPEC section 4).
"""

from __future__ import annotations

from datetime import date, datetime, time

from bot.domain.slips import SlipType
from bot.domain.tasks import SourceType
from bot.emulators.telegram.client import wait_idle
from bot.services.daily import run_daily
from bot.services.issuing import AssignmentDraft, issue_assignment
from bot.storage import history, org, slips, tasks
from tests.e2e.test_slip_actions import buttons, forge_press, slip_message

ISSUED_ON = date(2026, 12, 1)
"""Issued 12-01 with 7 days: due at the end of 12-08 (a Tuesday)."""


def at(office, day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), office.settings.timezone)


def on(office, day: date, hour: int = 10) -> None:
    office.clock = lambda: at(office, day, hour)


async def issue(office, clerk, unit="住建局", title="城区积水点排查整治"):
    on(office, ISSUED_ON)
    found = await org.unit_by_name(office.db.reader, unit)
    draft = AssignmentDraft(
        title=title, requirements="逐点建立台账。", basis="市政府第12次常务会议纪要",
        source=SourceType.OTHER, unit_ids=(found.id,), period_days=7,
    )
    [issued] = await issue_assignment(office, draft, clerk.person, office.now())
    return issued.task


async def daily(office, bot, day: date) -> None:
    on(office, day, 9)
    await run_daily(office, day)
    bot.bot_data["sender"].wake()


async def reminders(office, task) -> int:
    return sum(1 for s in await slips.of_task(office.db.reader, task.id) if s.number.type is SlipType.REMINDER)


async def requests(office) -> list[tuple]:
    async with office.db.reader.execute("SELECT id, task_id, requested_until, reason, status FROM extension_requests") as cur:
        return [tuple(r) async for r in cur]


async def test_approved_through_the_button_holds_escalation_and_moves_the_deadline(city, office, bot):
    clerk, official, leader = city["clerk"], city["zhujian"], city["leader"]
    task = await issue(office, clerk)
    slip = await slip_message(office, official, task)

    on(office, date(2026, 12, 7))
    await official.press("申请延期", message=slip)
    asked = await official.wait_for(text_contains="申请延期")
    assert "天数或日期" in asked.text and "2026年12月8日" in asked.text
    await official.send("7天 需协调用地手续")
    submitted = await official.wait_for(text_contains="已提交延期申请")
    assert "2026年12月15日" in submitted.text  # 7 days from the deadline 12-08

    request = await leader.wait_for(text_contains="延期申请")
    assert "需协调用地手续" in request.text and "住建局（李住建）" in request.text
    assert buttons(request) == ["同意", "不同意", "改期同意"]
    # The slip offers no second request while one waits.
    assert "申请延期" not in buttons(await official.wait_for(predicate=lambda m: m.message_id == slip.message_id))

    # Overdue on 12-09 and 12-10, but the request waits: no 催办单.
    await daily(office, bot, date(2026, 12, 9))
    await daily(office, bot, date(2026, 12, 10))
    await wait_idle(official.state, quiet=0.1)
    assert await reminders(office, task) == 0

    on(office, date(2026, 12, 10), 11)
    press = await leader.press("同意", message=request)
    assert "已同意" in (await leader.wait_for_answer(press)).answer_text
    marked = await leader.wait_for(text_contains="已同意延期")
    assert marked.message_id == request.message_id and "✅ 已同意延期至2026年12月15日 · " in marked.text
    assert "需协调用地手续" in marked.text and not marked.inline_keyboard
    assert "新的办结期限：2026年12月15日" in (await leader.wait_for(text_contains="新的办结期限")).text
    assert leader.private_chat.messages[request.message_id].inline_keyboard == []
    assert "2026年12月15日" in (await official.wait_for(text_contains="已同意")).text
    assert "2026年12月15日" in (await clerk.wait_for(text_contains="已同意")).text
    stored = await tasks.get(office.db.reader, task.id)
    assert stored.deadline == date(2026, 12, 15) and not stored.extension_pending
    kinds = [e.kind for e in await history.of_task(office.db.reader, task.id)]
    assert kinds[-2:] == ["extension_requested", "extension_approved"]

    # A second tap (a slow phone, or a copy of the message): a short notice, nothing changes.
    before = await requests(office)
    again = forge_press(leader, f"exa:{before[0][0]}", "同意", message=request)
    assert "已经审批过" in (await leader.wait_for_answer(again)).answer_text
    assert await requests(office) == before

    # The new deadline counts: due on 12-15, a 催办单 on 12-16.
    await daily(office, bot, date(2026, 12, 15))
    assert await reminders(office, task) == 0
    await daily(office, bot, date(2026, 12, 16))
    assert await reminders(office, task) == 1
    reminder = await official.wait_for(text_contains="工作催办单》")
    assert "现已逾期1天" in reminder.text


async def test_rejected_by_command_then_escalation_runs(city, office, bot):
    clerk, official, leader = city["clerk"], city["zhujian"], city["leader"]
    task = await issue(office, clerk)
    await slip_message(office, official, task)

    on(office, date(2026, 12, 8))
    await official.send(f"/extend 交办〔{task.number.year}〕{task.number.seq}号 2026-12-31 等待省厅批复")
    assert "2026年12月31日" in (await official.wait_for(text_contains="已提交延期申请")).text
    request = await leader.wait_for(text_contains="延期申请")
    assert "等待省厅批复" in request.text

    await daily(office, bot, date(2026, 12, 9))
    await wait_idle(official.state, quiet=0.1)
    assert await reminders(office, task) == 0

    on(office, date(2026, 12, 9), 15)
    press = await leader.press("不同意", message=request)
    await leader.wait_for_answer(press)
    assert "❌ 已不同意延期 · " in (await leader.wait_for(text_contains="已不同意延期")).text
    assert "办结期限仍为 2026年12月8日" in (await official.wait_for(text_contains="不同意")).text
    assert "不同意" in (await clerk.wait_for(text_contains="不同意")).text
    stored = await tasks.get(office.db.reader, task.id)
    assert stored.deadline == date(2026, 12, 8) and not stored.extension_pending
    assert [e.kind for e in await history.of_task(office.db.reader, task.id)][-1] == "extension_rejected"

    # Rejected: the task is overdue as it was, and the next check issues the 催办单.
    await daily(office, bot, date(2026, 12, 10))
    assert await reminders(office, task) == 1
    assert "现已逾期2天" in (await official.wait_for(text_contains="工作催办单》")).text


async def test_the_leader_grants_another_date(city, office, bot):
    clerk, official, leader = city["clerk"], city["zhujian"], city["leader"]
    task = await issue(office, clerk)
    slip = await slip_message(office, official, task)
    on(office, date(2026, 12, 3))

    # In two messages: the time first, then the reason.
    await official.press("申请延期", message=slip)
    await official.wait_for(text_contains="天数或日期")
    await official.send("30")
    assert "理由" in (await official.wait_for(text_contains="延长30天")).text
    await official.send("涉及三个部门会签")
    await official.wait_for(text_contains="已提交延期申请")

    request = await leader.wait_for(text_contains="延期申请")
    await leader.press("改期同意", message=request)
    await leader.wait_for(text_contains="同意延至的日期")
    await leader.send("下周")
    assert "不是日期" in (await leader.wait_for(text_contains="不是日期")).text
    await leader.send("12月2日")  # past: asked again (a date before the deadline would do: stated as earlier)
    assert "请填写今天以后的日期" in (await leader.wait_for(text_contains="已过")).text
    await leader.send("12月18日")
    assert "✅ 已同意延期至2026年12月18日" in (await leader.wait_for(text_contains="已同意延期")).text
    assert "新的办结期限：2026年12月18日" in (await leader.wait_for(text_contains="新的办结期限")).text
    assert "2026年12月18日" in (await official.wait_for(text_contains="已同意")).text
    assert (await tasks.get(office.db.reader, task.id)).deadline == date(2026, 12, 18)
    assert leader.private_chat.messages[request.message_id].inline_keyboard == []


async def test_bad_input_changes_nothing(city, office, bot):
    clerk, official = city["clerk"], city["zhujian"]
    task = await issue(office, clerk)
    await slip_message(office, official, task)
    on(office, date(2026, 12, 5))
    number = f"{task.number.year}-{task.number.seq}"

    await official.send("/extend")
    usage = await official.wait_for(text_contains="/extend 单号 天数或日期 理由")
    assert task.number.full in usage.text

    await official.send(f"/extend {number} 7天")
    assert "须写明理由" in (await official.wait_for(text_contains="理由")).text

    await official.send(f"/extend {number} 2026-12-01 来不及")
    assert "须晚于现办结期限" in (await official.wait_for(text_contains="须晚于")).text

    await official.send(f"/extend {number} 下个月 来不及")
    assert "没看懂延期时间「下个月」" in (await official.wait_for(text_contains="没看懂")).text

    await official.send(f"/extend {task.number.year}-99 7天 来不及")
    assert "没有找到" in (await official.wait_for(text_contains="没有找到")).text

    # The dialog: a text without a time is answered with what to type, /cancel ends it.
    await official.send(f"/extend {number}")
    await official.wait_for(text_contains="天数或日期")
    await official.send("需要更多时间")
    assert "7天 需协调用地手续" in (await official.wait_for(text_contains="请先写")).text
    await official.send("/cancel")
    await official.wait_for(text_contains="已取消")

    assert await requests(office) == []
    assert not (await tasks.get(office.db.reader, task.id)).extension_pending


async def test_a_unit_without_a_leader_is_told_whom_to_contact(city, office, bot):
    clerk, official = city["clerk"], city["jiaotong"]
    async with office.db.transaction() as conn:
        unit = await org.unit_by_name(conn, "交通运输局")
        await org.set_unit_leader(conn, unit.id, None)
    task = await issue(office, clerk, "交通运输局", "公交站台维修")
    await slip_message(office, official, task)
    on(office, date(2026, 12, 5))
    await official.send(f"/extend {task.number.year}-{task.number.seq} 7天 材料未到货")
    refusal = await official.wait_for(text_contains="分管市领导")
    assert "交通运输局" in refusal.text and "请联系政务监督室" in refusal.text
    assert await requests(office) == []


async def test_the_grant_dialog_begun_again_marks_the_request_once_granted(city, office, bot):
    """改期同意 pressed twice: the first question's 取消 is over and cancels nothing; the date
    typed then is granted, and the request shows under its text what was decided."""
    clerk, official, leader = city["clerk"], city["zhujian"], city["leader"]
    task = await issue(office, clerk)
    await slip_message(office, official, task)
    on(office, date(2026, 12, 3))
    await official.send(f"/extend {task.number.year}-{task.number.seq} 10天 涉及三个部门会签")
    request = await leader.wait_for(text_contains="延期申请")

    await leader.press("改期同意", message=request)
    first = await leader.wait_for(text_contains="同意延至的日期")
    first_cancel = first.find_button("取消")["callback_data"]
    await leader.press("改期同意", message=request)
    await wait_idle(leader.state, quiet=0.3)
    second = leader.user.last_message()
    assert second.message_id != first.message_id and "同意延至的日期" in second.text
    assert second.find_button("取消")["callback_data"] != first_cancel

    stale = forge_press(leader, first_cancel, "取消", message=first)
    assert "这个按钮已失效" in (await leader.wait_for_answer(stale)).answer_text
    await leader.send("12月18日")
    assert "新的办结期限：2026年12月18日" in (await leader.wait_for(text_contains="新的办结期限")).text
    await wait_idle(leader.state, quiet=0.3)
    marked = leader.private_chat.messages[request.message_id]
    assert "延期申请" in marked.text and "✅ 已同意延期至2026年12月18日 · " in marked.text and buttons(marked) == []
    assert (await tasks.get(office.db.reader, task.id)).deadline == date(2026, 12, 18)
