"""A 交办单 from issue to 办结, on each channel: the clerk issues by /new (the guided dialog, and
the one-message form), the unit receives the slip with 签收 · 反馈 · 申请延期 and the clerk hears
it was delivered; the unit signs for it, reports with a file, is sent back with a reason,
reports again, and the clerk accepts (notice 附件1; SPEC sections 3 and 8)."""

from __future__ import annotations

from bot.domain.tasks import TaskStatus
from bot.storage import tasks
from tests.scenarios.conftest import Member

TITLE = "全市城区积水点排查整治"
REQUIREMENTS = "逐点建立台账，明确整改措施和完成时间"
BASIS = "市政府第12次常务会议纪要"
SENTENCE = (
    f"根据{BASIS}，现将{TITLE}交由你单位办理，请抓紧落实，在收件之日起7天内办结并将办理结果情况"
    "书面反馈市政府办公室（综合一科）（请在反馈材料中注明交办单编号）。"
)
PDF = b"%PDF-1.4 report of the drainage works"


async def issued_by_dialog(clerk: Member) -> None:
    """/new answered question by question, 住建局 the one unit, 李住建 its 责任人."""
    await clerk.send("/new")
    await clerk.wait_for("工作事项")
    await clerk.send(TITLE)
    await clerk.wait_for("工作要求")
    await clerk.send(REQUIREMENTS)
    await clerk.wait_for("根据")
    await clerk.send(BASIS)
    kind = await clerk.wait_for("交办类型")
    await clerk.press("其他口线工作", on=kind)
    echoed = await clerk.wait_for(on=kind)
    assert echoed.text.rstrip().endswith("✔️ 已选：其他口线工作") and echoed.buttons == ()
    units = await clerk.wait_for("责任单位")
    await clerk.press("住建局", on=units)
    units = await clerk.wait_for("已选：住建局（1个）")
    await clerk.press("选好了", on=units)
    person = await clerk.wait_for("住建局的责任人")
    await clerk.press("李住建", on=person)
    period = await clerk.wait_for("时限", where=lambda s: "7天" in s.buttons)
    assert period.buttons == ("3天", "5天", "7天", "15天", "30天")
    await clerk.press("7天", on=period)
    ledger = await clerk.wait_for("专项工作台账", where=lambda s: "否" in s.buttons)
    await clerk.press("否", on=ledger)
    breakdown = await clerk.wait_for("工作任务分解台账", where=lambda s: "跳过" in s.buttons)
    await clerk.press("跳过", on=breakdown)


