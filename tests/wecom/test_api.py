"""The 企业微信 server API client against the emulator: messages and what each person's chat
shows, cards sent, pressed and updated, media both ways, the organisation, limits as typed
errors, the token cached and refreshed."""

from __future__ import annotations

import aiohttp
import pytest
from aiohttp import web

from bot.channels.wecom.api import (
    CardButton,
    WecomApi,
    WecomAuthError,
    WecomError,
    WecomNoRecipient,
    WecomRateLimited,
    button_card,
)
from bot.channels.wecom.inputs import CardPress
from bot.emulators.wecom import EmulatorError, WecomEmulator
from tests.wecom.conftest import Bot

SLIP_BUTTONS = [CardButton("ack:17", "签收"), CardButton("fb:17", "反馈"), CardButton("ext:17", "申请延期", style=2)]


def slip_card(task_id: str = "slip-17-1") -> dict:
    return button_card(task_id, "邓州市人民政府工作交办单", SLIP_BUTTONS, description="编号 2024-017",
                       rows=[("承办单位", "市住建局"), ("办理时限", "2024-06-30")])


async def test_text_and_markdown_reach_each_persons_chat(wecom: WecomEmulator, api: WecomApi) -> None:
    sent = await api.send_text(["lijun", "zhaolei"], "请于6月30日前反馈办理情况。")
    await api.send_markdown(["lijun"], "**催办** 2024-017 已逾期")
    assert sent.msgid and sent.invalid_users == () and sent.response_code is None
    assert [(e.sender, e.kind, e.text) for e in wecom.chat("lijun")] == [
        ("bot", "text", "请于6月30日前反馈办理情况。"), ("bot", "markdown", "**催办** 2024-017 已逾期")]
    assert [e.text for e in wecom.chat("zhaolei")] == ["请于6月30日前反馈办理情况。"]
    assert wecom.chat("wangfang") == []


async def test_unknown_recipients_are_named_and_none_known_is_an_error(wecom: WecomEmulator, api: WecomApi) -> None:
    sent = await api.send_text(["lijun", "left_last_year"], "通知")
    assert sent.invalid_users == ("left_last_year",)
    with pytest.raises(WecomNoRecipient):
        await api.send_text(["left_last_year"], "通知")


async def test_a_text_over_2048_bytes_arrives_cut(wecom: WecomEmulator, api: WecomApi) -> None:
    """最长不超过2048个字节，超过将截断: the call succeeds and the end is lost, on a character
    boundary; the emulator marks the entry so a test of the sender can see the loss."""
    await api.send_text(["lijun"], "办" * 700)  # 2100 bytes
    [entry] = wecom.chat("lijun")
    assert entry.text == "办" * 682 and entry.truncated
    await api.send_text(["lijun"], "办" * 682)
    assert not wecom.chat("lijun")[1].truncated


async def test_a_card_pressed_and_updated_for_the_one_who_pressed(wecom: WecomEmulator, bot: Bot, api: WecomApi) -> None:
    """A 交办单 card to two people; 李军 presses 签收; his card turns into 「已签收」, 赵磊's keeps
    its buttons."""
    sent = await api.send_card(["lijun", "zhaolei"], slip_card())
    assert sent.response_code
    shown = wecom.chat("lijun")[0].json()["card"]
    assert shown["title"] == "邓州市人民政府工作交办单" and shown["rows"] == [["承办单位", "市住建局"], ["办理时限", "2024-06-30"]]
    assert [(b["text"], b["enabled"]) for b in shown["buttons"]] == [("签收", True), ("反馈", True), ("申请延期", True)]

    await wecom.press("lijun", "slip-17-1", "ack:17").finished.wait()
    [press] = bot.inputs
    assert isinstance(press, CardPress)
    assert (press.task_id, press.event_key, press.card_type) == ("slip-17-1", "ack:17", "button_interaction")
    assert press.origin.userid == "lijun"

    await api.update_card_buttons(["lijun"], press.response_code, "已签收")
    assert wecom.card("lijun", "slip-17-1").replaced == "已签收"
    assert [b["enabled"] for b in wecom.chat("lijun")[0].json()["card"]["buttons"]] == [False] * 3
    assert [b["enabled"] for b in wecom.chat("zhaolei")[0].json()["card"]["buttons"]] == [True] * 3
    with pytest.raises(EmulatorError):
        wecom.press("lijun", "slip-17-1", "fb:17")


