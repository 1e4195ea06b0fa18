"""Push-rate benchmark of the 钉钉 sender against the 钉钉 emulator (not a test).

N copies of a 交办单 (outbox rows of purpose ``slip``, one per person, each a card in the robot
chat and a 工作通知: three OpenAPI calls) are queued in a real SQLite file; the real
``bot.channels.dingtalk.sender.DingTalkSender`` drains them into the emulator over HTTP.

1. Paced: the sender at ``[dingtalk] send_per_second`` (10 by default), the emulator refusing
   any API beyond 1,200 calls a minute (钉钉's 20 a second per API on its standard edition,
   counted per minute here): the push rate within 钉钉's quotas, and the refusals (goal: none).
2. Unpaced, no quotas: the sender's own ceiling (a claim, three calls, the result, each row).
3. Over quota: unpaced against 200 calls a minute per API: the sender is refused, pauses and
   puts rows back; every slip arrives once (goal: delivered = queued, none twice).
4. The read poll: every 工作通知 of run 2 read, one turn of ``poll_reads_once`` unpaced
   (``getsendresult`` and the read recorded, each); paced, a turn takes N / send_per_second.

Run: ``.venv/bin/python bench/dingtalk_sender_bench.py [--slips 600] [--unpaced 1000]
[--over 300]`` (about 60 s paced, 70 s over quota; ``--over 0`` skips it).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.channels.dingtalk.openapi import DingTalkApi, DingTalkApp  # noqa: E402
from bot.channels.dingtalk.sender import DingTalkSender  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.domain.org import Role, UnitKind  # noqa: E402
from bot.domain.tasks import SourceType  # noqa: E402
from bot.emulators.dingtalk import DingTalkEmulator  # noqa: E402
from bot.services import onboarding  # noqa: E402
from bot.services.context import Office  # noqa: E402
from bot.services.issuing import AssignmentDraft, issue_assignment  # noqa: E402
from bot.storage import slips  # noqa: E402
from bot.storage.rows import stamp  # noqa: E402


async def one_slip(office: Office) -> tuple[int, int, str]:
    """A real 交办单 (its task, slip and text), issued to a unit nobody is bound in."""
    now = office.now()
    await onboarding.add_section(office, "综合一科", False, None, now)
    unit = await onboarding.add_unit(office, "住建局", UnitKind.DEPARTMENT, None, now)
    clerk = await onboarding.add_person(office, "王科员", frozenset({Role.CLERK}), now, None, "综合一科", "0377-6228")
    draft = AssignmentDraft(title="城区积水点排查整治", requirements="逐点建立台账。", basis="市政府第12次常务会议纪要",
                            source=SourceType.OTHER, unit_ids=(unit.id,), period_days=7)
    [issued] = await issue_assignment(office, draft, clerk, now)
    [slip] = await slips.of_task(office.db.reader, issued.task.id)
    async with office.db.reader.execute("SELECT text FROM slips WHERE id = ?", (slip.id,)) as cur:
        row = await cur.fetchone()
    return issued.task.id, slip.id, str(row[0])


async def run(copies: int, per_second: float, calls_per_minute: int, poll: bool = False) -> dict[str, float]:
    """Queue ``copies`` copies of a slip to as many people, drain them; the figures."""
    async with DingTalkEmulator() as server:
        world = server.world
        world.limits.calls_per_minute = calls_per_minute
        userids = [world.add_staff(f"责任人{i:04d}", userid=f"u{i:04d}").userid for i in range(copies)]
        with tempfile.TemporaryDirectory() as folder:
            office = await Office.open(Settings(db_path=Path(folder) / "duban.db"))
            task_id, slip_id, text = await one_slip(office)
            buttons = [[{"label": "签收", "action": "acknowledge", "data": f"ack:{task_id}"}]]
            notice = json.dumps({"text": text, "template": "slips/assignment", "buttons": buttons}, ensure_ascii=False)
            async with office.db.transaction() as conn:
                await conn.executemany(
                    """INSERT INTO outbox (channel, address, kind, notice, task_id, slip_id, purpose, created_at)
                       VALUES ('dingtalk', ?, 'notice', ?, ?, ?, 'slip', ?)""",
                    [(u, notice, task_id, slip_id, stamp(office.now())) for u in userids],
                )
            app = DingTalkApp(world.client_id, world.client_secret, world.robot_code, world.agent_id, server.url, server.url)
            async with DingTalkApi(app) as api:
                sender = DingTalkSender(office, api, "duban-markdown-buttons.schema", per_second, read_poll=0)
                started = time.monotonic()
                sender.start()
                try:
                    while sender.sent < copies:
                        await asyncio.sleep(0.02)
                finally:
                    await sender.stop()
                elapsed = time.monotonic() - started
                figures = {"elapsed": elapsed, "refusals": float(sender.quota_refusals)}
                if poll:
                    for userid in userids:
                        world.mark_read(userid)
                    poller = DingTalkSender(office, api, "duban-markdown-buttons.schema", 0.0, read_poll=0)
                    started = time.monotonic()
                    figures["reads"] = float(await poller.poll_reads_once())
                    figures["poll"] = time.monotonic() - started
            await office.db.close()
        cards = [sum(1 for e in world.chats[u] if e.kind == "card") for u in userids]
        notices = [sum(1 for e in world.chats[u] if e.kind == "notice") for u in userids]
    figures.update(cards=float(sum(1 for c in cards if c == 1)), notices=float(sum(1 for n in notices if n == 1)),
                   twice=float(sum(1 for c, n in zip(cards, notices, strict=True) if c > 1 or n > 1)))
    return figures


def report(label: str, slips: int, f: dict[str, float]) -> None:
    print(f"{label}: {slips:,} slips in {f['elapsed']:.1f} s = {slips / f['elapsed']:,.1f} slips/s "
          f"({3 * slips / f['elapsed']:,.0f} calls/s); quota refusals {f['refusals']:.0f}; "
          f"card once {f['cards']:,.0f}, 工作通知 once {f['notices']:,.0f}, twice {f['twice']:.0f}")


def main() -> None:
    """The three runs and the poll; print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slips", type=int, default=600, help="paced at 10/s: 600 take 60 s")
    parser.add_argument("--unpaced", type=int, default=1000)
    parser.add_argument("--over", type=int, default=300, help="over quota (200 calls a minute): 300 take about 70 s")
    args = parser.parse_args()
    print(f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs")
    report("paced 10/s, quota 1,200/min per API", args.slips, asyncio.run(run(args.slips, 10.0, 1200)))
    unpaced = asyncio.run(run(args.unpaced, 0.0, 0, poll=True))
    report("unpaced, no quota", args.unpaced, unpaced)
    print(f"read poll, unpaced: {unpaced['reads']:,.0f} reads recorded in {unpaced['poll']:.1f} s = "
          f"{unpaced['reads'] / unpaced['poll']:,.0f} getsendresult + read a second")
    if args.over:
        report("unpaced, quota 200/min per API", args.over, asyncio.run(run(args.over, 0.0, 200)))


if __name__ == "__main__":
    main()
