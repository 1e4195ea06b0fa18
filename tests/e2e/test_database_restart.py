"""The PostgreSQL server restarted under a running bot: the bot's connections are re-established,
and an update that came while the server was away is not lost — it is handled once the server is
back, exactly once (``bot.storage.postgres.DatabaseUnavailable``, ``bot.updates.Inbox``)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from bot.services.context import Office
from bot.storage import history
from tests import postgres_server

from .test_lookup import issue, short

pytestmark = pytest.mark.skipif(
    postgres_server.BACKEND != "postgresql", reason="restarts a PostgreSQL server (make test-pg)"
)


@pytest.fixture(scope="module")
def own_server() -> Iterator[str]:
    """A server of this module's own, so restarting it disturbs no other test."""
    reason = postgres_server.unavailable()
    if reason:
        pytest.skip(reason)
    with postgres_server.server() as url:
        yield url


@pytest.fixture
def database_url(own_server: str) -> str:
    return postgres_server.fresh_database(own_server)


async def test_a_restart_loses_no_update_and_the_bot_reconnects(city, office: Office, own_server: str):
    clerk, zhujian = city["clerk"], city["zhujian"]
    task = await issue(office, clerk, "住建局", "老旧小区改造")
    slip = await zhujian.wait_for(text_contains="工作交办单》", predicate=lambda m: bool(m.inline_keyboard))
    await zhujian.send(f"/task {short(task.number)}")
    await zhujian.wait_for(text_contains="老旧小区改造", predicate=lambda m: "工作事项" in m.text)

    postgres_server.stop(own_server)
    try:
        # 签收 while the database is away: it cannot be applied now, and is not confirmed
        await zhujian.press("签收", message=slip)
        await asyncio.sleep(1.5)
    finally:
        postgres_server.start(own_server)

    heard = await clerk.wait_for(text_contains="签收", timeout=30)
    assert "住建局" in heard.text
    answers = len([m for m in zhujian.messages() if "工作事项" in m.content])
    await zhujian.send(f"/task {short(task.number)}")
    await zhujian.wait_for(predicate=lambda m: len([m for m in zhujian.messages() if "工作事项" in m.content]) > answers, timeout=30)
    kinds = [entry.kind for entry in await history.of_task(office.db.reader, task.id)]
    assert kinds.count("acknowledged") == 1
    assert not [m for m in zhujian.messages() if "操作未完成" in m.content]
