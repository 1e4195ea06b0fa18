"""A 钉钉 bot SIGKILLed right after a message's work is committed, before or after its
acknowledgement went out: restarted, it applies nothing twice and loses nothing — the gateway
pushes what was not acknowledged again, and the inbox knows it was applied."""

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
from tests.e2e.test_run import environment, free_port, healthz, start, wait_until

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


async def test_sigkill_right_after_a_binding_applies_it_once(tmp_path: Path, dingtalk: DingTalkEmulator, people: DingTalkPeople):
    world = dingtalk.world
    world.limits.update({"ack_timeout": 0.5, "redeliveries": 400})  # pushed again for 200 s: a slow restart
    db = tmp_path / "data" / "duban.db"
    config = tmp_path / "duban.toml"
    config.write_text(
        f'[dingtalk]\nclient_id = "{world.client_id}"\nagent_id = {world.agent_id}\n'
        f'endpoint = "{dingtalk.url}"\noapi_endpoint = "{dingtalk.url}"\n', encoding="utf-8",
    )
    port = free_port()
    env = environment(DUBAN_DB=str(db), DUBAN_ARCHIVE=str(tmp_path / "data" / "archive"), DUBAN_CONFIG=str(config),
                      DUBAN_HEALTH_PORT=str(port), DUBAN_DAILY_TIME="23:59", DUBAN_DINGTALK_CLIENT_SECRET=world.client_secret)
    office = await Office.open(Settings(db_path=db, archive_dir=tmp_path / "data" / "archive"))
    await onboarding.add_unit(office, "住建局", UnitKind.DEPARTMENT, None, office.now())
    codes = []
    for i in range(PEOPLE):
        person = await onboarding.add_person(office, f"责任人{i}", frozenset({Role.RESPONSIBLE}), office.now(), unit_name="住建局")
        codes.append((await onboarding.create_invite(office, person.id, office.now())).code)
    await office.db.close()

    async def serving() -> asyncio.subprocess.Process:
        proc = await start(env)
        assert await wait_until(lambda: healthz(port)[1].get("dingtalk_stream") == "connected", 90, 0.1), "the bot never connected"
        return proc

    proc = await serving()
    try:
        chats = []
        for i, code in enumerate(codes):
            person = await people.add_person(f"责任人{i}", userid=f"zr{i}")
            chats.append(person)
            await person.send(f"/start {code}")
            assert await wait_until(lambda: bound(db, person.userid) == 1, 30, 0.002)
            proc.send_signal(signal.SIGKILL)  # the binding is committed; its answer and ack may not be out
            await proc.wait()
            proc = await serving()
        for person in chats:
            answered = await person.wait_for(match=lambda e: "绑定成功" in e["text"] or "已经办理" in e["text"], timeout=60)
            assert answered["kind"] == "robot"
        async def all_acknowledged() -> bool:
            return all(d["acked"] for d in (await people.stream())["deliveries"])

        for _ in range(400):
            if await all_acknowledged():
                break
            await asyncio.sleep(0.1)
        assert await all_acknowledged()
    finally:
        proc.send_signal(signal.SIGTERM)
        await asyncio.wait_for(proc.wait(), 60)

    assert all(bound(db, f"zr{i}") == 1 for i in range(PEOPLE))
    assert bindings_recorded(db) == PEOPLE
    for person in chats:
        texts = [e["text"] for e in await person.chat() if e["kind"] == "robot"]
        assert not any("使用过" in t for t in texts), texts  # a binding applied twice would meet its used invite
        assert sum("绑定成功" in t for t in texts) <= 1
