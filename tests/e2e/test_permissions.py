"""The permission matrix: every role × every command of the menu × own / other's task, and every
slip button pressed by every role on its own and another's task.

Who may do what is read from the table (``bot.domain.permissions``): a new row is tested here
without a new test. Allowed actions must work; forbidden ones are refused with the Chinese notice ("您没有权限", or
the stranger's "邀请链接" text) and change nothing in the database. Buttons are forged: the bot
sends each person a message carrying ``ack:/fb:/ext:/acc:/ret:`` buttons for tasks that are not
theirs, as a tampered client could, so only the server-side check stands in the way.

"Own" and "other" per role:

* 责任单位 (李住建, 住建局): own = 住建局's task, other = 交通运输局's;
* clerk (王科员, 综合一科): own = issued by 综合一科, other = issued by 政务监督室;
* 分管市领导 (刘副市长): own = a unit in their charge (住建局), other = a unit that is not
  (交通运输局, whose leader is cleared here);
* 政务监督室, the principal and the administrator read both.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import actions
from bot.actions import ACTIONS
from bot.conversation import routes
from bot.domain.org import Role
from bot.domain.permissions import BUTTONS, COMMANDS, RULES, Deed, Reach, may_at_all
from bot.domain.tasks import Task
from bot.emulators.telegram.client import SimulatedUser, wait_idle
from bot.channels.telegram.app import build_application
from bot.conversation.router import ROUTES
from bot.services import handling
from bot.storage import org, tasks
from tests.e2e.test_lookup import issue

ROLES = ("admin", "supervisor", "clerk", "leader", "principal", "responsible", "stranger")

ROLE_OF = {
    "admin": Role.ADMIN, "supervisor": Role.SUPERVISOR, "clerk": Role.CLERK, "leader": Role.LEADER,
    "principal": Role.PRINCIPAL, "responsible": Role.RESPONSIBLE,
}
"""The people of the world by their role (the stranger has none)."""

SIDES = {
    Reach.ANY: {"own", "other"},
    Reach.FROM_A_SECTION: {"own", "other"},
    Reach.OWN_UNIT: {"own"},
    Reach.LEAD_OWN_UNIT: {"own"},
    Reach.ISSUING_SECTION: {"own"},
    Reach.UNITS_IN_CHARGE: {"own"},
    Reach.SECTION_IN_CHARGE: {"own"},
    Reach.SENDER: {"own"},
}
"""Which side each reach of the table takes in: "own" is made so that every object-level rule
holds of the person and it, "other" so that none does."""


def who_may(deed: Deed) -> set[str]:
    """The roles of the world with a row of ``deed``."""
    return {name for name, role in ROLE_OF.items() if role in RULES[deed]}


def sides(deed: Deed) -> dict[str, set[str]]:
    """For each role of the world with a row of ``deed``, the sides it reaches."""
    return {name: SIDES[RULES[deed][role]] for name, role in ROLE_OF.items() if role in RULES[deed]}


def deed_of_button(data: str) -> Deed:
    """The deed a button's data stands for (the first, when its object chooses)."""
    (action,) = [a for a in ACTIONS if a.pattern.match(data)]
    return BUTTONS[action.name][0]


CAN_READ = {role: sides(Deed.SEE).get(role, set()) for role in ROLES}
"""Which of the two tasks /tasks, /task and /overdue show to each role (SPEC section 2)."""

MAY_ISSUE = who_may(COMMANDS["new"])
ACTS_FOR_UNIT = sides(Deed.ACT_FOR_UNIT)
"""签收, 反馈, 申请延期: the 责任单位's own people only."""
MAY_REVIEW = sides(Deed.REVIEW)
"""通过 / 退回: the issuing section, and 政务监督室 for any task."""

NOT_ALLOWED = "您没有权限"
STRANGER = "邀请链接"
NOT_OWN_UNIT = "不是您单位的事项"
ANY_ANSWER = "不是您单位|您好|使用说明|在办事项|逾期事项|工作事项|没有找到|没有权限|邀请链接|没有这个命令|没看懂|已失效"


def _command_routes() -> list[tuple[frozenset[str], bool]]:
    """Each command route of the conversation layer: its command, and whether it answers only
    inside a dialog."""
    return [(frozenset({r.name}), bool(r.while_open)) for r in ROUTES if isinstance(r, routes.Command)]


