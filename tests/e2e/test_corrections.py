"""Putting the record right: 撤回 and 更正 of an issued 交办单, a 催办单 issued in error voided,
as each person's chat shows it (the issuer, 政务监督室, the unit), with the history, the score
and the .docx read back. Every refusal changes nothing."""

from __future__ import annotations

import asyncio
import io
from datetime import date, datetime, time

from docx import Document

from bot.emulators.telegram.client import wait_idle
from bot.services import escalating
from bot.services.daily import run_daily
from bot.storage import scores, slips, tasks
from bot.texts import plain
from tests.e2e.test_lookup import issue
from tests.e2e.test_permissions import snapshot
from tests.e2e.test_slip_actions import forge_press, recorded, slip_message

TODAY = date(2026, 12, 10)  # a Thursday


def at(office, day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), office.settings.timezone)


async def chased(office, clerk, title: str = "城区积水点排查"):
    """A 交办单 of 12-01, due 12-08, chased by a 催办单 (−0.2) on 12-09."""
    task = await issue(office, clerk, "住建局", title, days=7, now=at(office, date(2026, 12, 1)))
    await escalating.issue_reminder_slip(office, task.id, at(office, date(2026, 12, 9)))
    return task


async def shows(member, message, text: str):
    """The message as it reads once it shows ``text`` (an edit may come before or after the
    answers around it)."""
    for _ in range(50):
        now = next(m for m in member.messages() if m.message_id == message.message_id)
        if text in now.text:
            return now
        await asyncio.sleep(0.1)
    raise AssertionError(f"message never showed {text!r}:\n{member.transcript()}")


async def counting(office, task_id: int) -> list:
    return await scores.counting_of_task(office.db.reader, task_id)


async def test_a_withdrawn_slip_stops_running_and_gives_its_points_back(office, city, bot):
    clerk, supervisor, zhujian = city["clerk"], city["supervisor"], city["zhujian"]
    task = await chased(office, clerk)
    office.clock = lambda: at(office, TODAY)
    assert len(await counting(office, task.id)) == 1

    # 政务监督室 withdraws the clerk's slip: asked the reason, shown what will happen.
    await supervisor.send(f"/withdraw {task.number}")
    asked = await supervisor.wait_for(text_contains="请回复理由")
    assert "城区积水点排查" in asked.text and "住建局" in asked.text
    await supervisor.send("单位填错，已另行交办")
    preview = await supervisor.wait_for(text_contains="确认撤回")
    text = plain(preview.text)
    assert f"确认撤回 交办单{task.number}" in text and "理由：单位填错，已另行交办" in text
    assert "催办单〔2026〕1号（-0.2分）" in text and "不再计分" in text
    assert await counting(office, task.id) != [], "nothing changes before 确认撤回"

    await supervisor.press("确认撤回", message=preview)
    done = await supervisor.wait_for(text_contains="已撤回")
    assert "编号保留" in done.text and "理由：单位填错，已另行交办" in done.text
    echoed = await shows(supervisor, preview, "已选：确认撤回")
    assert echoed.inline_keyboard == []

    # The unit hears it is withdrawn and that the −0.2 no longer counts; its slip loses its buttons.
    told = await zhujian.wait_for(text_contains="交办单撤回通知")
    assert f"交办单{task.number}「城区积水点排查」已由交办单位撤回" in told.text and "单位填错" in told.text
    voided = await zhujian.wait_for(text_contains="加减分作废通知")
    assert "-0.2分" in voided.text and "已撤回" in voided.text
    slip = next(m for m in zhujian.messages() if "《邓州市人民政府工作交办单》" in m.text)
    for _ in range(50):
        if zhujian.private_chat.messages[slip.message_id].inline_keyboard == []:
            break
        await asyncio.sleep(0.1)
    else:
        raise AssertionError("the withdrawn slip kept its buttons")
    # A reply to the withdrawn slip is no feedback.
    await zhujian.reply_to(slip, "已完成")
    assert "已撤回，不能再进行此操作" in (await zhujian.wait_for(text_contains="已撤回，")).text
    # The issuing clerk, who did not withdraw it, hears of it too.
    heard = await clerk.wait_for(text_contains="交办单撤回")
    assert "赵督查" in heard.text and "单位填错" in heard.text

    # /task: 已撤回, and the history says what happened and that the points were voided.
    await clerk.send(f"/task {task.number}")
    detail = plain((await clerk.wait_for(text_contains="工作事项")).text)
    assert "状态：已撤回" in detail and "逾期" not in detail.split("状态")[0].split("当前期限")[1]
    assert "撤回交办单" in detail and "理由：单位填错，已另行交办" in detail
    assert "撤销记分 催办单〔2026〕1号（-0.2分，不再计分）" in detail

    # No score taken, nothing listed as running, nothing reminded or chased.
    assert await counting(office, task.id) == []
    await zhujian.send("/scores")
    assert "2026年度得分：100" in (await zhujian.wait_for(text_contains="年度得分")).text
    await clerk.send("/tasks")
    assert "城区积水点排查" not in (await clerk.wait_for(regex="在办事项|没有在办")).text
    await clerk.send("/overdue")
    assert "城区积水点排查" not in (await clerk.wait_for(regex="逾期事项|没有逾期")).text
    await run_daily(office, date(2026, 12, 14))
    stored = await tasks.get(office.db.reader, task.id)
    assert stored.stage.value == "reminded" and stored.status.value == "withdrawn"
    assert len(await slips.of_task(office.db.reader, task.id)) == 2, "no 督办通知单 for a withdrawn slip"

    # Withdrawn once: a second time, 办结, an unknown number, the wrong person — refused, nothing changes.
    other = await issue(office, clerk, "住建局", "另一事项")
    before = await snapshot(office)
    await clerk.send(f"/withdraw {task.number} 再撤一次")
    assert "已撤回，不能再进行此操作" in (await clerk.wait_for(text_contains="已撤回，")).text
    await clerk.send("/withdraw 〔2026〕99号 理由")
    assert "没有找到这个事项" in (await clerk.wait_for(text_contains="没有找到")).text
    await zhujian.send(f"/withdraw {other.number} 不想办")
    assert "没有权限" in (await zhujian.wait_for(text_contains="没有权限")).text
    await zhujian.send(f"/correct {other.number}")
    assert "没有权限" in (await zhujian.wait_for(text_contains="没有权限")).text
    await supervisor.send("/withdraw")
    assert "/withdraw 单号 理由" in (await supervisor.wait_for(text_contains="撤回交办单")).text
    assert await snapshot(office) == before


