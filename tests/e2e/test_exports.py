"""/ledger, /board and the slips as Word, as the people receive them: the files open and hold
what the 台账 and the slips say."""

from __future__ import annotations

import io
import os
import re
from datetime import date, datetime, time, timedelta

import numpy
import pytest
from docx import Document
from openpyxl import load_workbook
from PIL import Image


from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.services import escalating
from bot.views.exports.word import word_button
from bot.storage import slips
from tests.e2e.test_lookup import issue


def at(office, day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), office.settings.timezone)


def rows_of(data: bytes, heading_row: int = 3) -> tuple[list, list[list]]:
    """The 台账's headings and lines (below its title and date line)."""
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    values = [list(r) for r in sheet.iter_rows(min_row=heading_row, values_only=True)]
    return values[0], values[1:]


async def test_ledger_xlsx_with_filters(office, city):
    clerk, supervisor = city["clerk"], city["supervisor"]
    office.clock = lambda: at(office, date(2026, 11, 2))
    first = await issue(office, clerk, "住建局", "老旧小区改造", days=7, now=at(office, date(2026, 10, 20)),
                        requirements="一、逐栋排查；\n二、建立台账；\n三、按月销号。")
    await issue(office, clerk, "住建局", "燃气管道排查", days=30, now=at(office, date(2026, 11, 2)))
    await issue(office, clerk, "交通运输局", "公交站台维修", days=10, now=at(office, date(2026, 11, 2)))
    await issue(office, supervisor, "交通运输局", "专项整治", days=10, now=at(office, date(2026, 11, 2)))

    await clerk.send("/ledger")
    sent = await clerk.wait_for(predicate=lambda m: m.document is not None)
    assert "台账" in sent.content and "3项" in sent.content  # the clerk's section issued three
    # The view is said, and the other one offered.
    assert "全表：全部24列，A4横向两页宽，每页重复编号列" in sent.content and "/ledger 会议" in sent.content
    header, rows = rows_of(clerk.file_bytes(sent))
    assert header[:4] == ["交办单编号", "工作事项", "工作要求", "责任单位"]
    titles = {r[1] for r in rows}
    assert titles == {"老旧小区改造", "燃气管道排查", "公交站台维修"}
    line = next(r for r in rows if r[1] == "老旧小区改造")
    assert line[0] == str(first.number) and line[3] == "住建局" and line[header.index("交办科室")] == "综合一科"
    assert line[header.index("交办日期")] == datetime(2026, 10, 20)  # a date cell, not text
    assert line[header.index("当前期限")] == datetime(2026, 10, 27)
    assert line[header.index("逾期天数")] == 6  # 10-27 passed, seen on 11-02
    assert line[header.index("状态")] == "已交办"
    assert line[header.index("工作要求")] == "一、逐栋排查；\n二、建立台账；\n三、按月销号。"
    fresh = next(r for r in rows if r[1] == "燃气管道排查")
    assert fresh[header.index("逾期天数")] is None and fresh[header.index("签收日期")] is None

    # As printed: a title and a date line above the headings, repeated on every page; two pages
    # wide with the 编号 column on each; every cell of the table ruled.
    sheet = load_workbook(io.BytesIO(clerk.file_bytes(sent))).worksheets[0]
    assert sheet["B1"].value == "邓州市人民政府督办工作台账"
    assert sheet["B2"].value == "截至2026年11月2日　共3项"
    assert sheet.print_title_rows == "$3:$3" and sheet.print_title_cols == "$A:$A" and sheet.freeze_panes == "B4"
    assert sheet.page_setup.orientation == "landscape" and int(sheet.page_setup.paperSize) == 9  # A4
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.page_setup.fitToWidth == 2 and sheet.page_setup.fitToHeight == 0
    lines = list(sheet.iter_rows(min_row=4))
    assert all(c.alignment.wrap_text for row in lines for c in row if isinstance(c.value, str))
    assert all(c.border.left.style == "thin" and c.border.bottom.style == "thin" for row in sheet.iter_rows(min_row=3) for c in row)
    assert sheet.cell(4, header.index("交办日期") + 1).number_format == "yyyy-mm-dd"

    # The meeting's sheet: seven columns, one page wide, the latest slip of each matter.
    await clerk.send("/ledger 会议")
    sent = await clerk.wait_for(predicate=lambda m: m.document is not None and "会议用简表" in m.content)
    assert "编号、事项、责任单位、期限、状态、逾期天数、最新督办单据，A4横向一页宽" in sent.content
    assert "/ledger 全表" in sent.content
    header, rows = rows_of(clerk.file_bytes(sent))
    assert header == ["交办单编号", "工作事项", "责任单位", "当前期限", "状态", "逾期天数", "最新督办单据"]
    line = next(r for r in rows if r[1] == "老旧小区改造")
    assert line == [str(first.number), "老旧小区改造", "住建局", datetime(2026, 10, 27), "已交办", 6, f"交办单{first.number}"]
    sheet = load_workbook(io.BytesIO(clerk.file_bytes(sent))).worksheets[0]
    assert sheet.page_setup.fitToWidth == 1 and sheet["A1"].value == "邓州市人民政府督办工作台账"

    await clerk.send("/ledger 住建局 2026-11")
    sent = await clerk.wait_for(predicate=lambda m: m.document is not None and "1项" in m.content)
    _, rows = rows_of(clerk.file_bytes(sent))
    assert [r[1] for r in rows] == ["燃气管道排查"]

    await clerk.send("/ledger 逾期")
    sent = await clerk.wait_for(predicate=lambda m: m.document is not None and "逾期" in m.content)
    _, rows = rows_of(clerk.file_bytes(sent))
    assert [r[1] for r in rows] == ["老旧小区改造"]

    await supervisor.send("/ledger 2026-11")
    sent = await supervisor.wait_for(predicate=lambda m: m.document is not None)
    _, rows = rows_of(supervisor.file_bytes(sent))
    assert len(rows) == 3 and "专项整治" in {r[1] for r in rows}

    await clerk.send("/ledger 火星局")
    answer = await clerk.wait_for(text_contains="没看懂筛选条件")
    assert "/ledger 住建局 2026-11" in answer.text


