"""/new dialog benchmark: how long a clerk waits for each next question, at Telegram's pace.

The real application (every handler, the outbox sender) long-polls the emulator with
Telegram's limits on (``Rules()``: one message a second per chat, 429 beyond) and the bot
paced at 30/s overall and 1 s per chat, as in production. A clerk walks the guided /new
dialog: types 事项, 要求 and 根据, then taps 交办类型, a unit, 选好了, the 责任人, 时限,
专项台账 and 跳过 (the attachment), pausing ``--think`` seconds before each answer as a person
reading the question would. For each answer the clock runs from the tap (or the sent text) to
the arrival of the next question. Repeated ``--walks`` times by different clerks.

Run: ``.venv/bin/python bench/dialog_bench.py [--walks 3] [--think 1.5]`` (about 15 s a walk).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
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

STEPS = (
    # (how the clerk answers, the answer, words of the next question)
    ("send", "/new", "工作事项"),
    ("send", "城区积水点排查整治", "工作要求"),
    ("send", "逐点建立台账，明确整改措施和完成时间。", "根据"),
    ("send", "市政府第12次常务会议纪要", "交办类型"),
    ("press", "其他口线工作", "责任单位"),
    ("press", "住建局", "已选：住建局"),
    ("press", "选好了", "住建局的责任人"),
    ("press", "李住建", "时限"),
    ("press", "7天", "专项工作台账"),
    ("press", "否", "工作任务分解台账"),
    ("press", "跳过", "确认签发"),
)


async def bench(walks: int, think: float) -> tuple[dict[str, list[float]], int]:
    """Seconds from each answer to the next question, per step; and the 429s answered."""
    waits: dict[str, list[float]] = {answer: [] for _, answer, _ in STEPS}
    async with EmulatorServer(rules=Rules()) as server:
        with tempfile.TemporaryDirectory() as folder:
            office = await open_office(server, folder)
            now = office.now()
            simulator = Simulator(server)
            await onboarding.add_section(office, "综合一科", False, None, now)
            await onboarding.add_unit(office, "住建局", UnitKind.DEPARTMENT, None, now)
            official = await onboarding.add_person(office, "李住建", frozenset({Role.RESPONSIBLE}), now, "住建局")
            clerks = [
                await onboarding.add_person(office, f"王科员{n}", frozenset({Role.CLERK}), now, section_name="综合一科")
                for n in range(walks)
            ]
            users = [await simulator.create_user(person.name) for person in [official, *clerks]]
            async with office.db.transaction() as conn:
                for person, user in zip([official, *clerks], users, strict=True):
                    await org.bind_account(conn, person.id, Account(TELEGRAM, str(user.id)), office.now())
            application = build_application(office, per_second=30, per_chat_interval=1.0, schedule=False)
            await start_bot(application, poll_timeout=1)
            try:
                for clerk in users[1:]:
                    for how, answer, question in STEPS:
                        await asyncio.sleep(think)
                        started = time.monotonic()
                        if how == "send":
                            await clerk.send(answer)
                        else:
                            await clerk.press(answer)
                        await clerk.wait_for(text_contains=question, timeout=30)
                        waits[answer].append(time.monotonic() - started)
            finally:
                await stop_bot(application)
                await office.db.close()
    return waits, server.methods.flood.refused


def main() -> None:
    """Walk the dialog, print the waits."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--walks", type=int, default=3)
    parser.add_argument("--think", type=float, default=1.5)
    args = parser.parse_args()
    print(f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs")
    waits, refused = asyncio.run(bench(args.walks, args.think))
    print(f"/new walked {args.walks}×, {args.think} s to read each question; wait for the next question:")
    for answer, seconds in waits.items():
        print(f"  {answer[:14]:<16} median {statistics.median(seconds):.2f} s, max {max(seconds):.2f} s")
    taps = [s for (how, answer, _) in STEPS if how == "press" for s in waits[answer]]
    print(f"button answers: median {statistics.median(taps):.2f} s, max {max(taps):.2f} s; 429s answered: {refused}")


if __name__ == "__main__":
    main()
