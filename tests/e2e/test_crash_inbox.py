"""Nothing lost coming in: the bot process (long polling, and in webhook mode) is killed (SIGKILL)
at a random moment within 300 ms after a 签收, a /feedback, a 通过 and an 同意 of an extension
request, restarted, and each of them is applied exactly once — never lost (the update was
confirmed to Telegram only after its commit), never twice (a redelivered update is recognised
by its id in the inbox) — and every button press was answered."""

from __future__ import annotations

import asyncio
import random
import os
import signal
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from bot.config import Secret, Settings
from bot.domain.org import Role, UnitKind
from bot.domain.tasks import SourceType
from bot.emulators.telegram import EmulatorServer, Simulator
from bot.emulators.telegram.client import SimulatedUser
from bot.emulators.telegram.rules import Rules
from bot.edge import TELEGRAM, Account
from bot.services import onboarding
from bot.services.context import Office
from bot.services.extensions import request_extension
from bot.services.handling import submit_feedback
from bot.services.issuing import AssignmentDraft, issue_assignment
from bot.storage import org
from bot.channels.telegram.updates import Poller
from tests.e2e.test_crash import Bots, count, wait_until
from tests.e2e.test_webhook import free_port

MODES = ("polling", "polling", "webhook")
"""Independent bots (each its own database and emulator), killed concurrently to keep the test
short: two taking updates by long polling, one by webhook."""
TRIALS = 21
"""Kills per bot: 42 in polling mode, 21 in webhook mode."""
WINDOW = 0.3
RESTART_WAIT = 90
"""Seconds a restarted bot is given to serve again (a busy machine starts Python slowly)."""


@dataclass
class Trial:
    """The four tasks one kill is aimed at, one per kind of action."""

    acknowledge: tuple[int, str]
    feedback: tuple[int, str]
    accept: tuple[int, str]
    extend: tuple[int, str]


@dataclass
class City:
    official_a: SimulatedUser
    official_b: SimulatedUser
    clerk: SimulatedUser
    leader: SimulatedUser
    trials: list[Trial]


async def seed(office: Office, simulator: Simulator) -> City:
    """A clerk, a 分管市领导, four units; TRIALS 交办单 to each unit; feedback waiting for the
    clerk on the third unit's tasks and extension requests waiting for the leader on the fourth's."""
    now = office.now()
    users: dict[str, SimulatedUser] = {}
    people = {}

    async def join(name: str, role: Role, **where: str) -> None:
        person = await onboarding.add_person(office, name, frozenset({role}), now, **where)
        users[name] = await simulator.create_user(name)
        invite = await onboarding.create_invite(office, person.id, now)
        people[name] = await onboarding.redeem_invite(office, invite.code, Account(TELEGRAM, str(users[name].id)), now)

    await join("刘副市长", Role.LEADER)
    await onboarding.add_section(office, "政务监督室", True, "刘副市长", now)
    await onboarding.add_section(office, "综合一科", False, "刘副市长", now)
    await join("王科员", Role.CLERK, section_name="综合一科")
    units = ("住建局", "交通运输局", "水利局", "自然资源局")
    for i, unit in enumerate(units):
        await onboarding.add_unit(office, unit, UnitKind.DEPARTMENT, "刘副市长", now)
        await join(f"责任人{i}", Role.RESPONSIBLE, unit_name=unit)
    unit_ids = tuple([(await org.unit_by_name(office.db.reader, u)).id for u in units])  # type: ignore[union-attr]
    trials = []
    for n in range(TRIALS):
        draft = AssignmentDraft(f"事项{n}", "按要求办理", "市政府安排", SourceType.OTHER, unit_ids, 7)
        issued = await issue_assignment(office, draft, people["王科员"], now)
        by_unit = {i.task.unit_id: i.task for i in issued}
        a, b, c, d = (by_unit[u] for u in unit_ids)
        await submit_feedback(office, people["责任人2"], c.id, f"事项{n}已办结", now)
        await request_extension(office, people["责任人3"], d.id, "需协调", now, days=7)
        trials.append(Trial(*((t.id, f"〔{t.number.year}〕{t.number.seq}号") for t in (a, b, c, d))))
    return City(users["责任人0"], users["责任人1"], users["王科员"], users["刘副市长"], trials)


