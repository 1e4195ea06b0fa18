"""A shared matter (牵头 + 配合) as each person concerned reads it: a unit is the 牵头单位 or a
配合单位, never both, in every way a matter is issued; a unit goes by its aliases wherever it is
named; the matter has one deadline and one stage on every copy; the partners are reminded and
told; everyone concerned hears of what is done on it."""

from __future__ import annotations

import io
from datetime import date

from openpyxl import load_workbook

from bot.domain.org import Role
from bot.emulators.telegram.client import wait_idle
from bot.views.exports import ledger

from bot.storage import intake as intake_store
from bot.storage import org as org_store
from tests.e2e.test_long_and_shared import daily, form, on, task_count
from tests.e2e.test_slip_actions import recorded


async def give_alias(office, unit_name: str, alias: str) -> None:
    async with office.db.transaction() as conn:
        unit = await org_store.unit_by_name(conn, unit_name)
        assert unit is not None
        await intake_store.set_aliases(conn, unit.id, [alias])


async def test_a_unit_written_as_lead_and_partner_is_refused_in_every_form(city, office, emulator):
    """「住建局牵头，住建局、城管局配合」 and 「住建局（牵头）、住建局」 — and the lead written again
    under an alias — are refused as 住建局 being both; nothing is issued."""
    on(office, date(2026, 11, 30))
    await give_alias(office, "住建局", "市住房和城乡建设局")
    clerk = city["clerk"]
    for units in ("住建局牵头，住建局、交通运输局配合", "住建局（牵头）、住建局", "住建局（牵头）、市住房和城乡建设局、穰东镇"):
        await clerk.send(form(units, period="10天", schedule=None))
        refusal = await clerk.wait_for(text_contains="未签发")
        assert "住建局已是牵头单位，不能同时作为配合单位" in refusal.text, units
        assert "第5行" in refusal.text and "没有配合单位" not in refusal.text
    assert await task_count(office) == 0


async def test_minutes_and_instructions_naming_a_unit_as_both_need_a_decision(city, office):
    """/minutes and /instruct: the draft is marked ⚠️ and cannot be issued until 单位 is edited;
    修改 with the unit twice is refused the same way the /new form is."""
    on(office, date(2026, 11, 30))
    supervisor, leader = city["supervisor"], city["leader"]
    await supervisor.send("/minutes\n一、城区积水点排查整治。会议要求，住建局牵头，住建局、交通运输局配合，于2026年12月31日前完成。")
    review = await supervisor.wait_for(text_contains="拟交办1项")
    assert "住建局既写为牵头单位又写为配合单位" in review.text and "0项可签发" in review.text
    await supervisor.press("修改1", message=review)
    await supervisor.wait_for(text_contains="修改")
    await supervisor.send("单位：住建局（牵头）、住建局")
    assert "住建局已是牵头单位" in (await supervisor.wait_for(text_contains="不能同时作为配合单位")).text
    await supervisor.press("修改1", message=review)
    await supervisor.wait_for(text_contains="修改第1项", predicate=lambda m: m.message_id > review.message_id + 3)
    await supervisor.send("单位：住建局（牵头）、交通运输局")
    edited = await supervisor.wait_for(text_contains="1项可签发")
    assert "既写为牵头单位" not in edited.text
    # the review 修改 was pressed on is replaced: it says so, and its buttons are gone
    replaced = await supervisor.wait_for(text_contains="以下方最新的审核消息为准")
    assert replaced.message_id == review.message_id and "以下方最新的审核消息为准" in replaced.text and not replaced.inline_keyboard

    await leader.send("/instruct 请住建局牵头，住建局、交通运输局配合，3日内拿出方案。")
    await leader.wait_for(text_contains="已记录您的批示")
    draft = await supervisor.wait_for(text_contains="刘副市长2026年11月30日批示")
    assert "住建局既写为牵头单位又写为配合单位" in draft.text
    assert await task_count(office) == 0


async def test_an_alias_names_its_unit_in_the_form_task_lists_and_ledger(city, office):
    """交通局 is 交通运输局's alias: the one-message /new issues to 交通运输局, /tasks 交通局 and
    /ledger 交通局 show its tasks."""
    on(office, date(2026, 11, 30))
    await give_alias(office, "交通运输局", "交通局")
    clerk, jiaotong = city["clerk"], city["jiaotong"]
    await clerk.send(form("住建局（牵头）、交通局", period="10天", schedule=None))
    await clerk.press("确认签发", message=await clerk.wait_for(text_contains="确认签发"))
    receipt = await clerk.wait_for(text_contains="已签发2份交办单")
    assert "→ 交通运输局（配合）" in receipt.text
    assert "本事项由住建局牵头，你单位配合" in (await jiaotong.wait_for(text_contains="工作交办单")).text
    await clerk.send("/tasks 交通局")
    listing = await clerk.wait_for(text_contains="在办事项")
    assert "交通运输局" in listing.text and "住建局 · " not in listing.text
    await clerk.send("/ledger 交通局")
    await clerk.wait_for(predicate=lambda m: m.document is not None)


