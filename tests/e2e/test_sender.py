"""The outbox sender against the emulator with Telegram's limits on (SPEC section 9).

At most 30 messages/s overall and 1/s per chat, and the emulator answers 429 to anything
faster; ``RetryAfter`` pauses only its chat; a user who blocked the bot is recorded and the
issuer told; a message Telegram refuses is recorded with Telegram's words and the rest go on;
network errors are retried with growing backoff for three days; SIGTERM loses nothing.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import sqlite3
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from telegram import Bot
from telegram.request import HTTPXRequest

from bot.config import Secret, Settings
from bot import actions
from bot.edge import TELEGRAM, Account, Button, Change, Notice
from bot.domain.org import Role, UnitKind
from bot.domain.tasks import SourceType
from bot.emulators.telegram import EmulatorServer, Simulator
from bot.emulators.telegram.faults import FaultyProxy, Faults
from bot.emulators.telegram.rules import Rules
from bot.channels.telegram.pacing import ChatPacer
from bot.channels.telegram.sender import Sender, paced_bot
from bot.services import onboarding
from bot.services.context import Office
from bot.services.issuing import AssignmentDraft, issue_assignment
from bot.storage import outbox
from bot.texts import plain


@pytest.fixture
async def emulator() -> AsyncIterator[EmulatorServer]:
    """The emulator with every Telegram rule on, flood control included (``Rules()``)."""
    async with EmulatorServer(rules=Rules()) as server:
        yield server


def refused(server: EmulatorServer) -> int:
    """How many 429s the emulator has answered."""
    return server.methods.flood.refused


@pytest.fixture
async def telegram(office: Office) -> AsyncIterator[Bot]:
    """A Bot API client for the office's emulator (its pace is set per test by ``sending``)."""
    assert office.settings.token is not None
    async with paced_bot(office.settings.token.reveal(), office.settings.base_url, ChatPacer()) as client:
        yield client


@asynccontextmanager
async def sending(office: Office, client: Bot, per_second: float = 30.0, per_chat_interval: float = 1.0) -> AsyncIterator[Sender]:
    """A running sender, at Telegram's real limits unless told otherwise."""
    pacer = client.rate_limiter
    assert isinstance(pacer, ChatPacer)
    pacer.per_second, pacer.chat_interval = per_second, per_chat_interval
    sender = Sender(office, client, pacer)
    sender.start()
    try:
        yield sender
    finally:
        await sender.stop()


async def queue(office: Office, chat_id: int, text: str) -> int:
    """Put a message in the outbox directly, as a state change would."""
    async with office.db.transaction() as conn:
        return await outbox.enqueue(conn, Account(TELEGRAM, str(chat_id)), Notice(text, purpose="test"), office.now())


async def row(office: Office, row_id: int) -> sqlite3.Row:
    async with office.db.reader.execute("SELECT * FROM outbox WHERE id = ?", (row_id,)) as cur:
        found = await cur.fetchone()
    assert found is not None
    return found


async def statuses(office: Office) -> dict[str, int]:
    async with office.db.reader.execute("SELECT status, count(*) FROM outbox WHERE purpose = 'test' GROUP BY status") as cur:
        return {r[0]: r[1] async for r in cur}