def message_with(user: SimulatedUser, number: str, button: str):  # type: ignore[no-untyped-def]
    """The bot's message about ``number`` in the user's chat that carries ``button``."""
    for m in user.messages():
        if m.from_bot and number in m.content and any(b["text"] == button for row in m.inline_keyboard for b in row):
            return m
    raise AssertionError(f"{user.user.display_name} has no message about {number} with [{button}]")


def effects(db: Path, trial: Trial) -> tuple[int, int, int, int]:
    """How many times each of the trial's four actions is recorded."""
    return (
        count(db, f"SELECT count(*) FROM history WHERE kind = 'acknowledged' AND task_id = {trial.acknowledge[0]}"),
        count(db, f"SELECT count(*) FROM feedback WHERE task_id = {trial.feedback[0]}"),
        count(db, f"SELECT count(*) FROM history WHERE kind = 'feedback_accepted' AND task_id = {trial.accept[0]}"),
        count(db, f"SELECT count(*) FROM history WHERE kind = 'extension_approved' AND task_id = {trial.extend[0]}"),
    )


async def start(bots: Bots, server: EmulatorServer, db: Path, config: Path, webhook: int | None) -> asyncio.subprocess.Process:
    """``duban run``, or ``duban run --webhook`` listening on port ``webhook``."""
    if webhook is None:
        return await bots.start(server, db, config)
    env = {
        **os.environ, "DUBAN_TELEGRAM_TOKEN": server.token, "DUBAN_TELEGRAM_BASE_URL": server.url, "DUBAN_DB": str(db),
        "DUBAN_CONFIG": str(config), "DUBAN_DAILY_TIME": "23:59", "DUBAN_HEALTH_PORT": "0",
        "DUBAN_WEBHOOK_URL": f"http://127.0.0.1:{webhook}/telegram", "DUBAN_WEBHOOK_LISTEN": "127.0.0.1",
        "DUBAN_WEBHOOK_PORT": str(webhook), "DUBAN_WEBHOOK_SECRET": "crash-test-secret",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "run", "--webhook", env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )
    bots.started.append(process)
    return process


async def chain(tmp: Path, bots: Bots, rng: random.Random, mode: str) -> tuple[list[int], list[tuple[int, int, int, int]]]:
    """One bot killed TRIALS times; returns how many of the four actions were committed at
    each kill, and each trial's recorded effects once the bot was back."""
    tmp.mkdir()
    db, config = tmp / "duban.db", tmp / "duban.toml"
    config.write_text("[telegram]\nmessages_per_second = 0\nchat_interval_seconds = 0\n", encoding="utf-8")
    port = free_port() if mode == "webhook" else None
    async with EmulatorServer(rules=Rules(rate_limits=False)) as server:
        simulator = Simulator(server)
        office = await Office.open(Settings(token=Secret(server.token), api_url=server.url, db_path=db))
        city = await seed(office, simulator)
        await office.db.close()
        bot = await start(bots, server, db, config, port)
        delivered = await wait_until(lambda: count(db, "SELECT count(*) FROM outbox WHERE status != 'sent'") == 0, 60, 0.05)
        assert delivered, "the slips, feedback and requests were not delivered"
        committed_at_kill: list[int] = []
        results = []
        presses = []
        for trial in city.trials:
            presses += [
                await city.official_a.press("签收", message=message_with(city.official_a, trial.acknowledge[1], "签收")),
                await city.clerk.press("通过(办结)", message=message_with(city.clerk, trial.accept[1], "通过(办结)")),
                await city.leader.press("同意", message=message_with(city.leader, trial.extend[1], "同意")),
            ]
            await city.official_b.send(f"/feedback {trial.feedback[1]} 已按要求办理")
            await asyncio.sleep(rng.uniform(0, WINDOW))
            bot.send_signal(signal.SIGKILL)
            await bot.wait()
            committed_at_kill.append(sum(map(bool, effects(db, trial))))
            bot = await start(bots, server, db, config, port)
            # A bot restarted on a busy machine may take a minute to serve again; an action lost
            # never shows, however long the wait.
            await wait_until(lambda: min(effects(db, trial)) >= 1, RESTART_WAIT, 0.02)
            results.append(effects(db, trial))
        await wait_until(lambda: all(p.answered for p in presses), RESTART_WAIT, 0.05)
        unanswered = [p.button_text for p in presses if not p.answered]
        await city.clerk.send("/help")  # answered once the last bot started serving
        await city.clerk.wait_for(text_contains="/new", timeout=RESTART_WAIT)
        bot.send_signal(signal.SIGTERM)
        _, err = await bot.communicate()
        assert bot.returncode == 0, err.decode()[-2000:]
        assert not unanswered, f"presses never answered: {unanswered}"
        told = sum(
            "已提交" in m.content or "已经办理并记录" in m.content for m in city.official_b.messages() if m.from_bot
        )
        assert told >= TRIALS, "every /feedback was answered, before or after the kill"
    return committed_at_kill, results


