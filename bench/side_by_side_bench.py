"""Another chat's answer while a long PDF is read (not a test).

A 政务监督室 member sends minutes as a PDF of ``--pages`` pages with a text layer (made here,
``tests/file_bombs.pdf_pages``; ``--lines`` lines a page), to the real bot (every handler
module, the sender running) long-polling the Bot API emulator on a real SQLite file. While the
PDF is read, ``--others`` people each send /help one after another, a new one every
``--every`` seconds; the figure is the time from a /help sent to its answer arriving. The
clock of the PDF stops at its answer (a 500-page PDF of these lines has no numbered 议定事项:
the answer says so, after reading all of it; 500 pages of 8 lines are 192,000 characters,
within the 200,000 a file may hold).

Run: ``.venv/bin/python bench/side_by_side_bench.py [--pages 500] [--lines 8] [--others 5]``
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from task_lookup_bench import open_office  # noqa: E402

from bot.channels.telegram.app import build_application, start_bot, stop_bot  # noqa: E402
from bot.domain.org import Role, UnitKind  # noqa: E402
from bot.edge import TELEGRAM, Account  # noqa: E402
from bot.emulators.telegram import EmulatorServer, Rules, Simulator  # noqa: E402
from bot.services import onboarding  # noqa: E402
from bot.storage import org  # noqa: E402
from tests.file_bombs import pdf_pages  # noqa: E402


async def run(pages: int, lines: int, others: int, every: float) -> None:
    pdf = pdf_pages(pages, lines)
    async with EmulatorServer(rules=Rules(rate_limits=False)) as server:
        with tempfile.TemporaryDirectory() as folder:
            office = await open_office(server, folder)
            now = office.now()
            await onboarding.add_section(office, "政务监督室", True, None, now)
            await onboarding.add_unit(office, "住建局", UnitKind.DEPARTMENT, None, now)
            simulator = Simulator(server)
            supervisor = await onboarding.add_person(office, "赵督查", frozenset({Role.SUPERVISOR}), now, section_name="政务监督室")
            sender = await simulator.create_user("赵督查")
            people = []
            for n in range(others):
                person = await onboarding.add_person(office, f"责任人{n}", frozenset({Role.RESPONSIBLE}), now, unit_name="住建局")
                people.append((person, await simulator.create_user(f"责任人{n}")))
            async with office.db.transaction() as conn:
                await org.bind_account(conn, supervisor.id, Account(TELEGRAM, str(sender.id)), office.now())
                for person, user in people:
                    await org.bind_account(conn, person.id, Account(TELEGRAM, str(user.id)), office.now())
            application = build_application(office, per_second=0, per_chat_interval=0, schedule=False)
            await start_bot(application, poll_timeout=1)
            try:
                for _, user in people:  # warm-up: each chat answered once before the clock runs
                    await user.send("/help")
                    await user.wait_for(text_contains="/feedback", timeout=30)
                started = time.perf_counter()
                await sender.send_document("市政府第50次常务会议纪要.pdf", pdf)
                read = asyncio.create_task(sender.wait_for(regex="议定事项|超过", timeout=900))
                answers: list[float] = []
                while not read.done():
                    for _, user in people:
                        if read.done():
                            break
                        asked = time.perf_counter()
                        await user.send("/help")
                        await user.wait_for(text_contains="/feedback", timeout=600)
                        answers.append(time.perf_counter() - asked)
                        await asyncio.sleep(every)
                await read
                pdf_seconds = time.perf_counter() - started
            finally:
                await stop_bot(application)
            await office.db.close()
    print(f"PDF: {pages} pages, {len(pdf) / 1024:.0f} KB, answered after {pdf_seconds:.1f} s")
    if answers:
        print(
            f"/help from {others} other chats during it: {len(answers)} answered, "
            f"median {statistics.median(answers) * 1000:.0f} ms, max {max(answers) * 1000:.0f} ms"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pages", type=int, default=500)
    parser.add_argument("--lines", type=int, default=8)
    parser.add_argument("--others", type=int, default=5)
    parser.add_argument("--every", type=float, default=0.2)
    args = parser.parse_args()
    asyncio.run(run(args.pages, args.lines, args.others, args.every))


if __name__ == "__main__":
    main()
