"""The weekly digests: "向市政府各分管领导通报各战线纳入专项台账管理的工作落实情况" and "向市政府主要领导
报送市政府常务会议、市长批示件等工作落实情况" (notice, section 三) — once a week, never twice."""

from __future__ import annotations

from datetime import date, datetime, time

from bot.domain.org import Role
from bot.domain.tasks import SourceType
from bot.services import handling
from bot.services.digests import run_weekly
from bot.services.issuing import AssignmentDraft, issue_assignment
from bot.storage import org as org_store
from bot.texts import plain


def at(office, day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), office.settings.timezone)


async def issue(office, issuer, unit: str, title: str, source: SourceType, special: bool = False):
    target = await org_store.unit_by_name(office.db.reader, unit)
    draft = AssignmentDraft(title, "按要求办理", "会议纪要", source, (target.id,), 7, special_ledger=special)
    [issued] = await issue_assignment(office, draft, issuer.person, office.now())
    return issued.task


async def test_leader_and_principal_digests_once_a_week(office, city, organisation, bot):
    principal = await organisation.join("钱市长", Role.PRINCIPAL)
    await organisation.join("孙副市长", Role.LEADER)
    await organisation.unit("教育局", leader="孙副市长")
    clerk, supervisor, leader = city["clerk"], city["supervisor"], city["leader"]

    office.clock = lambda: at(office, date(2026, 11, 2))
    special = await issue(office, clerk, "住建局", "老旧小区改造", SourceType.LEADER_ASSIGNMENT, special=True)
    await issue(office, clerk, "住建局", "日常报表报送", SourceType.OTHER)
    await issue(office, clerk, "教育局", "校舍安全排查", SourceType.LEADER_ASSIGNMENT, special=True)
    await issue(office, supervisor, "交通运输局", "国道改线推进", SourceType.STANDING_MEETING)
    instruction = await issue(office, supervisor, "穰东镇", "秸秆禁烧", SourceType.PRINCIPAL_INSTRUCTION)
    town = city["town"].person
    office.clock = lambda: at(office, date(2026, 11, 5))
    await handling.submit_feedback(office, town, instruction.id, "已全面完成", office.now())
    await handling.accept(office, supervisor.person, (await _pending_feedback(office, instruction.id)), office.now())

    assert await run_weekly(office, date(2026, 11, 9))  # Monday
    bot.bot_data["sender"].wake()
    digest = plain((await leader.wait_for(text_contains="专项台账周报")).text)
    assert "老旧小区改造" in digest and special.number.full in digest
    assert "日常报表报送" not in digest, "only the 专项台账"
    assert "校舍安全排查" not in digest, "another leader's unit"
    report = plain((await principal.wait_for(text_contains="重点事项落实情况周报")).text)
    assert "市政府常务会议议定事项：在办1项" in report and "国道改线推进" in report
    assert "市政府主要领导批示件：在办0项（逾期0项），本周办结1项" in report
    assert "秸秆禁烧" in report and "已办结" in report

    # Never twice in a week, whichever day the check runs again.
    assert not await run_weekly(office, date(2026, 11, 10))
    assert not await run_weekly(office, date(2026, 11, 9))
    assert await run_weekly(office, date(2026, 11, 16))


async def _pending_feedback(office, task_id: int) -> int:
    from bot.storage import feedback

    pending = await feedback.pending_of_task(office.db.reader, task_id)
    assert pending is not None
    return pending.id
