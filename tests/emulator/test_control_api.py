"""The HTTP control API under /_emulator."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup

from bot.emulators.telegram import EmulatorServer


@pytest.fixture
async def control(emulator: EmulatorServer) -> AsyncIterator[tuple[aiohttp.ClientSession, str]]:
    async with aiohttp.ClientSession() as session:
        yield session, f"{emulator.url}/_emulator"


async def call(session: aiohttp.ClientSession, method: str, url: str, **kwargs: object) -> tuple[int, dict]:
    async with session.request(method, url, **kwargs) as response:
        return response.status, await response.json()


async def test_users_messages_press_and_transcript(
    control: tuple[aiohttp.ClientSession, str], bot: Bot, emulator: EmulatorServer
) -> None:
    session, base = control
    emulator.rules.rate_limits = False
    status, info = await call(session, "GET", base)
    assert status == 200 and info["result"]["bot"]["username"] == "duban_demo_bot"
    status, user = await call(session, "POST", f"{base}/users", json={"first_name": "王科长", "username": "wang"})
    assert status == 201 and user["result"]["is_bot"] is False
    uid = user["result"]["id"]
    assert (await call(session, "GET", f"{base}/users"))[1]["result"][0]["id"] == uid

    status, sent = await call(session, "POST", f"{base}/chats/{uid}/messages", json={"text": "/start X1"})
    assert status == 201 and sent["result"]["text"] == "/start X1"
    assert (await bot.get_updates())[0].message.text == "/start X1"

    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("签收", callback_data="sign:1")]])
    await bot.send_message(uid, "交办单", reply_markup=keyboard)
    status, pressed = await call(session, "POST", f"{base}/chats/{uid}/press", json={"button": "签收"})
    assert status == 201 and pressed["result"]["data"] == "sign:1"
    query = (await bot.get_updates(offset=-1))[0].callback_query
    await bot.answer_callback_query(query.id, text="已签收")

    status, transcript = await call(session, "GET", f"{base}/chats/{uid}/transcript")
    entries = transcript["result"]["entries"]
    assert [e["kind"] for e in entries] == ["message", "message", "callback"]
    assert entries[1]["inline_keyboard"][0][0]["text"] == "签收" and entries[1]["from_bot"]
    assert entries[2]["answered"] and entries[2]["answer_text"] == "已签收"

    status, missing = await call(session, "POST", f"{base}/chats/{uid}/press", json={"button": "nope"})
    assert status == 409 and not missing["ok"]


async def test_transcript_long_poll_and_files(
    control: tuple[aiohttp.ClientSession, str], bot: Bot, emulator: EmulatorServer
) -> None:
    session, base = control
    uid = (await call(session, "POST", f"{base}/users", json={"first_name": "Li"}))[1]["result"]["id"]
    version = (await call(session, "GET", f"{base}/chats/{uid}/transcript"))[1]["result"]["version"]
    poll = asyncio.create_task(call(session, "GET", f"{base}/chats/{uid}/transcript?since={version}&timeout=10"))
    await asyncio.sleep(0.05)
    assert not poll.done()
    await bot.send_message(uid, "news")
    _, changed = await asyncio.wait_for(poll, 2)
    assert changed["result"]["version"] > version and changed["result"]["entries"][-1]["text"] == "news"

    form = aiohttp.FormData()
    form.add_field("file", b"report-bytes", filename="r.txt", content_type="text/plain")
    form.add_field("caption", "weekly")
    status, sent = await call(session, "POST", f"{base}/chats/{uid}/files", data=form)
    assert status == 201 and sent["result"]["files"][0]["file_name"] == "r.txt"
    file_id = sent["result"]["files"][0]["file_id"]
    async with session.get(f"{base}/files/{file_id}") as response:
        assert await response.read() == b"report-bytes"
    update = (await bot.get_updates())[-1]
    assert update.message.document.file_id == file_id and update.message.caption == "weekly"


async def test_rules_groups_blocking_and_errors(control: tuple[aiohttp.ClientSession, str], bot: Bot) -> None:
    session, base = control
    status, rules = await call(session, "PATCH", f"{base}/rules", json={"rate_limits": False})
    assert status == 200 and rules["result"]["rate_limits"] is False
    assert (await call(session, "PATCH", f"{base}/rules", json={"bogus": 1}))[0] == 400
    a = (await call(session, "POST", f"{base}/users", json={"first_name": "A"}))[1]["result"]["id"]
    b = (await call(session, "POST", f"{base}/users", json={"first_name": "B"}))[1]["result"]["id"]
    status, group = await call(session, "POST", f"{base}/groups", json={"title": "Office", "member_ids": [a, b]})
    gid = group["result"]["chat"]["id"]
    assert status == 201 and gid < 0
    assert (await call(session, "POST", f"{base}/chats/{gid}/messages", json={"text": "hi"}))[0] == 400
    assert (await call(session, "POST", f"{base}/chats/{gid}/messages", json={"text": "hi", "user_id": b}))[0] == 201
    await call(session, "PATCH", f"{base}/users/{a}", json={"blocked": True})
    with pytest.raises(Exception, match="(?i)blocked"):
        await bot.send_message(a, "x")
    assert (await call(session, "GET", f"{base}/chats/999/transcript"))[0] == 404
    _, chats = await call(session, "GET", f"{base}/chats")
    assert {c["chat"]["id"] for c in chats["result"]} == {a, b, gid}
