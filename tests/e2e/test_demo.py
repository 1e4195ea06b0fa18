"""``duban demo`` without a browser: the seeded organisation, the page's routes, the demo calendar,
and the command itself (starts on the port asked for, stops cleanly on Ctrl+C).

Everything here goes over HTTP, through the same routes the demo page uses.
"""

from __future__ import annotations

import subprocess

import asyncio
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator, Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.config import Settings
from bot.demo.run import Demo, running_demo

HUMAN_PAUSE = 1.1
"""Seconds a person takes before answering a message: the demo keeps Telegram's limit of one
message a second per chat, which a reply sent sooner by a script would run into."""

ISSUE = "/new\n事项：城区积水点排查整治\n要求：逐点建立台账，明确整改措施和完成时间。\n依据：市政府第12次常务会议纪要\n单位：住建局\n期限：1天"


@pytest.fixture
async def demo(tmp_path: Path) -> AsyncIterator[Demo]:
    """The whole demo, in this process, on a free port."""
    async with running_demo(Settings(), port=0, db_path=tmp_path / "demo.db") as running:
        yield running


@pytest.fixture
async def http(demo: Demo) -> AsyncIterator[aiohttp.ClientSession]:
    """A client of the demo's one origin."""
    async with aiohttp.ClientSession(demo.url) as session:
        yield session


async def api(http: aiohttp.ClientSession, method: str, path: str, body: Any = None) -> Any:
    """A control-API or demo-route call; the ``result`` of ``{"ok": true, ...}``."""
    async with http.request(method, path, json=body) as response:
        data = await response.json()
    assert data["ok"], data
    return data["result"]


async def person(http: aiohttp.ClientSession, name: str) -> dict[str, Any]:
    """One entry of the page's people list."""
    [found] = [p for p in await api(http, "GET", "/_demo/people") if p["name"] == name]
    return found


