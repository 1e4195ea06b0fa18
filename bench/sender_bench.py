"""Outbox sender benchmark: messages/s against the emulator, with Telegram's limits and without.

N messages to N different people are queued in the outbox of a real SQLite file; the real
``bot.channels.telegram.sender.Sender`` drains them into the local Bot API emulator. With limits on (the
emulator's ``Rules()``: 30 messages/s overall, 1/s per chat, 429 beyond; the sender at 30/s
and 1 s per chat) the ceiling is 30/s, and the emulator must never have answered 429. With
limits off (emulator rules off, sender ``per_second=0, per_chat_interval=0``) the figure is
the sender's own cost: a claim, the HTTP request and the result, each row.

The fault runs send through ``bot.emulators.telegram.faults.FaultyProxy``: 5% of the requests hang 10 s
(longer than the client's 5 s read timeout: each is retried); in the second run besides, 5% are
answered 429 and 2% 502. They are measured next to a clean run through the same proxy; the sender keeps up
to ``MAX_IN_FLIGHT`` requests out, so a hung one holds its own chat only. Goal: the fault run
at ≥ 90% of the clean rate.

Run: ``.venv/bin/python bench/sender_bench.py [--messages 3000] [--unlimited-messages 3000]
[--fault-messages 3000]`` (about 100 s with limits, most of it the 30/s ceiling, and twice that
again for each of the clean and the two fault runs through the proxy; ``--fault-messages 0`` skips them).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import sys
import tempfile
import time
from collections import deque
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


from bot.config import Secret, Settings  # noqa: E402
from bot.emulators.telegram import EmulatorServer, Rules, Simulator  # noqa: E402
from bot.emulators.telegram.faults import Faults, FaultyProxy  # noqa: E402
from bot.emulators.telegram.rules import FloodControl  # noqa: E402
from bot.channels.telegram.pacing import ChatPacer  # noqa: E402
from bot.channels.telegram.sender import Sender, paced_bot  # noqa: E402
from bot.services.context import Office  # noqa: E402
from bot.storage.rows import stamp  # noqa: E402


class RecordingFloodControl(FloodControl):
    """The emulator's flood control (which counts its 429s), recording when each message arrived."""

    def __init__(self, rules: Rules) -> None:
        super().__init__(rules)
        self.arrived: list[float] = []

    def check(self, chat_id: int) -> None:
        super().check(chat_id)
        self.arrived.append(time.monotonic())


def busiest_second(arrivals: list[float]) -> int:
    """The most messages that arrived within any one second."""
    window: deque[float] = deque()
    most = 0
    for at in arrivals:
        window.append(at)
        while at - window[0] >= 1.0:
            window.popleft()
        most = max(most, len(window))
    return most