async def test_special_ledger_holds_tasks_under_supervision(office, city):
    supervisor = city["supervisor"]
    office.clock = lambda: at(office, date(2026, 11, 30))
    task = await issue(office, supervisor, "住建局", "违建拆除", days=3, now=at(office, date(2026, 11, 1)))
    await issue(office, supervisor, "住建局", "普通事项", days=30, now=at(office, date(2026, 11, 20)))
    await escalating.issue_reminder_slip(office, task.id, at(office, date(2026, 11, 10)))
    await escalating.issue_supervision_notice(office, task.id, at(office, date(2026, 11, 20)))
    await supervisor.send("/ledger 专项")
    sent = await supervisor.wait_for(predicate=lambda m: m.document is not None)
    assert "专项台账" in sent.content
    header, rows = rows_of(supervisor.file_bytes(sent))
    assert [r[1] for r in rows] == ["违建拆除"]
    line = rows[0]
    reminder, notice = [s.number for s in await slips.of_task(office.db.reader, task.id) if s.number.type.value != "assignment"]
    assert line[header.index("催办单编号")] == str(reminder) and line[header.index("督办通知单编号")] == str(notice)
    # 逾期天数 counts from the current deadline the line shows, seen on 11-30
    assert line[header.index("逾期天数")] == (datetime(2026, 11, 30) - line[header.index("当前期限")]).days > 0
    assert line[header.index("约谈日期")] is None and line[header.index("移交作风办")] is None


async def test_the_official_exports_only_the_units_lines(office, city):
    await issue(office, city["clerk"], "住建局", "住建局事项")
    await issue(office, city["clerk"], "交通运输局", "交通局事项")
    await city["zhujian"].send("/ledger")
    await city["zhujian"].wait_for(text_contains="您没有权限")  # /ledger is for the office and leaders
    await city["leader"].send("/ledger")
    sent = await city["leader"].wait_for(predicate=lambda m: m.document is not None)
    _, rows = rows_of(city["leader"].file_bytes(sent))
    assert {r[1] for r in rows} == {"住建局事项", "交通局事项"}  # both units are in 刘副市长's charge


def colours(png: bytes) -> dict[str, int]:
    """Pixels of each of the board's three colours."""
    pixels = numpy.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    wanted = {"green": (0x2E, 0x7D, 0x32), "yellow": (0xF9, 0xA8, 0x25), "red": (0xC6, 0x28, 0x28)}
    return {name: int((abs(pixels - rgb).max(axis=2) < 8).sum()) for name, rgb in wanted.items()}