async def test_sigkill_right_after_an_action_loses_nothing_and_applies_nothing_twice(tmp_path: Path):
    bots = Bots()
    try:
        outcomes = await asyncio.gather(
            *(chain(tmp_path / f"bot{i}", bots, random.Random(127 + i), mode) for i, mode in enumerate(MODES))
        )
    finally:
        await bots.close()
    results = [r for _, rs in outcomes for r in rs]
    assert len(results) >= 60
    assert all(r == (1, 1, 1, 1) for r in results), [r for r in results if r != (1, 1, 1, 1)]
    # The kills fell before, between and after the commits, not all on one side of them.
    at_kill = Counter(n for committed, _ in outcomes for n in committed)
    print("actions committed when killed (of 4):", sorted(at_kill.items()))
    assert at_kill[0] + at_kill[4] < len(results) and at_kill[4] > 0


async def test_a_redelivered_update_is_applied_once_and_answered_again(city, office, bot, emulator: EmulatorServer):
    """Telegram delivers an update again (the bot died after its commit, before confirming it):
    the feedback is not recorded twice, and the person is told it was done."""
    clerk, official = city["clerk"], city["zhujian"]
    unit = await org.unit_by_name(office.db.reader, "住建局")
    draft = AssignmentDraft("城区积水点排查整治", "逐点建立台账。", "市政府安排", SourceType.OTHER, (unit.id,), 7)  # type: ignore[union-attr]
    [issued] = await issue_assignment(office, draft, clerk.person, office.now())
    number = issued.task.number.full

    sent = await official.send(f"/feedback {number} 已完成全部排查")
    [update] = [dict(u) for u in emulator.state.updates if u.get("message", {}).get("message_id") == sent.message_id]
    await official.wait_for(text_contains="已提交")

    # The bot "restarts" taking updates, and Telegram, which never saw the confirmation, sends
    # the same update again.
    await bot.bot_data.pop("updates").stop()
    emulator.state.updates.appendleft(update)
    poller = Poller(bot.bot_data["inbox"], 1)
    bot.bot_data["updates"] = poller
    await poller.start()

    assert "已经办理并记录" in (await official.wait_for(text_contains="已经办理并记录")).text
    async with office.db.reader.execute("SELECT count(*) FROM feedback WHERE task_id = ?", (issued.task.id,)) as cur:
        assert (await cur.fetchone())[0] == 1
    async with office.db.reader.execute("SELECT count(*) FROM inbox WHERE update_id = ?", (update["update_id"],)) as cur:
        assert (await cur.fetchone())[0] == 1
    # A lookup changes nothing and leaves no trace in the inbox: asked again, it is answered again.
    await official.send(f"/task {number}")
    await official.wait_for(text_contains="城区积水点排查整治")


async def test_bookkeeping_on_the_way_does_not_count_as_the_update_done(city, office, emulator: EmulatorServer):
    """Someone recorded as having blocked the bot writes again: they are marked reachable in a
    transaction of its own, which must not mark the update as handled — a crash after it would
    otherwise leave their /feedback marked done and never recorded."""
    official = city["zhujian"]
    async with office.db.transaction() as conn:
        await org.mark_unreachable(conn, Account(TELEGRAM, str(official.id)))
    sent = await official.send("/tasks")
    [update] = [dict(u) for u in emulator.state.updates if u.get("message", {}).get("message_id") == sent.message_id]
    await official.wait_for(text_contains="在办事项")
    assert not (await org.person(office.db.reader, official.person.id)).unreachable  # type: ignore[union-attr]
    async with office.db.reader.execute("SELECT count(*) FROM inbox WHERE update_id = ?", (update["update_id"],)) as cur:
        assert (await cur.fetchone())[0] == 0