def _handles_command(command: str) -> bool:
    return any(command in commands for commands, _ in _command_routes())


def _handles_button(data: str) -> bool:
    offer = actions.offer_of(data)
    return offer is not None and any(isinstance(r, routes.Pressed) and r.action is offer.action for r in ROUTES)


@dataclass
class World:
    """A city with one task per side, plus one with feedback waiting per side."""

    who: dict[str, Any]
    own: Task
    other: Task
    own_review: Task
    other_review: Task
    own_feedback: int
    other_feedback: int

    def user(self, role: str) -> SimulatedUser:
        member = self.who[role]
        return member if isinstance(member, SimulatedUser) else member.user

    def task(self, side: str) -> Task:
        return self.own if side == "own" else self.other


@pytest.fixture
async def world(city, organisation, simulator, office) -> World:
    who: dict[str, Any] = {
        "admin": await organisation.join("孙管理", Role.ADMIN),
        "principal": await organisation.join("周市长", Role.PRINCIPAL),
        "supervisor": city["supervisor"],
        "clerk": city["clerk"],
        "leader": city["leader"],
        "responsible": city["zhujian"],
        "stranger": await simulator.create_user("路人甲"),
    }
    async with office.db.transaction() as conn:
        jiaotong = await org.unit_by_name(conn, "交通运输局")
        assert jiaotong is not None
        await org.set_unit_leader(conn, jiaotong.id, None)
    past = office.now() - timedelta(days=20)
    own = await issue(office, city["clerk"], "住建局", "住建局本单位事项", days=3, now=past)
    other = await issue(office, city["supervisor"], "交通运输局", "交通局他单位事项", days=3, now=past)
    own_review = await issue(office, city["clerk"], "住建局", "住建局待审事项")
    other_review = await issue(office, city["supervisor"], "交通运输局", "交通局待审事项")
    own_fb = await handling.submit_feedback(office, city["zhujian"].person, own_review.id, "已完成", office.now())
    other_fb = await handling.submit_feedback(office, city["jiaotong"].person, other_review.id, "已完成", office.now())
    await wait_idle(simulator.state, quiet=0.1)
    return World(who, own, other, own_review, other_review, own_fb.feedback.id, other_fb.feedback.id)


async def snapshot(office) -> dict[str, list[tuple[Any, ...]]]:
    """Everything a refused action must leave as it was."""
    out = {}
    for table in ("tasks", "slips", "feedback", "history", "extension_requests", "score_events"):
        async with office.db.reader.execute(f"SELECT * FROM {table} ORDER BY id") as cur:
            out[table] = [tuple(r) async for r in cur]
    return out


async def ask(user: SimulatedUser, text: str) -> str:
    """Send a command and return the bot's first answer to it."""
    await user.send(text)
    return (await user.wait_for(regex=ANY_ANSWER, timeout=3)).text


async def assert_refused(
    user: SimulatedUser, text: str, office, *, stranger: bool, also: tuple[str, ...] = ()
) -> None:
    """Refused with the notice (or one of ``also``, a wording that does not reveal the task) and
    nothing changed."""
    before = await snapshot(office)
    answer = await ask(user, text)
    expected = (STRANGER,) if stranger else (NOT_ALLOWED, *also)
    assert any(e in answer for e in expected), (text, answer)
    assert await snapshot(office) == before, text


@pytest.mark.parametrize("role", ROLES)
async def test_reading_commands(role, world, office):
    """/start, /help, /tasks, /task own|other, /overdue."""
    user, stranger = world.user(role), role == "stranger"
    before = await snapshot(office)

    greeting = await ask(user, "/start")
    assert (STRANGER if stranger else "您好") in greeting
    helped = await ask(user, "/help")
    assert (STRANGER if stranger else "使用说明") in helped

    for command, heading in (("/tasks", "在办事项"), ("/overdue", "逾期事项")):
        listing = await ask(user, command)
        if stranger:
            assert STRANGER in listing and world.own.title not in listing
            continue
        assert heading in listing, (command, listing)
        for side in ("own", "other"):
            shown = world.task(side).title in listing
            assert shown == (side in CAN_READ[role]), (command, side, listing)

    for side in ("own", "other"):
        task = world.task(side)
        detail = await ask(user, f"/task {task.number.year}-{task.number.seq}")
        if side in CAN_READ[role]:
            assert "工作事项" in detail and task.title in detail
        else:
            assert (STRANGER if stranger else NOT_ALLOWED) in detail and task.title not in detail

    assert await snapshot(office) == before


