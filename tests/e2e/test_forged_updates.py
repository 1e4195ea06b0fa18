"""Updates of shapes Telegram never sends, or buttons on messages gone: refused plainly, and
nothing is said into a chat it does not belong in."""

from __future__ import annotations

import logging
import time

from bot.emulators.telegram.client import wait_idle
from tests.e2e.test_lookup import issue
from tests.e2e.test_side_by_side import from_bot


async def test_a_private_update_whose_chat_is_not_its_senders_is_ignored_and_logged(city, office, emulator, caplog):
    clerk, official = city["clerk"], city["zhujian"]
    await issue(office, clerk, "住建局", "城区积水点排查整治")
    await official.wait_for(text_contains="城区积水点排查整治")
    await clerk.wait_for(text_contains="李住建已收到")
    await wait_idle(emulator.state, quiet=1.5)
    clerks_chat, officials_chat = from_bot(clerk), from_bot(official)

    # The official's own /tasks, but in the clerk's private chat: only the token or the webhook
    # secret lets anyone post this.
    caplog.set_level(logging.WARNING, logger="bot.channels.telegram.updates")
    emulator.state.push_update("message", {
        "message_id": 900_001, "date": int(time.time()), "text": "/tasks",
        "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        "chat": {"id": clerk.id, "type": "private", "first_name": "王科员"},
        "from": {"id": official.id, "is_bot": False, "first_name": "李住建"},
    })
    await wait_idle(emulator.state)
    await official.send("/help")  # handled after the forged one: its answer shows it went by
    await official.wait_for(text_contains="/feedback")

    assert from_bot(clerk) == clerks_chat
    assert from_bot(official)[len(officials_chat):] == [from_bot(official)[-1]]
    assert "城区积水点排查整治" not in "".join(from_bot(clerk)[len(clerks_chat):])
    assert any("not theirs" in r.getMessage() and str(clerk.id) in r.getMessage() for r in caplog.records)


async def test_a_button_on_a_message_gone_is_told_stale_not_the_generic_error(city, office, emulator):
    clerk = city["clerk"]
    for n in range(12):  # two pages of tasks
        await issue(office, clerk, "住建局", f"事项{n}")
    await clerk.send("/tasks")
    listing = await clerk.wait_for(text_contains="事项")
    button = next(b for row in listing.inline_keyboard for b in row if b["text"] == "下一页")

    # The list was deleted in the chat before the press reached the bot.
    press = emulator.state.add_callback(clerk.user.user, listing, button["callback_data"], button["text"])
    listing.deleted = True
    emulator.state.push_update("callback_query", press.to_api())
    await clerk.wait_for_answer(press, timeout=10)

    assert "这个按钮已失效" in (press.answer_text or "")
    assert "操作未完成" not in (press.answer_text or "") + clerk.transcript()
