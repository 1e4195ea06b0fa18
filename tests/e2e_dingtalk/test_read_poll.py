"""The read poll on its own schedule (``[dingtalk] read_poll_seconds``, here a tenth of a second):
with nothing calling it, a 交办单 李住建 opened in 钉钉 shows 已读 in the clerk's /task, and four
hours on, unsigned, the clerk is told 「已读未签收」 once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import date, datetime, time

import pytest
from telegram.ext import Application

from bot.channels.dingtalk.channel import DingTalkChannel
from bot.emulators.telegram.client import wait_idle
from bot.services.context import Office
from tests.e2e_dingtalk.test_dingtalk import issue

DAY = date(2026, 12, 1)


def at(office: Office, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(DAY, time(hour, minute), office.settings.timezone)


@pytest.fixture
async def channel(office: Office, bot: Application) -> AsyncIterator[DingTalkChannel]:  # type: ignore[type-arg]
    """The 钉钉 channel, its read poll every 0.1 s."""
    office.settings = replace(office.settings, dingtalk=replace(office.settings.dingtalk, read_poll_seconds=0.1))
    served = DingTalkChannel(office, per_second=0, reconnect_delay=0.05)
    await served.start(connect_timeout=10)
    yield served
    await served.stop()


async def test_the_poll_finds_a_read_and_tells_the_clerk_once_on_its_own(city, office: Office):  # type: ignore[no-untyped-def]
    clerk, zhujian = city["clerk"], city["zhujian"]
    office.clock = lambda: at(office, 9)
    task = await issue(office, clerk, title="城区积水点排查整治")
    await zhujian.wait_for(kind="notice", text_contains="城区积水点排查整治", timeout=10)
    await clerk.wait_for(text_contains="送达住建局")

    office.clock = lambda: at(office, 10, 15)
    await zhujian.read()
    await wait_idle(clerk.state, quiet=0.5)  # a few turns of the poll
    await clerk.send(f"/task {task.number.full}")
    detail = await clerk.wait_for(text_contains="城区积水点排查整治")
    assert "已读 2026年12月1日 10:15" in detail.text

    office.clock = lambda: at(office, 14, 15)
    told = await clerk.wait_for(text_contains="已读未签收")
    assert task.number.full in told.text
    await wait_idle(clerk.state, quiet=0.5)
    assert sum("已读未签收" in m.content for m in clerk.messages()) == 1, "told once"