NEW_SLIP = "/new\n事项: 权限矩阵测试事项\n要求: 月底前完成\n依据: 市政府常务会议纪要〔2026〕15号\n单位: 住建局\n期限: 7天\n专项: 否"


async def _task_count(office) -> int:
    async with office.db.reader.execute("SELECT count(*) FROM tasks") as cur:
        row = await cur.fetchone()
    return int(row[0])


@pytest.mark.parametrize("role", ROLES)
async def test_new(role, world, office):
    """/new (the one-message form of /help): the office's sections issue, nobody else."""
    user = world.user(role)
    if role not in MAY_ISSUE:
        await assert_refused(user, NEW_SLIP, office, stranger=role == "stranger")
        return
    count = await _task_count(office)
    await user.send(NEW_SLIP)
    answer = await user.wait_for(timeout=3)
    assert NOT_ALLOWED not in answer.text and "没有这个命令" not in answer.text, answer.text
    if answer.find_button("确认签发") is not None:  # the preview step, if the dialog has one
        await user.press("确认签发", message=answer)
    for _ in range(60):
        if await _task_count(office) == count + 1:
            break
        await wait_idle(user.state, quiet=0.05, timeout=0.2)
    assert await _task_count(office) == count + 1, user.transcript()


@pytest.mark.parametrize("role", ROLES)
async def test_feedback_command(role, world, office):
    """/feedback <编号> 内容: only the 责任单位's people, only on their own unit's task."""
    user = world.user(role)
    for side in ("other", "own"):
        task = world.task(side)
        command = f"/feedback {task.number.year}-{task.number.seq} 已全部完成"
        if side in ACTS_FOR_UNIT.get(role, set()):
            await user.send(command)
            answer = (await user.wait_for(regex="已提交|" + ANY_ANSWER, timeout=3)).text
            assert NOT_ALLOWED not in answer and "没有这个命令" not in answer, answer
            stored = await tasks.get(office.db.reader, task.id)
            assert stored is not None and stored.status.value == "feedback_pending", user.transcript()
        else:
            # The feedback handler answers another unit's number as it answers an unknown one
            # ("不是您单位的事项", with the person's own slips), not revealing the task: accepted.
            await assert_refused(user, command, office, stranger=role == "stranger", also=(NOT_OWN_UNIT,))


@pytest.mark.parametrize("role", ROLES)
async def test_cancel(role, world, office):
    """/cancel: everyone bound may cancel (nothing to cancel here); it changes nothing."""
    user = world.user(role)
    before = await snapshot(office)
    await user.send("/cancel")
    answer = (await user.wait_for(timeout=3)).text
    if role == "stranger":
        assert STRANGER in answer
    else:
        assert "没有进行中的操作" in answer, answer
    assert await snapshot(office) == before


def _buttons(world: World, kinds: tuple[str, ...]) -> list[tuple[str, str, str]]:
    """(callback data, kind, side) of the slip buttons on both sides, in a safe order:
    returning before accepting, feedback and extension before 签收."""
    out = []
    for side in ("other", "own"):
        task = world.task(side)
        feedback_id = world.own_feedback if side == "own" else world.other_feedback
        data = {"ret": f"ret:{feedback_id}", "acc": f"acc:{feedback_id}", "fb": f"fb:{task.id}", "ext": f"ext:{task.id}", "ack": f"ack:{task.id}"}
        out += [(data[kind], kind, side) for kind in ("ret", "acc", "fb", "ext", "ack") if kind in kinds]
    return out


def _allowed(role: str, kind: str, side: str) -> bool:
    return side in sides(deed_of_button(f"{kind}:1")).get(role, set())


