"""Each Telegram rule, as PTB surfaces Telegram's own error text."""

from __future__ import annotations

import logging

import aiohttp
import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, EndPointNotFound, Forbidden, InvalidToken, RetryAfter

from bot.emulators.telegram import EmulatorServer, Simulator

pytestmark = pytest.mark.filterwarnings("ignore:Deprecated since version v22.2:DeprecationWarning")


@pytest.fixture
async def user_id(simulator: Simulator) -> int:
    return (await simulator.create_user("Wang")).id


def button(data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data=data)]])


async def test_chat_not_found(bot: Bot) -> None:
    with pytest.raises(BadRequest, match="(?i)chat not found"):
        await bot.send_message(424242, "hi")


async def test_unknown_chat_allowed_when_rule_off(bot: Bot, emulator: EmulatorServer) -> None:
    emulator.rules.unknown_chats = False
    assert (await bot.send_message(424242, "hi")).chat.id == 424242


async def test_blocked_user(bot: Bot, simulator: Simulator, emulator: EmulatorServer) -> None:
    user = await simulator.create_user("Blocker")
    user.block_bot()
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(user.id, "hi")
    emulator.rules.blocked_users = False
    assert await bot.send_message(user.id, "hi")


async def test_text_empty_and_too_long(bot: Bot, user_id: int, emulator: EmulatorServer) -> None:
    with pytest.raises(BadRequest, match="(?i)message text is empty"):
        await bot.send_message(user_id, "   ")
    with pytest.raises(BadRequest, match="(?i)message text is empty"):
        await bot.send_message(user_id, "<b></b>", parse_mode="HTML")
    emulator.rules.rate_limits = False
    assert await bot.send_message(user_id, "字" * 4096)
    assert await bot.send_message(
        user_id, "<b>" + "&lt;" * 4096 + "</b>", parse_mode="HTML"
    )  # tags/entities don't count
    with pytest.raises(BadRequest, match="(?i)message is too long"):
        await bot.send_message(user_id, "x" * 4097)
    emulator.rules.text_length = False
    assert await bot.send_message(user_id, "x" * 5000)


async def test_caption_too_long(bot: Bot, user_id: int) -> None:
    with pytest.raises(BadRequest, match="(?i)message caption is too long"):
        await bot.send_document(user_id, b"x", filename="a.txt", caption="c" * 1025)