async def test_a_completed_slip_is_not_withdrawn(office, city, bot):
    from bot.services import handling
    from bot.storage import feedback

    clerk, zhujian = city["clerk"], city["zhujian"]
    office.clock = lambda: at(office, TODAY)
    task = await issue(office, clerk, "住建局", "排水管网清淤", days=7, now=at(office, date(2026, 12, 1)))
    await handling.submit_feedback(office, zhujian.person, task.id, "已完成", at(office, date(2026, 12, 3)))
    pending = await feedback.pending_of_task(office.db.reader, task.id)
    await handling.accept(office, clerk.person, pending.id, at(office, date(2026, 12, 4)))
    before = await snapshot(office)
    await clerk.send(f"/withdraw {task.number} 误发")
    assert "已办结，不能再进行此操作" in (await clerk.wait_for(text_contains="不能再进行此操作")).text
    await clerk.send(f"/correct {task.number}")
    assert "已办结，不能再进行此操作" in (await clerk.wait_for(text_contains="不能再进行此操作")).text
    assert await snapshot(office) == before


async def test_a_corrected_slip_goes_out_again_marked_and_counts_with_its_new_date(office, city, bot):
    clerk, zhujian = city["clerk"], city["zhujian"]
    office.clock = lambda: at(office, TODAY)
    task = await issue(office, clerk, "住建局", "老旧小区改造核查", days=7, now=at(office, date(2026, 12, 7)))
    assert task.deadline == date(2026, 12, 14)

    # From /task: 更正, then the field as a button (echoed), its value, the reason.
    await clerk.send(f"/task {task.number}")
    detail = await clerk.wait_for(text_contains="工作事项")
    await clerk.press("更正", message=detail)
    question = await clerk.wait_for(text_contains="请选择要更正的内容")
    await clerk.press("期限", message=question)
    await clerk.wait_for(text_contains="请回复更正后的期限")
    await shows(clerk, question, "已选：期限")

    before = await snapshot(office)
    for typed, refusal in (
        ("2026-12-12", "休息日"),           # a Saturday
        ("2026-12-09", "已过"),             # past
        ("2026-12-14", "没有需要更正"),       # the date it already has
        ("下周", "不是日期"),
    ):
        await clerk.send(typed)
        assert refusal in (await clerk.wait_for(text_contains=refusal)).text, typed
    assert await snapshot(office) == before, "a refused correction changes nothing"

    await clerk.send("2026-12-18")
    await clerk.wait_for(text_contains="请回复更正的理由")
    await clerk.send("期限填写错误")
    preview = await clerk.wait_for(text_contains="确认更正")
    text = plain(preview.text)
    assert f"{task.number}（更正）" in text and "在收件之日起11天内办结" in text
    assert "期限：由「2026年12月14日」更正为「2026年12月18日」" in text and "理由：期限填写错误" in text
    assert await snapshot(office) == before, "nothing changes before 确认更正"
    await clerk.press("确认更正", message=preview)
    assert "已更正" in (await clerk.wait_for(text_contains="已更正")).text

    # The unit receives the corrected slip, same number, marked 更正, with its buttons.
    sent = await zhujian.wait_for(text_contains="交办单更正通知")
    body = plain(sent.text)
    assert f"{task.number}（更正）" in body and "在收件之日起11天内办结" in body and "理由：期限填写错误" in body
    assert sent.reply_markup is not None and "签收" in str(sent.reply_markup)

    # /task: the corrected deadline, the history of the correction; the .docx says 更正.
    await zhujian.send(f"/task {task.number}")
    detail = await zhujian.wait_for(text_contains="工作事项")
    shown = plain(detail.text)
    assert "当前期限：2026年12月18日" in shown and "期限：11天" in shown
    assert "更正交办单" in shown and "期限由「2026年12月14日」更正为「2026年12月18日」" in shown
    await zhujian.press("下载Word", message=detail)
    sent = await zhujian.wait_for(predicate=lambda m: m.document is not None)
    paragraphs = [p.text for p in Document(io.BytesIO(zhujian.file_bytes(sent))).paragraphs if p.text.strip()]
    assert paragraphs[1] == f"{task.number}（更正）"
    assert any("在收件之日起11天内办结" in p for p in paragraphs)
    stored = await tasks.get(office.db.reader, task.id)
    assert (stored.deadline, stored.period_days, stored.number) == (date(2026, 12, 18), 11, task.number)

    # 12-15: past the deadline as first issued, on time by the corrected one.
    office.clock = lambda: at(office, date(2026, 12, 15))
    await zhujian.send("/overdue")
    assert "老旧小区改造核查" not in (await zhujian.wait_for(regex="逾期事项|没有逾期")).text


