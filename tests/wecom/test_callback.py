"""The callback URL: 企业微信's URL check, encrypted messages decrypted and parsed, forged
requests refused, and retries when the bot does not answer in time — each retry with the same
identity, so the adapter can take the input once."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from bot.channels.wecom.callback import CallbackCrypto
from bot.channels.wecom.inputs import CardPress, FileInput, TextInput, Unsupported, parse_input
from bot.emulators.wecom import EmulatorError, WecomEmulator
from bot.emulators.wecom.callback import xml_message
from bot.emulators.wecom.crypto import random_aes_key
from tests.wecom.conftest import Bot, serve_callback


async def test_the_callback_url_passes_the_consoles_check(wecom: WecomEmulator, bot: Bot) -> None:
    """「验证URL有效性」: the bot answers the echostr's plaintext."""
    assert (await wecom.verify_url())["ok"] is True
    assert bot.inputs == []


async def test_a_url_with_the_wrong_key_fails_the_check_and_is_not_saved(wecom: WecomEmulator, bot: Bot) -> None:
    """A bot configured with another EncodingAESKey cannot read the echostr, and says so with
    403; the console keeps the URL it had."""
    other = Bot()
    runner = await serve_callback(CallbackCrypto(wecom.token, random_aes_key(), wecom.corp_id), other)
    try:
        with pytest.raises(EmulatorError, match="403"):
            await wecom.set_callback_url(other.url)
        assert wecom.callbacks.settings.url == bot.url
        assert (await wecom.set_callback_url(bot.url))["ok"] is True
    finally:
        await runner.cleanup()


async def test_text_arrives_decrypted_with_who_sent_it(wecom: WecomEmulator, bot: Bot) -> None:
    delivery = wecom.say("lijun", "反馈 2024-017：已完成排查，附件随后上传")
    await delivery.finished.wait()
    [item] = bot.inputs
    assert isinstance(item, TextInput)
    assert item.text == "反馈 2024-017：已完成排查，附件随后上传"
    assert item.quoted is None
    assert item.origin.userid == "lijun" and item.origin.agent_id == wecom.agent_id
    assert item.origin.identity.startswith("msg/")
    assert delivery.answered and len(delivery.attempts) == 1


async def test_a_quoted_reply_carries_the_quoted_text(wecom: WecomEmulator, bot: Bot) -> None:
    await wecom.say("lijun", "已签收，本周内办结", quote="邓州市人民政府工作交办单 2024-017").finished.wait()
    [item] = bot.inputs
    assert isinstance(item, TextInput)
    assert item.text == "已签收，本周内办结"
    assert item.quoted == "邓州市人民政府工作交办单 2024-017"


async def test_text_with_xml_in_it_arrives_as_typed(wecom: WecomEmulator, bot: Bot) -> None:
    """CDATA ends inside the text are split by 企业微信 and joined again by the parser."""
    text = "<b>进度</b> ]]> 完成 & 下一步"
    await wecom.say("lijun", text).finished.wait()
    assert isinstance(bot.inputs[0], TextInput) and bot.inputs[0].text == text


async def test_a_file_arrives_as_a_media_id_the_bot_can_download(wecom: WecomEmulator, bot: Bot, api) -> None:
    content = b"%PDF-1.4 report of 2024-017"
    await wecom.send_file("zhaolei", "整改报告（2024-017）.pdf", content).finished.wait()
    [item] = bot.inputs
    assert isinstance(item, FileInput) and item.kind == "file"
    media = await api.download_media(item.media_id)
    assert media.content == content
    assert media.filename == "整改报告（2024-017）.pdf"


async def test_a_picture_arrives_as_an_image(wecom: WecomEmulator, bot: Bot) -> None:
    await wecom.send_file("zhaolei", "现场.jpg", b"\xff\xd8\xff\xe0 jpeg", kind="image").finished.wait()
    assert isinstance(bot.inputs[0], FileInput) and bot.inputs[0].kind == "image"


async def test_retries_until_answered_carry_one_identity(wecom: WecomEmulator, bot: Bot) -> None:
    """The bot takes longer than 企业微信 waits twice: 企业微信 sends the message three times,
    signed afresh each time, and all three carry the one MsgId."""
    bot.slow = [1.3, 1.3]
    delivery = wecom.say("wangfang", "/task 2024-017")
    await delivery.finished.wait()
    assert [a["status"] for a in delivery.attempts] == [None, None, 200]
    assert len(bot.inputs) == 3
    for _ in range(40):  # the second one is still asleep when the third is answered
        if bot.finished == 3:
            break
        await asyncio.sleep(0.05)
    assert bot.finished == 3  # 企业微信 hanging up cancelled none of them half-way
    assert len({item.origin.identity for item in bot.inputs}) == 1
    assert len({item for item in bot.inputs}) == 1


