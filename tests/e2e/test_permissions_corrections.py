"""Permission rows of /withdraw and /correct (SPEC section 2): the issuing 科室 puts its own
slips right and 政务监督室 any; everyone else is refused with the notice (or, for a task the
person may not see, told it is not found), and nothing changes. Allowed, the dialog opens and
still changes nothing until 确认."""

from __future__ import annotations

import pytest

from bot.domain.permissions import COMMANDS, Deed
from tests.e2e.test_permissions import ROLES, STRANGER, ask, sides, snapshot, world  # noqa: F401

COVERED = {"withdraw", "correct"}

MAY_PUT_RIGHT = sides(COMMANDS["withdraw"])
"""撤回 and 更正: the issuing 科室 (own = issued by 综合一科), and 政务监督室 for every slip."""
SEES = sides(Deed.SEE)
"""Who reads the slip without the right to put it right: refused with the notice, not 'not found'."""


@pytest.mark.parametrize("role", ROLES)
async def test_withdraw_and_correct(role, world, office):  # noqa: F811
    user = world.user(role)
    for side in ("own", "other"):
        task = world.task(side)
        number = f"{task.number.year}-{task.number.seq}"
        for command, opened in ((f"/withdraw {number} 误发", "确认撤回"), (f"/correct {number}", "请选择要更正的内容")):
            before = await snapshot(office)
            await user.send(command)
            answer = (await user.wait_for(regex=f"{opened}|没有权限|没有找到|{STRANGER}", timeout=3)).text
            if side in MAY_PUT_RIGHT.get(role, set()):
                assert opened in answer, (role, command, answer)
                await user.send("/cancel")
                await user.wait_for(text_contains="已取消")
            elif role == "stranger":
                assert STRANGER in answer
            elif side in SEES.get(role, set()):
                assert "没有权限" in answer, (role, command, answer)
            else:
                assert "没有找到" in answer or "没有权限" in answer, (role, command, answer)
                assert task.title not in answer
            assert await snapshot(office) == before, (role, command)
