"""Intake benchmark: reading a 会议纪要 of 40 议定事项 and drafting its 交办单 (not a test).

Measures, for minutes of 40 items (each naming one or two of the city's units by full name,
short name or alias, most with a 期限 phrase) in a city of ``--units`` 责任单位:

1. the text of the file: a .docx (python-docx) and a PDF with a text layer (pdfplumber);
2. reading and drafting, pure: the items split and each one's units and 期限 found;
3. the use case on a real SQLite file: minutes recorded and 40 drafts written in one transaction;
4. 全部签发: every complete draft issued in one transaction (one 交办单 per unit, consecutive
   numbers, the outbox filled);
5. through the real bot and the Bot API emulator: a 政务监督室 member sends the .docx, the clock
   stops when the review message arrives (download, reading, drafting, answer);
6. a scanned page (a PDF with no text layer, one A4 page of the same minutes at 150 dpi) read by
   OCR (RapidOCR on onnxruntime, the models shipped in the package), once the models are loaded.

Each figure is the median of ``--repeat`` runs.

Run: ``.venv/bin/python bench/intake_bench.py [--units 300] [--repeat 5]``
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from task_lookup_bench import open_office  # noqa: E402

from bot.channels.telegram.app import build_application, start_bot, stop_bot  # noqa: E402
from bot.domain import minutes as reading  # noqa: E402
from bot.domain.calendar import ChineseWorkCalendar  # noqa: E402
from bot.domain.org import Role, UnitKind  # noqa: E402
from bot.edge import TELEGRAM, Account  # noqa: E402
from bot.emulators.telegram import EmulatorServer, Rules, Simulator  # noqa: E402
from bot.services import intake, onboarding  # noqa: E402
from bot.storage import intake as store  # noqa: E402
from bot.storage import org  # noqa: E402
from tests.intake_files import docx_bytes, pdf_bytes, scanned_pdf_bytes  # noqa: E402

ITEMS = 40
PHRASES = ("于2026年12月31日前完成", "12月底前完成", "10个工作日内报送方案", "一个月内完成", "年底前完成", "")


def unit_names(count: int) -> list[str]:
    """Departments 第N局 with the alias 市第N管理局, and towns 第N镇."""
    return [f"第{n}局" if n % 2 else f"第{n}镇" for n in range(1, count + 1)]


def minutes_lines(units: list[str]) -> list[str]:
    lines = ["市政府第40次常务会议纪要", "2026年11月20日，市政府召开第40次常务会议。现将会议议定事项纪要如下："]
    numerals = [reading._chinese(n) for n in range(1, ITEMS + 1)]
    for i, numeral in enumerate(numerals):
        lead, support = units[(7 * i) % len(units)], units[(7 * i + 3) % len(units)]
        lead_written = f"市{lead.replace('局', '管理局')}" if lead.endswith("局") else lead
        lines.append(f"{numeral}、关于第{i + 1}项重点工作")
        lines.append(
            f"会议要求，由{lead_written}牵头，{support}配合，{PHRASES[i % len(PHRASES)]}，"
            "逐项建立台账，明确责任人和完成时间，每周向市政府办公室报告进展。"
        )
    lines.append("出席：市长、副市长")
    return lines


def median_of(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:.0f} ms"


async def run(units_count: int, repeat: int) -> None:
    names = unit_names(units_count)
    lines = minutes_lines(names)
    docx = docx_bytes(lines)
    pdf = pdf_bytes(lines)
    calendar = ChineseWorkCalendar()

    docx_times, pdf_times, draft_times = [], [], []
    for _ in range(repeat):
        started = time.perf_counter()
        text = intake.text_of_file(docx, "m.docx").text
        docx_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        intake.text_of_file(pdf, "m.pdf")
        pdf_times.append(time.perf_counter() - started)
        directory = reading.UnitDirectory.build(
            dict(enumerate(names, start=1)),
            {i: [f"{n.replace('局', '管理局')}"] for i, n in enumerate(names, start=1) if n.endswith("局")},
        )
        started = time.perf_counter()
        minutes = reading.read_minutes(text)
        proposals = reading.propose_from_minutes(minutes, [str(i) for i in range(len(reading.matters(minutes)))], date(2026, 11, 30), directory, calendar)
        draft_times.append(time.perf_counter() - started)
    assert len(proposals) == ITEMS, len(proposals)
    scan = scanned_pdf_bytes(lines[:24])
    started = time.perf_counter()
    intake.text_of_file(scan, "scan.pdf")
    ocr_first = time.perf_counter() - started
    ocr_times = []
    for _ in range(repeat):
        started = time.perf_counter()
        scanned = intake.text_of_file(scan, "scan.pdf")
        ocr_times.append(time.perf_counter() - started)
    ocr_items = len(reading.read_minutes(scanned.text).items)
    complete = sum(p.complete for p in proposals)

    service_times, issue_times, bot_times = [], [], []
    slips = 0
    async with EmulatorServer(rules=Rules(rate_limits=False)) as server:
        with tempfile.TemporaryDirectory() as folder:
            office = await open_office(server, folder)
            now = office.now()
            await onboarding.add_section(office, "政务监督室", True, None, now)
            for name in names:
                await onboarding.add_unit(office, name, UnitKind.DEPARTMENT if name.endswith("局") else UnitKind.TOWN, None, now)
            async with office.db.transaction() as conn:
                for unit in await org.units(conn):
                    if unit.name.endswith("局"):
                        await store.set_aliases(conn, unit.id, [unit.name.replace("局", "管理局")])
            supervisor = await onboarding.add_person(office, "赵督查", frozenset({Role.SUPERVISOR}), now, section_name="政务监督室")
            text = intake.text_of_file(docx, "m.docx").text
            for _ in range(repeat):
                started = time.perf_counter()
                review = await intake.receive_minutes(office, supervisor, text, office.now())
                service_times.append(time.perf_counter() - started)
                started = time.perf_counter()
                issued = await intake.issue_all(office, supervisor, review.document.id, office.now())
                issue_times.append(time.perf_counter() - started)
                slips = sum(len(items) for _, items in issued.issued)

            user = await Simulator(server).create_user("赵督查")
            async with office.db.transaction() as conn:
                await org.bind_account(conn, supervisor.id, Account(TELEGRAM, str(user.id)), office.now())
            application = build_application(office, per_second=0, per_chat_interval=0, schedule=False)
            await start_bot(application, poll_timeout=1)
            try:
                for _ in range(repeat):
                    started = time.perf_counter()
                    await user.send_document("市政府第40次常务会议纪要.docx", docx)
                    await user.wait_for(text_contains="拟交办40项", timeout=60)
                    bot_times.append(time.perf_counter() - started)
            finally:
                await stop_bot(application)
            await office.db.close()

    print(f"intake bench: {ITEMS} 议定事项, {units_count} units, {platform.processor() or platform.machine()}, Python {platform.python_version()}")
    print(f"  .docx text ({len(docx) // 1024} KB)             {median_of(docx_times)}")
    print(f"  PDF text layer ({len(pdf) // 1024} KB)        {median_of(pdf_times)}")
    print(f"  reading + drafting (pure)            {median_of(draft_times)}  ({complete}/{ITEMS} complete)")
    print(f"  receive_minutes (SQLite, 40 drafts)  {median_of(service_times)}")
    print(f"  全部签发 ({slips} 交办单, one transaction) {median_of(issue_times)}")
    print(f"  bot: .docx sent → review shown       {median_of(bot_times)}")
    print(f"  OCR of one scanned A4 page (150 dpi) {median_of(ocr_times)}  (first, loading the models: {ocr_first:.1f} s; {ocr_items} of 11 items found)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(run(args.units, args.repeat))


if __name__ == "__main__":
    main()