async def test_a_bot_that_never_answers_gets_three_retries_and_no_more(wecom: WecomEmulator, bot: Bot) -> None:
    bot.slow = [1.3] * 10
    delivery = wecom.say("wangfang", "/today")
    await delivery.finished.wait()
    assert len(delivery.attempts) == 4 and not delivery.answered
    assert len(bot.inputs) == 4


async def test_two_messages_alike_are_two_inputs(wecom: WecomEmulator, bot: Bot) -> None:
    """The same words sent twice are two messages: two identities."""
    await wecom.say("wangfang", "/today").finished.wait()
    await wecom.say("wangfang", "/today").finished.wait()
    assert len({item.origin.identity for item in bot.inputs}) == 2


async def test_a_forged_callback_is_refused_and_handed_to_nobody(wecom: WecomEmulator, bot: Bot) -> None:
    """A body encrypted right but signed with another token: 403, nothing handed over."""
    plaintext = xml_message({"ToUserName": wecom.corp_id, "FromUserName": "wangfang", "CreateTime": 1,
                             "MsgType": "text", "Content": "签收", "MsgId": 1, "AgentID": wecom.agent_id})
    encrypted, query = wecom.cipher.signed(plaintext, "1700000000")
    query["msg_signature"] = "0" * 40
    body = xml_message({"ToUserName": wecom.corp_id, "AgentID": "1", "Encrypt": encrypted})
    async with aiohttp.ClientSession() as session:
        async with session.post(bot.url, params=query, data=body.encode()) as response:
            assert response.status == 403
        async with session.post(bot.url, params=query, data=b"not xml") as response:
            assert response.status == 403
    assert bot.inputs == []


async def test_a_bot_that_fails_is_retried(wecom: WecomEmulator) -> None:
    """The handler raises: the answer is 500, and 企业微信 sends the message again."""
    failures = [RuntimeError("database gone")]
    seen: list[str] = []

    async def on_input(item) -> None:
        seen.append(item.origin.identity)
        if failures:
            raise failures.pop()

    side = Bot()
    side.on_input = on_input  # type: ignore[method-assign]
    runner = await serve_callback(CallbackCrypto(wecom.token, wecom.encoding_aes_key, wecom.corp_id), side)
    try:
        wecom.callbacks.settings.url = side.url
        delivery = wecom.say("lijun", "签收")
        await delivery.finished.wait()
        assert [a["status"] for a in delivery.attempts] == [500, 200]
        assert len(seen) == 2 and seen[0] == seen[1]
    finally:
        await runner.cleanup()


def test_events_have_identities_by_user_time_task_key_and_response_code() -> None:
    """「事件类型消息推荐使用FromUserName + CreateTime排重」: plus event, task, key and the press's
    ResponseCode, so two cards pressed in one second stay two, and one button pressed twice in
    one second too; a retry (the same callback again) is one."""
    def press(task: str, key: str, code: str = "c") -> str:
        return xml_message({"ToUserName": "ww1", "FromUserName": "lijun", "CreateTime": 1700000000,
                            "MsgType": "event", "Event": "template_card_event", "EventKey": key,
                            "TaskId": task, "CardType": "button_interaction", "ResponseCode": code, "AgentID": 1})

    first, second = parse_input(press("t1", "ack")), parse_input(press("t2", "ack"))
    assert isinstance(first, CardPress) and isinstance(second, CardPress)
    assert first.origin.identity != second.origin.identity
    assert parse_input(press("t1", "ack")).origin.identity == first.origin.identity
    assert parse_input(press("t1", "ack", "d")).origin.identity != first.origin.identity


def test_other_kinds_are_unsupported_not_lost() -> None:
    voice = xml_message({"ToUserName": "ww1", "FromUserName": "lijun", "CreateTime": 1, "MsgType": "voice",
                         "MediaId": "m", "Format": "amr", "MsgId": 5, "AgentID": 1})
    enter = xml_message({"ToUserName": "ww1", "FromUserName": "lijun", "CreateTime": 1, "MsgType": "event",
                         "Event": "enter_agent", "EventKey": "", "AgentID": 1})
    assert parse_input(voice) == Unsupported(parse_input(voice).origin, "voice")
    assert isinstance(parse_input(enter), Unsupported) and parse_input(enter).kind == "event:enter_agent"


async def test_people_outside_the_organisation_cannot_act(wecom: WecomEmulator, bot: Bot) -> None:
    with pytest.raises(EmulatorError):
        wecom.say("stranger", "你好")
