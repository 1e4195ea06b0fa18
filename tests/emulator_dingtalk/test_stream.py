"""Stream mode against the 钉钉 emulator over a real WebSocket: a person writes, quotes, sends a
file and presses card buttons; the robot receives each once it is acknowledged, gets it again
when it is not, and stays connected through the gateway's drops."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest

from bot.channels.dingtalk import CardAction, DingTalkApi, DingTalkApp, RobotMessage, StreamClient
from bot.config import load_settings
from bot.emulators.dingtalk import DingTalkEmulator, DingTalkPeople
from bot.emulators.dingtalk.client import ControlFailed
from tests.emulator_dingtalk.conftest import Bot

TEMPLATE = "1366a1eb-bc54-4859-ac88-517c56a9acb1.schema"


def slip_card(markdown: str, *buttons: tuple[str, str]) -> dict[str, str]:
    """cardParamMap of the markdown-with-buttons card."""
    msg_buttons = [{"text": text, "id": action, "color": "blue", "request": True} for text, action in buttons]
    return {"title": "工作交办单", "markdown": markdown, "sys_full_json_obj": json.dumps({"msgButtons": msg_buttons})}


async def test_a_message_arrives_as_a_plain_dataclass_and_is_acknowledged_once(bot: Bot, people: DingTalkPeople, api: DingTalkApi):
    wang = await people.add_person("王科长", userid="wang")

    async def answer(message: RobotMessage) -> None:
        await api.send_text([message.sender], f"收到：{message.text}")

    bot.on_message = answer
    sent = await wang.send("绑定 ABC123")
    received = await bot.next_message(1)
    assert (received.sender, received.sender_nick, received.text, received.one_to_one) == ("wang", "王科长", "绑定 ABC123", True)
    assert received.msg_id == sent["msg_id"] and received.replied is None and received.files == ()
    assert (await wang.wait_for(text_contains="收到：绑定 ABC123"))["kind"] == "robot"
    await asyncio.sleep(0.5)  # past the gateway's acknowledgement timeout: no second push
    [delivery] = (await people.stream())["deliveries"]
    assert delivery["acked"] and delivery["attempts"] == 1
    assert len(bot.messages) == 1


async def test_a_quoted_reply_and_a_file_reach_the_robot(bot: Bot, people: DingTalkPeople, api: DingTalkApi):
    li = await people.add_person("李主任", userid="li")
    await api.send_text(["li"], "请于12月10日前反馈。编号：2026-031")
    slip = await li.wait_for(text_contains="编号：2026-031")
    await li.send("已办结", reply_to=slip["id"])
    quoted = await bot.next_message(1)
    assert quoted.replied is not None and quoted.replied.from_robot
    assert quoted.replied.text == "请于12月10日前反馈。编号：2026-031" and quoted.text == "已办结"

    await li.send_file("办理情况.docx", b"PK\x03\x04 report")
    sent_file = await bot.next_message(2)
    [incoming] = sent_file.files
    assert (incoming.kind, incoming.name) == ("file", "办理情况.docx")
    assert await api.download(incoming.download_code) == b"PK\x03\x04 report"


async def test_a_message_not_acknowledged_is_pushed_again_and_then_handled(bot: Bot, people: DingTalkPeople):
    zhao = await people.add_person("赵", userid="zhao")
    failures = []

    async def fail_once(message: RobotMessage) -> None:
        if not failures:
            failures.append(message.msg_id)
            raise RuntimeError("the database went away")

    bot.on_message = fail_once
    await zhao.send("签收")
    handled = await bot.next_message(1)
    assert failures == [handled.msg_id]  # the same message, pushed again
    [delivery] = (await people.stream())["deliveries"]
    assert delivery["acked"] and delivery["attempts"] == 2


async def test_a_slow_handler_is_not_run_twice_for_one_push(bot: Bot, people: DingTalkPeople, dingtalk: DingTalkEmulator):
    qian = await people.add_person("钱", userid="qian")
    started = []

    async def slow(message: RobotMessage) -> None:
        started.append(message.msg_id)
        await asyncio.sleep(1.0)  # longer than the gateway waits: it pushes again meanwhile

    bot.on_message = slow
    await qian.send("反馈")
    await bot.next_message(1)
    await asyncio.sleep(0.2)
    assert len(started) == 1
    [delivery] = (await people.stream())["deliveries"]
    assert delivery["acked"] and delivery["attempts"] >= 2


async def test_one_persons_messages_are_handled_in_order(bot: Bot, people: DingTalkPeople):
    sun = await people.add_person("孙", userid="sun")

    async def first_is_slow(message: RobotMessage) -> None:
        if message.text == "1":
            await asyncio.sleep(0.2)

    bot.on_message = first_is_slow
    await sun.send("1")
    await sun.send("2")
    await bot.next_message(2)
    assert [m.text for m in bot.messages] == ["1", "2"]


@pytest.mark.parametrize("warn", [True, False], ids=["disconnect-frame", "connection-lost"])
async def test_the_robot_reconnects_after_the_gateway_drops_it(bot: Bot, people: DingTalkPeople, warn: bool):
    zhou = await people.add_person("周", userid="zhou")
    assert await people.drop_stream(warn=warn) == 1
    await zhou.send("drop 之后")  # pushed once a connection is open again
    assert (await bot.next_message(1)).text == "drop 之后"
    stream = await people.stream()
    assert stream["opened"] == 2 and len(stream["connections"]) == 1
    assert bot.stream.connections == 2 and bot.stream.connected


async def test_pings_are_answered(bot: Bot, people: DingTalkPeople, dingtalk: DingTalkEmulator):
    await people.limits(ping_interval=0.05)
    for _ in range(100):
        [connection] = (await people.stream())["connections"]
        if connection["ping_acks"] >= 2:
            break
        await asyncio.sleep(0.05)
    assert connection["ping_acks"] >= 2 and bot.stream.connected


async def test_a_card_button_reaches_the_robot_and_the_card_changes_after_use(bot: Bot, people: DingTalkPeople, api: DingTalkApi):
    wu = await people.add_person("吴", userid="wu")
    params = slip_card("请签收交办单 2026-031", ("签收", "ack:31"), ("申请延期", "ext:31"))
    assert await api.send_card("slip-31-wu", TEMPLATE, params, "wu")
    card = (await wu.wait_for(card_with="请签收交办单"))["card"]
    assert [b["text"] for b in card["buttons"]] == ["签收", "申请延期"]

    async def acknowledge(action: CardAction) -> dict[str, object]:
        done = slip_card("交办单 2026-031 ✅ 已签收", ("申请延期", "ext:31"))
        return {"cardData": {"cardParamMap": done}}

    bot.on_action = acknowledge
    await wu.press("签收")
    action = await bot.next_action(1)
    assert (action.userid, action.out_track_id, action.action_ids) == ("wu", "slip-31-wu", ("ack:31",))
    updated = (await wu.wait_for(card_with="已签收"))["card"]
    assert [b["text"] for b in updated["buttons"]] == ["申请延期"]
    with pytest.raises(ControlFailed, match="409"):
        await wu.press("签收")  # the button is gone: a stale press is not possible

    await api.update_card("slip-31-wu", {"markdown": "交办单 2026-031 已延期至 12月20日"})
    latest = (await wu.wait_for(card_with="已延期"))["card"]
    assert latest["title"] == "工作交办单" and latest["updates"] == 2
    assert len(await wu.chat()) == 1  # one card, changed in place


async def test_a_card_action_whose_handler_fails_is_pushed_again(bot: Bot, people: DingTalkPeople, api: DingTalkApi):
    zheng = await people.add_person("郑", userid="zheng")
    await api.send_card("slip-7", TEMPLATE, slip_card("交办单 7", ("签收", "ack:7")), "zheng")
    await zheng.wait_for(card_with="交办单 7")
    tries = []

    async def fail_once(action: CardAction) -> None:
        tries.append(action.message_id)
        if len(tries) == 1:
            raise RuntimeError("not committed")

    bot.on_action = fail_once
    await zheng.press("ack:7")
    handled = await bot.next_action(1)
    assert tries == [handled.message_id, handled.message_id]


async def test_the_settings_table_names_the_app_and_its_address(dingtalk: DingTalkEmulator, people: DingTalkPeople, tmp_path):
    """``[dingtalk]`` in the one settings table is all the client needs (the secret from the
    environment, as deploy/ advises)."""
    world = dingtalk.world
    config = tmp_path / "duban.toml"
    config.write_text(
        f'[dingtalk]\nclient_id = "{world.client_id}"\nagent_id = {world.agent_id}\n'
        f'endpoint = "{dingtalk.url}"\noapi_endpoint = "{dingtalk.url}"\n', encoding="utf-8"
    )
    settings = load_settings(config, environ={"DUBAN_DINGTALK_CLIENT_SECRET": world.client_secret})
    app = DingTalkApp.from_settings(settings.dingtalk)
    assert app.robot_code == world.client_id and world.client_secret not in repr(settings) + repr(app)
    with pytest.raises(ValueError, match="client_secret"):
        DingTalkApp.from_settings(load_settings(config, environ={}).dingtalk)
    await people.add_person("王", userid="wang")
    async with DingTalkApi(app) as api:
        assert (await api.send_text(["wang"], "已连接")).invalid == ()


async def test_wrong_credentials_keep_the_robot_off_the_stream_and_say_why(app: DingTalkApp, people: DingTalkPeople):
    wrong = DingTalkApp(app.client_id, "not-the-secret", app.robot_code, app.agent_id, app.endpoint, app.oapi_endpoint)

    async def nothing(_: object) -> None:
        raise AssertionError("nothing arrives without a connection")

    stream = StreamClient(wrong, nothing, nothing, reconnect_delay=0.05, max_reconnect_delay=0.1)
    runner = asyncio.create_task(stream.run())
    await asyncio.sleep(0.4)
    assert not stream.connected and stream.connections == 0
    assert stream.last_error is not None and "HTTP 401" in stream.last_error
    await stream.stop()
    await asyncio.wait_for(runner, 5)
    assert (await people.stream())["opened"] == 0


async def test_the_session_webhook_answers_the_writer(bot: Bot, people: DingTalkPeople):
    feng = await people.add_person("冯", userid="feng")
    await feng.send("/task 31")
    message = await bot.next_message(1)
    async with aiohttp.ClientSession() as session:
        answer = {"msgtype": "markdown", "markdown": {"title": "交办单", "text": "**2026-031** 办理中"}}
        async with session.post(message.raw["sessionWebhook"], json=answer) as response:
            assert (await response.json())["errcode"] == 0
    shown = await feng.wait_for(text_contains="办理中")
    assert (shown["kind"], shown["msg_type"], shown["title"]) == ("robot", "markdown", "交办单")


async def test_a_message_whose_ack_is_lost_with_the_connection_comes_again(bot: Bot, people: DingTalkPeople):
    """At least once: the handler finished but the connection fell before its acknowledgement
    went out, so 钉钉 pushes the message again on the next connection, with the same msgId (the
    key the adapter uses to apply it once)."""
    he = await people.add_person("何", userid="he")
    runs = []
    dropped = asyncio.Event()

    async def committed_then_dropped(message: RobotMessage) -> None:
        runs.append(message.msg_id)
        if len(runs) == 1:
            await people.drop_stream(warn=False)
            dropped.set()

    bot.on_message = committed_then_dropped
    await he.send("签收 2026-031")
    second = await bot.next_message(2)
    assert dropped.is_set() and runs == [second.msg_id, second.msg_id]
    [delivery] = (await people.stream())["deliveries"]
    assert delivery["acked"] and delivery["attempts"] == 2
