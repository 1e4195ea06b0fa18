"""The OpenAPI client against the 钉钉 emulator over real HTTP: 工作通知 and their read receipts,
钉钉's daily rules (the same content once a day, 500 a day) that drop a notice without an error,
call quotas as typed errors, the access token renewed, files both ways, the organisation."""

from __future__ import annotations

import aiohttp
import pytest

from bot.channels.dingtalk import DingTalkApi, DingTalkApp, DingTalkError, QuotaExceeded
from bot.emulators.dingtalk import DingTalkPeople

DAY = 86_400


def notice(text: str) -> dict[str, object]:
    """A markdown 工作通知."""
    return {"msgtype": "markdown", "markdown": {"title": "工作催办单", "text": text}}


async def test_a_work_notice_tells_who_has_read_it(api: DingTalkApi, people: DingTalkPeople):
    wang = await people.add_person("王", userid="wang")
    await people.add_person("李", userid="li")
    task_id = await api.send_work_notice(["wang", "li", "nobody"], notice("交办单 2026-031 请签收"))
    result = await api.work_notice_result(task_id)
    assert (result.read, set(result.unread), result.invalid, result.forbidden) == ((), {"wang", "li"}, ("nobody",), ())

    entry = await wang.wait_for(text_contains="交办单 2026-031", kind="notice")
    assert not entry["read"]
    await wang.read()
    result = await api.work_notice_result(task_id)
    assert (result.read, result.unread) == (("wang",), ("li",))
    assert set(result.delivered) == {"wang", "li"}


async def test_the_same_notice_reaches_a_person_once_a_day_and_the_call_still_succeeds(api: DingTalkApi, people: DingTalkPeople):
    """钉钉: 同一个应用相同内容的消息，同一个用户一天只能接收一次 — and asyncsend_v2 answers success."""
    zhao = await people.add_person("赵", userid="zhao")
    first = await api.send_work_notice(["zhao"], notice("交办单 2026-031 已逾期"))
    again = await api.send_work_notice(["zhao"], notice("交办单 2026-031 已逾期"))
    assert (await api.work_notice_result(first)).delivered == ("zhao",)
    swallowed = await api.work_notice_result(again)
    assert (swallowed.delivered, swallowed.forbidden) == ((), ("zhao",))
    assert len(await zhao.chat()) == 1

    counted = await api.send_work_notice(["zhao"], notice("交办单 2026-031 已逾期（第2次催办，12月8日）"))
    assert (await api.work_notice_result(counted)).delivered == ("zhao",)

    await people.advance_clock(DAY)
    next_day = await api.send_work_notice(["zhao"], notice("交办单 2026-031 已逾期"))
    assert (await api.work_notice_result(next_day)).delivered == ("zhao",)
    assert len(await zhao.chat()) == 3


async def test_beyond_the_daily_cap_a_person_gets_no_more_notices(api: DingTalkApi, people: DingTalkPeople):
    qian = await people.add_person("钱", userid="qian")
    await people.limits(notices_per_person_per_day=3)
    results = [await api.work_notice_result(await api.send_work_notice(["qian"], notice(f"第{n}件"))) for n in range(4)]
    assert [r.delivered for r in results] == [("qian",)] * 3 + [()]
    assert results[3].forbidden == ("qian",)
    assert [e["text"] for e in await qian.chat()] == ["第0件", "第1件", "第2件"]


async def test_call_quotas_are_typed_errors_on_both_generations_of_the_api(api: DingTalkApi, people: DingTalkPeople):
    await people.add_person("孙", userid="sun")
    await people.limits(calls_per_minute=2)
    for _ in range(2):
        await api.send_text(["sun"], "催办")
    with pytest.raises(QuotaExceeded) as refused:
        await api.send_text(["sun"], "催办")
    assert (refused.value.status, refused.value.code) == (403, "Forbidden.AccessDenied.QpsLimitForApi")
    assert refused.value.wait > 0 and refused.value.retryable

    for _ in range(2):
        await api.send_work_notice(["sun"], notice(f"催办 {_}"))
    with pytest.raises(QuotaExceeded) as old_refused:
        await api.send_work_notice(["sun"], notice("催办 2"))
    assert (old_refused.value.status, old_refused.value.code) == (200, "90018")

    await people.advance_clock(61)
    assert (await api.send_text(["sun"], "催办")).flow_controlled == ()


