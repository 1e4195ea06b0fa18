"""Permission rows of the administrator's commands (SPEC section 2): every role × /units, /people,
/invite.

Only the administrator manages people and invites. Every other bound role is refused with the
notice and sees no name; nothing changes, in particular no invite is created. A stranger gets the
polite invite-needed text.
"""

from __future__ import annotations

import pytest

from tests.e2e import test_permissions
from bot.domain.permissions import COMMANDS
from tests.e2e.test_permissions import NOT_ALLOWED, ROLES, STRANGER, World, snapshot, who_may

world = test_permissions.world
"""The people of every role (the fixture of ``test_permissions``)."""

ANSWERS = "责任单位一览|人员名单|邀请链接|您没有权限"
"""The first line of every answer these commands give (a stranger's text and the administrator's
invite both name the 邀请链接)."""


async def _answer(user, text: str) -> str:
    await user.send(text)
    return (await user.wait_for(regex=ANSWERS, timeout=5)).text


async def _invites(office) -> list[tuple[object, ...]]:
    async with office.db.reader.execute("SELECT * FROM invites ORDER BY code") as cur:
        return [tuple(r) async for r in cur]


def _refusal(role: str) -> str:
    return STRANGER if role == "stranger" else NOT_ALLOWED


@pytest.mark.parametrize("role", ROLES)
async def test_lists(role, world: World, office):
    """/units, /people and /people 住建局: the administrator's lists, read by no one else."""
    user = world.user(role)
    before, invites = await snapshot(office), await _invites(office)
    shown = (("/units", "责任单位一览", "• 住建局"), ("/people", "人员名单", "• 李住建"), ("/people 住建局", "人员名单", "• 李住建"))
    for command, heading, line in shown:
        answer = await _answer(user, command)
        if role in who_may(COMMANDS[command.split()[0][1:]]):
            assert heading in answer and line in answer, (command, answer)
        else:
            assert _refusal(role) in answer and heading not in answer and line not in answer, (command, answer)
    assert await snapshot(office) == before and await _invites(office) == invites


@pytest.mark.parametrize("role", ROLES)
async def test_invite(role, world: World, office):
    """/invite 张交通: a new link for the administrator; refused, and no invite, for anyone else."""
    user = world.user(role)
    person_id = world.who["responsible"].person.id
    before, invites = await snapshot(office), await _invites(office)
    for command in ("/invite 张交通", f"/invite {person_id}"):
        answer = await _answer(user, command)
        if role in who_may(COMMANDS["invite"]):
            assert "生成邀请链接" in answer and "?start=" in answer, (command, answer)
        else:
            assert _refusal(role) in answer and "start=" not in answer, (command, answer)
    if role in who_may(COMMANDS["invite"]):
        assert len(await _invites(office)) == len(invites) + 2
    else:
        assert await snapshot(office) == before and await _invites(office) == invites


COVERED = {"units", "people", "invite"}
"""The commands whose rows are in this file."""
