"""``duban run`` serving 企业微信 alone, SIGKILLed right after a member's 签收 is committed (its
answers, the card's change and the callback's answer may not be out): restarted, it applies
nothing twice and loses nothing — 企业微信 sends the callback again, the inbox knows it was
applied, and the card still changes."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import sys
from pathlib import Path

from bot.config import Settings
from bot.domain.org import Role, UnitKind
from bot.domain.tasks import SourceType
from bot.emulators.wecom import CallbackSettings, WecomEmulator, WecomPerson
from bot.services import onboarding
from bot.services.context import Office
from bot.services.issuing import AssignmentDraft, issue_assignment
from bot.storage import org
from tests.e2e.test_run import environment, free_port, healthz, wait_until


def count(db: Path, sql: str, *args: object) -> int:
    conn = sqlite3.connect(db, timeout=30)
    try:
        return int(conn.execute(sql, args).fetchone()[0])
    finally:
        conn.close()


async def start(env: dict[str, str], log: Path) -> asyncio.subprocess.Process:
    with open(log, "ab") as err:
        return await asyncio.create_subprocess_exec(sys.executable, "-m", "bot.cli", "run", env=env,
                                                    stdout=asyncio.subprocess.DEVNULL, stderr=err)


async def test_sigkill_right_after_signing_for_a_slip_applies_it_once_and_loses_nothing(tmp_path: Path):
    # 企业微信 sends a callback again for a minute: long enough for a restart
    wecom = WecomEmulator(callback=CallbackSettings(timeout=1.0, retry_interval=0.5, retries=120))
    async with wecom:
        member = wecom.add_member("lizhujian", "李住建")
        db = tmp_path / "data" / "duban.db"
        callback_port, health_port = free_port(), free_port()
        config = tmp_path / "duban.toml"
        config.write_text(
            f'[wecom]\ncorp_id = "{wecom.corp_id}"\nagent_id = {wecom.agent_id}\napi_url = "{wecom.url}"\n'
            f'listen = "127.0.0.1"\nport = {callback_port}\n', encoding="utf-8",
        )
        env = environment(DUBAN_DB=str(db), DUBAN_ARCHIVE=str(tmp_path / "data" / "archive"), DUBAN_CONFIG=str(config),
                          DUBAN_HEALTH_PORT=str(health_port), DUBAN_DAILY_TIME="23:59", DUBAN_WECOM_SECRET=wecom.secret,
                          DUBAN_WECOM_TOKEN=wecom.token, DUBAN_WECOM_AES_KEY=wecom.encoding_aes_key)
        office = await Office.open(Settings(db_path=db, archive_dir=tmp_path / "data" / "archive"))
        await onboarding.add_section(office, "综合一科", False, None, office.now())
        await onboarding.add_unit(office, "住建局", UnitKind.DEPARTMENT, None, office.now())
        clerk = await onboarding.add_person(office, "王科员", frozenset({Role.CLERK}), office.now(), section_name="综合一科")
        official = await onboarding.add_person(office, "李住建", frozenset({Role.RESPONSIBLE}), office.now(), unit_name="住建局")
        code = (await onboarding.create_invite(office, official.id, office.now())).code
        await office.db.close()
        log = tmp_path / "bot.log"

        async def serving() -> asyncio.subprocess.Process:
            proc = await start(env, log)
            assert await wait_until(lambda: healthz(health_port)[1].get("wecom_callback") == "listening", 90, 0.05), log.read_text()
            return proc

        proc = await serving()
        try:
            await wecom.set_callback_url(f"http://127.0.0.1:{callback_port}/wecom/callback")
            li = WecomPerson(wecom, member.userid)
            await li.send(f"/start {code}")
            await li.wait_for("绑定成功", timeout=20)

            office = await Office.open(Settings(db_path=db, archive_dir=tmp_path / "data" / "archive"))
            unit = await org.unit_by_name(office.db.reader, "住建局")
            assert unit is not None
            draft = AssignmentDraft(title="城区积水点排查整治", requirements="逐点建立台账。", basis="市政府第12次常务会议纪要",
                                    source=SourceType.OTHER, unit_ids=(unit.id,), period_days=7)
            [issued] = await issue_assignment(office, draft, clerk, office.now())
            await office.db.close()
            card = await li.wait_for("[签收]", timeout=20)
            assert card.card is not None
            unsent = "SELECT count(*) FROM outbox WHERE status IN ('pending', 'sending')"
            assert await wait_until(lambda: count(db, unsent) == 0, 30, 0.02)  # its delivery recorded

            press = await li.press("签收", card)
            signed = "SELECT count(*) FROM history WHERE kind = 'acknowledged' AND task_id = ?"
            assert await wait_until(lambda: count(db, signed, issued.task.id) == 1, 30, 0.002)
            proc.send_signal(signal.SIGKILL)  # 签收 is committed; its answers and the callback's answer may not be out
            await proc.wait()
            proc = await serving()

            await asyncio.wait_for(press.finished.wait(), 60)
            assert press.answered
            shown = wecom.card(member.userid, card.card.task_id)

            def changed() -> bool:  # the slip's card offers what is left to do, after the restart too
                return [b["text"] for b in shown.template_card["button_list"]] == ["反馈", "申请延期"] and shown.updated

            assert await wait_until(changed, 30, 0.05), li.transcript()
            assert await wait_until(lambda: count(db, unsent) == 0, 30, 0.05)
        finally:
            proc.send_signal(signal.SIGTERM)
            await asyncio.wait_for(proc.wait(), 60)

        assert count(db, signed, issued.task.id) == 1
        texts = [e.content for e in li.messages() if e.sender == "bot"]
        assert sum("已签收交办单" in t for t in texts) <= 1 and any("已签收" in t or "已经办理" in t for t in texts), texts
        assert not any("已读" in t for t in texts)
        assert wecom.world.dropped == []