async def issue_shared(office, city, period: str = "10天"):
    """住建局牵头，交通运输局、穰东镇配合, issued 2026-11-30: each unit's slip, recorded."""
    on(office, date(2026, 11, 30))
    clerk = city["clerk"]
    await clerk.send(form("住建局（牵头）、交通运输局、穰东镇", period=period, schedule=None))
    await clerk.press("确认签发", message=await clerk.wait_for(text_contains="确认签发"))
    await clerk.wait_for(text_contains="已签发3份交办单")
    slips = []
    for who in ("zhujian", "jiaotong", "town"):
        slip = await city[who].wait_for(text_contains="工作交办单", predicate=lambda m: bool(m.inline_keyboard))
        await recorded(office, slip)
        slips.append(slip)
    return slips


def line_of(listing: str, unit: str) -> str:
    return next(line for line in listing.splitlines() if f" · {unit} · " in line)


async def test_a_shared_matter_has_one_deadline_and_only_the_lead_asks_for_more_time(city, office, bot, emulator):
    """Due 12-10, 逾期 on 12-11: the 催办单 goes to 住建局, and every copy's line reads 逾期1天【已催办】.
    交通运输局 pressing 申请延期 (or typing /extend) is told the 牵头单位 asks; 住建局 asks, and the
    leader's request says it leads, with whom, 逾期 and the stage; the clerk hears of the request.
    Only 住建局's copy shows 暂停计时 while it waits; 同意 marks the request and moves every copy."""
    clerk, zhujian, jiaotong, town, leader = city["clerk"], city["zhujian"], city["jiaotong"], city["town"], city["leader"]
    lead_slip, jiaotong_slip, _ = await issue_shared(office, city)
    await daily(office, bot, date(2026, 12, 11))
    await zhujian.wait_for(text_contains="工作催办单")

    await clerk.send("/tasks")
    listing = (await clerk.wait_for(text_contains="在办事项")).text
    for unit in ("住建局", "交通运输局", "穰东镇"):
        assert "逾期1天 【已催办】" in line_of(listing, unit), listing

    press = await jiaotong.press("申请延期", message=jiaotong_slip)
    alert = (await jiaotong.wait_for_answer(press)).answer_text or ""
    assert "本事项由住建局牵头" in alert and "由牵头单位统一申请延期" in alert and "请告知住建局" in alert
    await jiaotong.send("/extend 2026-2 2026-12-18 数据未到")
    await jiaotong.wait_for(text_contains="由牵头单位统一申请延期")
    async with office.db.reader.execute("SELECT count(*) FROM extension_requests") as cur:
        assert (await cur.fetchone())[0] == 0

    await zhujian.send("/extend 2026-1 2026-12-18 等待配合单位数据")
    await zhujian.wait_for(text_contains="已提交延期申请")
    request = await leader.wait_for(text_contains="延期申请")
    assert "申请单位：住建局（李住建），牵头单位（配合单位：交通运输局、穰东镇" in request.text
    assert "现办结期限：2026年12月10日（已逾期1天）" in request.text and "督办阶段：已催办" in request.text
    copy = await clerk.wait_for(text_contains="申请 交办单〔2026〕1号")
    assert "延期至 2026年12月18日" in copy.text and "已报刘副市长审批" in copy.text and "等待配合单位数据" in copy.text

    await clerk.send("/tasks")
    listing = (await clerk.wait_for(text_contains="在办事项", predicate=lambda m: m.message_id > copy.message_id)).text
    assert "（暂停计时）" in line_of(listing, "住建局")
    for unit in ("交通运输局", "穰东镇"):
        assert "暂停计时" not in line_of(listing, unit), listing
    await town.send("/task 2026-3")
    detail = (await town.wait_for(text_contains="当前期限")).text
    assert "暂停计时" not in detail and "督办阶段：已催办（牵头单位住建局）" in detail

    await leader.press("同意", message=request)
    marked = await leader.wait_for(text_contains="已同意延期至2026年12月18日")
    assert marked.message_id == request.message_id and not marked.inline_keyboard
    decided = await clerk.wait_for(text_contains="已同意")
    assert "2026年12月18日" in decided.text
    for partner in (jiaotong, town):
        await partner.wait_for(text_contains="同步延至")
    await clerk.send("/tasks")
    listing = (await clerk.wait_for(text_contains="在办事项", predicate=lambda m: m.message_id > decided.message_id)).text
    for unit in ("住建局", "交通运输局", "穰东镇"):
        assert "还剩7天" in line_of(listing, unit), listing
    await zhujian.send("/task 2026-1")
    detail = (await zhujian.wait_for(text_contains="当前期限")).text
    assert "配合单位：交通运输局（未报送）、穰东镇（未报送）" in detail


