"""One clock per task, on every surface (SPEC section 4, "One clock").

A set of tasks in every state — on time, due today, past due, a 催办单's window running, extended
after a 催办单, returned with a new date and without one, feedback pending, held by an extension
request, 办结, 移交 — and every surface asked on the same day: /overdue, /tasks, /task, the daily
summary and the unit's digest, the weekly digests, the monthly analysis, /ledger 逾期 and the
board. Each must count and list exactly the tasks that are 逾期: open, not held, past the
current deadline.
"""

from __future__ import annotations

import io
import re
from datetime import date, datetime, time

from openpyxl import load_workbook

from bot.views.exports import ledger

from bot.domain import clock
from bot.domain.tasks import SourceType, Task
from bot.services import corrections, escalating, extensions, handling, reports
from bot.services.corrections import Field
from bot.services.daily import run_daily
from bot.services.digests import run_weekly
from bot.services.issuing import AssignmentDraft, issue_assignment
from bot.services.scoring import parse_period
from bot.storage import feedback, slips, tasks
from bot.storage import org as org_store
from bot.texts import plain

TODAY = date(2026, 12, 10)  # a Thursday


def at(office, day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), office.settings.timezone)


async def issue(office, supervisor, title: str, issued_on: date, days: int) -> Task:
    unit = await org_store.unit_by_name(office.db.reader, "住建局")
    draft = AssignmentDraft(title, "按要求办理", "常务会议纪要", SourceType.STANDING_MEETING, (unit.id,), days, special_ledger=True)
    [issued] = await issue_assignment(office, draft, supervisor.person, at(office, issued_on))
    return issued.task


async def pending_id(office, task_id: int) -> int:
    item = await feedback.pending_of_task(office.db.reader, task_id)
    assert item is not None
    return item.id


async def build(office, city) -> dict[str, Task]:
    """Every state a task can be in on 12-10; the keys say which are 逾期."""
    sup, unit, leader = city["supervisor"], city["zhujian"].person, city["leader"].person
    made: dict[str, Task] = {}
    made["按时事项"] = await issue(office, sup, "按时事项", date(2026, 12, 1), 30)
    made["今天到期"] = await issue(office, sup, "今天到期", date(2026, 12, 3), 7)
    made["逾期未催办"] = await issue(office, sup, "逾期未催办", date(2026, 11, 27), 10)  # due 12-07

    t = made["催办期内"] = await issue(office, sup, "催办期内", date(2026, 11, 20), 7)  # due 11-27
    await escalating.issue_reminder_slip(office, t.id, at(office, date(2026, 12, 8)))  # window to 12-11

    t = made["催办后延期"] = await issue(office, sup, "催办后延期", date(2026, 11, 20), 7)
    await escalating.issue_reminder_slip(office, t.id, at(office, date(2026, 11, 30)))
    _, request = await extensions.request_extension(office, unit, t.id, "需要协调资金", at(office, date(2026, 12, 1)), until=date(2026, 12, 16))
    await extensions.decide_extension(office, leader, request.id, True, at(office, date(2026, 12, 2)))

    t = made["退回改期"] = await issue(office, sup, "退回改期", date(2026, 11, 20), 7)
    await handling.submit_feedback(office, unit, t.id, "已完成", at(office, date(2026, 12, 1)))
    await handling.return_feedback(office, sup.person, await pending_id(office, t.id), "材料不全", at(office, date(2026, 12, 2)), date(2026, 12, 15))

    t = made["退回未改期"] = await issue(office, sup, "退回未改期", date(2026, 11, 20), 7)
    await handling.submit_feedback(office, unit, t.id, "已完成", at(office, date(2026, 12, 1)))
    await handling.return_feedback(office, sup.person, await pending_id(office, t.id), "材料不全", at(office, date(2026, 12, 2)))

    t = made["反馈待审"] = await issue(office, sup, "反馈待审", date(2026, 11, 20), 7)
    await handling.submit_feedback(office, unit, t.id, "已完成", at(office, date(2026, 12, 9)))

    t = made["延期待批"] = await issue(office, sup, "延期待批", date(2026, 11, 20), 7)
    await extensions.request_extension(office, unit, t.id, "需要协调", at(office, date(2026, 12, 9)), until=date(2026, 12, 20))

    t = made["已办结"] = await issue(office, sup, "已办结", date(2026, 11, 20), 7)
    await handling.submit_feedback(office, unit, t.id, "已完成", at(office, date(2026, 11, 25)))
    await handling.accept(office, sup.person, await pending_id(office, t.id), at(office, date(2026, 11, 26)))

    # Put right: a 交办单 withdrawn after its 催办单 (past due, but no longer running), and one whose
    # 期限 was corrected before it fell due (past the date first issued, on time by the corrected one).
    t = made["已撤回"] = await issue(office, sup, "已撤回", date(2026, 11, 20), 7)
    await escalating.issue_reminder_slip(office, t.id, at(office, date(2026, 11, 30)))
    assignment = (await slips.of_task(office.db.reader, t.id))[0]
    await corrections.withdraw(office, sup.person, assignment.id, "单位填错", at(office, date(2026, 12, 1)))
    t = made["已更正"] = await issue(office, sup, "已更正", date(2026, 11, 27), 7)  # due 12-04
    await corrections.correct(office, sup.person, t.id, Field.DEADLINE, "2026-12-15", "期限填错", at(office, date(2026, 12, 1)))

    t = made["已移交"] = await issue(office, sup, "已移交", date(2026, 11, 2), 7)  # due 11-09
    await escalating.issue_reminder_slip(office, t.id, at(office, date(2026, 11, 10)))
    await escalating.issue_supervision_notice(office, t.id, at(office, date(2026, 11, 16)))
    await escalating.record_interview(office, sup.person, t.id, date(2026, 11, 20), "刘副市长", "", at(office, date(2026, 11, 20)))
    await escalating.record_transfer(office, sup.person, t.id, "", at(office, date(2026, 11, 26)))
    return {title: await tasks.get(office.db.reader, t.id) for title, t in made.items()}


