"""Every export as a clerk prints it: opened in LibreOffice and printed to PDF.

The 台账 goes to meetings, the 通报 is filed and the slips are signed and archived, so each file is
converted to PDF by LibreOffice (``soffice --convert-to pdf``, as "print to PDF" does) and the
pages are read back with poppler: how many, which way round, and that every word of every cell is
on them (a cell whose text is clipped or printed over loses words). Where LibreOffice or poppler
is not installed (``scripts/system-deps.sh`` installs both) these tests are skipped, saying so.

With ``DUBAN_PRINT_DIR`` set, each printed page is also saved there as a PNG (the README's
pictures in ``docs/printed/`` come from this).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from bot.domain.scores import ScoreCategory
from bot.services import escalating, scoring
from bot.views.exports import ledger, word, workbooks
from bot.services.scoring import Entry, parse_period
from bot.storage import org, slips
from tests.e2e.test_exports import at
from tests.e2e.test_lookup import issue

pytestmark = pytest.mark.skipif(
    not (shutil.which("soffice") and shutil.which("pdftotext") and shutil.which("pdfinfo")),
    reason="LibreOffice (soffice) and poppler-utils are needed to print the exports to PDF: run scripts/system-deps.sh as root",
)

A4_LANDSCAPE, A4_PORTRAIT = (842, 595), (595, 842)
"""Page sizes in points, as pdfinfo rounds them."""

REQUIREMENTS = "一、逐点排查，建立问题清单和整改台账；\n二、明确责任人和完成时限，每周报送进度；\n三、整改完成后逐项销号，资料归档备查。"
"""Three lines typed in 工作要求: each must print whole, wrapped inside its cell."""


def print_to_pdf(files: dict[str, bytes], folder: Path) -> dict[str, Path]:
    """Write the files, print them all with one LibreOffice run, and return each one's PDF."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    profile = folder / "lo-profile"  # its own profile: two runs at once don't share a lock
    subprocess.run(
        ["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
         "--outdir", str(folder), *(str(folder / n) for n in files)],
        check=True, capture_output=True, timeout=240,
    )
    pdfs = {name: folder / (Path(name).stem + ".pdf") for name in files}
    missing = [n for n, p in pdfs.items() if not p.exists()]
    assert not missing, f"LibreOffice printed nothing for {missing}"
    keep = os.environ.get("DUBAN_PRINT_DIR")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        for pdf in pdfs.values():
            subprocess.run(["pdftoppm", "-png", "-r", "70", str(pdf), str(Path(keep) / pdf.stem)], check=True)
    return pdfs


def pages(pdf: Path) -> list[str]:
    """The text of each page, in reading order."""
    out = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    return out.split("\f")[:-1]


def page_sizes(pdf: Path) -> list[tuple[int, int]]:
    info = subprocess.run(["pdfinfo", "-l", "999", str(pdf)], check=True, capture_output=True, text=True).stdout
    return [(round(float(w)), round(float(h))) for w, h in re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+)", info)]


