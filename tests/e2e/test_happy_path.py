"""The whole happy path, as the people of a city live it in chat: invite → bind → a clerk issues
one matter to two units → both officials 签收 → one answers with a document → the clerk accepts
→ the task is 办结 and /task shows its full history."""

from __future__ import annotations

from bot.domain.org import Role
from bot.domain.tasks import TaskStatus
from bot.services import onboarding
from bot.storage import tasks
from tests.e2e.test_slip_actions import recorded

PDF = b"%PDF-1.4 inspection report"


async def test_invite_issue_acknowledge_answer_accept(organisation, simulator, office):
    org = organisation
    await org.section("综合一科")
    await org.unit("住建局")
    await org.unit("交通运输局")

    # An administrator invites; each person opens their link.
    clerk = await org.join("王科员", Role.CLERK, section="综合一科")
    zhujian = await org.join("李住建", Role.RESPONSIBLE, unit="住建局")
    person = await org.person("张交通", Role.RESPONSIBLE, unit="交通运输局")
    invite = await onboarding.create_invite(office, person.id, office.now())
    jiaotong = await simulator.create_user("张交通")
    await jiaotong.send(f"/start {invite.code}")
    assert "绑定成功" in (await jiaotong.wait_for(text_contains="绑定成功")).text

    # The clerk issues one matter to both units in one message.
    await clerk.send(
        "/new\n事项: 城区道路积水点排查\n要求: 逐点建立台账，明确整改时限\n依据: 市政府第12次常务会议纪要\n"
        "单位: 住建局, 交通运输局\n期限: 7天\n专项: 否"
    )
    # The slip as the first unit will receive it, and what will be issued: nothing before 确认签发.
    preview = await clerk.wait_for(text_contains="确认签发")
    assert "住建局、交通运输局" in preview.text and "待编号" in preview.text
    await clerk.press("确认签发", message=preview)
    summary = await clerk.wait_for(text_contains="已签发2份交办单")
    assert "交办单〔" in summary.text

    slips = {}
    for official, unit in ((zhujian, "住建局"), (jiaotong, "交通运输局")):
        slip = await official.wait_for(text_contains="工作交办单》", predicate=lambda m: bool(m.inline_keyboard))
        assert f"{unit}：" in slip.text and "在收件之日起7天内办结" in slip.text
        await recorded(office, slip)
        slips[unit] = slip

    # Both 签收; the 签收 button disappears and the clerk hears of each.
    for official, unit in ((zhujian, "住建局"), (jiaotong, "交通运输局")):
        await official.press("签收", message=slips[unit])
        assert "签收" in (await clerk.wait_for(text_contains=f"{unit}")).text
    for official in (zhujian, jiaotong):
        await official.wait_for(predicate=lambda m: m.inline_keyboard is not None and "签收" not in str(m.inline_keyboard))

    # 住建局 answers by replying to the slip with a document.
    await zhujian.send_document("排查台账.pdf", PDF, caption="已完成全部积水点排查，台账见附件", reply_to=slips["住建局"])
    review = await clerk.wait_for(text_contains="已完成全部积水点排查")
    await clerk.press("通过(办结)", message=review)
    assert "审核通过" in (await zhujian.wait_for(text_contains="审核通过")).text

    task_number = review.text.split("交办单", 1)[1].split("号", 1)[0] + "号"
    await clerk.send(f"/task {task_number}")
    detail = (await clerk.wait_for(text_contains="城区道路积水点排查")).text
    for step in ("签发交办单", "签收", "反馈", "办结"):
        assert step in detail, detail

    statuses = [task.status for task in [await tasks.get(office.db.reader, n) for n in (1, 2)] if task]
    assert statuses.count(TaskStatus.COMPLETED) == 1, "the answered one is 办结, the other still open"
    assert [t.status for t in await tasks.in_scope(office.db.reader)] == [s for s in statuses if s is not TaskStatus.COMPLETED]
