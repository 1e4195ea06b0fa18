"""延期 on each channel: "如确需延长办理时间的，需经分管市领导同意" (notice, section 二). The unit
asks with the slip's 申请延期, the 分管市领导 decides on the request's buttons — 同意 the date
asked, or 改期同意 with a date typed — and the unit and the clerk (on Telegram: the unit's side is
the scenario) are told the new deadline."""

from __future__ import annotations

from datetime import date

from bot.domain.org import Role
from bot.domain.tasks import SourceType
from bot.services.issuing import AssignmentDraft, issue_assignment
from bot.storage import tasks
from tests.scenarios.conftest import on


async def issue(office, served, clerk, unit_id: int, title: str):  # type: ignore[no-untyped-def]
    """A 交办单 issued 12-01 for 7 days: due at the end of 12-08."""
    on(office, date(2026, 12, 1))
    draft = AssignmentDraft(title=title, requirements="逐点建立台账。", basis="市政府第12次常务会议纪要",
                            source=SourceType.OTHER, unit_ids=(unit_id,), period_days=7)
    [issued] = await issue_assignment(office, draft, clerk.person, office.now())
    served.wake()
    return issued.task


async def test_an_extension_asked_by_the_unit_is_granted_by_the_leader(city, organisation, office, served, channel):  # type: ignore[no-untyped-def]
    leader, zhujian, jiaotong = city["leader"], city["zhujian"], city["jiaotong"]
    clerk = await organisation.join("钱科员", Role.CLERK, section="综合一科", on="telegram")
    task = await issue(office, served, clerk, zhujian.person.unit_id, "城区积水点排查整治")
    slip = await zhujian.wait_for("工作交办单", where=lambda s: bool(s.buttons))
    await clerk.wait_for("送达")  # the slip's delivery is recorded: its buttons can change from here

    on(office, date(2026, 12, 7))
    await zhujian.press("申请延期", on=slip)
    asked = await zhujian.wait_for("申请延期")
    assert "天数或日期" in asked.text and "2026年12月8日" in asked.text
    await zhujian.send("7天 需协调用地手续")
    assert "2026年12月15日" in (await zhujian.wait_for("已提交延期申请")).text
    request = await leader.wait_for("延期申请", where=lambda s: bool(s.buttons))
    assert "需协调用地手续" in request.text and "住建局（李住建）" in request.text
    assert request.buttons == ("同意", "不同意", "改期同意")
    # The slip offers no second request while one waits.
    await zhujian.wait_for(on=slip, where=lambda s: "申请延期" not in s.buttons)

    # 同意: the request shows what was decided and keeps no button; everyone hears the date.
    on(office, date(2026, 12, 8), 11)
    await leader.press("同意", on=request)
    marked = await leader.wait_for(on=request, where=lambda s: "✅ 已同意延期至2026年12月15日 · " in s.text)
    assert "需协调用地手续" in marked.text and marked.buttons == ()
    assert "新的办结期限：2026年12月15日" in (await leader.wait_for("新的办结期限")).text
    assert "2026年12月15日" in (await zhujian.wait_for("已同意")).text
    assert "2026年12月15日" in (await clerk.wait_for("已同意")).text
    granted = await tasks.get(office.db.reader, task.id)
    assert granted is not None and granted.deadline == date(2026, 12, 15) and not granted.extension_pending

    # 改期同意: the leader types the date granted instead of the one asked.
    other = await issue(office, served, clerk, jiaotong.person.unit_id, "公交站台维修")
    slip = await jiaotong.wait_for("工作交办单", where=lambda s: bool(s.buttons))
    on(office, date(2026, 12, 7))
    await jiaotong.press("申请延期", on=slip)
    await jiaotong.wait_for("天数或日期")
    await jiaotong.send("2026-12-31 等待省厅批复")
    await jiaotong.wait_for("已提交延期申请")
    request = await leader.wait_for("等待省厅批复", where=lambda s: bool(s.buttons))
    await leader.press("改期同意", on=request)
    await leader.wait_for("同意延至的日期")
    await leader.send("下周")
    await leader.wait_for("不是日期")
    await leader.send("12月18日")
    marked = await leader.wait_for(on=request, where=lambda s: "✅ 已同意延期至2026年12月18日" in s.text)
    assert marked.buttons == ()
    assert "新的办结期限：2026年12月18日" in (await leader.wait_for("新的办结期限")).text
    assert "2026年12月18日" in (await jiaotong.wait_for("已同意")).text
    assert "2026年12月18日" in (await clerk.wait_for("已同意", where=lambda s: "公交站台维修" in s.text)).text
    assert (await tasks.get(office.db.reader, other.id)).deadline == date(2026, 12, 18)  # type: ignore[union-attr]