async def test_a_response_code_works_once_and_only_for_its_presser(wecom: WecomEmulator, bot: Bot, api: WecomApi) -> None:
    await api.send_card(["lijun", "zhaolei"], slip_card())
    await wecom.press("lijun", "slip-17-1", "ack:17").finished.wait()
    code = bot.inputs[0].response_code  # type: ignore[union-attr]
    with pytest.raises(WecomError):
        await api.update_card_buttons(["zhaolei"], code, "已签收")
    await api.update_card_buttons(["lijun"], code, "已签收")
    with pytest.raises(WecomError) as caught:
        await api.update_card_buttons(["lijun"], code, "已签收")
    assert caught.value.errcode == 40058


async def test_a_card_replaced_by_a_new_card(wecom: WecomEmulator, bot: Bot, api: WecomApi) -> None:
    """The send's response_code updates every recipient; the new card has its own buttons."""
    sent = await api.send_card(["lijun", "zhaolei"], slip_card())
    assert sent.response_code is not None
    done = button_card("slip-17-1", "工作交办单 2024-017（已办结）", [CardButton("view:17", "查看")])
    await api.update_card(["lijun", "zhaolei"], sent.response_code, done)
    for userid in ("lijun", "zhaolei"):
        card = wecom.chat(userid)[0].json()["card"]
        assert card["title"] == "工作交办单 2024-017（已办结）"
        assert [(b["text"], b["enabled"]) for b in card["buttons"]] == [("查看", True)]


async def test_malformed_cards_are_refused(wecom: WecomEmulator, api: WecomApi) -> None:
    await api.send_card(["lijun"], slip_card("slip-17-1"))
    for card in (
        slip_card("slip-17-1"),  # task_id used before
        button_card("slip-x", "标题", [CardButton(f"k{i}", f"按钮{i}") for i in range(7)]),
        button_card("slip-y", "", SLIP_BUTTONS),
    ):
        with pytest.raises(WecomError) as caught:
            await api.send_card(["lijun"], card)
        assert caught.value.errcode == 40058
    assert len(wecom.chat("lijun")) == 1


async def test_files_up_and_down(wecom: WecomEmulator, api: WecomApi) -> None:
    content = "督办台账\n2024-017,市住建局,已签收\n".encode()
    media_id = await api.upload_media("file", "督办台账.csv", content)
    await api.send_file(["wangfang"], media_id)
    [entry] = wecom.chat("wangfang")
    assert (entry.kind, entry.filename) == ("file", "督办台账.csv")
    fetched = await api.download_media(media_id)
    assert (fetched.filename, fetched.content) == ("督办台账.csv", content)
    picture = await api.upload_media("image", "评分.png", b"\x89PNG\r\n\x1a\n....")
    await api.send_image(["wangfang"], picture)
    assert wecom.chat("wangfang")[-1].kind == "image"


async def test_bad_media_are_refused(wecom: WecomEmulator, api: WecomApi) -> None:
    for kind, content, errcode in (("sticker", b"0123456789", 40004), ("file", b"tiny", 40006)):
        with pytest.raises(WecomError) as caught:
            await api.upload_media(kind, "x.bin", content)
        assert caught.value.errcode == errcode
    with pytest.raises(WecomError) as caught:
        await api.download_media("no-such-media")
    assert caught.value.errcode == 40007
    with pytest.raises(WecomError):
        await api.send_file(["lijun"], "no-such-media")


async def test_the_organisation_for_an_import(wecom: WecomEmulator, api: WecomApi) -> None:
    names = {d.id: (d.name, d.parent_id) for d in await api.departments()}
    assert names == {1: ("本单位", 0), 2: ("市政府办公室", 1), 3: ("市住建局", 1), 4: ("城建科", 3)}
    assert [d.id for d in await api.departments(3)] == [3, 4]
    assert [(m.userid, m.name) for m in await api.members(3)] == [("lijun", "李军")]
    assert {m.userid for m in await api.members(3, fetch_child=True)} == {"lijun", "zhaolei"}


async def test_the_daily_quota_is_a_rate_limit_until_the_next_day(wecom: WecomEmulator, api: WecomApi) -> None:
    """每应用不可超过账号上限数*200人次/天: 45009, a typed error a pacer can wait on."""
    wecom.world.limits.account_limit, wecom.world.limits.daily_per_account = 1, 3
    await api.send_text(["lijun", "zhaolei"], "一")
    await api.send_text(["lijun"], "二")
    with pytest.raises(WecomRateLimited) as caught:
        await api.send_text(["lijun"], "三")
    assert caught.value.errcode == 45009 and caught.value.retry_after == 60.0
    wecom.world.new_day()
    await api.send_text(["lijun"], "三")
    assert [e.text for e in wecom.chat("lijun")] == ["一", "二", "三"]


