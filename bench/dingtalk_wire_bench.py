"""Wire benchmark of the 钉钉 client against the 钉钉 emulator (not a test).

Measures:

1. Stream intake: N robot messages from 20 people, injected through the control API at once;
   the clock stops when all N are handled and the gateway holds every acknowledgement. The handler does nothing, so
   this is the floor the Stream client and the gateway set (frame, task, per-person order, ack).
2. OpenAPI round trips, one after another on one keep-alive session: ``batchSend`` (a robot
   text message), ``asyncsend_v2`` (a 工作通知) and ``getsendresult``.

Client and emulator share one process and event loop, so each figure includes both sides.

Run: ``.venv/bin/python bench/dingtalk_wire_bench.py [--messages 2000] [--calls 1000]``
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

from bot.channels.dingtalk import CardAction, DingTalkApi, DingTalkApp, RobotMessage, StreamClient
from bot.emulators.dingtalk import DingTalkEmulator, DingTalkPeople

PEOPLE = 20


def app_of(server: DingTalkEmulator) -> DingTalkApp:
    """The app's credentials on ``server``."""
    w = server.world
    return DingTalkApp(w.client_id, w.client_secret, w.robot_code, w.agent_id, server.url, server.url)


async def bench_intake(messages: int) -> float:
    """Robot messages handled and acknowledged per second."""
    async with DingTalkEmulator() as server, DingTalkPeople(server.url) as people:
        handled: set[str] = set()

        async def nothing(message: RobotMessage) -> None:
            handled.add(message.msg_id)

        async def no_card(_: CardAction) -> dict[str, Any] | None:
            return None

        stream = StreamClient(app_of(server), nothing, no_card)
        runner = asyncio.create_task(stream.run())
        await stream.wait_connected(5)
        persons = [await people.add_person(f"科员{n}", userid=f"p{n}") for n in range(PEOPLE)]
        gateway = server.gateway

        def done() -> bool:
            # The gateway forgets old acknowledged deliveries: count what was handled, then
            # wait for the acknowledgements still outstanding.
            return len(handled) >= messages and all(d.acked.is_set() for d in gateway.deliveries.values())

        started = time.perf_counter()
        async with aiohttp.ClientSession() as session:
            url = f"{server.url}/_emulator/staff/{{}}/messages"

            async def write(n: int) -> None:
                async with session.post(url.format(persons[n % PEOPLE].userid), json={"text": f"消息 {n}"}) as answer:
                    await answer.read()

            await asyncio.gather(*(write(n) for n in range(messages)))
        while not done():
            await asyncio.sleep(0.005)
        elapsed = time.perf_counter() - started
        await stream.stop()
        await runner
        return messages / elapsed


async def per_call(calls: int, call: Callable[[int], Awaitable[object]]) -> float:
    """Microseconds per call, one after another."""
    await call(-1)
    started = time.perf_counter()
    for n in range(calls):
        await call(n)
    return (time.perf_counter() - started) / calls * 1e6


async def bench_openapi(calls: int) -> dict[str, float]:
    """Microseconds per OpenAPI round trip."""
    async with DingTalkEmulator() as server, DingTalkPeople(server.url) as people:
        await people.add_person("王", userid="wang")
        async with DingTalkApi(app_of(server)) as api:
            task_id = await api.send_work_notice(["wang"], {"msgtype": "text", "text": {"content": "warm"}})

            async def robot(n: int) -> object:
                return await api.send_text(["wang"], f"催办 {n}")

            async def notice(n: int) -> object:
                return await api.send_work_notice(["wang"], {"msgtype": "text", "text": {"content": f"催办单 第{n}次"}})

            async def result(n: int) -> object:
                return await api.work_notice_result(task_id)

            server.world.limits.notices_per_person_per_day = calls + 10
            return {
                "batchSend": await per_call(calls, robot),
                "asyncsend_v2": await per_call(calls, notice),
                "getsendresult": await per_call(calls, result),
            }


def main() -> None:
    """Runs both and prints the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--calls", type=int, default=1000)
    args = parser.parse_args()
    print(f"{platform.python_version()} on {platform.machine()}, {os.cpu_count()} cores")
    rate = asyncio.run(bench_intake(args.messages))
    print(f"Stream intake: {args.messages} messages from {PEOPLE} people: {rate:,.0f} acknowledged/s")
    for name, micros in asyncio.run(bench_openapi(args.calls)).items():
        print(f"{name}: {micros:,.0f} µs per call ({1e6 / micros:,.0f}/s one after another)")


if __name__ == "__main__":
    main()
