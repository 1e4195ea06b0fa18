"""Several bot instances on one PostgreSQL database: a dialog begun on one instance goes on
on the other (the person's ``user_data`` lives in the database, ``bot.channels.telegram.persistence``), the
guided /new included, with its steps spread round-robin over two instances."""

from __future__ import annotations

import pytest

from bot.channels.telegram.app import Webhook, build_application, start_bot, stop_bot
from bot.services.context import Office
from bot.storage import feedback as feedback_store
from tests import postgres_server

from .test_instances_crash import Forwarder, free_port
from .test_issue import answer_texts, buttons, choose_two_units, task_count
from .test_slip_actions import feedback_begun

pytestmark = pytest.mark.skipif(
    postgres_server.BACKEND != "postgresql", reason="several instances share a PostgreSQL database (make test-pg)"
)


async def test_a_feedback_dialog_begun_on_one_instance_is_finished_on_the_other(city, office, bot):
    clerk, official = city["clerk"], city["zhujian"]
    task, _, _ = await feedback_begun(office, clerk, official)

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


async def test_a_guided_new_spread_over_two_instances_issues_each_slip_once(city, office, bot):
    """Two instances, each with its own connections, behind a round-robin forwarder: each
    answer of the clerk's /new reaches the other instance than the one before, and the dialog
    goes on step by step to one 交办单 per unit, numbered once."""
    clerk, zhujian, jiaotong = city["clerk"], city["zhujian"], city["jiaotong"]
    year = office.now().year
    await stop_bot(bot)  # the polling instance of the fixtures gives way to two webhook ones
    other_office = await Office.open(office.settings)
    instances = [build_application(o, per_second=0, per_chat_interval=0, schedule=False) for o in (office, other_office)]
    async with Forwarder([free_port(), free_port()]) as forwarder:
        url = f"http://127.0.0.1:{forwarder.port}/telegram"
        try:
            for application, port in zip(instances, forwarder.ports):
                await start_bot(application, webhook=Webhook("127.0.0.1", port, url, "two-instances-secret"))
            await answer_texts(clerk)
            await clerk.press("其他口线工作")
            await clerk.wait_for(text_contains="已选：无")
            await choose_two_units(clerk)
            await clerk.press("住建局牵头")
            await clerk.wait_for(text_contains="请选择时限")
            await clerk.send("7天")
            await clerk.wait_for(text_contains="专项工作台账")
            await clerk.press("否")
            await clerk.wait_for(text_contains="工作任务分解台账")
            await clerk.press("跳过")
            preview = await clerk.wait_for(text_contains="确认签发")
            assert "将签发2份交办单" in preview.text
            assert buttons(preview) == ["确认签发", "修改", "取消"]
            await clerk.press("确认签发")
            await clerk.wait_for(text_contains="已签发2份交办单")
            first = await zhujian.wait_for(text_contains="工作交办单")
            second = await jiaotong.wait_for(text_contains="工作交办单")
        finally:
            for application in instances:
                await stop_bot(application)
            await other_office.db.close()
    # 15 updates (/new, 4 typed answers, 10 presses), alternated: the dialog changed instance
    # at every step.
    assert sorted(forwarder.served.values()) == [7, 8], forwarder.served
    assert f"〔{year}〕1号" in first.text and "责 任 人：李住建" in first.text and "由你单位牵头" in first.text
    assert f"〔{year}〕2号" in second.text and "由住建局牵头" in second.text
    assert await task_count(office) == 2
    assert len([m for m in zhujian.messages() if "工作交办单" in m.text]) == 1
    assert len([m for m in jiaotong.messages() if "工作交办单" in m.text]) == 1