async def test_board_picture_and_counts(office, city):
    supervisor = city["supervisor"]
    today = date(2026, 11, 20)
    office.clock = lambda: at(office, today)
    await issue(office, supervisor, "住建局", "按时事项", days=30, now=at(office, today))  # green
    await issue(office, supervisor, "住建局", "将到期", days=2, now=at(office, today))  # yellow
    await issue(office, supervisor, "交通运输局", "已逾期", days=3, now=at(office, today - timedelta(days=10)))  # red
    chased = await issue(office, supervisor, "穰东镇", "已督办", days=3, now=at(office, today - timedelta(days=12)))
    await escalating.issue_reminder_slip(office, chased.id, at(office, today - timedelta(days=8)))
    await escalating.issue_supervision_notice(office, chased.id, at(office, today - timedelta(days=1)))  # red
    done = await issue(office, supervisor, "住建局", "已办结", days=3, now=at(office, today))
    async with office.db.transaction() as conn:
        await conn.execute("UPDATE tasks SET status = 'completed' WHERE id = ?", (done.id,))

    await supervisor.send("/board")
    shown = await supervisor.wait_for(predicate=lambda m: m.photo is not None)
    assert "绿 1 项" in shown.content and "黄 1 项" in shown.content and "红 2 项" in shown.content
    assert "共4项，3个单位" in shown.content
    png = supervisor.file_bytes(shown)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    seen = colours(png)
    assert seen["green"] > 100 and seen["yellow"] > 100 and seen["red"] > 100, seen

    zhujian = city["zhujian"]
    await zhujian.send("/board")
    own = await zhujian.wait_for(predicate=lambda m: m.photo is not None)
    assert "绿 1 项" in own.content and "黄 1 项" in own.content and "红 0 项" in own.content
    # Only the legend's swatch is red: no bar is.
    assert colours(zhujian.file_bytes(own))["red"] < seen["red"] / 3


async def test_slip_as_word_from_its_button(office, city, bot):
    clerk, zhujian, jiaotong = city["clerk"], city["zhujian"], city["jiaotong"]
    office.clock = lambda: at(office, date(2026, 11, 24))
    task = await issue(office, clerk, "住建局", "老旧小区改造进度核查", days=7, requirements="逐小区核查")
    (slip,) = await slips.of_task(office.db.reader, task.id)
    data = word_button(task.id, slip.id).offer.data
    presses = {}
    for member in (zhujian, jiaotong):
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("下载Word", callback_data=data)]])
        await bot.bot.send_message(member.id, "交办单", reply_markup=keyboard)
        carrier = await member.wait_for(text_contains="交办单")
        presses[member.person.name] = await member.press("下载Word", message=carrier)

    sent = await zhujian.wait_for(predicate=lambda m: m.document is not None)
    assert sent.document.file_name.endswith(".docx")
    document = Document(io.BytesIO(zhujian.file_bytes(sent)))
    text = [p.text for p in document.paragraphs if p.text.strip()]
    assert text[0] == "《邓州市人民政府工作交办单》"
    assert text[1] == str(task.number)
    assert text[2] == "住建局："
    assert any(p.startswith("根据市政府常务会议纪要〔2026〕15号，现将老旧小区改造进度核查交由你单位办理") for p in text)
    assert any("在收件之日起7天内办结" in p for p in text)
    assert "联 系 人：王科员" in text and "联系电话：0377-6228" in text
    assert text[-1] == "2026年11月24日"
    assert "{{" not in " ".join(text) and "{%" not in " ".join(text)

    # The other unit's official is refused and gets no file.
    refused = await jiaotong.wait_for_answer(presses["张交通"])
    assert "您没有权限" in (refused.answer_text or "")
    assert not any(m.document for m in jiaotong.messages())


async def test_task_detail_offers_every_slip_as_docx(office, city, bot):
    clerk, zhujian = city["clerk"], city["zhujian"]
    task = await issue(office, clerk, "住建局", "管网改造", days=3, now=at(office, date(2026, 11, 1)))
    await escalating.issue_reminder_slip(office, task.id, at(office, date(2026, 11, 10)))
    # /task carries 下载Word: every slip of the task, each as a .docx.
    await zhujian.send(f"/task {task.number}")
    detail = await zhujian.wait_for(text_contains="工作事项")
    await zhujian.press("下载Word", message=detail)
    first = await zhujian.wait_for(predicate=lambda m: m.document is not None)
    second = await zhujian.wait_for(predicate=lambda m: m.document is not None)
    titles = {Document(io.BytesIO(zhujian.file_bytes(m))).paragraphs[0].text for m in (first, second)}
    assert titles == {"《邓州市人民政府工作交办单》", "《邓州市人民政府工作催办单》"}
    reminder = Document(io.BytesIO(zhujian.file_bytes(second if "催办" in second.document.file_name else first)))
    assert any("现已逾期" in p.text for p in reminder.paragraphs)
    stored = await slips.of_task(office.db.reader, task.id)
    assert len(stored) == 2