def line_of(text: str, title: str) -> str:
    return next(line for line in plain(text).splitlines() if f"「{title}」" in line or f" {title} " in line)


async def test_every_surface_counts_the_same_tasks_as_overdue(office, city, bot, organisation):
    from bot.domain.org import Role

    principal = await organisation.join("钱市长", Role.PRINCIPAL)
    supervisor, official, leader = city["supervisor"], city["zhujian"], city["leader"]
    made = await build(office, city)
    office.clock = lambda: at(office, TODAY)
    overdue = {title for title, t in made.items() if clock.is_overdue(t, TODAY)}
    assert overdue == {"逾期未催办", "催办期内", "退回未改期"}, "the domain's answer the surfaces must give"
    open_titles = {title for title, t in made.items() if t.is_open}
    assert "已撤回" not in open_titles and "已更正" in open_titles

    # /overdue: exactly these.
    await supervisor.send("/overdue")
    listing = plain((await supervisor.wait_for(text_contains="逾期事项")).text)
    assert {title for title in made if title in listing} == overdue

    # /tasks: every open task, 逾期 marked on exactly these.
    await supervisor.send("/tasks")
    listing = (await supervisor.wait_for(text_contains="在办事项")).text
    assert {title for title in made if title in plain(listing)} == open_titles
    marked = {title for title in open_titles if re.search(r"逾期\d+天", line_of(listing, title))}
    assert marked == overdue

    # /task: the current deadline says 逾期 on exactly these, with 逾期d天 from that deadline.
    for title, task in made.items():
        if not task.is_open:
            continue
        await supervisor.send(f"/task {task.number}")
        detail = plain((await supervisor.wait_for(text_contains=f"工作事项：{title}")).text)
        current = next(line for line in detail.splitlines() if line.startswith("当前期限"))
        if title in overdue:
            assert f"逾期{clock.overdue_days(task, TODAY)}天" in current, (title, current)
        else:
            assert "逾期" not in current, (title, current)

    # A withdrawn slip says so and runs no clock; a corrected one counts from its corrected date.
    await supervisor.send(f"/task {made['已撤回'].number}")
    detail = plain((await supervisor.wait_for(text_contains="工作事项：已撤回")).text)
    assert "状态：已撤回" in detail and "当前期限：2026年11月27日\n" in detail + "\n"
    await supervisor.send(f"/task {made['已更正'].number}")
    detail = plain((await supervisor.wait_for(text_contains="工作事项：已更正")).text)
    assert "当前期限：2026年12月15日（还剩5天）" in detail

    # /ledger 逾期: the same rows.
    await supervisor.send("/ledger 逾期")
    sent = await supervisor.wait_for(predicate=lambda m: m.document is not None)
    sheet = load_workbook(io.BytesIO(supervisor.file_bytes(sent))).worksheets[0]
    rows = list(sheet.iter_rows(min_row=ledger.HEADING_ROW + 1, values_only=True))
    assert {r[1] for r in rows} == overdue
    # /ledger 在办: the open tasks of /tasks (a task 移交 to 市作风办 is no longer 在办).
    await supervisor.send("/ledger 在办")
    sent = await supervisor.wait_for(predicate=lambda m: m.document is not None and m is not sent)
    sheet = load_workbook(io.BytesIO(supervisor.file_bytes(sent))).worksheets[0]
    assert {r[1] for r in sheet.iter_rows(min_row=ledger.HEADING_ROW + 1, values_only=True)} == open_titles
    # The whole 台账: a line has 逾期天数 exactly when it is 逾期.
    await supervisor.send("/ledger")
    sent = await supervisor.wait_for(predicate=lambda m: m.document is not None and m is not sent)
    sheet = load_workbook(io.BytesIO(supervisor.file_bytes(sent))).worksheets[0]
    rows = list(sheet.iter_rows(min_row=ledger.HEADING_ROW + 1, values_only=True))
    days = [key for key, _ in ledger.COLUMNS].index("overdue_days")
    assert {r[1] for r in rows if r[days] is not None} == overdue and len(rows) == len(made)
    status = [key for key, _ in ledger.COLUMNS].index("status")
    assert {r[1]: r[status] for r in rows}["已撤回"] == "已撤回"

    # The board: red is 逾期 (no task here is past a 督办通知单 and on time).
    await supervisor.send("/board")
    board = await supervisor.wait_for(predicate=lambda m: m.photo is not None)
    assert f"红 {len(overdue)} 项" in board.content and f"共{len(open_titles)}项" in board.content

    # The weekly digests: the leader's 专项台账 and the principal's 常务会议议定事项.
    assert await run_weekly(office, TODAY)
    bot.bot_data["sender"].wake()
    for member, heading in ((leader, "专项台账周报"), (principal, "重点事项落实情况周报")):
        digest = (await member.wait_for(text_contains=heading)).text
        assert f"逾期{len(overdue)}项" in plain(digest), heading
        assert {t for t in open_titles if "🔴" in line_of(digest, t)} == overdue, heading

    # The monthly analysis: 月末仍逾期 is 逾期 as November closes, on 12-01.
    async with office.db.reader.execute("SELECT id FROM sections WHERE name = '政务监督室'") as cur:
        (section_id,) = await cur.fetchone()
    analysis = await reports.section_analysis(office.db.reader, section_id, parse_period("2026-11"))
    assert analysis.overdue == sum(clock.is_overdue(t, date(2026, 12, 1)) for t in made.values()) > 0
    # 本月交办: a 交办单 withdrawn as issued in error was never one of the month's tasks.
    assert analysis.issued == sum(t.issued_on.month == 11 and t.status.value != "withdrawn" for t in made.values())

    # The daily check of 12-10: the unit's digest lists them as 已逾期, the summary counts them.
    await run_daily(office, TODAY)
    bot.bot_data["sender"].wake()
    digest = (await official.wait_for(text_contains="督办提醒")).text
    before, section = plain(digest).split("已逾期（")
    assert section.startswith(f"{len(overdue)}项）")
    assert {title for title in made if f"「{title}」" in section} == overdue
    assert {title for title in made if f"「{title}」" in before} == {"今天到期"}
    summary = plain((await supervisor.wait_for(text_contains="督办日报")).text)
    assert f"逾期未办结（已过当前办结期限）：{len(overdue)}项" in summary


