"""From the 会议纪要 and the leader's 批示 to 交办单 (notice, section 一: 「市政府常务会议议定事项、
市政府主要领导批示件…由市政府办公室政务监督室依据相关文件、会议纪要建立工作台账进行专项交办」), as the
office, the units and the leader see it in chat."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest

from bot.emulators.telegram.client import wait_idle
from bot.domain.org import Role
from tests.e2e.test_slip_actions import recorded
from tests.file_bombs import docx_bomb, garbage_pdf, many_parts, pdf_pages
from tests.intake_files import MINUTES_12, MINUTES_PARENTHESISED, MINUTES_SCANNED, docx_bytes, page_png, pdf_bytes

TODAY = date(2026, 11, 30)


def at(office, day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), office.settings.timezone)


def buttons(message) -> list[str]:
    return [b["text"] for row in message.inline_keyboard for b in row]


async def count(office, table: str) -> int:
    async with office.db.reader.execute(f"SELECT count(*) FROM {table}") as cur:
        row = await cur.fetchone()
    return int(row[0])


async def tasks(office) -> list[tuple]:
    async with office.db.reader.execute(
        "SELECT t.title, u.name, t.basis, t.source, t.special_ledger, t.deadline, s.seq "
        "FROM tasks t JOIN units u ON u.id = t.unit_id JOIN slips s ON s.task_id = t.id ORDER BY s.seq"
    ) as cur:
        return [tuple(r) async for r in cur]


@pytest.fixture
async def office_on_monday(office):
    office.clock = lambda: at(office, TODAY)
    return office


@pytest.fixture
async def admin(organisation):
    return await organisation.join("孙管理", Role.ADMIN)


async def test_minutes_docx_to_issued_slips_in_the_units_chats(city, admin, office_on_monday, simulator):
    office = office_on_monday
    supervisor, zhujian, jiaotong, town = city["supervisor"], city["zhujian"], city["jiaotong"], city["town"]

    # The administrator gives 住建局 and 交通运输局 the names the minutes use.
    await admin.send("/aliases 住建局 市住房和城乡建设局")
    assert "住建局的别名：市住房和城乡建设局" in (await admin.wait_for(text_contains="别名")).text
    await admin.send("/aliases 交通运输局 交通局")
    await admin.wait_for(text_contains="交通运输局的别名：交通局")

    minutes = docx_bytes(MINUTES_12)
    await supervisor.send_document("市政府第12次常务会议纪要.docx", minutes)
    review = await supervisor.wait_for(text_contains="市政府第12次常务会议纪要")
    assert "（2026年11月20日）" in review.text and "期限自会议召开之日（2026年11月20日）起算" in review.text
    # Item 一's sub-items （一）（二） are drafts of their own: six in all, on two pages.
    assert "拟交办6项，其中3项可签发，3项待定" in review.text and "第1/2页" in review.text
    assert "1. 积水点排查工作 ⚠️\n单位：住建局（牵头）、交通运输局\n期限：2026年11月30日前" in review.text
    assert "依据：市政府第12次常务会议纪要（〔2026〕12号）第一项（一）" in review.text
    assert "期限 2026-11-30 已过" in review.text
    assert "2. 明确整改措施和完成时间工作\n单位：住建局（牵头）、交通运输局\n期限：2026年12月31日前" in review.text
    assert "3. 农村公路养护工作" in review.text and "期限：2026年12月4日前" in review.text
    assert "要求：会议同意交通局提出的养护方案，请交通运输局于2026年12月4日前报送实施计划。" in review.text
    assert "4. 穰东镇污水处理厂建设" in review.text and "期限：2026年12月21日前" in review.text
    assert "5. 优化营商环境工作 ⚠️" in review.text and "「市营商环境服务中心」不是已有的责任单位" in review.text
    assert "要求：市营商环境服务中心12月底前拿出工作方案。" in review.text, "no 「关于…」 heading, no 「会议要求」"
    assert "会议要求" not in review.text and "会议听取" not in review.text
    assert buttons(review) == [
        "修改1", "删除1", "修改2", "删除2", "修改3", "删除3", "修改4", "删除4", "修改5", "删除5", "下一页", "全部签发（3项）",
    ]
    assert await count(office, "tasks") == 0

    # 修改5: the unit the minutes named by a name the city does not use.
    first_review = review
    await supervisor.press("修改5", message=review)
    await supervisor.wait_for(text_contains="修改第5项")
    await supervisor.send("单位：穰东镇")
    review = await supervisor.wait_for(predicate=lambda m: "全部签发（4项）" in buttons(m))
    assert "5. 优化营商环境工作\n单位：穰东镇" in review.text
    await supervisor.press("删除1", message=review)
    review = await supervisor.wait_for(predicate=lambda m: "1. 积水点" not in m.text and "删除6" in buttons(m))
    await supervisor.press("删除6", message=review)
    review = await supervisor.wait_for(predicate=lambda m: "6. 冬季" not in m.text and "全部签发（4项）" in buttons(m))
    assert "拟交办4项，其中4项可签发" in review.text

    await supervisor.press("全部签发（4项）", message=review)
    done = await supervisor.wait_for(text_contains="已签发4项，共5份交办单")
    assert "2. 明确整改措施和完成时间工作：交办单〔2026〕1号 → 住建局；交办单〔2026〕2号 → 交通运输局，期限 2026年12月31日" in done.text
    assert "3. 农村公路养护工作：交办单〔2026〕3号 → 交通运输局" in done.text
    assert "5. 优化营商环境工作：交办单〔2026〕5号 → 穰东镇" in done.text
    await wait_idle(simulator.state)
    assert "草稿都已处理" in review.text and buttons(review) == []

    slip = await zhujian.wait_for(text_contains="〔2026〕1号")
    assert (
        "根据市政府第12次常务会议纪要（〔2026〕12号）第一项（二），现将明确整改措施和完成时间工作交由你单位办理"
        in slip.text
    )
    assert "在收件之日起31天内办结" in slip.text
    minutes_copy = await zhujian.wait_for(predicate=lambda m: m.document is not None)
    assert minutes_copy.caption == "交办单〔2026〕1号" and zhujian.file_bytes(minutes_copy) == minutes
    partner = await jiaotong.wait_for(text_contains="〔2026〕2号")
    assert "本事项由住建局牵头，你单位配合" in partner.text, "the 批示's 牵头/配合 wording is one matter"
    # The slip's 时限 and its 工作要求 state the same day: 12-04 is 4 days after Mon 11-30.
    roads = await jiaotong.wait_for(text_contains="〔2026〕3号")
    assert "在收件之日起4天内办结" in roads.text and "请交通运输局于2026年12月4日前报送实施计划" in roads.text
    assert "个工作日内" not in roads.text
    await town.wait_for(text_contains="〔2026〕4号")
    await town.wait_for(text_contains="〔2026〕5号")

    basis = "市政府第12次常务会议纪要（〔2026〕12号）"
    assert await tasks(office) == [
        ("明确整改措施和完成时间工作", "住建局", f"{basis}第一项（二）", "standing_meeting", 1, "2026-12-31", 1),
        ("明确整改措施和完成时间工作", "交通运输局", f"{basis}第一项（二）", "standing_meeting", 1, "2026-12-31", 2),
        ("农村公路养护工作", "交通运输局", f"{basis}第二项", "standing_meeting", 1, "2026-12-04", 3),
        ("穰东镇污水处理厂建设", "穰东镇", f"{basis}第三项", "standing_meeting", 1, "2026-12-21", 4),
        ("优化营商环境工作", "穰东镇", f"{basis}第四项", "standing_meeting", 1, "2026-12-31", 5),
    ]
    archived = list((office.settings.archive_dir / "intake").rglob("*.docx"))
    assert [p.read_bytes() for p in archived] == [minutes]

    # The review replaced after 修改 says so and offers no button to act on drafts as they were.
    first_review = supervisor.private_chat.messages[first_review.message_id]
    assert "以下方最新的审核消息为准" in first_review.text and buttons(first_review) == []
    assert await count(office, "tasks") == 5


async def test_section_minutes_as_a_pdf(city, office_on_monday):
    office = office_on_monday
    clerk = city["clerk"]
    await clerk.send_document("例会纪要.pdf", pdf_bytes(MINUTES_PARENTHESISED))
    review = await clerk.wait_for(text_contains="综合一科第3次工作例会纪要")
    assert "1. 秸秆禁烧工作总结报送工作\n单位：穰东镇\n期限：2026年12月15日前" in review.text
    assert "2. 城区停车位普查工作\n单位：交通运输局、住建局\n期限：2026年12月31日前" in review.text
    await clerk.press("全部签发（2项）", message=review)
    await clerk.wait_for(text_contains="已签发2项，共3份交办单")
    # A 科室's own meeting is its own line of work, not a 专项 of 政务监督室.
    assert [(t[1], t[3], t[4]) for t in await tasks(office)] == [
        ("穰东镇", "other", 0), ("交通运输局", "other", 0), ("住建局", "other", 0),
    ]


async def test_minutes_pasted_after_the_command(city, office_on_monday):
    supervisor = city["supervisor"]
    await supervisor.send("/minutes\n" + "\n".join(MINUTES_PARENTHESISED))
    review = await supervisor.wait_for(text_contains="拟交办2项")
    assert "全部签发（2项）" in buttons(review)


async def test_instruction_from_a_leader_to_the_result_at_completion(city, office_on_monday, simulator):
    office = office_on_monday
    leader, supervisor, zhujian, jiaotong = city["leader"], city["supervisor"], city["zhujian"], city["jiaotong"]
    async with office.db.transaction() as conn:
        from bot.storage import intake as store, org

        unit = await org.unit_by_name(conn, "交通运输局")
        assert unit is not None
        await store.set_aliases(conn, unit.id, ["交通局"])

    photo = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    await leader.send_photo(photo)
    await leader.wait_for(text_contains="请在下一条消息中写批示内容")
    await leader.send("请住建局牵头，交通局配合，3日内拿出方案。")
    await leader.wait_for(text_contains="已记录您的批示，并转政务监督室")

    await supervisor.wait_for(text_contains="刘副市长的批示（2026年11月30日）")
    await supervisor.wait_for(predicate=lambda m: m.photo is not None)
    review = await supervisor.wait_for(text_contains="刘副市长2026年11月30日批示")
    assert "单位：住建局（牵头）、交通运输局" in review.text and "期限：2026年12月3日前" in review.text
    await supervisor.press("全部签发（1项）", message=review)
    await supervisor.wait_for(text_contains="已签发1项，共2份交办单")

    # The leader's notices name the 批示 by its first words, not only by its date.
    told = await leader.wait_for(text_contains="批示的「请住建局牵头，交通局配合，3日内拿出方案」已交办")
    assert "〔2026〕1号 → 住建局，期限 2026年12月3日" in told.text and "〔2026〕2号 → 交通运输局" in told.text
    slip = await zhujian.wait_for(text_contains="〔2026〕1号")
    assert "根据刘副市长2026年11月30日批示，现将方案制定工作交由你单位办理" in slip.text
    assert "工作要求：请住建局牵头，交通局配合，于2026年12月3日前拿出方案。" in slip.text
    assert "在收件之日起3天内办结" in slip.text
    partner = await jiaotong.wait_for(text_contains="〔2026〕2号")
    assert "本事项由住建局牵头，你单位配合" in partner.text, "the 批示's 牵头/配合 wording is one matter"
    async with office.db.reader.execute("SELECT source, special_ledger FROM tasks ORDER BY id") as cur:
        assert [tuple(r) async for r in cur] == [("leader_assignment", 1), ("leader_assignment", 1)]

    await recorded(office, slip)  # as a person would, answers once the slip is on record
    # 住建局 answers with a file; 政务监督室 accepts: the leader receives the result and the file.
    await zhujian.send_document("方案.docx", b"PK\x03\x04 plan", caption="方案已拟定，详见附件。", reply_to=slip)
    feedback = await supervisor.wait_for(text_contains="方案已拟定")
    await supervisor.press("通过(办结)", message=feedback)
    result = await leader.wait_for(text_contains="批示的「请住建局牵头，交通局配合，3日内拿出方案」已办结")
    assert "〔2026〕1号" in result.text and "方案已拟定，详见附件。" in result.text
    sent = await leader.wait_for(predicate=lambda m: m.document is not None)
    assert sent.document.file_name == "方案.docx" and sent.caption == "交办单〔2026〕1号"
    await jiaotong.wait_for(text_contains="你单位的配合任务一并办结")


async def test_principal_instruction_is_a_principal_instruction(organisation, city, office_on_monday):
    office = office_on_monday
    principal = await organisation.join("钱市长", Role.PRINCIPAL)
    await principal.send("/instruct 请穰东镇10日内拿出秸秆禁烧整治方案。")
    await principal.wait_for(text_contains="已记录您的批示")
    review = await city["supervisor"].wait_for(text_contains="钱市长2026年11月30日批示")
    assert "期限自批示之日（2026年11月30日）起算" in review.text
    await city["supervisor"].press("全部签发（1项）", message=review)
    slip = await city["town"].wait_for(text_contains="〔2026〕1号")
    # The 批示's order becomes the matter the slip hands over, in a sentence that reads.
    assert "现将秸秆禁烧整治方案制定工作交由你单位办理" in slip.text
    async with office.db.reader.execute("SELECT source FROM tasks") as cur:
        assert [r[0] async for r in cur] == ["principal_instruction"]


async def test_an_instruction_without_a_period_is_said_to_lack_one(city, office_on_monday):
    await city["leader"].send("/instruct 请住建局研究城区内涝治理。")
    review = await city["supervisor"].wait_for(text_contains="刘副市长2026年11月30日批示")
    assert "批示未写期限，请修改期限" in review.text and "纪要" not in review.text
    # Its title, once: no date beside it, nor a day to count from when nothing is counted.
    assert review.text.startswith("📋 刘副市长2026年11月30日批示\n拟交办1项")
    assert "1. 研究城区内涝治理工作 ⚠️\n单位：住建局\n期限：—" in review.text


async def intake_rows(office) -> tuple[int, int, int]:
    return (await count(office, "intake_documents"), await count(office, "intake_drafts"), await count(office, "tasks"))


def scanned_pdf() -> bytes:
    """A PDF page with a picture and no text layer, as a scanner makes it."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure = plt.figure(figsize=(8.27, 11.69))
    figure.figimage([[0.2, 0.8], [0.8, 0.2]], xo=50, yo=50)
    out = io.BytesIO()
    figure.savefig(out, format="pdf")
    plt.close(figure)
    return out.getvalue()