async def test_a_correction_of_the_unit_moves_the_slip(office, city, bot):
    clerk, zhujian, jiaotong = city["clerk"], city["zhujian"], city["jiaotong"]
    office.clock = lambda: at(office, TODAY)
    task = await issue(office, clerk, "住建局", "公交站台维修", days=7)
    await clerk.send(f"/correct {task.number}")
    await clerk.press("责任单位", message=await clerk.wait_for(text_contains="请选择要更正的内容"))
    await clerk.wait_for(text_contains="请回复更正后的责任单位")
    await clerk.send("不存在局")
    await clerk.wait_for(text_contains="没有名为「不存在局」的责任单位")
    await clerk.send("交通运输局")
    await clerk.wait_for(text_contains="请回复更正的理由")
    await clerk.send("单位选错")
    preview = await clerk.wait_for(text_contains="确认更正")
    assert "交通运输局：" in plain(preview.text)
    await clerk.press("确认更正", message=preview)
    moved = await jiaotong.wait_for(text_contains="交办单更正通知")
    assert "由「住建局」更正为「交通运输局」" in plain(moved.text) and "交通运输局：" in plain(moved.text)
    dropped = await zhujian.wait_for(text_contains="责任单位已更正为交通运输局")
    assert "无需办理" in dropped.text
    await zhujian.send("/tasks")
    assert "公交站台维修" not in (await zhujian.wait_for(regex="在办事项|没有在办")).text
    await jiaotong.send("/tasks")
    assert "公交站台维修" in (await jiaotong.wait_for(regex="在办事项")).text
    # The new unit signs: its slip loses 签收; the first unit's copy gets no buttons back.
    await jiaotong.press("签收", message=moved)
    await jiaotong.wait_for(text_contains="已签收")
    old = next(m for m in zhujian.messages() if "《邓州市人民政府工作交办单》" in m.text)
    await wait_idle(jiaotong.state, quiet=0.2)
    assert zhujian.private_chat.messages[old.message_id].inline_keyboard == []