async def test_issue_by_dialog_sign_report_return_report_accept(city, office, channel):  # type: ignore[no-untyped-def]
    clerk, zhujian = city["clerk"], city["zhujian"]
    year = office.now().year
    await issued_by_dialog(clerk)

    # The slip as 住建局 will receive it: nothing numbered, nothing issued before 确认签发.
    preview = await clerk.wait_for("确认签发")
    assert preview.buttons == ("确认签发", "修改", "取消")
    assert f"〔{year}〕待编号" in preview.text and "住建局：" in preview.text and SENTENCE in preview.text
    assert "责 任 人：李住建" in preview.text and not await tasks.in_scope(office.db.reader)
    await clerk.press("确认签发", on=preview)
    receipt = await clerk.wait_for("已签发1份交办单")
    number = f"交办单〔{year}〕1号"
    assert f"{number} → 住建局" in receipt.text

    slip = await zhujian.wait_for("工作交办单", where=lambda s: bool(s.buttons))
    assert slip.buttons == ("签收", "反馈", "申请延期")
    assert f"〔{year}〕1号" in slip.text and "住建局：" in slip.text and SENTENCE in slip.text
    delivered = await clerk.wait_for("送达")
    assert number in delivered.text and "李住建已收到" in delivered.text
    [task] = await tasks.in_scope(office.db.reader)

    # 签收: the slip keeps 反馈 · 申请延期, the chat says when, the clerk hears of it.
    await zhujian.press("签收", on=slip)
    now = office.now()
    mark = await zhujian.wait_for("已签收 · ")
    assert f"已签收 · {now.year}年{now.month}月{now.day}日 " in mark.text
    slip = await zhujian.wait_for(on=slip, where=lambda s: s.buttons == ("反馈", "申请延期"))
    signed = await clerk.wait_for("已由 住建局")
    assert "李住建" in signed.text and number in signed.text
    assert (await tasks.get(office.db.reader, task.id)).status is TaskStatus.ACKNOWLEDGED  # type: ignore[union-attr]

    # 反馈 with a file: the words, the file, 提交.
    await zhujian.press("反馈", on=slip)
    await zhujian.wait_for("请发送办理结果情况")
    await zhujian.send("已完成全部32处积水点排查。")
    await zhujian.wait_for("已记下")
    await zhujian.send_file("排查台账.pdf", PDF)
    draft = await zhujian.wait_for("附件1个", where=lambda s: "提交" in s.buttons)
    await zhujian.press("提交", on=draft)
    confirmed = await zhujian.wait_for("已提交")
    assert number in confirmed.text

    review = await clerk.wait_for("已完成全部32处积水点排查", where=lambda s: bool(s.buttons))
    assert review.buttons == ("通过(办结)", "退回") and number in review.text
    copy = await clerk.wait_for(file="排查台账.pdf")
    assert await clerk.chat.file_bytes(copy) == PDF

    # 退回 with a reason, the deadline kept.
    await clerk.press("退回", on=review)
    asked = await clerk.wait_for("退回理由")
    assert asked.buttons == ("取消",)
    await clerk.send("缺少整改前后对比照片。")
    asked_date = await clerk.wait_for("新的办结期限")
    assert asked_date.buttons == ("跳过", "取消")
    await clerk.press("跳过", on=asked_date)
    assert "缺少整改前后对比照片" in (await clerk.wait_for("已退回")).text
    marked = await clerk.wait_for(on=review, where=lambda s: "↩️ 已退回：缺少整改前后对比照片。" in s.text)
    assert marked.buttons == () and "已完成全部32处积水点排查" in marked.text
    told = await zhujian.wait_for("退回理由")
    assert "缺少整改前后对比照片。" in told.text and number in told.text
    after = await tasks.get(office.db.reader, task.id)
    assert after is not None and after.status is TaskStatus.ACKNOWLEDGED and after.deadline == task.deadline

    # 反馈 again, on the slip; the clerk accepts (办结).
    await zhujian.press("反馈", on=slip)
    await zhujian.wait_for("请发送办理结果情况")
    await zhujian.send("已补充整改前后对比照片。")
    draft = await zhujian.wait_for("已记下", where=lambda s: "提交" in s.buttons)
    await zhujian.press("提交", on=draft)
    await zhujian.wait_for("已提交")
    review = await clerk.wait_for("已补充整改前后对比照片", where=lambda s: bool(s.buttons))
    await clerk.press("通过(办结)", on=review)
    assert "办结" in (await clerk.wait_for("已审核通过")).text
    marked = await clerk.wait_for(on=review, where=lambda s: "✅ 已通过（办结） · " in s.text)
    assert marked.buttons == ()
    told = await zhujian.wait_for("审核通过")
    assert number in told.text
    assert (await tasks.get(office.db.reader, task.id)).status is TaskStatus.COMPLETED  # type: ignore[union-attr]
    slip_now = [s for s in await zhujian.read() if s.id == slip.id]
    assert slip_now and slip_now[0].buttons == (), "a task done offers nothing more on its slip"


async def test_issue_by_the_one_message_form(city, office, channel):  # type: ignore[no-untyped-def]
    clerk, zhujian, jiaotong = city["clerk"], city["zhujian"], city["jiaotong"]
    year = office.now().year
    await clerk.send(
        f"/new\n事项: {TITLE}\n要求：{REQUIREMENTS}\n根据：{BASIS}\n单位: 住建局， 交通运输局\n时限：7天\n专项：是\n责任人：张交通"
    )
    preview = await clerk.wait_for("确认签发")
    assert preview.buttons == ("确认签发", "修改", "取消")
    assert "《邓州市人民政府工作交办单》" in preview.text and SENTENCE in preview.text
    assert "住建局、交通运输局" in preview.text and "专项工作台账：纳入" in preview.text
    assert not await tasks.in_scope(office.db.reader)
    await clerk.press("确认签发", on=preview)
    receipt = await clerk.wait_for("已签发2份交办单")
    assert f"交办单〔{year}〕1号 → 住建局" in receipt.text and f"交办单〔{year}〕2号 → 交通运输局" in receipt.text
    first = await zhujian.wait_for("工作交办单", where=lambda s: bool(s.buttons))
    second = await jiaotong.wait_for("工作交办单", where=lambda s: bool(s.buttons))
    assert "住建局：" in first.text and SENTENCE in first.text and first.buttons == ("签收", "反馈", "申请延期")
    assert f"〔{year}〕2号" in second.text and "责 任 人：张交通" in second.text
    for unit in ("住建局", "交通运输局"):
        await clerk.wait_for("送达", where=lambda s, unit=unit: unit in s.text)  # type: ignore[misc]
    assert [t.status for t in await tasks.in_scope(office.db.reader)] == [TaskStatus.ISSUED, TaskStatus.ISSUED]