async def test_over_a_members_minute_limit_messages_are_dropped_silently(wecom: WecomEmulator, api: WecomApi) -> None:
    """每应用对同一个成员不可超过30次/分钟, 超过部分会被丢弃不下发: the call succeeds and the
    message never arrives, which is why the sender must pace; the emulator keeps it to show."""
    wecom.world.limits.member_per_minute = 2
    for text in ("一", "二", "三"):
        await api.send_text(["lijun"], text)
    assert [e.text for e in wecom.chat("lijun")] == ["一", "二"]
    assert [d["text"]["content"] for d in wecom.world.dropped] == ["三"]
    wecom.world.limits.member_overflow = "error"
    with pytest.raises(WecomRateLimited):
        await api.send_text(["lijun"], "四")


async def test_the_token_is_fetched_once_and_again_when_it_expires(wecom: WecomEmulator, api: WecomApi) -> None:
    await api.send_text(["lijun"], "一")
    await api.send_text(["lijun"], "二")
    await api.departments()
    assert api.token_fetches == 1
    wecom.world.expire_tokens()  # 42001 on the next call
    await api.send_text(["lijun"], "三")
    assert api.token_fetches == 2
    wecom.fail("message/send", 40014)  # invalid: fetched again too
    await api.send_text(["lijun"], "四")
    assert api.token_fetches == 3
    assert [e.text for e in wecom.chat("lijun")] == ["一", "二", "三", "四"]


async def test_a_token_with_a_short_life_is_renewed_before_it_runs_out(wecom: WecomEmulator, api: WecomApi) -> None:
    """expires_in of 1 second: the client renews at half its life rather than use it to the end."""
    wecom.world.limits.token_seconds = 1
    await api.send_text(["lijun"], "一")
    import asyncio

    await asyncio.sleep(0.6)
    await api.send_text(["lijun"], "二")
    assert api.token_fetches == 2


async def test_an_upload_after_the_token_expired_is_sent_again_whole(wecom: WecomEmulator, api: WecomApi) -> None:
    await api.departments()
    wecom.world.expire_tokens()
    media_id = await api.upload_media("file", "交办单.docx", b"PK\x03\x04 docx body")
    assert (await api.download_media(media_id)).content == b"PK\x03\x04 docx body"
    assert api.token_fetches == 2


async def test_the_base_frequency_of_one_call_is_a_rate_limit(wecom: WecomEmulator, api: WecomApi) -> None:
    """每企业调用单个cgi/api不可超过1万次/分 (here 2): 45009 on that call only."""
    wecom.world.limits.api_per_minute = 2
    await api.departments()
    await api.departments()
    with pytest.raises(WecomRateLimited):
        await api.departments()
    assert [m.userid for m in await api.members(2)] == ["wangfang"]


async def test_two_instances_share_one_token_until_it_expires(wecom: WecomEmulator, api: WecomApi) -> None:
    """有效期内重复获取返回相同结果: a second bot instance gets the same token, not one that
    ends the first's."""
    async with WecomApi(wecom.corp_id, wecom.agent_id, wecom.secret, api_url=wecom.url) as other:
        assert await other.access_token() == await api.access_token()
        wecom.world.expire_tokens()
        await other.send_text(["lijun"], "一")
        await api.send_text(["lijun"], "二")
        assert await other.access_token() == await api.access_token()
    assert len(wecom.chat("lijun")) == 2


async def test_a_wrong_secret_is_a_setting_to_fix(wecom: WecomEmulator) -> None:
    async with WecomApi(wecom.corp_id, wecom.agent_id, "wrong", api_url=wecom.url) as wrong:
        with pytest.raises(WecomAuthError) as caught:
            await wrong.send_text(["lijun"], "一")
    assert caught.value.errcode == 40001
    async with WecomApi(wecom.corp_id, 999, wecom.secret, api_url=wecom.url) as wrong_agent:
        with pytest.raises(WecomAuthError):
            await wrong_agent.send_text(["lijun"], "一")