@pytest.mark.parametrize("name, data, answer", [
    ("纪要.docx", b"", "文件是空的"),
    ("纪要.docx", b"PK\x03\x04 not really a document", "文件无法读取：文件已损坏，不是完整的 Word（.docx）"),
    ("纪要.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512, "另存为” .docx"),
    ("纪要.xlsx.zip", b"\x00\x01binary", "无法读取「纪要.xlsx.zip」这种文件"),
    ("扫描件.pdf", None, "未能识别出文字"),
    ("纪要.docx", docx_bytes(["市政府第14次常务会议纪要", "会议要求各单位抓紧落实。"]), "没有找到编号的议定事项"),
])
async def test_files_the_bot_cannot_read_are_explained_and_create_nothing(city, office_on_monday, name, data, answer):
    supervisor = city["supervisor"]
    await supervisor.send_document(name, scanned_pdf() if data is None else data)
    said = await supervisor.wait_for(regex="文件|没有|无法|另存为", timeout=15)
    assert answer in said.text
    assert await intake_rows(office_on_monday) == (0, 0, 0)


async def test_a_file_too_big_for_a_bot_to_download_is_refused_before_reading(city, office_on_monday):
    supervisor = city["supervisor"]
    await supervisor.send_document("纪要（含附图）.pdf", b"%PDF-1.4\n" + b"0" * (50 * 1024 * 1024 - 16))
    said = await supervisor.wait_for(text_contains="超过 Telegram 允许机器人读取的 20 MB")
    assert "文件有 50.0 MB" in said.text
    assert await intake_rows(office_on_monday) == (0, 0, 0)


@pytest.mark.parametrize("name, make, answer", [
    ("纪要.docx", lambda: docx_bomb(100 * 2**20), "文件无法读取：解压后有 100 MB，超过 64 MB 的上限"),
    ("纪要.docx", lambda: many_parts(2500), "文件无法读取：文件由 2503 个部件组成，超过 2000 个的上限"),
    ("纪要.pdf", lambda: pdf_pages(501), "文件无法读取：PDF 有 501 页，超过 500 页的上限"),
    ("纪要.pdf", lambda: garbage_pdf(1), "文件无法读取：PDF 已损坏或不完整"),
    ("纪要.pdf", lambda: garbage_pdf(2), "文件无法读取：PDF 已损坏或不完整"),
])
async def test_a_file_bomb_is_measured_and_refused_before_it_is_read(city, office_on_monday, name, make, answer):
    supervisor = city["supervisor"]
    await supervisor.send_document(name, make())
    said = await supervisor.wait_for(text_contains="文件无法读取", timeout=15)
    assert answer in said.text
    assert "操作未完成" not in said.text
    assert await intake_rows(office_on_monday) == (0, 0, 0)


async def test_a_photo_of_printed_minutes_is_read_by_ocr(city, office_on_monday):
    clerk = city["clerk"]
    await clerk.send_photo(page_png(MINUTES_SCANNED))
    review = await clerk.wait_for(text_contains="市政府第17次常务会议纪要", timeout=30)
    assert "由扫描件识别而来" in review.text and "请逐项核对单位和期限" in review.text
    assert "1. 老旧小区改造摸底工作\n单位：住建局\n期限：2027年1月15日前" in review.text
    # 10个工作日 from Fri 11-27 is Fri 12-11.
    assert "单位：交通运输局\n期限：2026年12月11日前" in review.text
    assert buttons(review)[-1] == "全部签发（2项）"


async def test_a_picture_that_is_not_one_is_refused(city, office_on_monday):
    clerk = city["clerk"]
    await clerk.send_photo(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    assert "文件无法读取：图片已损坏" in (await clerk.wait_for(text_contains="无法", timeout=15)).text
    assert await intake_rows(office_on_monday) == (0, 0, 0)


async def test_wrong_edits_are_explained_and_change_nothing(city, office_on_monday):
    supervisor = city["supervisor"]
    await supervisor.send("/minutes\n" + "\n".join(MINUTES_PARENTHESISED))
    review = await supervisor.wait_for(text_contains="拟交办2项")
    before = await intake_rows(office_on_monday)
    async with office_on_monday.db.reader.execute("SELECT * FROM intake_drafts ORDER BY id") as cur:
        drafts_before = [tuple(r) async for r in cur]

    await supervisor.press("修改1", message=review)
    await supervisor.wait_for(text_contains="修改第1项")
    for typed, answer in (
        ("单位：不存在局", "没有名为「不存在局」的责任单位"),
        ("期限：2026-11-01", "日期2026年11月1日已过"),
        ("期限：下个月吧", "不是有效的时限"),
        ("责任：穰东镇", "看不懂「责任：穰东镇」"),
    ):
        await supervisor.send(typed)
        assert answer in (await supervisor.wait_for(regex="没有|不是|看不懂|以后|已过|今天")).text, typed
    await supervisor.send("/cancel")
    await supervisor.wait_for(text_contains="未修改")

    async with office_on_monday.db.reader.execute("SELECT * FROM intake_drafts ORDER BY id") as cur:
        assert [tuple(r) async for r in cur] == drafts_before
    assert await intake_rows(office_on_monday) == before


async def test_nothing_to_issue_until_a_draft_is_complete(city, office_on_monday):
    supervisor = city["supervisor"]
    await supervisor.send("/minutes\n一、教育局抓紧落实校园安全。")
    review = await supervisor.wait_for(text_contains="还没有可签发的事项")
    assert buttons(review) == ["修改1", "删除1"]
    await supervisor.press("修改1", message=review)
    await supervisor.wait_for(text_contains="修改第1项")
    await supervisor.send("单位：住建局\n期限：15天")
    review = await supervisor.wait_for(predicate=lambda m: "全部签发（1项）" in buttons(m))
    # 15 days from Mon 11-30 is Tue 12-15.
    assert "单位：住建局\n期限：2026年12月15日前" in review.text


async def test_an_instruction_without_words_records_nothing(city, office_on_monday):
    leader = city["leader"]
    await leader.send("/instruct")
    await leader.wait_for(text_contains="请发送批示")
    assert await intake_rows(office_on_monday) == (0, 0, 0)


async def test_a_long_review_is_paged(city, office_on_monday):
    supervisor = city["supervisor"]
    items = "\n".join(f"{n}. 住建局12月31日前完成第{n}项整治。" for n in range(1, 8))
    await supervisor.send("/minutes\n市政府第16次常务会议纪要\n" + items)
    review = await supervisor.wait_for(text_contains="拟交办7项")
    assert "第1/2页" in review.text and "5. 第5项整治工作" in review.text and "6. " not in review.text
    assert buttons(review)[-2:] == ["下一页", "全部签发（7项）"]
    await supervisor.press("下一页", message=review)
    await supervisor.wait_for(text_contains="第2/2页")
    assert "6. 第6项整治工作" in review.text and "7. 第7项整治工作" in review.text and "1. " not in review.text
    assert buttons(review) == ["修改6", "删除6", "修改7", "删除7", "上一页", "全部签发（7项）"]


async def test_a_forwarded_request_with_the_instruction_as_caption(city, office_on_monday):
    """The 批示件 is a unit's 请示 with the leader's words as caption: the 交办单 is named after
    the 请示 and carries it, so the unit has what the leader read."""
    leader, supervisor, zhujian = city["leader"], city["supervisor"], city["zhujian"]
    request = pdf_bytes(["关于城区内涝治理的请示", "市政府：", "为做好城区内涝治理工作，特请示如下……"])
    await leader.send_document("关于城区内涝治理的请示.pdf", request, caption="请住建局研究，一个月内提出意见。")
    await leader.wait_for(text_contains="已记录您的批示")
    await supervisor.wait_for(predicate=lambda m: m.document is not None and m.document.file_name == "关于城区内涝治理的请示.pdf")
    review = await supervisor.wait_for(text_contains="刘副市长2026年11月30日批示")
    # 一个月内 from Mon 11-30 is Wed 12-30.
    assert "1. 城区内涝治理的请示\n单位：住建局\n期限：2026年12月30日前" in review.text
    await supervisor.press("全部签发（1项）", message=review)
    slip = await zhujian.wait_for(text_contains="〔2026〕1号")
    assert "现将城区内涝治理的请示交由你单位办理" in slip.text
    attached = await zhujian.wait_for(predicate=lambda m: m.document is not None)
    assert zhujian.file_bytes(attached) == request


async def test_a_new_period_rewrites_the_date_the_requirement_states(city, office_on_monday):
    """工作要求 writes 「10个工作日内」 as its last day; 修改 期限 changes that day too, so the slip
    never states two dates."""
    supervisor, jiaotong = city["supervisor"], city["jiaotong"]
    await supervisor.send("/minutes\n市政府第19次常务会议纪要\n2026年11月27日，市政府召开第19次常务会议。\n一、交通运输局10个工作日内报送公交线网优化方案。")
    review = await supervisor.wait_for(text_contains="拟交办1项")
    assert "要求：交通运输局于2026年12月11日前报送公交线网优化方案。" in review.text
    await supervisor.press("修改1", message=review)
    await supervisor.wait_for(text_contains="修改第1项")
    await supervisor.send("期限：2026-12-18")
    review = await supervisor.wait_for(predicate=lambda m: "期限：2026年12月18日前" in m.text)
    assert "要求：交通运输局于2026年12月18日前报送公交线网优化方案。" in review.text
    await supervisor.press("全部签发（1项）", message=review)
    slip = await jiaotong.wait_for(text_contains="〔2026〕1号")
    assert "在收件之日起18天内办结" in slip.text and "于2026年12月18日前报送" in slip.text
    assert "12月11日" not in slip.text
