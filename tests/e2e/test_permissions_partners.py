"""Permission rows of /late (SPEC section 2): every role names a late 配合单位 of a matter led by
交通运输局, in which 住建局 (李住建's unit) and 穰东镇 assist. Only the 牵头单位's people may; 李住建
is refused on the lead's number (not his unit's) and on his own 配合 copy. Refused: the notice,
and no table changed."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.domain.sharing import ChaseRule
from bot.domain.tasks import SourceType
from bot.services.issuing import AssignmentDraft, issue_assignment
from bot.storage import org
from tests.e2e.test_permissions import NOT_OWN_UNIT, ROLES, assert_refused, world  # noqa: F401

COVERED = {"late"}


@pytest.mark.parametrize("role", ROLES)
async def test_late_command(role, world, office):  # noqa: F811
    office.settings = replace(office.settings, shared_chase=ChaseRule.NAMED)
    units = [await org.unit_by_name(office.db.reader, name) for name in ("交通运输局", "住建局", "穰东镇")]
    draft = AssignmentDraft(
        "道路改造", "按要求落实", "常务会议纪要", SourceType.OTHER, tuple(u.id for u in units), 7,
        lead_unit_id=units[0].id,
    )
    lead, partner, _ = await issue_assignment(office, draft, world.who["clerk"].person, office.now())
    user = world.user(role)
    for task, also in ((lead.task, (NOT_OWN_UNIT,)), (partner.task, ())):
        number = f"{task.number.year}-{task.number.seq}"
        await assert_refused(user, f"/late {number} 穰东镇", office, stranger=role == "stranger", also=also)
