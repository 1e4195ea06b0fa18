"""The daily check on each channel (notice, section 二): the unit is reminded before the deadline
and on its day; the morning after, in confirm mode, the 催办单 is drafted for the clerk, who
签发 it with one tap: the unit receives it, 政务监督室 has it 备案."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from bot.config import EscalationMode
from bot.domain.slips import SlipType
from bot.domain.tasks import EscalationStage, SourceType
from bot.services.issuing import AssignmentDraft, issue_assignment
from bot.storage import slips, tasks
from tests.scenarios.conftest import daily, on


async def test_reminders_then_a_reminder_slip_drafted_and_issued(city, office, served, channel):  # type: ignore[no-untyped-def]
    office.settings = replace(office.settings, escalation_mode=EscalationMode.CONFIRM)
    clerk, zhujian, supervisor = city["clerk"], city["zhujian"], city["supervisor"]
    on(office, date(2026, 12, 1))  # 7 days: due at the end of Tuesday 12-08
    draft = AssignmentDraft(
        title="老旧小区改造进度核查", requirements="逐小区核查并报送进度表", basis="市政府常务会议纪要",
        source=SourceType.OTHER, unit_ids=(zhujian.person.unit_id,), period_days=7,
    )
    [issued] = await issue_assignment(office, draft, clerk.person, office.now())
    served.wake()
    slip = await zhujian.wait_for("工作交办单", where=lambda s: bool(s.buttons))
    assert "〔2026〕1号" in slip.text

    await daily(served, date(2026, 12, 7))
    assert "明天到期" in (await zhujian.wait_for("2026年12月7日 督办提醒")).text
    await daily(served, date(2026, 12, 8))
    reminder = await zhujian.wait_for("2026年12月8日 督办提醒")
    assert "今天到期" in reminder.text and "老旧小区改造进度核查" in reminder.text

    # 12-09, overdue: the 催办单 waits for the clerk's one tap; nothing is issued before it.
    await daily(served, date(2026, 12, 9))
    drafted = await clerk.wait_for("工作催办单草稿", where=lambda s: bool(s.buttons))
    assert drafted.buttons == ("签发", "暂缓") and "老旧小区改造进度核查" in drafted.text
    assert not [s for s in await slips.of_task(office.db.reader, issued.task.id) if s.number.type is SlipType.REMINDER]

    on(office, date(2026, 12, 9), 10)
    await clerk.press("签发", on=drafted)
    marked = await clerk.wait_for(on=drafted, where=lambda s: not s.buttons)
    assert "工作催办单草稿" in marked.text
    issued_slip = await zhujian.wait_for("工作催办单》")
    assert "〔2026〕1号" in issued_slip.text and "现已逾期1天" in issued_slip.text
    assert "请在本催办单下发后3日内向市政府办公室政务监督室上报办理结果情况" in issued_slip.text
    assert "备案" in (await supervisor.wait_for("备案")).text
    task = await tasks.get(office.db.reader, issued.task.id)
    assert task is not None and task.stage is EscalationStage.REMINDED and task.window_until == date(2026, 12, 14)
    assert [s.number.type for s in await slips.of_task(office.db.reader, task.id)] == [SlipType.ASSIGNMENT, SlipType.REMINDER]