async def test_a_shared_matter_through_reminders_a_reminder_slip_an_extension_and_completion_with_a_part_missing(
    city, office, bot, emulator,
):
    """Due 12-10, parts due two working days before (12-08): each partner's copy says so once, and
    where to send it; both are reminded on 12-07 and 12-08. 交通运输局 sends its part: the lead is
    asked to gather it, the clerk only sees it. On 12-11 住建局 gets the 催办单 (and the −0.2), each
    partner hears of it. An extension to 12-18 moves the parts' date to 12-16. 住建局's result
    lists the parts, warns of 穰东镇's; accepted, 穰东镇 is told its part never came, and the
    record says so."""
    clerk, zhujian, jiaotong, town, leader = city["clerk"], city["zhujian"], city["jiaotong"], city["town"], city["leader"]
    lead_slip, jiaotong_slip, town_slip = await issue_shared(office, city)
    for slip in (jiaotong_slip, town_slip):
        assert "请于2026年12月8日前将配合办理情况报送住建局" in slip.text
        assert "书面反馈市政府办公室（综合一科）" not in slip.text
    assert "书面反馈市政府办公室（综合一科）" in lead_slip.text and "请汇总配合单位办理情况后一并反馈" in lead_slip.text

    await daily(office, bot, date(2026, 12, 7))
    for partner in (jiaotong, town):
        reminder = await partner.wait_for(text_contains="配合事项提醒")
        assert "请于2026年12月8日前将配合办理情况报送牵头单位住建局" in reminder.text
    await daily(office, bot, date(2026, 12, 8))
    assert "请今天将配合办理情况报送牵头单位住建局" in (await town.wait_for(text_contains="配合事项提醒")).text

    await jiaotong.reply_to(jiaotong_slip, "交通运输局：周边道路改造方案已定")
    part = await zhujian.wait_for(text_contains="交通运输局 配合办理情况")
    assert "请汇总后一并反馈办理结果" in part.text
    seen = await clerk.wait_for(text_contains="交通运输局 配合办理情况")
    assert "请汇总后一并反馈办理结果" not in seen.text and "供知悉，无需审核" in seen.text

    await daily(office, bot, date(2026, 12, 11))
    await zhujian.wait_for(text_contains="工作催办单")
    told = await town.wait_for(text_contains="已收到工作催办单")
    assert "牵头单位住建局" in told.text and "你单位尚未报送配合办理情况" in told.text and "你单位不扣分" in told.text
    assert "你单位已报送配合办理情况" in (await jiaotong.wait_for(text_contains="已收到工作催办单")).text
    await wait_idle(emulator.state)
    assert not any("工作催办单" in m.text and "住建局：" in m.text for m in town.messages())
    await zhujian.send("/task 2026-1")
    detail = await zhujian.wait_for(text_contains="当前期限")
    assert "配合单位：交通运输局（已报送）、穰东镇（未报送）" in detail.text

    await zhujian.send("/extend 2026-1 2026-12-18 等待穰东镇摸底数据")
    request = await leader.wait_for(text_contains="延期申请")
    await leader.press("同意", message=request)
    moved = await town.wait_for(text_contains="同步延至")
    assert "同步延至 2026年12月18日，请于 2026年12月16日 前将配合办理情况报送住建局" in moved.text
    await daily(office, bot, date(2026, 12, 15))
    reminder = await town.wait_for(text_contains="配合事项提醒")
    assert "请于2026年12月16日前" in reminder.text and "本事项办结期限 2026年12月18日" in reminder.text
    await wait_idle(emulator.state)
    assert sum("配合事项提醒" in m.text for m in jiaotong.messages()) == 2  # 12-07, 12-08; its part came since

    on(office, date(2026, 12, 17))
    await zhujian.reply_to(lead_slip, "汇总：改造方案已定，穰东镇数据待补")
    review = await clerk.wait_for(text_contains="汇总：改造方案已定")
    assert "配合单位：交通运输局（已报送）、穰东镇（未报送）" in review.text
    assert "⚠️ 穰东镇尚未报送配合办理情况" in review.text
    await clerk.press("通过(办结)", message=review)
    await zhujian.wait_for(text_contains="审核通过")
    closed = await town.wait_for(text_contains="配合任务一并办结")
    assert "你单位未报送配合办理情况，已记入办理记录" in closed.text
    closed = await jiaotong.wait_for(text_contains="配合任务一并办结")
    assert "未报送" not in closed.text
    await clerk.send("/task 2026-3")
    detail = await clerk.wait_for(text_contains="办理记录")
    assert "随牵头单位办结（未报送配合办理情况）" in detail.text