async def wait_message(
    http: aiohttp.ClientSession, chat_id: int, predicate: Callable[[dict[str, Any]], bool], timeout: float = 15
) -> dict[str, Any]:
    """The first message in the chat that matches, long-polling the transcript as the page does."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    version = -1
    while True:
        transcript = await api(http, "GET", f"/_emulator/chats/{chat_id}/transcript?since={version}&timeout=2")
        version = transcript["version"]
        for entry in transcript["entries"]:
            if entry["kind"] == "message" and predicate(entry):
                return entry
        if loop.time() > deadline:
            raise AssertionError(f"no such message in chat {chat_id}: {transcript['entries']}")


async def issue(http: aiohttp.ClientSession, clerk: dict[str, Any]) -> None:
    """The clerk sends the one-message /new and presses 确认签发 under its preview."""
    await api(http, "POST", f"/_emulator/chats/{clerk['chat_id']}/messages", {"text": ISSUE})
    preview = await wait_message(http, clerk["chat_id"], says("确认签发"))
    await api(http, "POST", f"/_emulator/chats/{clerk['chat_id']}/press", {"button": "确认签发", "message_id": preview["message_id"]})


def says(*words: str) -> Callable[[dict[str, Any]], bool]:
    return lambda m: m["from_bot"] and all(w in (m["text"] or m["caption"] or "") for w in words)


async def test_everyone_in_the_seeded_organisation_has_joined_through_an_invite(http: aiohttp.ClientSession, demo: Demo) -> None:
    people = await api(http, "GET", "/_demo/people")
    assert len(people) == len(demo.people) == 16
    roles = {r["label"] for p in people for r in p["roles"]}
    assert roles == {"政务监督室", "科室工作人员", "责任单位责任人", "分管市领导", "市政府主要领导"}
    # Listed as the page shows them: 政务监督室 first, then the sections' clerks, then the units.
    assert people[0]["name"] == "赵文博" and people[0]["section"] == "政务监督室"
    assert [p["name"] for p in people[1:4]] == ["王晓燕", "周明", "吴芳"]
    zhujian = [p for p in people if p["unit"] == "住建局"]
    assert [p["name"] for p in zhujian] == ["李住建", "杨联络"]
    for entry in people:
        welcome = await wait_message(http, entry["chat_id"], says("绑定成功", entry["name"]))
        assert welcome["reply_to_message_id"] is None
    clerk = await person(http, "王晓燕")
    await wait_message(http, clerk["chat_id"], says("绑定成功"))
    for _ in range(100):  # the command menu goes out through the outbox, just after the welcome
        clerk = await person(http, "王晓燕")
        if clerk["commands"]:
            break
        await asyncio.sleep(0.1)
    assert "new" in [c["command"] for c in clerk["commands"]]


async def test_the_page_is_served_with_a_strict_content_security_policy(http: aiohttp.ClientSession) -> None:
    async with http.get("/") as response:
        assert response.status == 200
        page = await response.text()
        policy = response.headers["Content-Security-Policy"]
    assert "/_demo/static/app.js" in page and "<script>" not in page
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    for asset in ("app.js", "style.css"):
        async with http.get(f"/_demo/static/{asset}") as response:
            assert response.status == 200
    for outside in ("..%2Frun.py", "run.py", ".hidden.js"):
        async with http.get(f"/_demo/static/{outside}") as response:
            assert response.status == 404


async def test_next_day_moves_the_bot_clock_and_runs_that_days_check(http: aiohttp.ClientSession, demo: Demo) -> None:
    today = datetime.now(demo.office.settings.timezone).date()
    assert (await api(http, "GET", "/_demo/calendar"))["date"] == today.isoformat()
    moved = await api(http, "POST", "/_demo/next-day")
    tomorrow = today + timedelta(days=1)
    assert moved["date"] == tomorrow.isoformat() and moved["steps"] == []
    assert demo.office.now().date() == tomorrow
    assert (await api(http, "GET", "/_demo/calendar"))["date"] == tomorrow.isoformat()
    async with demo.office.db.reader.execute("SELECT run_date FROM daily_runs WHERE finished_at IS NOT NULL") as cur:
        assert [r[0] async for r in cur] == [tomorrow.isoformat()]


async def test_a_slip_nobody_answers_brings_a_reminder_slip_as_days_pass(http: aiohttp.ClientSession, demo: Demo) -> None:
    clerk, official = await person(http, "王晓燕"), await person(http, "李住建")
    await wait_message(http, clerk["chat_id"], says("绑定成功"))
    await issue(http, clerk)
    slip = await wait_message(http, official["chat_id"], says("工作交办单", "城区积水点排查整治"))
    assert [b["text"] for row in slip["inline_keyboard"] for b in row] == ["签收", "反馈", "申请延期"]

    labels: list[str] = []
    for _ in range(12):  # 1 day, moved past rest days and holidays, then the day after
        moved = await api(http, "POST", "/_demo/next-day")
        labels += [s["label"] for s in moved["steps"]]
        if "工作催办单" in labels:
            break
    assert "工作催办单" in labels
    reminder = await wait_message(http, official["chat_id"], says("工作催办单", "城区积水点排查整治", "逾期"))
    assert "交办单〔" in reminder["text"]


async def test_a_document_sent_as_a_reply_to_the_slip_is_feedback_on_it(http: aiohttp.ClientSession) -> None:
    clerk, official = await person(http, "王晓燕"), await person(http, "李住建")
    await wait_message(http, clerk["chat_id"], says("绑定成功"))
    await issue(http, clerk)
    slip = await wait_message(http, official["chat_id"], says("工作交办单"))
    await asyncio.sleep(HUMAN_PAUSE)

    form = aiohttp.FormData()
    form.add_field("file", b"%PDF-1.4 report", filename="排查台账.pdf", content_type="application/pdf")
    form.add_field("kind", "document")
    form.add_field("caption", "已完成全部积水点排查。")
    form.add_field("reply_to_message_id", str(slip["message_id"]))
    async with http.post(f"/_emulator/chats/{official['chat_id']}/files", data=form) as response:
        sent = (await response.json())["result"]
    assert sent["reply_to_message_id"] == slip["message_id"]
    await wait_message(http, official["chat_id"], says("已提交"))
    review = await wait_message(http, clerk["chat_id"], says("已完成全部积水点排查"))
    assert [b["text"] for row in review["inline_keyboard"] for b in row] == ["通过(办结)", "退回"]
    document = await wait_message(http, clerk["chat_id"], lambda m: m["from_bot"] and bool(m["files"]))
    async with http.get(f"/_emulator/files/{document['files'][0]['file_id']}") as response:
        assert await response.read() == b"%PDF-1.4 report"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_duban_demo_says_what_to_open_and_stops_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "demo", "--port", str(port), "--demo-db", str(tmp_path / "demo.db"),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])},
    )
    assert process.stdout is not None
    output = ""
    try:
        while "Ctrl+C" not in output:
            line = await asyncio.wait_for(process.stdout.readline(), 30)
            assert line, output
            output += line.decode()
        assert f"http://127.0.0.1:{port}/" in output
        async with aiohttp.ClientSession() as session, session.get(f"http://127.0.0.1:{port}/") as response:
            assert response.status == 200 and "督办 Bot 演示" in await response.text()
        process.send_signal(signal.SIGINT)
        rest, _ = await asyncio.wait_for(process.communicate(), 20)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0, output + rest.decode()
    assert "Traceback" not in rest.decode()


async def test_jumps_run_every_days_schedule_up_to_next_monday_and_the_1st(tmp_path: Path) -> None:
    """「到下周一」 and 「到下月1日」 run each day on the way as the schedule would: the daily check,
    the weekly digests on Monday, the monthly analyses on the 1st. A jump backwards, too far or to
    an unknown place is refused with what to do instead, and the date stays."""
    async with running_demo(Settings(), port=0, db_path=tmp_path / "demo.db", today=date(2026, 11, 27)) as demo:
        async with aiohttp.ClientSession(demo.url) as http:
            moved = await api(http, "POST", "/_demo/jump", {"to": "monday"})
            assert moved["date"] == "2026-11-30" and "每周进展（分管市领导、主要领导）" in moved["periodic"]
            async with demo.office.db.reader.execute("SELECT run_date FROM daily_runs ORDER BY run_date") as cur:
                assert [r[0] async for r in cur] == ["2026-11-28", "2026-11-29", "2026-11-30"]
            leader = await person(http, "刘建国")
            await wait_message(http, leader["chat_id"], says("专项台账周报"))
            principal = await person(http, "钱市长")
            await wait_message(http, principal["chat_id"], says("重点事项落实情况周报"))

            moved = await api(http, "POST", "/_demo/jump", {"to": "first"})
            assert moved["date"] == "2026-12-01" and "月度督查分析（送分管市领导审阅）" in moved["periodic"]
            await wait_message(http, leader["chat_id"], says("2026年11月督查分析"))

            for body, words in (
                ({"to": "2026-11-02"}, "只能往后推进"), ({"to": "2027-12-01"}, "一次最多推进"),
                ({"to": "下礼拜"}, "到下周一"), ({}, "到下周一"),
            ):
                async with http.post("/_demo/jump", json=body) as response:
                    answer = await response.json()
                assert response.status == 400 and not answer["ok"] and words in answer["error"], answer
            assert (await api(http, "GET", "/_demo/calendar"))["date"] == "2026-12-01"


async def test_a_second_demo_is_refused_before_touching_any_file(tmp_path: Path) -> None:
    """Another demo on the running one's database, or on its port, stops at once, says so in
    Chinese with a command that works, and leaves every file as it was."""
    db = tmp_path / "demo.db"
    async with running_demo(Settings(), port=0, db_path=db) as demo:
        files = {p: p.stat().st_mtime_ns for p in tmp_path.glob("demo.db*")}
        assert db in files
        with pytest.raises(SystemExit) as refused:
            async with running_demo(Settings(), port=0, db_path=db):
                raise AssertionError("a second demo started on the same database")
        message = str(refused.value)
        assert "正被另一个演示使用" in message and ".venv/bin/duban demo --port" in message and "&#" not in message
        assert f"正在运行的演示在 {demo.url}/" in message, "the second demo says where the first one runs"
        assert {p: p.stat().st_mtime_ns for p in tmp_path.glob("demo.db*")} == files

        port = int(demo.url.rsplit(":", 1)[1])
        other = tmp_path / "other.db"
        other.write_bytes(b"kept")
        with pytest.raises(SystemExit) as refused:
            async with running_demo(Settings(), port=port, db_path=other):
                raise AssertionError("a second demo started on a busy port")
        message = str(refused.value)
        assert "端口已被占用" in message and f".venv/bin/duban demo --port {port + 1}" in message
        assert "&#" not in message and "Errno" not in message
        assert other.read_bytes() == b"kept" and sorted(p.name for p in tmp_path.glob("other*")) == ["other.db"]


def test_the_demos_lock_file_is_not_something_to_commit() -> None:
    root = Path(__file__).resolve().parents[2]
    if not (root / ".git").exists():
        pytest.skip("not a git checkout")
    for name in ("demo.db.lock", "demo-8081.db.lock"):
        checked = subprocess.run(["git", "check-ignore", "-q", "--no-index", name], cwd=root)
        assert checked.returncode == 0, f"{name} would show in git status"


async def test_the_year_end_ranking_goes_out_on_januarys_first_working_day(tmp_path: Path) -> None:
    async with running_demo(Settings(), port=0, db_path=tmp_path / "demo.db", today=date(2026, 12, 28)) as demo:
        async with aiohttp.ClientSession(demo.url) as http:
            moved = await api(http, "POST", "/_demo/jump", {"to": "2027-01-06"})
            assert moved["date"] == "2027-01-06" and "年度排名" in moved["periodic"]
            principal = await person(http, "钱市长")
            await wait_message(http, principal["chat_id"], says("2026年度"))


async def test_stepping_over_rest_days_with_an_extension_and_a_return_no_date_contradicts(
    http: aiohttp.ClientSession, demo: Demo
) -> None:
    """The demo stepped day by day from today (whatever day it is, rest days included): a slip
    extended by the 分管市领导, its 催办单, then a 退回 with a new date and the 督办通知单. Each slip's
    dates agree with themselves and with the task, and nothing is issued on a rest day."""
    from bot.services import extensions, handling
    from bot.storage import feedback, org, tasks
    from tests.e2e.test_slip_dates import agrees, read_reminder

    office = demo.office
    clerk, official = await person(http, "王晓燕"), await person(http, "李住建")
    await wait_message(http, clerk["chat_id"], says("绑定成功"))
    await issue(http, clerk)
    await wait_message(http, official["chat_id"], says("工作交办单", "城区积水点排查整治"))
    [task] = await tasks.in_scope(office.db.reader)
    unit_official = next(m for m in await org.unit_members(office.db.reader, task.unit_id) if m.name == "李住建")
    unit = await org.unit(office.db.reader, task.unit_id)
    leader = await org.person(office.db.reader, unit.leader_id)
    _, request = await extensions.request_extension(office, unit_official, task.id, "需协调", office.now(), days=3)
    extended = await extensions.decide_extension(office, leader, request.id, True, office.now())
    assert extended.deadline > task.deadline

    async def step_until(label: str) -> None:
        for _ in range(20):
            moved = await api(http, "POST", "/_demo/next-day")
            day = datetime.fromisoformat(moved["date"]).date()
            if moved["steps"]:
                assert office.calendar.is_workday(day), f"a step on the rest day {day}"
            if label in [s["label"] for s in moved["steps"]]:
                return
        raise AssertionError(f"no {label} in 20 days")

    await step_until("工作催办单")
    reminder = await wait_message(http, official["chat_id"], says("工作催办单》"))
    agrees(read_reminder(reminder["text"]), await tasks.get(office.db.reader, task.id))
    assert "经分管市领导同意延期至" in reminder["text"]

    await handling.submit_feedback(office, unit_official, task.id, "已排查", office.now())
    pending = await feedback.pending_of_task(office.db.reader, task.id)
    clerk_person = await org.person(office.db.reader, task.issued_by)
    new_date = office.now().date() + timedelta(days=4)
    returned = await handling.return_feedback(office, clerk_person, pending.id, "台账不全", office.now(), new_date)
    assert returned.deadline >= new_date and office.calendar.is_workday(returned.deadline)

    await step_until("督办通知单")
    notice = await wait_message(http, official["chat_id"], says("督办通知单》"))
    moved_to = returned.deadline
    assert f"退回重办，办结期限重新确定为{moved_to.year}年{moved_to.month}月{moved_to.day}日" in notice["text"]
    signed = notice["text"].rstrip().splitlines()[-1]
    assert datetime.strptime(signed.strip(), "%Y年%m月%d日").date() > moved_to


async def test_people_named_for_dingtalk_join_there_and_everyone_else_on_telegram(tmp_path: Path) -> None:
    """``duban demo --dingtalk 陈志强,王晓燕``: those two bind on 钉钉 with their invites (the
    page lists them as 钉钉 people, their chat is on the 钉钉 emulator at ``/dingtalk``), the
    others on Telegram; a clerk on 钉钉 issues from there, the unit on Telegram receives it."""
    on_dingtalk = frozenset({"陈志强", "王晓燕"})
    async with running_demo(Settings(), port=0, db_path=tmp_path / "demo.db", dingtalk=on_dingtalk) as demo:
        async with aiohttp.ClientSession(demo.url) as http:
            people = await api(http, "GET", "/_demo/people")
            assert len(people) == 16
            assert {p["name"] for p in people if p["channel"] == "dingtalk"} == on_dingtalk
            clerk = next(p for p in people if p["name"] == "王晓燕")
            staff = {s["userid"]: s for s in await api(http, "GET", "/dingtalk/_emulator/staff")}
            assert staff[clerk["userid"]]["name"] == "王晓燕"
            chat = await api(http, "GET", f"/dingtalk/_emulator/staff/{clerk['userid']}/chat")
            assert any("绑定成功" in e["text"] for e in chat["entries"] if e["kind"] == "robot")

            await api(http, "POST", f"/dingtalk/_emulator/staff/{clerk['userid']}/messages", {"text": ISSUE})
            for _ in range(150):
                chat = await api(http, "GET", f"/dingtalk/_emulator/staff/{clerk['userid']}/chat?since={chat['version']}&timeout=1")
                preview = [e for e in chat["entries"] if e.get("card") and "确认签发" in [b["text"] for b in e["card"]["buttons"]]]
                if preview:
                    break
            await api(http, "POST", f"/dingtalk/_emulator/staff/{clerk['userid']}/press",
                      {"button": "确认签发", "out_track_id": preview[-1]["card"]["out_track_id"]})
            official = await person(http, "李住建")
            slip = await wait_message(http, official["chat_id"], says("邓州市人民政府工作交办单", "城区积水点排查整治"))
            assert [b["text"] for row in slip["inline_keyboard"] for b in row] == ["签收", "反馈", "申请延期"]


async def test_a_name_not_in_the_demo_is_refused_before_anything_starts(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as refused:
        async with running_demo(Settings(), port=0, db_path=tmp_path / "demo.db", dingtalk=frozenset({"张三"})):
            pass
    assert "张三" in str(refused.value) and "陈志强" in str(refused.value)
    assert not (tmp_path / "demo.db").exists()


def offering(*buttons: str) -> Callable[[dict[str, Any]], bool]:
    """A 企业微信 card whose active buttons are these, in this order."""
    return lambda card: [b["text"] for b in card["buttons"] if b["enabled"]] == list(buttons)


async def wecom_card(
    http: aiohttp.ClientSession, userid: str, predicate: Callable[[dict[str, Any]], bool], timeout: float = 15,
) -> dict[str, Any]:
    """The newest card in the member's 企业微信 chat that matches, polling as the page does."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        chat = await api(http, "GET", f"/wecom/_emulator/members/{userid}/transcript")
        cards = [e["card"] for e in chat["entries"] if e.get("card") and predicate(e["card"])]
        if cards:
            return cards[-1]
        if loop.time() > deadline:
            raise AssertionError(f"no such card for {userid}: {chat['entries']}")
        await api(http, "GET", f"/wecom/_emulator/changes?since={chat['version']}&timeout=1")


