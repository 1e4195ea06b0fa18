"""A 钉钉 bot SIGKILLed right after a message's work is committed, before or after its
acknowledgement went out: restarted, it applies nothing twice and loses nothing — the gateway
pushes what was not acknowledged again, and the inbox knows it was applied. Bindings, a 签收
pressed on the slip's card and a 反馈 submitted on its dialog's card, each killed right after."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
from pathlib import Path

from bot.config import Settings
from bot.domain.org import Role, UnitKind
from bot.emulators.dingtalk import DingTalkEmulator, DingTalkPeople
from bot.services import onboarding
from bot.services.context import Office
from tests.e2e.test_run import count, environment, free_port, healthz, start, wait_until

PEOPLE = 3


def bound(db: Path, userid: str) -> int:
    conn = sqlite3.connect(db, timeout=30)
    try:
        return int(conn.execute("SELECT count(*) FROM accounts WHERE channel = 'dingtalk' AND address = ?", (userid,)).fetchone()[0])
    finally:
        conn.close()


def bindings_recorded(db: Path) -> int:
    conn = sqlite3.connect(db, timeout=30)
    try:
        return int(conn.execute("SELECT count(*) FROM history WHERE kind = 'account_bound'").fetchone()[0])
    finally:
        conn.close()


def configured(tmp_path: Path, dingtalk: DingTalkEmulator) -> tuple[Path, dict[str, str], int]:
    """``duban run`` serving 钉钉 alone on the emulator: the database, the environment, the
    health port. An unacknowledged push is pushed again every 0.5 s for 200 s (a slow restart)."""
    world = dingtalk.world
    world.limits.update({"ack_timeout": 0.5, "redeliveries": 400})
    db = tmp_path / "data" / "duban.db"
    config = tmp_path / "duban.toml"
    config.write_text(
        f'[dingtalk]\nclient_id = "{world.client_id}"\nagent_id = {world.agent_id}\n'
        f'endpoint = "{dingtalk.url}"\noapi_endpoint = "{dingtalk.url}"\n', encoding="utf-8",
    )
    port = free_port()
    env = environment(DUBAN_DB=str(db), DUBAN_ARCHIVE=str(tmp_path / "data" / "archive"), DUBAN_CONFIG=str(config),
                      DUBAN_HEALTH_PORT=str(port), DUBAN_DAILY_TIME="23:59", DUBAN_DINGTALK_CLIENT_SECRET=world.client_secret)
    return db, env, port


async def serving(env: dict[str, str], port: int) -> asyncio.subprocess.Process:
    """``duban run`` started, once its Stream connection is open."""
    proc = await start(env)
    assert await wait_until(lambda: healthz(port)[1].get("dingtalk_stream") == "connected", 90, 0.1), "the bot never connected"
    return proc


async def killed_and_restarted(proc: asyncio.subprocess.Process, env: dict[str, str], port: int) -> asyncio.subprocess.Process:
    """SIGKILL: the work is committed; its answer and acknowledgement may not be out."""
    proc.send_signal(signal.SIGKILL)
    await proc.wait()
    return await serving(env, port)


async def all_acknowledged(people: DingTalkPeople) -> bool:
    for _ in range(400):
        if all(d["acked"] for d in (await people.stream())["deliveries"]):
            return True
        await asyncio.sleep(0.1)
    return False


async def test_sigkill_right_after_a_binding_applies_it_once(tmp_path: Path, dingtalk: DingTalkEmulator, people: DingTalkPeople):
    db, env, port = configured(tmp_path, dingtalk)
    office = await Office.open(Settings(db_path=db, archive_dir=tmp_path / "data" / "archive"))
    await onboarding.add_unit(office, "住建局", UnitKind.DEPARTMENT, None, office.now())
    codes = []
    for i in range(PEOPLE):
        person = await onboarding.add_person(office, f"责任人{i}", frozenset({Role.RESPONSIBLE}), office.now(), unit_name="住建局")
        codes.append((await onboarding.create_invite(office, person.id, office.now())).code)
    await office.db.close()

    proc = await serving(env, port)
    try:
        chats = []
        for i, code in enumerate(codes):
            person = await people.add_person(f"责任人{i}", userid=f"zr{i}")
            chats.append(person)
            await person.send(f"/start {code}")
            assert await wait_until(lambda: bound(db, person.userid) == 1, 30, 0.002)
            proc = await killed_and_restarted(proc, env, port)  # the binding is committed
        for person in chats:
            answered = await person.wait_for(match=lambda e: "绑定成功" in e["text"] or "已经办理" in e["text"], timeout=60)
            assert answered["kind"] == "robot"
        assert await all_acknowledged(people)
    finally:
        proc.send_signal(signal.SIGTERM)
        await asyncio.wait_for(proc.wait(), 60)

    assert all(bound(db, f"zr{i}") == 1 for i in range(PEOPLE))
    assert bindings_recorded(db) == PEOPLE
    for person in chats:
        texts = [e["text"] for e in await person.chat() if e["kind"] == "robot"]
        assert not any("使用过" in t for t in texts), texts  # a binding applied twice would meet its used invite
        assert sum("绑定成功" in t for t in texts) <= 1


async def test_sigkill_right_after_signing_for_and_after_feedback_applies_each_once(
    tmp_path: Path, dingtalk: DingTalkEmulator, people: DingTalkPeople
):
    """签收 on the slip's card, then 提交 of a 反馈: each time the bot is killed as soon as the
    work is in the database. Restarted, the press 钉钉 pushes again is answered as done; the task
    is signed for once and has one 反馈, and the clerk gets its review once."""
    from bot.domain.tasks import SourceType
    from bot.services.issuing import AssignmentDraft, issue_assignment

    db, env, port = configured(tmp_path, dingtalk)
    settings = Settings(db_path=db, archive_dir=tmp_path / "data" / "archive")
    office = await Office.open(settings)
    await onboarding.add_unit(office, "住建局", UnitKind.DEPARTMENT, None, office.now())
    await onboarding.add_section(office, "综合一科", False, None, office.now())
    clerk = await onboarding.add_person(office, "王科员", frozenset({Role.CLERK}), office.now(), section_name="综合一科")
    official = await onboarding.add_person(office, "李住建", frozenset({Role.RESPONSIBLE}), office.now(), unit_name="住建局")
    codes = [(await onboarding.create_invite(office, p.id, office.now())).code for p in (clerk, official)]
    await office.db.close()

    proc = await serving(env, port)
    try:
        wang, li = await people.add_person("王科员", userid="wangky"), await people.add_person("李住建", userid="lizj")
        for person, code in ((wang, codes[0]), (li, codes[1])):
            await person.send(f"/start {code}")
            await person.wait_for(text_contains="绑定成功", timeout=30)
        office = await Office.open(settings)
        draft = AssignmentDraft(title="城区积水点排查整治", requirements="逐点建立台账。", basis="市政府第12次常务会议纪要",
                                source=SourceType.OTHER, unit_ids=(official.unit_id or 0,), period_days=7)
        [issued] = await issue_assignment(office, draft, clerk, office.now())
        await office.db.close()
        slip = await li.wait_for(card_with="工作交办单", timeout=30)

        await li.press("签收", out_track_id=slip["card"]["out_track_id"])
        assert await wait_until(lambda: count(db, "SELECT count(*) FROM history WHERE kind = 'acknowledged'") == 1, 30, 0.002)
        proc = await killed_and_restarted(proc, env, port)
        await li.wait_for(kind="robot", match=lambda e: "已签收" in e["text"] or "已经办理" in e["text"], timeout=60)

        await li.press("反馈", out_track_id=slip["card"]["out_track_id"])
        await li.wait_for(text_contains="请发送办理结果情况", timeout=30)
        await li.send("已完成全部32处积水点排查。")
        asked = await li.wait_for(card_with="已记下", timeout=30)
        await li.press("提交", out_track_id=asked["card"]["out_track_id"])
        assert await wait_until(lambda: count(db, "SELECT count(*) FROM feedback") == 1, 30, 0.002)
        proc = await killed_and_restarted(proc, env, port)
        await li.wait_for(kind="robot", match=lambda e: "已提交" in e["text"] or "已经办理" in e["text"], timeout=60)
        review = await wang.wait_for(card_with="已完成全部32处积水点排查", timeout=60)
        assert [b["text"] for b in review["card"]["buttons"]] == ["通过(办结)", "退回"]
        assert await all_acknowledged(people)
        # The slip offers neither 签收 again nor a second 反馈 while this one waits for review.
        [now_shown] = [e for e in await li.chat() if e["id"] == slip["id"]]
        assert [b["text"] for b in now_shown["card"]["buttons"]] == ["申请延期"]
    finally:
        proc.send_signal(signal.SIGTERM)
        await asyncio.wait_for(proc.wait(), 60)

    assert count(db, "SELECT count(*) FROM history WHERE kind = 'acknowledged'") == 1
    assert count(db, "SELECT count(*) FROM history WHERE kind = 'feedback_submitted'") == 1
    assert count(db, "SELECT count(*) FROM feedback") == 1
    assert count(db, f"SELECT count(*) FROM tasks WHERE id = {issued.task.id} AND status = 'feedback_pending'") == 1
    reviews = [e for e in await wang.chat() if e["kind"] == "card" and "已完成全部32处积水点排查" in e["card"]["markdown"]]
    assert len(reviews) == 1, "the review is queued with the 反馈, sent once"
    told = [e["text"] for e in await li.chat() if e["kind"] == "robot"]
    assert sum("已签收 · " in t for t in told) <= 1 and not any("无需重复签收" in t for t in told)
