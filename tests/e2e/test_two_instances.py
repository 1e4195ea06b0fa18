"""Several bot instances on one PostgreSQL database: a dialog begun on one instance goes on
on the other (the person's ``user_data`` lives in the database, ``bot.persistence``)."""

from __future__ import annotations

import pytest

from bot.app import build_application, start_bot, stop_bot
from bot.storage import feedback as feedback_store
from tests import postgres_server

from .test_slip_actions import issue, slip_message

pytestmark = pytest.mark.skipif(
    postgres_server.BACKEND != "postgresql", reason="several instances share a PostgreSQL database (make test-pg)"
)


async def test_a_feedback_dialog_begun_on_one_instance_is_finished_on_the_other(city, office, bot):
    clerk, official = city["clerk"], city["zhujian"]
    task = await issue(office, clerk)
    slip = await slip_message(office, official, task)
    await official.press("反馈", message=slip)
    await official.wait_for(text_contains="请发送办理结果情况")
    await official.send("第一部分：排查完毕。")
    await official.wait_for(text_contains="已记下")

    await stop_bot(bot)  # the first instance goes down (an upgrade, a failover)
    other = build_application(office, per_second=0, per_chat_interval=0, schedule=False)
    await start_bot(other, poll_timeout=1)
    try:
        await official.send("第二部分：已整改。")
        await official.wait_for(text_contains="已记下")
        await official.send("/done")
        await official.wait_for(text_contains="已提交")
    finally:
        await stop_bot(other)
    item = await feedback_store.pending_of_task(office.db.reader, task.id)
    assert item is not None
    assert "第一部分：排查完毕。" in item.text and "第二部分：已整改。" in item.text