async def _duban(office, *args: str) -> tuple[int, str, str]:
    import asyncio
    import sys

    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "--db", str(office.settings.db_path), "export", *args,
        env={**os.environ, **({"DUBAN_DATABASE_URL": office.settings.database_url} if office.settings.database_url else {})},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()
    return proc.returncode or 0, out.decode(), err.decode()


async def test_duban_export_from_the_command_line(office, city, tmp_path):
    from decimal import Decimal

    from bot.domain.scores import ScoreCategory
    from bot.services import scoring
    from bot.services.scoring import Entry

    task = await issue(office, city["clerk"], "住建局", "命令行导出事项", now=at(office, date(2026, 11, 3)))
    unit_id = task.unit_id
    await scoring.record(office, city["supervisor"].person, [Entry(unit_id, ScoreCategory.PRAISE)], "表扬",
                         date(2026, 11, 5), at(office, date(2026, 11, 6)))
    code, out, err = await _duban(office, "ledger", "住建局", "-o", str(tmp_path / "l.xlsx"))
    assert code == 0, err
    assert "1项" in out and "全表" in out
    _, rows = rows_of((tmp_path / "l.xlsx").read_bytes())
    assert rows[0][1] == "命令行导出事项"
    code, out, err = await _duban(office, "ledger", "会议", "-o", str(tmp_path / "m.xlsx"))
    assert code == 0, err
    assert "会议用简表" in out
    header, rows = rows_of((tmp_path / "m.xlsx").read_bytes())
    assert len(header) == 7 and rows[0][1] == "命令行导出事项"

    code, out, err = await _duban(office, "slip", f"{task.number.year}-{task.number.seq}", "-o", str(tmp_path / "s.docx"))
    assert code == 0, err
    assert Document(str(tmp_path / "s.docx")).paragraphs[0].text == "《邓州市人民政府工作交办单》"

    code, out, err = await _duban(office, "report", "2026-11", "-o", str(tmp_path / "r.xlsx"))
    assert code == 0, err
    sheet = load_workbook(tmp_path / "r.xlsx").worksheets[0]
    assert sheet["A1"].value == "2026年11月各单位加减分情况通报"
    lines = {row[1]: row for row in sheet.iter_rows(min_row=3, values_only=True)}
    assert Decimal(str(lines["住建局"][-2])) == Decimal("101") and lines["住建局"][0] == 1
    assert len(sheet._charts) == 1
    # As printed: landscape A4 fitted to its width, the table on one page, the chart whole below a
    # page break, the title and headings repeated.
    last = sheet.max_row
    assert sheet.page_setup.orientation == "landscape" and sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.page_setup.fitToWidth == 1 and sheet.print_title_rows == "$1:$2"
    assert [b.id for b in sheet.row_breaks.brk] == [last]
    anchor = sheet._charts[0].anchor._from
    assert anchor.row >= last and anchor.col == 0  # below the table, not beside it
    assert all(c.alignment.wrap_text for c in sheet[2])

    # The same 通报 as a document to file: title, 文号-like line, a table of units and points, the date.
    code, out, err = await _duban(office, "report", "2026-11", "--docx", "-o", str(tmp_path / "r.docx"))
    assert code == 0, err
    document = Document(str(tmp_path / "r.docx"))
    text = [p.text for p in document.paragraphs if p.text.strip()]
    assert text[:2] == ["2026年11月各单位加减分情况通报", "市政府办公室政务监督室　〔2026〕第11期"]
    assert text[-2] == "市政府办公室政务监督室" and re.fullmatch(r"\d{4}年\d{1,2}月\d{1,2}日", text[-1])  # the day of export
    (table,) = document.tables
    rows = [[c.text for c in row.cells] for row in table.rows]
    assert rows[0] == ["名次", "责任单位", "加减分事项", "本月加减分", "年度得分", "备注"]
    zhujian = next(r for r in rows if r[1] == "住建局")
    assert zhujian[0] == "1" and zhujian[3] == "+1" and zhujian[4] == "101" and "通报表扬1次（+1分）" in zhujian[2]
    assert len(rows) == 1 + len({r[1] for r in rows[1:]})  # one line per unit, no template rows left
    assert "{" not in " ".join(text + [c for r in rows for c in r])

    code, _, err = await _duban(office, "slip", "2026-999")
    assert code == 2 and "2026-999" in err or "没有" in err