async def test_a_reminder_issued_in_error_is_voided(office, city, bot):
    clerk, zhujian = city["clerk"], city["zhujian"]
    task = await chased(office, clerk, "管网改造")
    office.clock = lambda: at(office, TODAY)

    # From /task: 作废催办单, the reason, the preview, 确认.
    await clerk.send(f"/task {task.number}")
    detail = await clerk.wait_for(text_contains="工作事项")
    await clerk.press("作废催办单", message=detail)
    asked = await clerk.wait_for(text_contains="请回复理由")
    assert "作废 催办单〔2026〕1号" in asked.text
    await clerk.send("单位已于期限前反馈，催办单系误发")
    preview = await clerk.wait_for(text_contains="确认作废")
    assert "事项回到催办前的状态" in preview.text and "-0.2分" in preview.text
    await clerk.press("确认撤回", message=preview)
    await clerk.wait_for(text_contains="已作废 催办单〔2026〕1号")

    told = await zhujian.wait_for(text_contains="催办单作废通知")
    assert "催办单〔2026〕1号" in told.text and "扣分不再计算" in told.text and "2026年12月8日" in told.text
    await zhujian.wait_for(text_contains="加减分作废通知")
    assert await counting(office, task.id) == []
    stored = await tasks.get(office.db.reader, task.id)
    assert stored.stage.value == "none" and stored.window_until is None and stored.status.value == "issued"

    await clerk.send(f"/task {task.number}")
    shown = plain((await clerk.wait_for(text_contains="工作事项")).text)
    assert "督办阶段：未催办" in shown and "催办单〔2026〕1号 · 2026年12月9日（逾期1天，限3日内上报） 已作废" in shown
    assert "作废催办单 催办单〔2026〕1号" in shown and "撤销记分 催办单〔2026〕1号（-0.2分，不再计分）" in shown

    # Voided once: a second time is refused, and so is a 更正 of a 催办单.
    before = await snapshot(office)
    await clerk.send("/withdraw 催办 〔2026〕 1号 再来")
    assert "已作废" in (await clerk.wait_for(text_contains="已作废，不能")).text
    await clerk.send("/correct 催办单〔2026〕1号")
    assert "不能更正" in (await clerk.wait_for(text_contains="不能更正")).text
    assert await snapshot(office) == before


async def test_a_shared_matter_is_withdrawn_and_corrected_as_one(office, city, bot):
    from bot.domain.tasks import SourceType
    from bot.services.issuing import AssignmentDraft, issue_assignment
    from bot.storage import org

    clerk, zhujian, jiaotong = city["clerk"], city["zhujian"], city["jiaotong"]
    office.clock = lambda: at(office, TODAY)
    units = [await org.unit_by_name(office.db.reader, name) for name in ("住建局", "交通运输局")]
    draft = AssignmentDraft("道路改造", "按要求落实", "常务会议纪要", SourceType.OTHER, tuple(u.id for u in units), 7, lead_unit_id=units[0].id)
    lead, partner = [i.task for i in await issue_assignment(office, draft, clerk.person, at(office, date(2026, 12, 7)))]

    # 期限 corrected on the lead's number: both copies carry the new date, each its corrected slip.
    await clerk.send(f"/correct {lead.number}")
    await clerk.press("期限", message=await clerk.wait_for(text_contains="请选择要更正的内容"))
    await clerk.wait_for(text_contains="请回复更正后的期限")
    await clerk.send("2026-12-21")
    await clerk.wait_for(text_contains="请回复更正的理由")
    await clerk.send("与会议纪要不一致")
    preview = await clerk.wait_for(text_contains="确认更正")
    assert "共2份一并更正" in preview.text
    await clerk.press("确认更正", message=preview)
    for member, task in ((zhujian, lead), (jiaotong, partner)):
        corrected = plain((await member.wait_for(text_contains="交办单更正通知")).text)
        assert f"{task.number}（更正）" in corrected and "2026年12月21日" in corrected
        assert (await tasks.get(office.db.reader, task.id)).deadline == date(2026, 12, 21)

    # Withdrawn on the partner's number: the matter is withdrawn whole, both units told.
    await clerk.send(f"/withdraw {partner.number} 事项取消")
    preview = await clerk.wait_for(text_contains="确认撤回")
    assert "共2份一并撤回" in preview.text
    await clerk.press("确认撤回", message=preview)
    for member in (zhujian, jiaotong):
        await member.wait_for(text_contains="交办单撤回通知")
    assert {(await tasks.get(office.db.reader, t.id)).status.value for t in (lead, partner)} == {"withdrawn"}