async def test_a_person_over_the_robots_flow_control_is_named_and_not_reached(api: DingTalkApi, people: DingTalkPeople):
    zhou = await people.add_person("周", userid="zhou")
    await people.add_person("吴", userid="wu")
    await people.limits(robot_messages_per_person_per_minute=1)
    assert (await api.send_text(["zhou"], "一")).flow_controlled == ()
    result = await api.send_text(["zhou", "wu", "ghost"], "二")
    assert (result.flow_controlled, result.invalid) == (("zhou",), ("ghost",))
    assert [e["text"] for e in await zhou.chat()] == ["一"]


async def test_an_expired_token_is_replaced_and_the_call_goes_through(api: DingTalkApi, people: DingTalkPeople):
    await people.add_person("郑", userid="zheng")
    await api.send_text(["zheng"], "一")
    assert api.tokens_fetched == 1
    await people.expire_tokens()
    await api.send_text(["zheng"], "二")
    await people.expire_tokens()
    await api.send_work_notice(["zheng"], notice("三"))
    assert api.tokens_fetched == 3
    await people.advance_clock(7200)  # a token lives two hours
    await api.send_text(["zheng"], "四")
    assert api.tokens_fetched == 4


async def test_the_old_gettoken_gives_a_token_both_generations_accept(app: DingTalkApp, people: DingTalkPeople):
    await people.add_person("杨", userid="yang")
    async with aiohttp.ClientSession() as session:
        query = {"appkey": app.client_id, "appsecret": app.client_secret}
        async with session.get(f"{app.oapi_endpoint}/gettoken", params=query) as answer:
            token = await answer.json()
        assert (token["errcode"], token["expires_in"]) == (0, 7200)
        body = {"robotCode": app.robot_code, "userIds": ["yang"], "msgKey": "sampleText", "msgParam": '{"content": "旧令牌"}'}
        headers = {"x-acs-dingtalk-access-token": token["access_token"]}
        async with session.post(f"{app.endpoint}/v1.0/robot/oToMessages/batchSend", json=body, headers=headers) as answer:
            assert answer.status == 200 and (await answer.json())["invalidStaffIdList"] == []
        async with session.get(f"{app.oapi_endpoint}/gettoken", params={**query, "appsecret": "wrong"}) as answer:
            assert (await answer.json())["errcode"] == 40089


async def test_wrong_credentials_are_refused(app: DingTalkApp):
    wrong = DingTalkApp(app.client_id, "not-the-secret", app.robot_code, app.agent_id, app.endpoint, app.oapi_endpoint)
    async with DingTalkApi(wrong) as api:
        with pytest.raises(DingTalkError) as refused:
            await api.send_text(["anyone"], "hello")
    assert refused.value.status == 400 and not refused.value.retryable


async def test_files_go_both_ways(api: DingTalkApi, people: DingTalkPeople):
    feng = await people.add_person("冯", userid="feng")
    media_id = await api.upload("督办通报.pdf", b"%PDF-1.7 report")
    await api.send_file(["feng"], media_id, "督办通报.pdf")
    entry = await feng.wait_for(kind="robot", match=lambda e: e["msg_type"] == "file")
    assert entry["file"]["name"] == "督办通报.pdf" and entry["file"]["size"] == len(b"%PDF-1.7 report")
    assert await people.file(entry["file"]["media_id"]) == b"%PDF-1.7 report"