async def test_slip_docx_follows_the_notice_and_keeps_line_breaks(office, city):
    """附件1: body, 联 系 人, 联系电话, then 「附件：XX工作任务分解台账」, then the date; a line break typed
    in 工作要求 stays inside its paragraph instead of becoming an indented paragraph of its own."""
    from bot.domain.feedback import Attachment
    from bot.domain.tasks import SourceType
    from bot.views.exports.word import slip_docx
    from bot.services.issuing import AssignmentDraft, issue_assignment
    from bot.storage import org

    unit = await org.unit_by_name(office.db.reader, "住建局")
    draft = AssignmentDraft(
        title="城区积水点排查整治", requirements="一、逐点建立台账；\n二、明确整改措施；\n三、按期销号。",
        basis="市政府第12次常务会议纪要", source=SourceType.OTHER, unit_ids=(unit.id,), period_days=7,
        attachment=Attachment("document", "file-ledger", file_name="积水点整治工作任务分解台账.xlsx"),
    )
    [issued] = await issue_assignment(office, draft, city["clerk"].person, at(office, date(2026, 11, 24)))
    (slip,) = await slips.of_task(office.db.reader, issued.task.id)
    _, data = await slip_docx(office, city["clerk"].person, slip_id=slip.id)
    paragraphs = [p for p in Document(io.BytesIO(data)).paragraphs if p.text.strip()]
    text = [p.text for p in paragraphs]
    assert text[0] == "《邓州市人民政府工作交办单》" and text[2] == "住建局："
    assert text[-4:] == [
        "联 系 人：王科员", text[-3], "附件：积水点整治工作任务分解台账.xlsx", "2026年11月24日",
    ] and text[-3].startswith("联系电话：")
    requirements = [p for p in paragraphs if p.text.startswith("工作要求：")]
    assert len(requirements) == 1
    assert requirements[0].text == "工作要求：一、逐点建立台账；\n二、明确整改措施；\n三、按期销号。"
    assert len(requirements[0]._p.xpath(".//w:br")) == 2  # line breaks, not paragraphs
    assert not any(t.startswith("二、") for t in text)


@pytest.mark.parametrize("units", [1, 12, 200])
def test_board_reads_on_a_phone(units, tmp_path):
    """Title, legend and rows never overlap, and at the 390 px Telegram shows a photo on a phone
    the smallest text is still about 12 px tall. The pictures are saved for a person to look at."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from bot.views.exports.charts import MAX_ROWS, BoardRow, board_figure, board_png

    names = ("住建局", "穰东镇", "自然资源和规划局", "湍河街道办事处")
    rows = [BoardRow(f"{names[i % 4]}{i if units > 4 else ''}", i % 5, i % 3, (i * 7) % 4) for i in range(units)]
    legend = ("绿（正常）", "黄（3天内到期或已催办）", "红（逾期或已督办）")
    figure = board_figure(rows, "红黄绿督办看板 · 2026年12月10日", legend, "没有在办事项")
    renderer = FigureCanvasAgg(figure).get_renderer()
    (title,) = figure.texts
    (key,) = figure.legends
    (axes,) = figure.axes
    boxes = {"title": title.get_window_extent(renderer), "legend": key.get_window_extent(renderer),
             "rows": axes.get_tightbbox(renderer)}
    whole = figure.bbox
    for name, box in boxes.items():
        assert whole.x0 <= box.x0 and box.x1 <= whole.x1 and whole.y0 <= box.y0 and box.y1 <= whole.y1, name
    assert boxes["title"].y0 > boxes["legend"].y1 and boxes["legend"].y0 > boxes["rows"].y1
    labels = [t.get_window_extent(renderer) for t in axes.get_yticklabels()]
    assert len(labels) == min(units, MAX_ROWS)
    assert all(a.y0 >= b.y1 or b.y0 >= a.y1 for a, b in zip(labels, labels[1:])), "unit names overlap"

    png = board_png(rows, "红黄绿督办看板 · 2026年12月10日", legend, "没有在办事项")
    width, height = Image.open(io.BytesIO(png)).size
    smallest = min(t.get_fontsize() for t in [title, *key.get_texts(), *axes.get_yticklabels()])
    assert smallest * figure.dpi / 72 * 390 / width >= 11  # pixels tall on the phone
    assert height / width <= 20  # within what sendPhoto accepts
    (tmp_path / f"board-{units}.png").write_bytes(png)