@pytest.mark.parametrize(
    ("html", "error"),
    [
        ("<b>open", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<div>x</div>", 'Unsupported start tag "div" at byte offset 0'),
        ("<b><i>x</b></i>", 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
    ],
)
async def test_malformed_html(bot: Bot, user_id: int, html: str, error: str) -> None:
    with pytest.raises(BadRequest) as info:
        await bot.send_message(user_id, html, parse_mode="HTML")
    assert info.value.message.lower() == f"can't parse entities: {error}".lower()  # PTB capitalize()s


async def test_malformed_html_wire_text(emulator: EmulatorServer, user_id: int) -> None:
    async with aiohttp.ClientSession() as session:
        url = f"{emulator.api_url}{emulator.token}/sendMessage"
        async with session.post(url, data={"chat_id": user_id, "text": "<b>x", "parse_mode": "HTML"}) as response:
            body = await response.json()
    assert body["description"] == (
        "Bad Request: can't parse entities: Can't find end tag corresponding to start tag \"b\""
    )


async def test_html_rule_off_keeps_text(bot: Bot, user_id: int, emulator: EmulatorServer) -> None:
    emulator.rules.html_parsing = False
    assert (await bot.send_message(user_id, "<div>x", parse_mode="HTML")).text == "<div>x"


async def test_callback_data_limit(bot: Bot, user_id: int, emulator: EmulatorServer) -> None:
    emulator.rules.rate_limits = False
    assert await bot.send_message(user_id, "ok", reply_markup=button("d" * 64))
    with pytest.raises(BadRequest, match="(?i)BUTTON_DATA_INVALID"):
        await bot.send_message(user_id, "bad", reply_markup=button("d" * 65))
    with pytest.raises(BadRequest, match="(?i)BUTTON_DATA_INVALID"):
        await bot.send_message(user_id, "bad", reply_markup=button("签" * 22))  # 66 bytes


async def test_not_modified(bot: Bot, user_id: int, emulator: EmulatorServer) -> None:
    sent = await bot.send_message(user_id, "<b>same</b>", parse_mode="HTML", reply_markup=button("k"))
    with pytest.raises(BadRequest, match="(?i)message is not modified: specified new message content and reply markup"):
        await bot.edit_message_text(
            "<b>same</b>", user_id, sent.message_id, parse_mode="HTML", reply_markup=button("k")
        )
    with pytest.raises(BadRequest, match="(?i)message is not modified"):
        await bot.edit_message_reply_markup(user_id, sent.message_id, reply_markup=button("k"))
    assert await bot.edit_message_text("<b>same</b>", user_id, sent.message_id, parse_mode="HTML")  # drops keyboard
    emulator.rules.not_modified = False
    assert await bot.edit_message_text("<b>same</b>", user_id, sent.message_id, parse_mode="HTML")


async def test_edit_or_delete_missing_message(bot: Bot, user_id: int) -> None:
    with pytest.raises(BadRequest, match="(?i)message to edit not found"):
        await bot.edit_message_text("x", user_id, 999)
    with pytest.raises(BadRequest, match="(?i)message to delete not found"):
        await bot.delete_message(user_id, 999)


async def test_per_chat_rate_limit(bot: Bot, simulator: Simulator, emulator: EmulatorServer) -> None:
    a, b = await simulator.create_user("A"), await simulator.create_user("B")
    await bot.send_message(a.id, "1")
    with pytest.raises(RetryAfter) as info:
        await bot.send_message(a.id, "2")
    assert info.value.retry_after == 1
    assert await bot.send_message(b.id, "other chat is fine")
    emulator.rules.per_chat_interval = 0.0
    assert await bot.send_message(a.id, "window shrunk")


async def test_global_rate_limit(bot: Bot, simulator: Simulator, emulator: EmulatorServer) -> None:
    emulator.rules.global_per_second = 3
    users = [await simulator.create_user(f"U{i}") for i in range(4)]
    for user in users[:3]:
        await bot.send_message(user.id, "hi")
    with pytest.raises(RetryAfter):
        await bot.send_message(users[3].id, "hi")


async def test_retry_after_wire_format(emulator: EmulatorServer, user_id: int) -> None:
    url = f"{emulator.api_url}{emulator.token}/sendMessage"
    async with aiohttp.ClientSession() as session:
        await session.post(url, data={"chat_id": user_id, "text": "1"})
        async with session.post(url, json={"chat_id": user_id, "text": "2"}) as response:
            body = await response.json()
    assert response.status == 429
    assert body == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 1",
        "parameters": {"retry_after": 1},
    }


async def test_file_size_limits(bot: Bot, user_id: int, emulator: EmulatorServer) -> None:
    emulator.rules.max_photo_bytes = 10
    with pytest.raises(BadRequest, match="(?i)file is too big"):
        await bot.send_photo(user_id, b"x" * 11)


async def test_missing_required_parameters(emulator: EmulatorServer) -> None:
    url = f"{emulator.api_url}{emulator.token}"
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{url}/sendMessage", data={"chat_id": "1"}) as response:
            assert (response.status, (await response.json())["description"]) == (
                400,
                "Bad Request: message text is empty",
            )
        async with session.post(f"{url}/sendMessage", data={"text": "x"}) as response:
            assert (await response.json())["description"] == "Bad Request: chat_id is empty"


async def test_unknown_method_is_404_and_logged(
    bot: Bot, emulator: EmulatorServer, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="bot.emulators.telegram"), pytest.raises(EndPointNotFound):
        await bot.do_api_request("sendTelepathy", api_kwargs={"chat_id": 1})
    assert any(r.levelno == logging.ERROR and "sendTelepathy" in r.getMessage() for r in caplog.records)
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{emulator.api_url}{emulator.token}/sendTelepathy") as response:
            assert response.status == 404 and await response.json() == {
                "ok": False,
                "error_code": 404,
                "description": "Not Found",
            }


async def test_bad_token_is_invalid_token(emulator: EmulatorServer) -> None:
    """PTB maps Telegram's 401/404 answers to InvalidToken."""
    with pytest.raises(InvalidToken):
        async with Bot("123:short", base_url=emulator.api_url):
            pass


async def test_unimplemented_spec_method_is_loud(emulator: EmulatorServer, caplog: pytest.LogCaptureFixture) -> None:
    async with aiohttp.ClientSession() as session:
        with caplog.at_level(logging.ERROR, logger="bot.emulators.telegram"):
            async with session.post(f"{emulator.api_url}{emulator.token}/sendDice", data={"chat_id": 1}) as response:
                body = await response.json()
    assert response.status == 501 and body["error_code"] == 501 and "sendDice" in body["description"]
    assert any("sendDice" in r.getMessage() and r.levelno == logging.ERROR for r in caplog.records)


async def test_method_names_are_case_insensitive(emulator: EmulatorServer) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{emulator.api_url}{emulator.token}/GETME") as response:
            assert (await response.json())["result"]["username"] == "duban_demo_bot"
        async with session.get(f"{emulator.api_url}123:short/getMe") as response:
            assert response.status == 401