async def test_every_official_of_a_unit_hears_what_a_colleague_did_and_the_issuer_who_received_it(city, organisation, office):
    """住建局 has two officials: the clerk's delivery notice names the unit, who received it and
    the 责任人; each official sees the other sign and answer."""
    on(office, date(2026, 11, 30))
    clerk, li = city["clerk"], city["zhujian"]
    yang = await organisation.join("杨联络", Role.RESPONSIBLE, unit="住建局")
    await clerk.send(form("住建局", period="10天", schedule=None) + "\n责任人：李住建")
    await clerk.press("确认签发", message=await clerk.wait_for(text_contains="确认签发"))
    await clerk.wait_for(text_contains="已签发1份交办单")
    notice = await clerk.wait_for(text_contains="📨")
    assert "交办单〔2026〕1号 已于" in notice.text and "送达住建局：" in notice.text
    assert ("李住建已收到（同时发给杨联络）" in notice.text) or ("杨联络已收到（同时发给李住建）" in notice.text)
    assert "责任人：李住建。" in notice.text
    slip = await yang.wait_for(text_contains="工作交办单", predicate=lambda m: bool(m.inline_keyboard))
    await li.wait_for(text_contains="工作交办单")
    await recorded(office, slip)

    await yang.press("签收", message=slip)
    told = await li.wait_for(text_contains="👥")
    assert "杨联络已于" in told.text and "签收：交办单〔2026〕1号「老旧小区改造工程推进」。无需重复签收。" in told.text
    await yang.reply_to(slip, "已全部完成")
    told = await li.wait_for(text_contains="反馈了办理结果")
    assert "杨联络" in told.text and "无需重复反馈" in told.text
    assert not any("👥" in m.text for m in yang.messages())


async def test_the_guided_dialog_takes_units_typed_by_name_or_alias(city, office):
    """At the 责任单位 question a clerk may type 「住建局、交通局」 instead of paging for buttons;
    an unknown name is refused and the question stands."""
    from tests.e2e.test_long_and_shared import guided_to_units

    on(office, date(2026, 11, 30))
    await give_alias(office, "交通运输局", "交通局")
    clerk = city["clerk"]
    await guided_to_units(clerk)
    await clerk.send("规划局")
    assert "没有名为「规划局」的责任单位" in (await clerk.wait_for(text_contains="没有名为")).text
    await clerk.send("住建局、交通局")
    question = await clerk.wait_for(text_contains="已选：住建局、交通运输局（2个）")
    await clerk.press("选好了", message=question)
    await clerk.wait_for(text_contains="的责任人")


async def test_a_partners_line_in_the_ledger_shows_the_matters_overdue_days_as_its_task_does(city, office, bot):
    """Due 12-10; on 12-14 交通运输局's /task reads 逾期4天, and its line of /ledger (full and 会议)
    says 4 in 逾期天数, as the 牵头单位's does; /ledger 逾期 still lists the matter once."""
    clerk, jiaotong = city["clerk"], city["jiaotong"]
    await issue_shared(office, city)
    on(office, date(2026, 12, 14))
    await jiaotong.send("/task 2026-2")
    detail = (await jiaotong.wait_for(text_contains="当前期限")).text
    assert "（逾期4天）" in detail, detail

    for view in ("", " 会议"):
        await clerk.send(f"/ledger{view}")
        sent = await clerk.wait_for(predicate=lambda m: m.document is not None)
        sheet = load_workbook(io.BytesIO(clerk.file_bytes(sent))).worksheets[0]
        header, *rows = [list(r) for r in sheet.iter_rows(min_row=ledger.HEADING_ROW, values_only=True)]
        days = {r[header.index("责任单位")]: r[header.index("逾期天数")] for r in rows}
        assert days == {"住建局": 4, "交通运输局": 4, "穰东镇": 4}, (view, days)

    await clerk.send("/ledger 逾期")
    sent = await clerk.wait_for(predicate=lambda m: m.document is not None)
    sheet = load_workbook(io.BytesIO(clerk.file_bytes(sent))).worksheets[0]
    header, *rows = [list(r) for r in sheet.iter_rows(min_row=ledger.HEADING_ROW, values_only=True)]
    assert [r[header.index("责任单位")] for r in rows] == ["住建局"]
