"""End-to-end smoke test: a real PTB Application polling the emulator."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, ContextTypes, MessageHandler, filters

from bot.emulators.telegram import EmulatorServer, Simulator
from bot.channels.telegram.ptb import application_builder


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Echoes text with a button."""
    button = InlineKeyboardButton("Ack", callback_data="ack")
    await update.effective_message.reply_text(
        f"echo: {update.effective_message.text}", reply_markup=InlineKeyboardMarkup([[button]]), do_quote=True
    )


async def ack(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answers the button and edits the message."""
    await update.callback_query.answer("Acknowledged")
    await update.callback_query.edit_message_text("acknowledged")


@pytest.fixture
async def echo_app(emulator: EmulatorServer) -> AsyncIterator[Application]:
    """An echo bot polling the emulator."""
    app = application_builder(emulator).build()
    app.add_handler(MessageHandler(filters.TEXT, echo))
    app.add_handler(CallbackQueryHandler(ack))
    await app.initialize()
    await app.start()
    await app.updater.start_polling(poll_interval=0, timeout=5)
    yield app
    await app.updater.stop()
    await app.stop()
    await app.shutdown()


async def test_echo_bot_answers_simulated_user(echo_app: Application, simulator: Simulator) -> None:
    user = await simulator.create_user("Wang", username="wang_kz")
    await user.send("hello")
    reply = await user.wait_for(text_contains="echo: hello", timeout=5)
    assert reply.reply_to is not None and reply.reply_to.text == "hello"
    press = await user.press("Ack")
    edited = await user.wait_for(text_contains="acknowledged", timeout=5)
    assert edited is reply and edited.edited and not edited.inline_keyboard
    await user.wait_for_answer(press)
    assert press.answer_text == "Acknowledged"


async def test_wait_for_timeout_shows_transcript(echo_app: Application, simulator: Simulator) -> None:
    user = await simulator.create_user("Li")
    await user.send("ping")
    await user.wait_for(text_contains="echo: ping")
    with pytest.raises(AssertionError) as info:
        await user.wait_for(text_contains="never", timeout=0.2)
    text = str(info.value)
    assert (
        "text_contains='never'" in text
        and "Li: ping" in text
        and "bot (reply to #1): echo: ping" in text
        and "[Ack]" in text
    )