async def eventually(check: Callable[[], Any], timeout: float = 10.0) -> None:
    """Wait until ``check()`` (sync or async) is true."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("timed out waiting")
        await asyncio.sleep(0.02)


def bot_texts(user: Any) -> list[str]:
    return [m.text for m in user.messages() if m.from_bot]


async def test_a_burst_to_one_chat_arrives_whole_in_order_without_a_429(
    office: Office, telegram: Bot, simulator: Simulator, emulator: EmulatorServer
) -> None:
    user = await simulator.create_user("李住建")
    expected = [f"第{i}条通知" for i in range(1, 5)]
    for text in expected:
        await queue(office, user.id, text)
    async with sending(office, telegram):
        await eventually(lambda: len(bot_texts(user)) >= len(expected))
    assert bot_texts(user) == expected
    assert await statuses(office) == {"sent": len(expected)}
    assert refused(emulator) == 0, "the sender keeps 1 message/s per chat: Telegram never had to refuse"


async def test_a_429_pauses_only_its_chat_and_the_row_goes_after_retry_after(
    office: Office, telegram: Bot, simulator: Simulator, emulator: EmulatorServer
) -> None:
    emulator.rules.per_chat_interval = 2.0  # a retry_after of 2 s: time enough to watch the others go
    busy = await simulator.create_user("张交通")
    others = [await simulator.create_user(f"单位{i}") for i in range(5)]
    first, second, third = [await queue(office, busy.id, f"交通第{i}条") for i in (1, 2, 3)]
    # No per-chat pacing of our own: the emulator answers the second message with 429.
    async with sending(office, telegram, per_second=30, per_chat_interval=0) as sender:
        await eventually(lambda: _refused(office, second))
        for other in others:
            await queue(office, other.id, "各单位通知")
        sender.wake()
        await eventually(lambda: all(bot_texts(o) == ["各单位通知"] for o in others), timeout=5)
        # The other chats went on while the busy chat waited out its retry_after.
        assert bot_texts(busy) == ["交通第1条"]
        waiting = await row(office, second)
        assert waiting["status"] == "pending" and waiting["not_before"] is not None
        assert "retry in 2" in waiting["last_error"].lower()
        await eventually(lambda: len(bot_texts(busy)) == 3, timeout=10)
    assert bot_texts(busy) == ["交通第1条", "交通第2条", "交通第3条"], "the third never overtook the second"
    assert await statuses(office) == {"sent": 8}
    # Without pacing of its own the sender draws a 429 for each later message of the chat, and
    # each is sent on its next try: retry_after was honoured, never a retry refused again.
    assert [(await row(office, r))["attempts"] for r in (first, second, third)] == [1, 2, 2]
    assert refused(emulator) == 2


async def _refused(office: Office, row_id: int) -> bool:
    found = await row(office, row_id)
    return found["status"] == "pending" and found["last_error"] is not None


async def test_a_user_who_blocked_the_bot_is_recorded_and_the_issuer_told(
    office: Office, telegram: Bot, simulator: Simulator, emulator: EmulatorServer
) -> None:
    now = office.now()
    await onboarding.add_section(office, "综合一科", False, None, now)
    await onboarding.add_unit(office, "住建局", UnitKind.DEPARTMENT, None, now)
    people = {}
    for name, roles, unit, section in (
        ("王科员", {Role.CLERK}, None, "综合一科"),
        ("李住建", {Role.RESPONSIBLE}, "住建局", None),
    ):
        person = await onboarding.add_person(office, name, frozenset(roles), now, unit, section)
        user = await simulator.create_user(name)
        invite = await onboarding.create_invite(office, person.id, now)
        people[name] = (await onboarding.redeem_invite(office, invite.code, Account(TELEGRAM, str(user.id)), now), user)
    clerk, clerk_user = people["王科员"]
    official, official_user = people["李住建"]
    async with office.db.reader.execute("SELECT id FROM units WHERE name = '住建局'") as cur:
        (unit_id,) = await cur.fetchone()
    (issued,) = await issue_assignment(
        office, AssignmentDraft("城区道路积水点整治", "逐点整改并书面反馈", "市政府常务会议", SourceType.OTHER, (unit_id,), 7), clerk, now
    )
    official_user.block_bot()

    async with sending(office, telegram):
        await eventually(lambda: any("已屏蔽本机器人" in t for t in bot_texts(clerk_user)))

    async with office.db.reader.execute("SELECT status, last_error FROM outbox WHERE purpose = 'slip'") as cur:
        slip_rows = [tuple(r) async for r in cur]
    assert slip_rows == [("failed", "Forbidden: bot was blocked by the user")]
    async with office.db.reader.execute("SELECT unreachable FROM people WHERE id = ?", (official.id,)) as cur:
        assert (await cur.fetchone())[0] == 1
    notice = next(plain(t) for t in bot_texts(clerk_user) if "已屏蔽本机器人" in t)
    assert f"李住建 已屏蔽本机器人，{issued.task.number.full}「城区道路积水点整治」的消息无法送达，请电话通知" in notice
    assert bot_texts(official_user) == []
    assert refused(emulator) == 0

    # Tomorrow's reminder about the same task fails too: the clerk was told already.
    await queue_for(office, official, issued.task.id, "催办：城区道路积水点整治")
    async with sending(office, telegram):
        await eventually(lambda: statuses_of(office, "reminder", {"failed": 1}))
    assert sum("已屏蔽本机器人" in t for t in bot_texts(clerk_user)) == 1, "one warning per task, not one per message"

    # Unblocked, the next message arrives and the person counts as reachable again.
    official_user.block_bot(False)
    await queue_for(office, official, issued.task.id, "催办：请于今日反馈")
    async with sending(office, telegram):
        await eventually(lambda: statuses_of(office, "reminder", {"failed": 1, "sent": 1}))
    assert bot_texts(official_user) == ["催办：请于今日反馈"]
    async with office.db.reader.execute("SELECT unreachable FROM people WHERE id = ?", (official.id,)) as cur:
        assert (await cur.fetchone())[0] == 0


async def queue_for(office: Office, person: Any, task_id: int, text: str) -> None:
    """A message about a task to a person, as the daily check queues a reminder."""
    async with office.db.transaction() as conn:
        await outbox.enqueue(
            conn, person.account, Notice(text, task_id=task_id, purpose="reminder"), office.now(), person_id=person.id
        )


async def statuses_of(office: Office, purpose: str, expected: dict[str, int]) -> bool:
    async with office.db.reader.execute("SELECT status, count(*) FROM outbox WHERE purpose = ? GROUP BY status", (purpose,)) as cur:
        return {r[0]: r[1] async for r in cur} == expected


async def test_a_message_telegram_refuses_is_failed_with_its_reason_and_the_rest_go_on(
    office: Office, telegram: Bot, simulator: Simulator, emulator: EmulatorServer
) -> None:
    user = await simulator.create_user("陈镇长")
    other = await simulator.create_user("孙主任")
    broken = await queue(office, user.id, "<b>未闭合的标签")
    after = await queue(office, user.id, "<b>下一条</b>")
    elsewhere = await queue(office, other.id, "另一个聊天")
    async with sending(office, telegram):
        await eventually(lambda: bot_texts(user) and bot_texts(other))
    refusal = await row(office, broken)
    assert refusal["status"] == "failed"
    assert refusal["last_error"].lower().startswith("can't parse entities")
    assert refusal["attempts"] == 1, "a 400 is final: never retried"
    assert (await row(office, after))["status"] == "sent"
    assert (await row(office, elsewhere))["status"] == "sent"
    assert bot_texts(user) == ["下一条"] and bot_texts(other) == ["另一个聊天"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_network_errors_back_off_and_the_rows_go_once_the_server_is_back(tmp_path: Path) -> None:
    port = free_port()
    token = "7000000001:AAEmulatorTokenForTheDubanDemoBot01"
    office = await Office.open(Settings(token=Secret(token), api_url=f"http://127.0.0.1:{port}", db_path=tmp_path / "duban.db"))
    shift = [timedelta(0)]
    office.clock = lambda: datetime.now(UTC) + shift[0]  # the backoff is waited out by moving the clock
    chat = 100_000_777
    first = await queue(office, chat, "第一条")
    second = await queue(office, chat, "第二条")
    request = HTTPXRequest()
    pacer = ChatPacer()
    client = paced_bot(token, office.settings.base_url, pacer, request)  # not initialised: getMe would fail
    try:
        sender = Sender(office, client, pacer)

        async def tried(row_id: int, attempts: int) -> sqlite3.Row:
            """The row once its ``attempts``-th try is over (claimed, and its outcome written)."""
            while (now := await row(office, row_id))["attempts"] < attempts or now["status"] == "sending":
                await asyncio.sleep(min(await sender.drain_once(), 1.1))
            return now

        delays = []
        for attempt in range(1, 4):
            tried_at = office.now()
            failed = await tried(first, attempt)
            assert failed["status"] == "pending" and "connect" in failed["last_error"].lower()
            delays.append((datetime.fromisoformat(failed["not_before"]) - tried_at).total_seconds())
            assert (await row(office, second))["attempts"] == 0, "the chat's next message waits its turn"
            shift[0] += timedelta(seconds=delays[-1] + 1)
        assert delays[0] < delays[1] < delays[2], f"backoff grows: {delays}"

        async with EmulatorServer(port=port, token=token, rules=Rules(unknown_chats=False)) as server:
            async with sending(office, client):
                await eventually(lambda: server.state.find_chat(chat) is not None and len(server.state.find_chat(chat).messages) == 2)
            texts = [m.text for m in server.state.find_chat(chat).messages.values()]
        assert texts == ["第一条", "第二条"]
        assert await statuses(office) == {"sent": 2}

        # The server gone for good: a message is retried for three days, then given up.
        third = await queue(office, chat, "第三条")
        for waited in (timedelta(hours=71), timedelta(hours=1, seconds=1)):
            attempts = (await row(office, third))["attempts"]
            shift[0] += waited
            await tried(third, attempts + 1)
        given_up = await row(office, third)
        assert given_up["status"] == "failed" and "connect" in given_up["last_error"].lower()
        assert given_up["attempts"] == 2, "retried at 71 hours, given up at 72"
    finally:
        await request.shutdown()
        await office.db.close()


def count(db: Path, sql: str) -> int:
    with sqlite3.connect(db, timeout=30) as conn:
        return int(conn.execute(sql).fetchone()[0])


async def run_bot(server: EmulatorServer, db: Path, config: Path) -> asyncio.subprocess.Process:
    env = {
        **os.environ,
        "DUBAN_TELEGRAM_TOKEN": server.token,
        "DUBAN_TELEGRAM_BASE_URL": server.url,
        "DUBAN_DB": str(db),
        "DUBAN_CONFIG": str(config),
    }
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "run", env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
    )


async def test_sigterm_while_sending_loses_nothing(tmp_path: Path, emulator: EmulatorServer, simulator: Simulator) -> None:
    db = tmp_path / "duban.db"
    config = tmp_path / "duban.toml"
    config.write_text("[telegram]\nmessages_per_second = 30\nchat_interval_seconds = 1\n", encoding="utf-8")
    office = await Office.open(Settings(token=Secret(emulator.token), api_url=emulator.url, db_path=db))
    users = [await simulator.create_user(f"责任人{i:03d}") for i in range(150)]
    expected = {user.id: [f"通知{i:03d}"] for i, user in enumerate(users)}
    for i, user in enumerate(users[:50]):
        expected[user.id].append(f"通知{i:03d}之二")
    for user in users:
        await queue(office, user.id, expected[user.id][0])
    for user in users[:50]:
        await queue(office, user.id, expected[user.id][1])
    await office.db.close()
    total = sum(map(len, expected.values()))
    sent = "SELECT count(*) FROM outbox WHERE purpose = 'test' AND status = 'sent'"

    bot = await run_bot(emulator, db, config)
    await eventually(lambda: count(db, sent) >= 40, timeout=30)
    bot.send_signal(signal.SIGTERM)
    _, err = await bot.communicate()
    assert bot.returncode == 0, err.decode()[-2000:]
    at_stop = count(db, sent)
    assert at_stop < total, "stopped in the middle of sending"
    assert count(db, "SELECT count(*) FROM outbox WHERE status = 'sending'") == 0, "the message in flight was finished"

    bot = await run_bot(emulator, db, config)
    try:
        await eventually(lambda: count(db, sent) == total, timeout=60)
    finally:
        bot.send_signal(signal.SIGTERM)
        _, err = await bot.communicate()
    assert bot.returncode == 0, err.decode()[-2000:]

    duplicates = 0
    for user in users:
        texts = bot_texts(user)
        assert sorted(set(texts)) == sorted(expected[user.id]), user.id
        assert list(dict.fromkeys(texts)) == expected[user.id], "in order"
        duplicates += len(texts) - len(expected[user.id])
    assert duplicates <= 1, "at most the message in flight came twice"
    assert refused(emulator) == 0, "paced at 30/s and 1/s per chat across the restart"


async def test_a_hung_request_holds_only_its_own_chat(office: Office, simulator: Simulator, emulator: EmulatorServer) -> None:
    """One chat's request hangs for 3 s (a slow connection, a stuck proxy): the other chats'
    messages go meanwhile, at most MAX_IN_FLIGHT out at once, and the slow chat's messages
    still arrive in order, none overtaking the one that hung."""
    slow = await simulator.create_user("李住建")
    others = [await simulator.create_user(f"单位{i}") for i in range(40)]
    faults = Faults(hang_seconds=3.0, hang_chats=frozenset({slow.id}))
    async with FaultyProxy(emulator.url, faults) as proxy:
        pacer = ChatPacer()
        assert office.settings.token is not None
        async with paced_bot(office.settings.token.reveal(), f"{proxy.url}/bot", pacer) as client:
            await queue(office, slow.id, "住建第1条")
            await queue(office, slow.id, "住建第2条")
            for other in others:
                await queue(office, other.id, "各单位通知")
            sender = Sender(office, client, pacer, max_in_flight=4)
            sender.start()
            try:
                await eventually(lambda: all(bot_texts(o) == ["各单位通知"] for o in others), timeout=10)
                # Before the hang ended (3 s): nobody waited for it.
                assert bot_texts(slow) == [], "the other chats waited for the hung request"
                await eventually(lambda: len(bot_texts(slow)) == 2, timeout=15)
            finally:
                await sender.stop()
    assert bot_texts(slow) == ["住建第1条", "住建第2条"]
    assert faults.counts["hung"] == 2, "the chat's second message went out only after the first was answered"
    assert await statuses(office) == {"sent": 42}


async def test_a_timeout_is_logged_and_the_attempt_after_it_told_apart(
    office: Office, simulator: Simulator, emulator: EmulatorServer, caplog: pytest.LogCaptureFixture
) -> None:
    """A request that gets no answer in time may have reached Telegram: the log says so, and
    says of the next attempt that it follows a timeout, so a message that came twice can be
    told from one sent twice by mistake."""
    slow = await simulator.create_user("李住建")
    faults = Faults(hang_seconds=2.0, hang_chats=frozenset({slow.id}))
    caplog.set_level(logging.INFO, logger="bot.channels.telegram.sender")
    async with FaultyProxy(emulator.url, faults) as proxy:
        pacer = ChatPacer()
        assert office.settings.token is not None
        request = HTTPXRequest(read_timeout=0.5)
        async with paced_bot(office.settings.token.reveal(), f"{proxy.url}/bot", pacer, request) as client:
            row_id = await queue(office, slow.id, "住建第1条")
            sender = Sender(office, client, pacer)
            sender.start()
            try:
                await eventually(lambda: faults.counts["hung"] >= 1, timeout=10)
                faults.hang_chats = frozenset()  # the connection recovers
                await eventually(lambda: bot_texts(slow) == ["住建第1条"], timeout=15)
            finally:
                await sender.stop()
    assert (await row(office, row_id))["attempts"] == 2
    said = [r.getMessage() for r in caplog.records if r.name == "bot.channels.telegram.sender"]
    assert any(f"outbox {row_id} to chat {slow.id}: no answer in time (attempt 1" in m for m in said), said
    assert any(f"outbox {row_id} to chat {slow.id}: sent again after a timeout (attempt 2)" in m for m in said), said


async def test_a_change_edits_the_message_its_notice_became_and_a_change_of_nothing_fails(
    office: Office, telegram: Bot, simulator: Simulator
) -> None:
    """A notice's buttons and text are changed where it was delivered, found by the notice (not
    by a chat and message id the core would have to know); a change of a notice that never
    arrived is refused once and nothing else waits for it."""
    user = await simulator.create_user("李住建")
    account = Account(TELEGRAM, str(user.id))
    offered = ((Button("签收", actions.ACKNOWLEDGE(task_id=7)), Button("反馈", actions.FEEDBACK(task_id=7))),)
    async with office.db.transaction() as conn:
        first = await outbox.enqueue(conn, account, Notice("<b>交办单</b> 第1号", offered, purpose="test"), office.now())
    async with sending(office, telegram):
        await eventually(lambda: len(bot_texts(user)) == 1)
        [slip] = [m for m in user.messages() if m.from_bot]
        assert [b["callback_data"] for b in slip.inline_keyboard[0]] == ["ack:7", "fb:7"]
        async with office.db.transaction() as conn:
            await outbox.enqueue(conn, account, Change(first, buttons=((offered[0][1],),), purpose="test"), office.now())
        await eventually(lambda: [b["text"] for row in slip.inline_keyboard for b in row] == ["反馈"])
        async with office.db.transaction() as conn:
            await outbox.enqueue(conn, account, Change(first, text="交办单 第1号（已更正）", buttons=(), purpose="test"), office.now())
            never = await outbox.enqueue(conn, account, Change(10_000, buttons=(), purpose="test"), office.now())
            await outbox.enqueue(conn, account, Notice("下一条", purpose="test"), office.now())
        await eventually(lambda: len(bot_texts(user)) == 2 and slip.text == "交办单 第1号（已更正）")
    assert bot_texts(user) == ["交办单 第1号（已更正）", "下一条"] and slip.inline_keyboard == []
    assert (await row(office, never))["status"] == "failed"
    assert await statuses(office) == {"sent": 4, "failed": 1}


async def test_a_message_queued_before_notices_goes_as_it_was_queued(office: Office, telegram: Bot, simulator: Simulator) -> None:
    """An outbox row from before the upgrade holds its Bot API call: it is sent as it was."""
    user = await simulator.create_user("李住建")
    async with office.db.transaction() as conn:
        await conn.execute(
            "INSERT INTO outbox (channel, address, kind, notice, purpose, created_at) VALUES ('telegram', ?, 'sendMessage', ?, 'test', ?)",
            (str(user.id), '{"text": "<b>升级前</b>的通知", "parse_mode": "HTML"}', office.now().isoformat()),
        )
    async with sending(office, telegram):
        await eventually(lambda: len(bot_texts(user)) == 1)
    assert bot_texts(user) == ["升级前的通知"]
    assert await statuses(office) == {"sent": 1}
