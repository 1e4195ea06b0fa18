"""Permission rows of the 百分制 commands (SPEC section 2): every role × /meeting, /material,
/praise, /criticize, /void, /scores.

Clerks and 政务监督室 record attendance and materials; only 政务监督室 records 通报表扬 / 通报批评
and voids an event. A refused command says so and changes nothing. /scores: a unit's official sees
the unit's own figures; clerks, leaders, 政务监督室, the principal and the administrator the table.
"""

from __future__ import annotations

import re

import pytest

from bot.domain.scores import ScoreCategory
from bot.services import scoring
from bot.services.scoring import Entry
from tests.e2e import test_permissions
from bot.domain.permissions import COMMANDS, Deed
from tests.e2e.test_permissions import NOT_ALLOWED, ROLES, STRANGER, World, snapshot, who_may

world = test_permissions.world
"""The people of every role (the fixture of ``test_permissions``)."""

RECORDS = {
    "/meeting 全市防汛工作会议 2026-01-05 住建局 迟到": who_may(COMMANDS["meeting"]),
    "/material 住建局 三季度材料未按时上报": who_may(COMMANDS["material"]),
    "/praise 住建局 防汛表现突出": who_may(COMMANDS["praise"]),
    "/criticize 住建局 推进不力": who_may(COMMANDS["criticize"]),
}
TABLE_READERS = who_may(Deed.READ_ALL_UNITS)


ANSWERS = "已记录|已作废|您没有权限|邀请链接|各单位百分制得分|年度得分|加减分情况通报"
"""The first line of every answer these commands give (other messages, such as a feedback notice
the world's set-up queued, may arrive meanwhile)."""


async def _answer(user, text: str) -> str:
    await user.send(text)
    return (await user.wait_for(regex=ANSWERS, timeout=5)).text


@pytest.mark.parametrize("role", ROLES)
async def test_recording_commands(role, world: World, office):
    user = world.user(role)
    for command, allowed in RECORDS.items():
        before = await snapshot(office)
        answer = await _answer(user, command)
        if role in allowed:
            assert "已记录1条" in answer, (command, answer)
            assert len((await snapshot(office))["score_events"]) == len(before["score_events"]) + 1
        else:
            assert (STRANGER if role == "stranger" else NOT_ALLOWED) in answer, (command, answer)
            assert await snapshot(office) == before, command


@pytest.mark.parametrize("role", ROLES)
async def test_void(role, world: World, office):
    user = world.user(role)
    (event,) = await scoring.record(
        office, world.who["supervisor"].person, [Entry(world.own.unit_id, ScoreCategory.CRITICISM)], "误记",
        office.now().date(), office.now(),
    )
    before = await snapshot(office)
    answer = await _answer(user, f"/void {event.id} 录入错误")
    if role in who_may(COMMANDS["void"]):
        assert "已作废" in answer
    else:
        assert (STRANGER if role == "stranger" else NOT_ALLOWED) in answer, answer
        assert await snapshot(office) == before


@pytest.mark.parametrize("role", ROLES)
async def test_scores(role, world: World, office):
    user = world.user(role)
    before = await snapshot(office)
    answer = await _answer(user, "/scores")
    if role == "stranger":
        assert STRANGER in answer
    elif role in TABLE_READERS:
        assert "各单位百分制得分" in answer and "交通运输局" in answer
    else:
        assert "住建局 · " in answer and "年度得分" in answer and "交通运输局" not in answer
    assert await snapshot(office) == before


LEDGER_READERS = who_may(COMMANDS["ledger"])


@pytest.mark.parametrize("role", ROLES)
async def test_ledger_and_board(role, world: World, office):
    """/ledger for the office, leaders, the principal and the administrator; /board for everyone."""
    user = world.user(role)
    before = await snapshot(office)
    await user.send("/ledger")
    answer = await user.wait_for(predicate=lambda m: m.document is not None or bool(re.search(ANSWERS, m.content)), timeout=5)
    if role in LEDGER_READERS:
        assert answer.document is not None, answer.content
    else:
        assert (STRANGER if role == "stranger" else NOT_ALLOWED) in answer.content
    await user.send("/board")
    answer = await user.wait_for(predicate=lambda m: m.photo is not None or bool(re.search(ANSWERS, m.content)), timeout=5)
    if role == "stranger":
        assert STRANGER in answer.content
    else:
        assert answer.photo is not None and "红黄绿督办看板" in answer.content
    assert await snapshot(office) == before


REPORT_READERS = who_may(COMMANDS["report"])


@pytest.mark.parametrize("role", ROLES)
async def test_report(role, world: World, office):
    """/report: clerks, 政务监督室, leaders, the principal, and the administrator (read-only, as /ledger)."""
    user = world.user(role)
    before = await snapshot(office)
    answer = await _answer(user, "/report 2026-01")
    if role in REPORT_READERS:
        assert "2026年1月各单位加减分情况通报" in answer, answer
        await user.wait_for(predicate=lambda m: m.document is not None, timeout=5)
    else:
        assert (STRANGER if role == "stranger" else NOT_ALLOWED) in answer, answer
    assert await snapshot(office) == before


COVERED = {"scores", "meeting", "material", "praise", "criticize", "void", "ledger", "board", "report"}
"""The commands whose rows are in this file."""