async def test_people_named_for_wecom_join_there_beside_dingtalk_and_telegram(tmp_path: Path) -> None:
    """``duban demo --dingtalk 陈志强 --wecom 黄磊,王晓燕``: those two bind on 企业微信 with their
    invites (the page lists them as 企业微信 people, their chats are on the 企业微信 emulator at
    ``/wecom``), the bot's 企业微信 channel serving them; a clerk on 企业微信 issues from there,
    the unit on Telegram receives it, and the official of 湍河街道 signs for it on its card."""
    on_wecom = frozenset({"黄磊", "王晓燕"})
    async with running_demo(Settings(), port=0, db_path=tmp_path / "demo.db", dingtalk=frozenset({"陈志强"}),
                            wecom=on_wecom) as demo:
        async with aiohttp.ClientSession(demo.url) as http:
            people = await api(http, "GET", "/_demo/people")
            assert len(people) == 16
            assert {p["name"] for p in people if p["channel"] == "wecom"} == on_wecom
            assert {p["name"] for p in people if p["channel"] == "dingtalk"} == {"陈志强"}
            clerk = next(p for p in people if p["name"] == "王晓燕")
            members = {m["userid"]: m for m in await api(http, "GET", "/wecom/_emulator/members")}
            assert members[clerk["userid"]]["name"] == "王晓燕"
            chat = await api(http, "GET", f"/wecom/_emulator/members/{clerk['userid']}/transcript")
            assert any("绑定成功" in e["text"] for e in chat["entries"] if e["from"] == "bot")

            issue_all = ISSUE.replace("单位：住建局", "单位：住建局、湍河街道")
            await api(http, "POST", f"/wecom/_emulator/members/{clerk['userid']}/text", {"text": issue_all})
            preview = await wecom_card(http, clerk["userid"], lambda card: "确认签发" in [b["text"] for b in card["buttons"]])
            key = next(b["key"] for b in preview["buttons"] if b["text"] == "确认签发")
            await api(http, "POST", f"/wecom/_emulator/members/{clerk['userid']}/press", {"task_id": preview["task_id"], "key": key})

            official = await person(http, "李住建")
            slip = await wait_message(http, official["chat_id"], says("邓州市人民政府工作交办单", "城区积水点排查整治"))
            assert [b["text"] for row in slip["inline_keyboard"] for b in row] == ["签收", "反馈", "申请延期"]
            huang = await person(http, "黄磊")
            card = await wecom_card(http, huang["userid"], offering("签收", "反馈", "申请延期"))
            assert "城区积水点排查整治" in card["title"] + card["sub_title_text"]
            sign = next(b["key"] for b in card["buttons"] if b["text"] == "签收")
            await api(http, "POST", f"/wecom/_emulator/members/{huang['userid']}/press", {"task_id": card["task_id"], "key": sign})
            # the same card now offers what is left to do
            await wecom_card(http, huang["userid"], lambda c: c["task_id"] == card["task_id"] and offering("反馈", "申请延期")(c))


async def test_a_wecom_name_not_in_the_demo_or_named_twice_is_refused_before_anything_starts(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as refused:
        async with running_demo(Settings(), port=0, db_path=tmp_path / "demo.db", wecom=frozenset({"张三"})):
            pass
    assert "张三" in str(refused.value) and "--wecom" in str(refused.value)
    with pytest.raises(SystemExit) as twice:
        async with running_demo(Settings(), port=0, db_path=tmp_path / "demo.db", dingtalk=frozenset({"黄磊"}),
                                wecom=frozenset({"黄磊"})):
            pass
    assert "黄磊" in str(twice.value)
    assert not (tmp_path / "demo.db").exists()
