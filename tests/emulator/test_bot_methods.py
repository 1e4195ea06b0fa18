"""PTB's own ``telegram.Bot`` methods against the emulator."""

from __future__ import annotations

import asyncio

import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    ReplyParameters,
)

from bot.emulators.telegram import EmulatorServer, Simulator

PNG_1x1 = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000002000000030806000000b9eaa8d20000000d49444154789c63600001000005000001"
)


@pytest.fixture(autouse=True)
def no_flood_control(emulator: EmulatorServer) -> None:
    """These tests send bursts; flood control has its own tests."""
    emulator.rules.rate_limits = False


def keyboard(*labels: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=f"cb:{label}") for label in labels]])


async def test_get_me(bot: Bot, emulator: EmulatorServer) -> None:
    me = await bot.get_me()
    assert me.is_bot and me.username == "duban_demo_bot"
    assert me.id == int(emulator.token.split(":")[0])


async def test_send_message_html_and_keyboard(bot: Bot, simulator: Simulator) -> None:
    user = await simulator.create_user("Wang", username="wang")
    sent = await bot.send_message(
        user.id, "<b>Task</b> &lt;1&gt; due", parse_mode="HTML", reply_markup=keyboard("Accept")
    )
    assert sent.text == "Task <1> due"
    assert sent.entities[0].type == "bold" and sent.entities[0].length == 4
    assert sent.reply_markup.inline_keyboard[0][0].callback_data == "cb:Accept"
    assert isinstance(sent.date.timestamp(), float) and sent.chat.id == user.id and sent.from_user.is_bot
    assert user.last_message().text == "Task <1> due"


async def test_reply_parameters_and_force_reply(bot: Bot, simulator: Simulator) -> None:
    user = await simulator.create_user("Li")
    question = await user.send("question?")
    sent = await bot.send_message(
        user.id, "answer", reply_parameters=ReplyParameters(question.message_id), reply_markup=ForceReply()
    )
    assert sent.reply_to_message.text == "question?"
    assert "(force reply)" in user.transcript()


async def test_edit_text_markup_and_delete(bot: Bot, simulator: Simulator) -> None:
    user = await simulator.create_user("Zhao")
    sent = await bot.send_message(user.id, "v1", reply_markup=keyboard("A"))
    edited = await bot.edit_message_text("v2", chat_id=user.id, message_id=sent.message_id, reply_markup=keyboard("B"))
    assert edited.text == "v2" and edited.edit_date is not None
    marked = await bot.edit_message_reply_markup(user.id, sent.message_id, reply_markup=keyboard("C", "D"))
    assert [b.text for b in marked.reply_markup.inline_keyboard[0]] == ["C", "D"]
    message = user.last_message()
    assert message.edited and message.find_button("D")
    assert await bot.delete_message(user.id, sent.message_id)
    assert user.last_message() is None and "(deleted)" in user.transcript()


async def test_answer_callback_query(bot: Bot, simulator: Simulator) -> None:
    user = await simulator.create_user("Sun")
    await bot.send_message(user.id, "sign?", reply_markup=keyboard("Sign"))
    press = await user.press("Sign")
    updates = await bot.get_updates(timeout=0)
    query = updates[-1].callback_query
    assert query.data == "cb:Sign" and query.message.text == "sign?"
    assert await bot.answer_callback_query(query.id, text="Signed", show_alert=True)
    assert press.answered and press.answer_text == "Signed" and press.show_alert
    assert "alert: 'Signed'" in user.transcript()


async def test_send_document_photo_and_download(bot: Bot, simulator: Simulator) -> None:
    user = await simulator.create_user("Qian")
    doc = await bot.send_document(
        user.id, b"hello report", filename="report.txt", caption="<i>weekly</i>", parse_mode="HTML"
    )
    assert doc.document.file_name == "report.txt" and doc.caption == "weekly" and doc.document.file_unique_id
    photo = await bot.send_photo(user.id, PNG_1x1)
    assert (photo.photo[-1].width, photo.photo[-1].height) == (2, 3)
    file = await bot.get_file(doc.document.file_id)
    assert bytes(await file.download_as_bytearray()) == b"hello report"
    again = await bot.send_document(user.id, doc.document.file_id)
    assert again.document.file_id == doc.document.file_id
    assert user.file_bytes(user.last_message()) == b"hello report"


