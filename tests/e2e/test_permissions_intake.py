"""Permission rows of the intake (SPEC sections 2 and 10): every role × /minutes, /instruct,
/aliases, and the review's buttons pressed by someone else.

会议纪要 are read for 科室 and 政务监督室; a 批示 is given by a 分管市领导 or the principal; aliases
are the administrator's. Everyone else is refused with the notice and nothing is recorded; a
stranger gets the polite invite-needed text.
"""

from __future__ import annotations

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from tests.e2e import test_permissions
from bot.domain.permissions import COMMANDS, Deed
from tests.e2e.test_permissions import NOT_ALLOWED, ROLES, STRANGER, World, sides, snapshot, who_may

world = test_permissions.world
"""The people of every role (the fixture of ``test_permissions``)."""

ANSWERS = "拟交办|已记录您的批示|别名|您没有权限|邀请链接"

MINUTES = "/minutes\n市政府第15次常务会议纪要\n一、住建局12月31日前完成积水点整治。"
ALLOWED = {
    "/minutes": who_may(COMMANDS["minutes"]),
    "/instruct 请住建局3日内拿出方案。": who_may(COMMANDS["instruct"]),
    "/aliases 住建局 市住房和城乡建设局": who_may(COMMANDS["aliases"]),
}
ANSWER_OF = {"/minutes": "拟交办1项", "/instruct 请住建局3日内拿出方案。": "已记录您的批示", "/aliases 住建局 市住房和城乡建设局": "住建局的别名"}


async def _intake(office) -> list[tuple[object, ...]]:
    rows: list[tuple[object, ...]] = []
    for table in ("intake_documents", "intake_drafts", "unit_aliases"):
        async with office.db.reader.execute(f"SELECT * FROM {table}") as cur:
            rows += [tuple(r) async for r in cur]
    return rows


@pytest.mark.parametrize("role", ROLES)
async def test_commands(role, world: World, office):
    """Each command does its work for its roles only; refused ones record nothing."""
    user = world.user(role)
    for command, roles in ALLOWED.items():
        before, intake = await snapshot(office), await _intake(office)
        await user.send(MINUTES if command == "/minutes" else command)
        answer = (await user.wait_for(regex=ANSWERS, timeout=5)).text
        if role in roles:
            assert ANSWER_OF[command] in answer, (command, answer)
            assert await _intake(office) != intake
        else:
            assert (STRANGER if role == "stranger" else NOT_ALLOWED) in answer, (command, answer)
            assert await snapshot(office) == before and await _intake(office) == intake


OTHERS_DRAFTS = [r for r in ROLES if "other" not in sides(Deed.HANDLE_MINUTES_DRAFTS).get(r, set())]
"""Who may not touch the drafts of minutes someone else sent (the table's 政务监督室 may)."""


@pytest.mark.parametrize("role", OTHERS_DRAFTS)
async def test_review_buttons_of_someone_else(role, world: World, office, bot):
    """政务监督室's drafts: 修改, 删除 and 全部签发 pressed by anyone else change nothing."""
    supervisor = world.user("supervisor")
    await supervisor.send(MINUTES)
    review = await supervisor.wait_for(text_contains="拟交办1项")
    data = [b["callback_data"] for row in review.inline_keyboard for b in row]
    assert [d.split(":")[0] for d in data] == ["ie", "id", "ia"]
    user = world.user(role)
    before, intake = await snapshot(office), await _intake(office)
    for callback_data in data:
        # Each on a message of the presser's own chat, as a forged or copied button would be.
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton(callback_data, callback_data=callback_data)]])
        await bot.bot.send_message(user.id, f"按钮测试 {callback_data}", reply_markup=keyboard)
        carrier = await user.wait_for(text_contains=f"按钮测试 {callback_data}")
        answered = await user.wait_for_answer(await user.press(callback_data, message=carrier))
        assert (STRANGER if role == "stranger" else NOT_ALLOWED) in (answered.answer_text or ""), (role, callback_data)
    assert await snapshot(office) == before and await _intake(office) == intake


COVERED = {"minutes", "instruct", "aliases"}
"""The commands whose rows are in this file."""