async def test_failures_on_demand(wecom: WecomEmulator, api: WecomApi) -> None:
    wecom.fail("message/send", -1)
    with pytest.raises(WecomError) as caught:
        await api.send_text(["lijun"], "一")
    assert caught.value.errcode == -1 and caught.value.transient
    wecom.fail("message/send", 45033)
    with pytest.raises(WecomRateLimited):
        await api.send_text(["lijun"], "一")
    await api.send_text(["lijun"], "一")
    assert len(wecom.chat("lijun")) == 1


async def test_a_gateway_error_page_is_a_transient_error(wecom: WecomEmulator) -> None:
    """A proxy in front of a 政务微信 deployment answering HTML 502: transient, as 「系统繁忙」."""
    async def gateway(request: web.Request) -> web.Response:
        return web.Response(status=502, text="<html>Bad Gateway</html>", content_type="text/html")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", gateway)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        url = f"http://127.0.0.1:{runner.addresses[0][1]}"
        async with WecomApi(wecom.corp_id, wecom.agent_id, wecom.secret, api_url=url) as behind_proxy:
            with pytest.raises(WecomError) as caught:
                await behind_proxy.send_text(["lijun"], "一")
    finally:
        await runner.cleanup()
    assert caught.value.transient and "502" in caught.value.errmsg


async def test_the_control_api_over_http(wecom: WecomEmulator, bot: Bot, api: WecomApi) -> None:
    """What a script or the demo does: people act and chats are read over HTTP."""
    await api.send_card(["lijun"], slip_card())
    base = f"{wecom.url}/_emulator"
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{base}/members/lijun/text", json={"text": "收到"}) as r:
            assert r.status == 201
            first = (await r.json())["result"]["id"]
        async with http.get(f"{base}/deliveries/{first}", params={"wait": "5"}) as r:
            assert (await r.json())["result"]["answered"] is True
        async with http.post(f"{base}/members/lijun/press", json={"task_id": "slip-17-1", "key": "ack:17"}) as r:
            pressed = (await r.json())["result"]["id"]
        async with http.get(f"{base}/deliveries/{pressed}", params={"wait": "5"}) as r:
            assert (await r.json())["result"]["answered"] is True
        async with http.post(f"{base}/members/lijun/press", json={"task_id": "slip-17-1", "key": "nope"}) as r:
            assert r.status == 409
        form = aiohttp.FormData()
        form.add_field("file", b"scanned slip....", filename="回执.pdf")
        async with http.post(f"{base}/members/lijun/files", data=form) as r:
            assert r.status == 201
        async with http.get(f"{base}/members/lijun/chat") as r:
            chat = (await r.json())["result"]
    assert [(e["from"], e["kind"]) for e in chat] == [("bot", "card"), ("person", "text"), ("person", "file")]
    assert chat[0]["card"]["pressed"] == "ack:17"
    assert [type(i).__name__ for i in bot.inputs][:2] == ["TextInput", "CardPress"]


async def test_limits_faults_and_the_organisation_over_http(wecom: WecomEmulator, bot: Bot, api: WecomApi) -> None:
    """What the demo page and scripts set over HTTP reaches the API the bot calls."""
    base = f"{wecom.url}/_emulator"
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{base}/departments", json={"id": 9, "name": "市水利局"}) as r:
            assert r.status == 201
        async with http.post(f"{base}/members", json={"userid": "sunli", "name": "孙丽", "department": [9]}) as r:
            assert (await r.json())["result"]["name"] == "孙丽"
        assert [m.name for m in await api.members(9)] == ["孙丽"]

        async with http.patch(f"{base}/limits", json={"member_per_minute": 1}) as r:
            assert (await r.json())["result"]["member_per_minute"] == 1
        async with http.patch(f"{base}/limits", json={"no_such_limit": 1}) as r:
            assert r.status == 400
        await api.send_text(["sunli"], "一")
        await api.send_text(["sunli"], "二")
        async with http.get(f"{base}/dropped") as r:
            assert [d["text"]["content"] for d in (await r.json())["result"]] == ["二"]

        async with http.post(f"{base}/faults", json={"api": "department/list", "errcode": -1}) as r:
            assert r.status == 200
        with pytest.raises(WecomError):
            await api.departments()
        async with http.post(f"{base}/tokens/expire") as r:
            assert r.status == 200
        await api.departments()
        assert api.token_fetches == 2

        async with http.patch(f"{base}/callback", json={"url": "http://127.0.0.1:9/nowhere"}) as r:
            assert r.status == 409
        async with http.get(base) as r:
            assert (await r.json())["result"]["callback"]["url"] == bot.url
