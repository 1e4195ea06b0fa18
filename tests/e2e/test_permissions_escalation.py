"""Permission rows of 延期 and the escalation chain (SPEC section 2): every role × /extend,
/interview, /transfer, and the 同意 / 不同意 (``exa:`` / ``exr:``), 签发 / 暂缓 (``dri:`` / ``drh:``),
催办 (``rmd:``) and 记录约谈 (``ivw:``) buttons, each on its own and on another's object.

"Own" and "other" per role (the people of tests/e2e/test_permissions.py):

* 责任单位 (李住建): own = 住建局's task, other = 交通运输局's;
* clerk (王科员, 综合一科): own = issued by 综合一科 to 住建局, other = issued by 政务监督室;
* 分管市领导 (刘副市长): own = an extension request of 住建局 (in their charge), other = one of
  交通运输局 (钱副市长's);
* 政务监督室 acts on both; the principal and the administrator on neither.

Buttons are forged as in test_permissions.py: a message in the presser's chat carrying the
callback data, so only the server-side check stands in the way. Refused: the notice, and no
table changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.domain.org import Role
from bot.domain.slips import SlipType
from bot.domain.tasks import Task
from bot.emulators.telegram.client import SimulatedUser, wait_idle
from bot.services import escalating, extensions
from bot.services.daily import draft_on
from bot.storage import org, tasks
from tests.e2e.test_lookup import issue
from bot.domain.permissions import Deed
from tests.e2e.test_permissions import NOT_ALLOWED, NOT_OWN_UNIT, ROLES, STRANGER, sides

TABLES = ("tasks", "slips", "history", "extension_requests", "score_events", "drafts")

ACTS_FOR_UNIT = sides(Deed.ACT_FOR_UNIT)
"""/extend: the 责任单位's own people, on their own unit's tasks."""
DECIDES = sides(Deed.DECIDE_EXTENSION)
"""同意 / 不同意: the unit's own 分管市领导."""
SIGNS_REMINDER = sides(Deed.REMIND)
"""催办 and a 催办单 draft: the issuing section, or 政务监督室."""
SIGNS_NOTICE = sides(Deed.SUPERVISE)
"""A 督办通知单 draft, 约谈 and 移交: 政务监督室 only."""


def at(day: date, office, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), office.settings.timezone)


@dataclass
class Pair:
    """One object of a kind on each side."""

    own: Any
    other: Any

    def side(self, name: str) -> Any:
        return self.own if name == "own" else self.other


@dataclass
class World:
    who: dict[str, Any]
    plain: Pair
    """Overdue, not yet chased: /extend, 催办."""
    supervised: Pair
    """A 督办通知单 out and its window passed: /interview, 记录约谈."""
    interviewed: Pair
    """约谈 recorded and the last window passed: /transfer."""
    requests: Pair
    """Pending extension request ids."""
    reminder_drafts: Pair
    hold_drafts: Pair
    notice_drafts: Pair

    def user(self, role: str) -> SimulatedUser:
        member = self.who[role]
        return member if isinstance(member, SimulatedUser) else member.user


async def _draft_id(office, task: Task, slip_type: SlipType) -> int:
    async with office.db.transaction() as conn:
        await draft_on(conn, task, slip_type, office.now())
    async with office.db.reader.execute(
        "SELECT id FROM drafts WHERE task_id = ? AND type = ? AND status = 'pending'", (task.id, slip_type.value)
    ) as cur:
        (row,) = [r async for r in cur]
    return int(row[0])


