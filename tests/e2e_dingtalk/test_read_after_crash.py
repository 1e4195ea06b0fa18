"""A slip whose 工作通知 钉钉 accepted just before the sender died, the row still 'sending': on
restart the sent log marks it sent and hands back the 工作通知's task id, so the read poll still
asks about it — 李住建 opens it and the clerk's /task shows 已读, with the slip sent once."""

from __future__ import annotations

from datetime import date, datetime, time

from bot.channels.dingtalk import render
from bot.channels.dingtalk.adapter import DINGTALK
from bot.channels.dingtalk.channel import DingTalkChannel
from bot.channels.dingtalk.sender import DingTalkSender
from bot.channels.outbox_sender import chat_key
from bot.edge import Notice
from bot.services.context import Office
from bot.storage import outbox
from bot.texts import label
from tests.e2e_dingtalk.test_dingtalk import issue

DAY = date(2026, 12, 1)


def at(office: Office, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(DAY, time(hour, minute), office.settings.timezone)


async def test_a_work_notice_accepted_before_a_crash_is_still_asked_about(  # type: ignore[no-untyped-def]
    city, office: Office, channel: DingTalkChannel
):
    clerk, zhujian = city["clerk"], city["zhujian"]
    office.clock = lambda: at(office, 9)
    await channel.sender.stop()  # the sender dies; what it had done before is done by hand below
    task = await issue(office, clerk, title="城区积水点排查整治")
    [row] = [r for r in await outbox.heads(office.db.reader, office.now(), limit=50, channel=DINGTALK) if r.purpose == "slip"]
    assert isinstance(row.notice, Notice)
    async with office.db.transaction() as conn:
        assert await outbox.claim(conn, row.id, office.now())
    msg = render.work_notice(row.notice.text, label("dingtalk", "work_notice_footer"))
    task_id = await channel.api.send_work_notice([row.address], msg)
    await (await office.db.sent_log()).record(row.id, chat_key(row.address), task_id)
    await zhujian.wait_for(kind="notice", text_contains="城区积水点排查整治", timeout=10)

    restarted = DingTalkSender(office, channel.api, channel.template_id, per_second=0, read_poll=0)
    restarted.start()
    try:
        await clerk.wait_for(text_contains="送达住建局")
        office.clock = lambda: at(office, 10, 15)
        await zhujian.read()
        assert await restarted.poll_reads_once() == 1
    finally:
        await restarted.stop()
    await clerk.send(f"/task {task.number.full}")
    detail = await clerk.wait_for(text_contains="城区积水点排查整治")
    assert "已读 2026年12月1日 10:15" in detail.text
    notices = [e for e in await zhujian.chat() if e["kind"] == "notice" and "城区积水点排查整治" in e["text"]]
    assert len(notices) == 1, "the 工作通知 went once"