async def test_user_document_download_to_memory(bot: Bot, simulator: Simulator) -> None:
    import io

    user = await simulator.create_user("Zhou")
    await user.send_document("plan.xlsx", b"\x00\x01data", caption="plan")
    update = (await bot.get_updates())[-1]
    assert update.message.document.file_name == "plan.xlsx" and update.message.caption == "plan"
    buffer = io.BytesIO()
    await (await bot.get_file(update.message.document.file_id)).download_to_memory(buffer)
    assert buffer.getvalue() == b"\x00\x01data"


async def test_commands_with_scopes(bot: Bot, simulator: Simulator) -> None:
    user = await simulator.create_user("Wu")
    await bot.set_my_commands([BotCommand("start", "Start")])
    await bot.set_my_commands([BotCommand("admin", "Admin")], scope=BotCommandScopeChat(user.id))
    await bot.set_my_commands([BotCommand("kaishi", "Kaishi")], language_code="zh")
    assert [c.command for c in await bot.get_my_commands()] == ["start"]
    assert [c.command for c in await bot.get_my_commands(scope=BotCommandScopeChat(user.id))] == ["admin"]
    assert [c.command for c in await bot.get_my_commands(language_code="zh")] == ["kaishi"]
    assert await bot.delete_my_commands(scope=BotCommandScopeChat(user.id))
    assert await bot.get_my_commands(scope=BotCommandScopeChat(user.id)) == ()


async def test_send_chat_action_and_webhook_info(bot: Bot, simulator: Simulator) -> None:
    user = await simulator.create_user("Zheng")
    assert await bot.send_chat_action(user.id, "typing")
    info = await bot.get_webhook_info()
    assert info.url == "" and info.pending_update_count == 0


async def test_get_updates_long_poll_wakes_on_new_update(bot: Bot, simulator: Simulator) -> None:
    user = await simulator.create_user("Feng")
    poll = asyncio.create_task(bot.get_updates(timeout=10))
    await asyncio.sleep(0.05)
    assert not poll.done()
    await user.send("/start abc")
    updates = await asyncio.wait_for(poll, 2)
    message = updates[0].message
    assert message.text == "/start abc" and message.entities[0].type == "bot_command"
    assert message.entities[0].length == len("/start")
    assert await bot.get_updates(offset=updates[-1].update_id + 1) == ()


async def test_get_updates_offset_limit_and_allowed_updates(bot: Bot, simulator: Simulator) -> None:
    user = await simulator.create_user("Chen")
    for i in range(3):
        await user.send(f"m{i}")
    first = await bot.get_updates(limit=2)
    assert [u.message.text for u in first] == ["m0", "m1"]
    rest = await bot.get_updates(offset=first[-1].update_id + 1)
    assert [u.message.text for u in rest] == ["m2"]
    await bot.get_updates(offset=rest[-1].update_id + 1, allowed_updates=["callback_query"])
    await user.send("ignored")
    assert await bot.get_updates() == ()


async def test_reply_to_bot_message_fills_reply_to_message(bot: Bot, simulator: Simulator) -> None:
    user = await simulator.create_user("Han")
    sent = await bot.send_message(user.id, "Please report", reply_markup=ForceReply())
    await user.reply_to(user.last_message(), "done")
    update = (await bot.get_updates())[-1]
    assert update.message.reply_to_message.message_id == sent.message_id
    assert update.message.reply_to_message.from_user.is_bot


async def test_group_messages_edits_and_stickers(bot: Bot, simulator: Simulator) -> None:
    a, b = await simulator.create_user("A"), await simulator.create_user("B")
    group = await simulator.create_group("Office", [a, b])
    await a.send("hello all", chat=group)
    sent = await b.send("typo", chat=group)
    await b.edit(sent, "fixed")
    await a.send_sticker("👍")
    updates = await bot.get_updates()
    assert updates[0].message.chat.type == "group" and updates[0].message.chat.id < 0
    assert updates[1].message.from_user.id == b.id
    assert updates[2].edited_message.text == "fixed"
    assert updates[3].message.sticker.emoji == "👍"
    await bot.send_message(group.id, "noted")
    assert a.last_message(chat=group).text == "noted"