@pytest.fixture
async def world(city, organisation, simulator, office) -> World:
    office.clock = lambda: at(date(2026, 12, 1), office)
    who: dict[str, Any] = {
        "admin": await organisation.join("孙管理", Role.ADMIN),
        "principal": await organisation.join("周市长", Role.PRINCIPAL),
        "supervisor": city["supervisor"],
        "clerk": city["clerk"],
        "leader": city["leader"],
        "responsible": city["zhujian"],
        "stranger": await simulator.create_user("路人甲"),
    }
    other_leader = await organisation.join("钱副市长", Role.LEADER)
    async with office.db.transaction() as conn:
        jiaotong = await org.unit_by_name(conn, "交通运输局")
        await org.set_unit_leader(conn, jiaotong.id, other_leader.person.id)
    clerk, supervisor = city["clerk"], city["supervisor"]

    async def pair(title: str) -> Pair:
        return Pair(
            await issue(office, clerk, "住建局", f"住建局{title}", days=7),
            await issue(office, supervisor, "交通运输局", f"交通局{title}", days=7),
        )

    plain, supervised, interviewed = await pair("普通事项"), await pair("督办事项"), await pair("约谈事项")
    drafted, held, noticed, extended = await pair("草稿事项"), await pair("暂缓事项"), await pair("督办草稿"), await pair("延期事项")
    for task in (supervised.own, supervised.other, interviewed.own, interviewed.other, noticed.own, noticed.other):
        await escalating.issue_reminder_slip(office, task.id, at(date(2026, 12, 9), office))
    for task in (supervised.own, supervised.other, interviewed.own, interviewed.other):
        await escalating.issue_supervision_notice(office, task.id, at(date(2026, 12, 15), office))
    for task in (interviewed.own, interviewed.other):
        await escalating.record_interview(
            office, supervisor.person, task.id, date(2026, 12, 19), "刘副市长", "", at(date(2026, 12, 19), office)
        )
    office.clock = lambda: at(date(2026, 12, 28), office)

    async def fresh(task: Task) -> Task:
        stored = await tasks.get(office.db.reader, task.id)
        assert stored is not None
        return stored

    requests = Pair(
        (await extensions.request_extension(office, city["zhujian"].person, extended.own.id, "需协调", office.now(), days=7))[1].id,
        (await extensions.request_extension(office, city["jiaotong"].person, extended.other.id, "需协调", office.now(), days=7))[1].id,
    )
    world = World(
        who, plain, supervised, interviewed, requests,
        Pair(await _draft_id(office, drafted.own, SlipType.REMINDER), await _draft_id(office, drafted.other, SlipType.REMINDER)),
        Pair(await _draft_id(office, held.own, SlipType.REMINDER), await _draft_id(office, held.other, SlipType.REMINDER)),
        Pair(
            await _draft_id(office, await fresh(noticed.own), SlipType.SUPERVISION),
            await _draft_id(office, await fresh(noticed.other), SlipType.SUPERVISION),
        ),
    )
    await wait_idle(simulator.state, quiet=0.1)
    return world


async def snapshot(office) -> dict[str, list[tuple[Any, ...]]]:
    out = {}
    for table in TABLES:
        async with office.db.reader.execute(f"SELECT * FROM {table} ORDER BY id") as cur:
            out[table] = [tuple(r) async for r in cur]
    return out


def number(task: Task) -> str:
    return f"{task.number.year}-{task.number.seq}"


ANSWERS = "已提交延期申请|已记录约谈|已记录移交|您没有权限|邀请链接|不是您单位的事项"
"""What the commands here answer (other messages of the set-up may still be arriving)."""


async def command(user: SimulatedUser, text: str) -> str:
    await user.send(text)
    return (await user.wait_for(regex=ANSWERS, timeout=3)).text


async def refused(user: SimulatedUser, role: str, text: str, office, also: tuple[str, ...] = ()) -> None:
    before = await snapshot(office)
    answer = await command(user, text)
    expected = (STRANGER,) if role == "stranger" else (NOT_ALLOWED, *also)
    assert any(e in answer for e in expected), (role, text, answer)
    await wait_idle(user.state, quiet=0.05)
    assert await snapshot(office) == before, text


@pytest.mark.parametrize("role", ROLES)
async def test_extend(role, world: World, office):
    user = world.user(role)
    for side in ("other", "own"):
        task = world.plain.side(side)
        text = f"/extend {number(task)} 7天 需协调用地手续"
        if side in ACTS_FOR_UNIT.get(role, set()):
            assert "已提交延期申请" in await command(user, text)
            assert (await tasks.get(office.db.reader, task.id)).extension_pending
        else:
            # Another unit's number is answered as an unknown one would be ("不是您单位的事项").
            await refused(user, role, text, office, also=(NOT_OWN_UNIT,))


@pytest.mark.parametrize("role", ROLES)
async def test_interview_and_transfer(role, world: World, office):
    user = world.user(role)
    for side in ("other", "own"):
        supervised, interviewed = world.supervised.side(side), world.interviewed.side(side)
        interview = f"/interview {number(supervised)} 刘副市长"
        transfer = f"/transfer {number(interviewed)} 约谈后仍未完成"
        if side in SIGNS_NOTICE.get(role, set()):
            assert "已记录约谈" in await command(user, interview)
            assert "已记录移交" in await command(user, transfer)
        else:
            await refused(user, role, interview, office)
            await refused(user, role, transfer, office)