def overprinted(pdf: Path) -> list[tuple[str, str]]:
    """Pairs of words printed over each other on a page (as text that does not fit its cell is)."""
    html = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    clashes = []
    for page in html.split("<page ")[1:]:
        # A word's box is its font's ascent to descent, about 1.3 times the size: at 10 points the
        # lines of a wrapped cell touch boxes while their glyphs are well apart.
        words = [
            (float(x0) + 0.5, float(y0) + 0.12 * (float(y1) - float(y0)), float(x1) - 0.5,
             float(y1) - 0.12 * (float(y1) - float(y0)), text)
            for x0, y0, x1, y1, text in re.findall(
                r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>', page)
        ]
        words.sort()
        for i, a in enumerate(words):
            for b in words[i + 1:]:
                if b[0] >= a[2]:
                    break
                if b[1] < a[3] and a[1] < b[3]:
                    clashes.append((a[4], b[4]))
    return clashes


def smallest_print(pdf: Path) -> float:
    """The smallest size, in points, any character is printed at (the sheet's size times the
    scaling that fitted it to the page)."""
    import pdfplumber

    with pdfplumber.open(pdf) as document:
        return min(round(float(ch["size"]), 1) for page in document.pages for ch in page.chars if ch["text"].strip())


def ruled_lines(pdf: Path) -> list[int]:
    """How many ruling lines (cell borders) each page draws."""
    import pdfplumber

    with pdfplumber.open(pdf) as document:
        return [len(page.lines) + len(page.rects) for page in document.pages]


def run_together(pdf: Path) -> list[str]:
    """Printed words where a number runs into a slip number (「11〔2026〕3号」)."""
    html = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    return [w for w in re.findall(r"<word [^>]*>([^<]*)</word>", html) if re.search(r"[\d号]〔", w)]


def holds(printed: str, text: str, times: int) -> bool:
    """Every character of ``text`` is printed at least ``times`` times over (wrapping aside)."""
    have = Counter(squeezed(printed))
    return all(have[ch] >= n * times for ch, n in Counter(squeezed(text)).items())


def squeezed(text: str) -> str:
    """Text without the spaces and line breaks wrapping puts in."""
    return re.sub(r"\s+", "", text)


async def test_every_export_prints_whole(office, city, tmp_path):
    clerk, supervisor = city["clerk"], city["supervisor"]
    office.clock = lambda: at(office, date(2026, 11, 30))
    titles = []
    for index in range(24):
        unit = ("住建局", "交通运输局", "穰东镇")[index % 3]
        title = f"城区第{index + 1}片区积水点排查整治和雨污管网改造"
        titles.append(title)
        task = await issue(office, clerk, unit, title, days=7, now=at(office, date(2026, 11, 2)), requirements=REQUIREMENTS)
        if index % 4 == 0:
            await escalating.issue_reminder_slip(office, task.id, at(office, date(2026, 11, 12)))
        if index == 0:
            await escalating.issue_supervision_notice(office, task.id, at(office, date(2026, 11, 18)))
            escalated = task
    units = {u.name: u.id for u in await org.units(office.db.reader)}
    await scoring.record(office, supervisor.person, [Entry(units["住建局"], ScoreCategory.PRAISE)], "表扬",
                         date(2026, 11, 5), at(office, date(2026, 11, 6)))
    await scoring.record(office, supervisor.person, [Entry(units["穰东镇"], ScoreCategory.MEETING_ABSENT)], "缺席",
                         date(2026, 11, 9), at(office, date(2026, 11, 9)))

    today = date(2026, 11, 30)
    ledger_xlsx, count = await ledger.ledger_workbook(office, supervisor.person, ledger.LedgerFilter(), today)
    assert count == 24
    meeting_xlsx, _ = await ledger.ledger_workbook(office, supervisor.person, ledger.LedgerFilter(view=ledger.View.MEETING), today)
    period = parse_period("2026-11")
    table = await scoring.table(office, period, today)
    title = "2026年11月各单位加减分情况通报"
    assignment, reminder, notice = await slips.of_task(office.db.reader, escalated.id)
    files = {
        "ledger.xlsx": ledger_xlsx,
        "ledger-meeting.xlsx": meeting_xlsx,
        "report-table.xlsx": workbooks.report_workbook(table, title),
        "report.docx": word.report_docx(table, title, office.settings.organisation, today),
        "assignment.docx": (await word.slip_docx(office, supervisor.person, slip_id=assignment.id))[1],
        "reminder.docx": (await word.slip_docx(office, supervisor.person, slip_id=reminder.id))[1],
        "supervision.docx": (await word.slip_docx(office, supervisor.person, slip_id=notice.id))[1],
    }
    pdfs = print_to_pdf(files, tmp_path / "printed")

    # 台账, full view: landscape A4, the columns over two page widths, readable (≥ 9 pt), the
    # headings and the 编号 column on every page, ruled cells, every line of every 工作要求
    # printed whole, no number printed against its neighbour.
    text = pages(pdfs["ledger.xlsx"])
    assert set(page_sizes(pdfs["ledger.xlsx"])) == {A4_LANDSCAPE}
    assert 2 < len(text) <= 12 and len(text) % 2 == 0, len(text)
    assert all("交办单编号" in page for page in text), "a page lost the headings"
    assert [("办结日期" in page) for page in text] == [False, True] * (len(text) // 2), "a line's halves on facing pages"
    numbers = [re.findall(r"^\s*(〔2026〕\d+号)", page, re.M) for page in text]
    assert all(numbers[i] and numbers[i] == numbers[i + 1] for i in range(0, len(text), 2)), "编号 on every page"
    assert "邓州市人民政府督办工作台账" in text[0] and "截至2026年11月30日" in text[0]
    assert holds("".join(text), REQUIREMENTS, 24) and holds("".join(text), "".join(titles), 1)
    assert smallest_print(pdfs["ledger.xlsx"]) >= 9
    assert min(ruled_lines(pdfs["ledger.xlsx"])) > 20, "the cells are ruled"
    assert overprinted(pdfs["ledger.xlsx"]) == [] and run_together(pdfs["ledger.xlsx"]) == []

    # 台账, meeting view: 编号, 事项, 责任单位, 期限, 状态, 逾期天数 and the latest slip, one page wide.
    text = pages(pdfs["ledger-meeting.xlsx"])
    assert set(page_sizes(pdfs["ledger-meeting.xlsx"])) == {A4_LANDSCAPE}
    assert all(all(h in page for h in ("交办单编号", "工作事项", "责任单位", "当前期限", "状态", "逾期天数", "最新督办单据"))
               for page in text), "a page lost the headings"
    flat = squeezed("".join(text))
    assert holds(flat, "".join(titles), 1) and "督办通知单〔2026〕1号" in flat and "催办单〔2026〕" in flat
    assert "工作要求" not in flat
    assert smallest_print(pdfs["ledger-meeting.xlsx"]) >= 9
    assert min(ruled_lines(pdfs["ledger-meeting.xlsx"])) > 20
    assert overprinted(pdfs["ledger-meeting.xlsx"]) == [] and run_together(pdfs["ledger-meeting.xlsx"]) == []

    # 通报 .xlsx: the table on one page, the chart whole on the next.
    text = pages(pdfs["report-table.xlsx"])
    assert len(text) == 2 and set(page_sizes(pdfs["report-table.xlsx"])) == {A4_LANDSCAPE}
    assert all(name in text[0] for name in ("住建局", "交通运输局", "穰东镇", "年度得分", "备注"))
    # page 2: the repeated title and headings, then the chart with its own title and the units
    assert squeezed(text[0]).count(title) == 1 and squeezed(text[1]).count(title) == 2 and "住建局" in text[1]
    assert overprinted(pdfs["report-table.xlsx"]) == []

    # 通报 .docx: one portrait page with every unit and the date.
    text = pages(pdfs["report.docx"])
    assert len(text) == 1 and page_sizes(pdfs["report.docx"]) == [A4_PORTRAIT]
    assert all(name in squeezed(text[0]) for name in ("住建局", "交通运输局", "穰东镇", "市政府通报表扬1次", "2026年11月30日"))

    # The slips: one portrait page each, the notice's lines in the notice's order.
    for name, heading in (("assignment.docx", "工作交办单"), ("reminder.docx", "工作催办单"), ("supervision.docx", "督办通知单")):
        text = pages(pdfs[name])
        assert len(text) == 1 and page_sizes(pdfs[name]) == [A4_PORTRAIT], name
        flat = squeezed(text[0])
        assert heading in flat and flat.index("联系人") < flat.index("联系电话") < flat.rindex("年")
        assert overprinted(pdfs[name]) == [], name
    flat = squeezed(pages(pdfs["assignment.docx"])[0])
    assert squeezed(REQUIREMENTS) in flat  # the typed lines, kept together in their paragraph