async def test_a_pending_extension_request_ends_with_its_withdrawn_slip(office, city, bot):
    """住建局 asks for 延期; before the leader decides, the clerk withdraws the 交办单: the request
    ends undecided, its 同意 · 不同意 come off, the leader is told once, and a press of the old
    button is refused saying the slip was withdrawn; the deadline never moves."""
    clerk, zhujian, leader = city["clerk"], city["zhujian"], city["leader"]
    task = await issue(office, clerk, "住建局", "城区积水点排查", days=7, now=at(office, date(2026, 12, 1)))
    office.clock = lambda: at(office, TODAY)
    await zhujian.send(f"/extend {task.number} 2026-12-18 需协调用地")
    await zhujian.wait_for(text_contains="已提交延期申请")
    request = await leader.wait_for(text_contains="延期申请", predicate=lambda m: bool(m.inline_keyboard))
    approve_data = request.find_button("同意")["callback_data"]

    await clerk.send(f"/withdraw {task.number} 单位填错")
    await clerk.press("确认撤回", message=await clerk.wait_for(text_contains="确认撤回"))
    await clerk.wait_for(text_contains="已撤回")
    told = plain((await leader.wait_for(text_contains="延期申请终止")).text)
    assert f"交办单{task.number}「城区积水点排查」已由交办单位撤回" in told and "2026年12月18日" in told
    assert "撤回理由：单位填错" in told
    for _ in range(50):
        if leader.private_chat.messages[request.message_id].inline_keyboard == []:
            break
        await asyncio.sleep(0.1)
    else:
        raise AssertionError("the closed request kept its buttons")

    # A press that crossed the withdrawal on the wire is refused, saying why, and grants nothing.
    press = forge_press(leader, approve_data, "同意", message=request)
    assert f"{task.number} 已撤回，不能再进行此操作" in (await leader.wait_for_answer(press)).answer_text
    async with office.db.reader.execute("SELECT status FROM extension_requests WHERE task_id = ?", (task.id,)) as cur:
        assert [r[0] for r in await cur.fetchall()] == ["closed"]
    await wait_idle(leader.state, quiet=0.2)
    assert sum("延期申请终止" in m.text for m in leader.messages()) == 1
    stored = await tasks.get(office.db.reader, task.id)
    assert stored.status.value == "withdrawn" and stored.deadline == task.deadline and not stored.extension_pending
    await clerk.send(f"/task {task.number}")
    detail = plain((await clerk.wait_for(text_contains="工作事项")).text)
    assert "延期申请随撤回终止" in detail and "同意延期" not in detail


async def test_a_feedback_waiting_for_review_is_reviewed_no_more_once_withdrawn(office, city, bot):
    """住建局 answers; before the clerk reviews, 政务监督室 withdraws the 交办单: the review's
    通过(办结) · 退回 come off, the clerk hears of the withdrawal once, and a press of the old
    通过(办结) is refused saying the slip was withdrawn; the task is not 办结."""
    clerk, zhujian, supervisor = city["clerk"], city["zhujian"], city["supervisor"]
    task = await issue(office, clerk, "住建局", "城区积水点排查", days=7, now=at(office, date(2026, 12, 1)))
    office.clock = lambda: at(office, TODAY)
    slip = await slip_message(office, zhujian, task)
    await zhujian.reply_to(slip, "已完成全部积水点排查")
    review = await clerk.wait_for(text_contains="已完成全部积水点排查", predicate=lambda m: bool(m.inline_keyboard))
    await recorded(office, review)
    accept_data = review.find_button("通过(办结)")["callback_data"]

    await supervisor.send(f"/withdraw {task.number} 单位填错")
    await supervisor.press("确认撤回", message=await supervisor.wait_for(text_contains="确认撤回"))
    await supervisor.wait_for(text_contains="已撤回")
    await clerk.wait_for(text_contains="交办单撤回")
    for _ in range(50):
        if clerk.private_chat.messages[review.message_id].inline_keyboard == []:
            break
        await asyncio.sleep(0.1)
    else:
        raise AssertionError("the review kept its buttons")

    press = forge_press(clerk, accept_data, "通过(办结)", message=review)
    assert f"{task.number} 已撤回，不能再进行此操作" in (await clerk.wait_for_answer(press)).answer_text
    await wait_idle(clerk.state, quiet=0.2)
    assert sum("交办单撤回" in m.text for m in clerk.messages()) == 1, clerk.transcript()
    assert (await tasks.get(office.db.reader, task.id)).status.value == "withdrawn"