async def press(user: SimulatedUser, bot, data: str) -> str:
    """Press a forged button carrying ``data``; everything the bot said in answer."""
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton(data, callback_data=data)]])
    await bot.bot.send_message(user.id, f"按钮测试 {data}", reply_markup=keyboard)
    carrier = await user.wait_for(text_contains=f"按钮测试 {data}")
    seen = len(user.messages())
    record = await user.press(data, message=carrier)
    await user.wait_for_answer(record, timeout=3)
    await wait_idle(user.state, quiet=0.05, timeout=1)
    return " ".join([record.answer_text or ""] + [m.text or "" for m in user.messages()[seen:]])


async def press_rows(role: str, world: World, office, bot, rows: list[tuple[str, bool, Any]]) -> None:
    """Each (callback data, allowed, check) row: allowed ones work (``check`` sees the change),
    the others are refused and change nothing."""
    user = world.user(role)
    for data, allowed, check in rows:
        before = await snapshot(office)
        said = await press(user, bot, data)
        if allowed:
            assert NOT_ALLOWED not in said and STRANGER not in said and "已失效" not in said, (data, said)
            await check()
        else:
            assert (STRANGER if role == "stranger" else NOT_ALLOWED) in said, (role, data, said)
            assert await snapshot(office) == before, data


async def _request_status(office, request_id: int) -> str:
    async with office.db.reader.execute("SELECT status FROM extension_requests WHERE id = ?", (request_id,)) as cur:
        row = await cur.fetchone()
    return str(row[0])


async def _draft_status(office, draft_id: int) -> str:
    async with office.db.reader.execute("SELECT status FROM drafts WHERE id = ?", (draft_id,)) as cur:
        row = await cur.fetchone()
    return str(row[0])


def _expect(check, *args, wanted):  # type: ignore[no-untyped-def]
    async def run() -> None:
        assert await check(*args) == wanted, (args, wanted)

    return run


@pytest.mark.parametrize("role", ROLES)
async def test_extension_decision_buttons(role, world: World, office, bot):
    rows = []
    for side in ("other", "own"):
        request_id = world.requests.side(side)
        allowed = side in DECIDES.get(role, set())
        # 不同意 first; on an allowed side 同意 is then answered "已经审批过" (and changes nothing).
        rows.append((f"exr:{request_id}", allowed, _expect(_request_status, office, request_id, wanted="rejected")))
    await press_rows(role, world, office, bot, rows)
    for side in ("other", "own"):
        request_id = world.requests.side(side)
        if side in DECIDES.get(role, set()):
            said = await press(world.user(role), bot, f"exa:{request_id}")
            assert "已经审批过" in said and await _request_status(office, request_id) == "rejected"
        else:
            await press_rows(role, world, office, bot, [(f"exa:{request_id}", False, None)])


@pytest.mark.parametrize("role", ROLES)
async def test_draft_buttons(role, world: World, office, bot):
    rows = []
    for side in ("other", "own"):
        for kind, draft_id, rule, wanted in (
            ("drh", world.hold_drafts.side(side), SIGNS_REMINDER, "held"),
            ("dri", world.reminder_drafts.side(side), SIGNS_REMINDER, "issued"),
            ("dri", world.notice_drafts.side(side), SIGNS_NOTICE, "issued"),
        ):
            rows.append((f"{kind}:{draft_id}", side in rule.get(role, set()), _expect(_draft_status, office, draft_id, wanted=wanted)))
    await press_rows(role, world, office, bot, rows)


@pytest.mark.parametrize("role", ROLES)
async def test_remind_and_record_interview_buttons(role, world: World, office, bot):
    async def reminded(task: Task) -> None:
        stored = await tasks.get(office.db.reader, task.id)
        assert stored is not None and stored.stage.value == "reminded"

    async def asked() -> None:
        assert "请发送约谈领导" in world.user(role).messages()[-1].text

    rows = []
    for side in ("other", "own"):
        task = world.plain.side(side)
        rows.append((f"rmd:{task.id}", side in SIGNS_REMINDER.get(role, set()), lambda task=task: reminded(task)))
        rows.append((f"ivw:{world.supervised.side(side).id}", side in SIGNS_NOTICE.get(role, set()), asked))
    await press_rows(role, world, office, bot, rows)


async def test_another_leaders_other_date_is_refused(world: World, office, bot):
    """改期同意 forged for a request of a unit not in the leader's charge: refused at the end."""
    leader = world.user("leader")
    before = await snapshot(office)
    said = await press(leader, bot, f"exd:{world.requests.other}")
    assert "同意延至的日期" in said
    await leader.send("2027-01-29")
    assert NOT_ALLOWED in (await leader.wait_for(text_contains=NOT_ALLOWED)).text
    assert await snapshot(office) == before


COVERED = {"extend", "interview", "transfer"}
"""The commands whose rows are in this file."""