async def issue_shared(office, supervisor, title: str, issued_on: date, days: int) -> list[Task]:
    """住建局牵头，交通运输局、穰东镇配合: the lead's task first."""
    units = [await org_store.unit_by_name(office.db.reader, n) for n in ("住建局", "交通运输局", "穰东镇")]
    draft = AssignmentDraft(
        title, "按要求办理", "常务会议纪要", SourceType.STANDING_MEETING, tuple(u.id for u in units), days,
        special_ledger=True, lead_unit_id=units[0].id,
    )
    return [issued.task for issued in await issue_assignment(office, draft, supervisor.person, at(office, issued_on))]


async def test_a_shared_matter_has_one_clock_on_every_copy_and_is_counted_once(office, city, bot):
    """A matter due 11-27, its 牵头单位 given a 催办单 on 12-08, and one on time: on 12-10 every copy
    of the late one reads 逾期13天【已催办】 in /tasks, /task and the weekly digest; /overdue, /ledger
    逾期, the board, the digest's count and the daily summary count the matter once, on its 牵头单位 (the 配合单位 are not chased
    for it); no copy shows 暂停计时."""
    supervisor = city["supervisor"]
    late = await issue_shared(office, supervisor, "共同逾期事项", date(2026, 11, 20), 7)
    on_time = await issue_shared(office, supervisor, "共同按时事项", date(2026, 12, 1), 30)
    await escalating.issue_reminder_slip(office, late[0].id, at(office, date(2026, 12, 8)))
    office.clock = lambda: at(office, TODAY)
    late = [await tasks.get(office.db.reader, t.id) for t in late]
    assert [clock.is_overdue(t, TODAY) for t in late] == [True, False, False], "chased on the 牵头单位's task"
    lead = late[0]
    matter_days = clock.overdue_days(lead, TODAY)

    await supervisor.send("/tasks")
    listing = plain((await supervisor.wait_for(text_contains="在办事项")).text)
    late_lines = [line for line in listing.splitlines() if "共同逾期事项" in line]
    assert len(late_lines) == 3 and all(f"逾期{matter_days}天 【已催办】" in line for line in late_lines), late_lines
    on_time_lines = [line for line in listing.splitlines() if "共同按时事项" in line]
    assert len({re.sub(r"^.*?· (住建局|交通运输局|穰东镇) · ", "", line).replace("【牵头】", "").replace("【配合】", "").strip()
                for line in on_time_lines}) == 1, on_time_lines
    assert "暂停计时" not in listing

    for task in late:
        await supervisor.send(f"/task {task.number}")
        detail = plain((await supervisor.wait_for(text_contains="工作事项：共同逾期事项")).text)
        current = next(line for line in detail.splitlines() if line.startswith("当前期限"))
        assert current == f"当前期限：2026年11月27日（逾期{matter_days}天）", current
        assert "督办阶段：已催办" in detail

    await supervisor.send("/overdue")
    listing = plain((await supervisor.wait_for(text_contains="逾期事项")).text)
    [line] = [line for line in listing.splitlines() if "共同逾期事项" in line]
    assert " · 住建局 · " in line and "共同按时事项" not in listing

    await supervisor.send("/ledger 逾期")
    sent = await supervisor.wait_for(predicate=lambda m: m.document is not None)
    sheet = load_workbook(io.BytesIO(supervisor.file_bytes(sent))).worksheets[0]
    header, *rows = [list(r) for r in sheet.iter_rows(min_row=ledger.HEADING_ROW, values_only=True)]
    assert [(r[header.index("工作事项")], r[header.index("责任单位")]) for r in rows] == [("共同逾期事项", "住建局")]

    await supervisor.send("/board")
    board = await supervisor.wait_for(predicate=lambda m: m.photo is not None)
    assert "红 1 项" in board.content

    assert await run_weekly(office, TODAY)
    bot.bot_data["sender"].wake()
    digest = plain((await city["leader"].wait_for(text_contains="专项台账周报")).text)
    assert "其中逾期1项" in digest
    late_lines = [line for line in digest.splitlines() if "共同逾期事项" in line]
    assert len(late_lines) == 3 and all(f"🔴 逾期{matter_days}天，已催办" in line for line in late_lines), late_lines

    await run_daily(office, TODAY)
    bot.bot_data["sender"].wake()
    summary = plain((await supervisor.wait_for(text_contains="督办日报")).text)
    assert "逾期未办结（已过当前办结期限）：1项" in summary
    assert all(t.deadline == on_time[0].deadline for t in on_time)