async def bench(messages: int, limits: bool, faults: Faults | None = None) -> dict[str, float]:
    """Queue ``messages`` messages to as many people, drain them (through a ``FaultyProxy``
    with ``faults`` when given), return the figures."""
    async with EmulatorServer(rules=Rules(rate_limits=limits)) as server, FaultyProxy(server.url, faults or Faults()) as proxy:
        flood = RecordingFloodControl(server.rules)
        server.methods.flood = flood
        simulator = Simulator(server)
        users = [await simulator.create_user(f"责任人{i:04d}") for i in range(messages)]
        with tempfile.TemporaryDirectory() as folder:
            office = await Office.open(
                Settings(token=Secret(server.token), api_url=server.url, db_path=Path(folder) / "duban.db")
            )
            now = stamp(office.now())
            async with office.db.transaction() as conn:
                await conn.executemany(
                    "INSERT INTO outbox (channel, address, kind, notice, purpose, created_at) VALUES ('telegram', ?, 'notice', ?, 'bench', ?)",
                    [(str(user.id), f'{{"text": "【督办提醒】第{i}号：请于今日17:00前反馈办理情况。"}}', now)
                     for i, user in enumerate(users)],
                )
            pacer = ChatPacer(30.0 if limits else 0.0, 1.0 if limits else 0.0)
            base_url = office.settings.base_url if faults is None else f"{proxy.url}/bot"
            async with paced_bot(server.token, base_url, pacer) as client:
                sender = Sender(office, client, pacer)
                started = time.monotonic()
                sender.start()
                try:
                    while sender.sent < messages:
                        await asyncio.sleep(0.05)
                finally:
                    await sender.stop()
                elapsed = time.monotonic() - started
            async with office.db.reader.execute("SELECT count(*) FROM outbox WHERE status = 'sent'") as cur:
                sent = (await cur.fetchone())[0]
            await office.db.close()
        delivered = sum(1 for user in users if user.messages())
        twice = sum(1 for user in users if len(user.messages()) > 1)
    span = flood.arrived[-1] - flood.arrived[0]
    return {
        "sent": sent, "delivered": delivered, "elapsed": elapsed, "rate": (len(flood.arrived) - 1) / span,
        "busiest": busiest_second(flood.arrived), "refused": flood.refused, "twice": twice,
        **({f"injected {k}": float(v) for k, v in faults.counts.items()} if faults is not None else {}),
    }


def report(label: str, messages: int, figures: dict[str, float]) -> None:
    print(
        f"{label}: {messages:,} messages to {messages:,} people in {figures['elapsed']:.1f} s "
        f"({messages / figures['elapsed']:,.1f}/s from start, incl. the sender's 1 s settle when limited); first→last arrival "
        f"{figures['rate']:,.1f} messages/s; busiest second {figures['busiest']:.0f}; "
        f"429s {figures['refused']:.0f}; sent {figures['sent']:,.0f}, delivered {figures['delivered']:,.0f}"
    )


def report_faults(clean: dict[str, float], runs: dict[str, dict[str, float]], messages: int) -> None:
    """The clean run through the proxy, then each fault run with its rate as a share of the clean one."""
    for label, figures in (("clean run through the proxy", clean), *((f"fault run ({k})", v) for k, v in runs.items())):
        injected = ", ".join(f"{k.split()[1]} {v:.0f}" for k, v in figures.items() if k.startswith("injected") and v)
        print(
            f"{label}: {messages:,} messages drained in {figures['elapsed']:.1f} s; first→last arrival "
            f"{figures['rate']:,.1f} messages/s ({figures['rate'] / clean['rate']:.0%} of clean); busiest second "
            f"{figures['busiest']:.0f}; delivered {figures['delivered']:,.0f}, twice {figures['twice']:.0f}; {injected}"
        )
    print("  goal: the 5% hang 10 s run at ≥ 90% of the clean rate")


def main() -> None:
    """Measure with Telegram's limits, then without, then clean and faulty through a proxy; print all."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=3000, help="with limits on (30/s: 3,000 take 100 s)")
    parser.add_argument("--unlimited-messages", type=int, default=3000)
    parser.add_argument("--fault-messages", type=int, default=3000, help="clean and fault runs, limits on")
    args = parser.parse_args()
    print(f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs")
    report("limits on  (30/s, 1/s per chat)", args.messages, asyncio.run(bench(args.messages, limits=True)))
    report("limits off (rules off, sender 0/0)", args.unlimited_messages, asyncio.run(bench(args.unlimited_messages, limits=False)))
    if args.fault_messages:
        clean = asyncio.run(bench(args.fault_messages, limits=True, faults=Faults()))
        hung = asyncio.run(bench(args.fault_messages, limits=True, faults=Faults(hang_share=0.05)))
        mixed = asyncio.run(bench(args.fault_messages, limits=True, faults=Faults(hang_share=0.05, retry_share=0.05, error_share=0.02)))
        report_faults(clean, {"5% hang 10 s": hung, "5% hang 10 s, 5% 429, 2% 502": mixed}, args.fault_messages)


if __name__ == "__main__":
    main()