async def _press_all(role: str, world: World, office, bot, kinds: tuple[str, ...]) -> None:
    """Each button on a message of its own (a handler may take the keyboard off its message)."""
    user = world.user(role)
    for data, kind, side in _buttons(world, kinds):
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton(data, callback_data=data)]])
        await bot.bot.send_message(user.id, f"按钮测试 {data}", reply_markup=keyboard)
        carrier = await user.wait_for(text_contains=f"按钮测试 {data}")
        before = await snapshot(office)
        seen = len(user.messages())
        press = await user.press(data, message=carrier)
        await user.wait_for_answer(press, timeout=3)
        await wait_idle(user.state, quiet=0.05, timeout=1)
        answer = press.answer_text or ""
        said = " ".join([answer] + [m.text for m in user.messages()[seen:]])
        if _allowed(role, kind, side):
            assert NOT_ALLOWED not in said and "已失效" not in answer, (data, said)
            if kind == "ack":
                stored = await tasks.get(office.db.reader, world.task(side).id)
                assert stored is not None and stored.status.value == "acknowledged", data
            if kind == "acc":
                reviewed = world.own_review if side == "own" else world.other_review
                stored = await tasks.get(office.db.reader, reviewed.id)
                assert stored is not None and stored.status.value == "completed", data
        else:
            refusal = STRANGER if role == "stranger" else NOT_ALLOWED
            assert refusal in said or NOT_ALLOWED in said, (data, said)
            assert await snapshot(office) == before, data


@pytest.mark.parametrize("role", ROLES)
async def test_slip_buttons(role, world, office, bot):
    """签收 · 反馈 · 通过 · 退回, pressed on own and other's tasks."""
    await _press_all(role, world, office, bot, ("ret", "acc", "fb", "ack"))


@pytest.mark.parametrize("role", ROLES)
async def test_extension_button(role, world, office, bot):
    """申请延期, pressed on own and other's tasks: the 责任单位's own people only."""
    await _press_all(role, world, office, bot, ("ext",))


COVERED = {"start", "help", "new", "tasks", "task", "feedback", "overdue", "cancel"}
"""Commands whose rows are in this file; other features keep theirs in test_permissions_*.py,
each with its own ``COVERED``."""


def test_the_matrix_covers_every_command_of_the_menu(office):
    """A command a handler module adds to the menu must get its rows in a permission test."""
    covered = set()
    for path in sorted(Path(__file__).parent.glob("test_permissions*.py")):
        module = importlib.import_module(f"tests.e2e.{path.stem}")
        covered |= module.COVERED
    implemented = build_application(office, schedule=False).bot_data["commands"]
    assert implemented <= set(COMMANDS)
    assert implemented == covered


DIALOG_STEPS = {"done"}
"""Commands that only end a step of an open dialog (/done after the files of a 反馈): the person
got that far through a button the matrix already checks."""


def _matrix_rows() -> set[str]:
    rows: set[str] = set()
    for path in sorted(Path(__file__).parent.glob("test_permissions*.py")):
        rows |= importlib.import_module(f"tests.e2e.{path.stem}").COVERED
    return rows


def test_every_command_has_a_handler_and_every_handler_a_matrix_row(office):
    """A command in the menu no handler takes, or a handler whose command no permission test
    covers, fails here: a lost registration cannot hide behind a skipped test."""
    declared = build_application(office, schedule=False).bot_data["commands"]
    handled = {c for commands, _ in _command_routes() for c in commands}
    assert {c for c in declared if not _handles_command(c)} == set()
    assert handled - _matrix_rows() - DIALOG_STEPS == set()
    steps = [inside for commands, inside in _command_routes() if commands & DIALOG_STEPS]
    assert steps and all(steps), "a dialog step must answer only inside its dialog"
    assert handled - DIALOG_STEPS <= set(COMMANDS)


@pytest.mark.parametrize("data", ["ack:1", "fb:1", "ext:1", "acc:1", "ret:1"])
def test_every_slip_button_has_a_handler(data):
    assert _handles_button(data), data


@pytest.mark.parametrize("role", ROLES)
async def test_every_command_refuses_the_roles_its_row_leaves_out(role, world, office):
    """Each command of the table, sent bare by a role without a row of its deed: refused with the
    notice (a stranger: the invite text), nothing changed. A new command is checked here by its
    row alone."""
    user = world.user(role)
    person = world.who[role].person if role != "stranger" else None
    implemented = build_application(office, schedule=False).bot_data["commands"]
    left_out = [c for c, deed in COMMANDS.items() if c in implemented and (person is None or not may_at_all(person, deed))]
    assert left_out, "every role is left out of some command"
    for command in left_out:
        await assert_refused(user, f"/{command}", office, stranger=person is None)