async def test_robot_messages_have_read_marks(api: DingTalkApi, people: DingTalkPeople):
    chen = await people.add_person("陈", userid="chen")
    await people.add_person("褚", userid="chu")
    sent = await api.send_markdown(["chen", "chu"], "督办通知单", "**请于今日内反馈**")
    await chen.read()
    marks = {m.userid: m.read for m in await api.read_marks(sent.process_query_key)}
    assert marks == {"chen": True, "chu": False}


async def test_the_organisation_reads_as_a_tree_with_its_people(api: DingTalkApi, people: DingTalkPeople):
    city = await people.add_department("市政府办公室")
    bureau = await people.add_department("市住建局")
    section = await people.add_department("城建科", parent_id=bureau["dept_id"])
    await people.add_person("王", userid="wang", dept_ids=[city["dept_id"]], title="主任")
    for n in range(3):
        await people.add_person(f"科员{n}", userid=f"clerk{n}", dept_ids=[section["dept_id"]])
    tree = await api.department_tree()
    assert [(d.name, d.parent_id) for d in tree] == [("市政府办公室", 1), ("市住建局", 1), ("城建科", bureau["dept_id"])]
    members = await api.members(section["dept_id"], page_size=2)
    assert [m.userid for m in members] == ["clerk0", "clerk1", "clerk2"]
    assert [(m.name, m.title) for m in await api.members(city["dept_id"])] == [("王", "主任")]


async def test_a_busy_dingtalk_is_a_retryable_error(api: DingTalkApi, people: DingTalkPeople):
    await people.add_person("卫", userid="wei")
    await people.limits(failing_calls=2)
    with pytest.raises(DingTalkError) as busy:
        await api.send_text(["wei"], "一")
    assert (busy.value.status, busy.value.code, busy.value.retryable) == (503, "ServiceUnavailable", True)
    assert not isinstance(busy.value, QuotaExceeded)
    with pytest.raises(DingTalkError) as old_busy:
        await api.send_work_notice(["wei"], notice("二"))
    assert (old_busy.value.code, old_busy.value.retryable) == ("-1", True)
    assert (await api.send_text(["wei"], "三")).invalid == ()


async def test_a_card_send_tried_again_after_a_refusal_shows_one_card(api: DingTalkApi, people: DingTalkPeople):
    """The outbox tries a refused send again with the same outTrackId: the card created before
    the refusal is delivered, not created twice, and a second delivery shows no second card."""
    jiang = await people.add_person("蒋", userid="jiang")
    params = {"title": "工作催办单", "markdown": "交办单 2026-031 已逾期"}
    await people.add_person("沈", userid="shen")
    await people.limits(calls_per_minute_by_route={"/v1.0/card/instances/deliver": 1})
    await api.send_card("remind-30-1", "t", params, "shen")
    with pytest.raises(QuotaExceeded):  # created, but not delivered
        await api.send_card("remind-31-1", "t", params, "jiang")
    assert await jiang.chat() == []
    await people.limits(calls_per_minute_by_route={})
    assert await api.send_card("remind-31-1", "t", params, "jiang")
    assert await api.send_card("remind-31-1", "t", params, "jiang")
    [entry] = await jiang.chat()
    assert entry["card"]["markdown"] == "交办单 2026-031 已逾期"


async def test_a_throttled_server_address_is_told_how_long_to_wait(api: DingTalkApi, people: DingTalkPeople):
    await people.add_person("韩", userid="han")
    await api.send_text(["han"], "一")
    await people.limits(throttled_calls=2)
    with pytest.raises(QuotaExceeded) as throttled:
        await api.send_text(["han"], "二")
    assert (throttled.value.code, throttled.value.wait) == ("punish", 5.0)
    with pytest.raises(QuotaExceeded):
        await api.work_notice_result(1)
    assert (await api.send_text(["han"], "三")).invalid == ()
    assert [e["text"] for e in await (people.person("han")).chat()] == ["一", "三"]
