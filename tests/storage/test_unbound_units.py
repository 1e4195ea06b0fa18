"""Units with no bound 责任人: the SQL of ``units_without_bound_official`` and the domain's
``has_bound_official`` give the same set, whoever the units' people are."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.config import Settings
from bot.edge import TELEGRAM, Account
from bot.domain.org import Role, UnitKind, has_bound_official
from bot.services import onboarding
from bot.services.context import Office
from bot.storage import org
from tests.storage.conftest import NOW

PEOPLE = st.lists(
    st.tuples(st.integers(0, 3), st.sampled_from([Role.RESPONSIBLE, Role.CLERK]), st.booleans()), max_size=8
)
"""(unit index, role, bound?) for each person."""


@settings(max_examples=25, deadline=None)
@given(people=PEOPLE)
async def test_the_sql_and_the_rule_agree(tmp_path_factory, people) -> None:
    office = await Office.open(Settings(db_path=tmp_path_factory.mktemp("db") / "duban.db"))
    try:
        await onboarding.add_section(office, "综合一科", False, None, NOW)
        names = [f"单位{i}" for i in range(4)]
        for name in names:
            await onboarding.add_unit(office, name, UnitKind.DEPARTMENT, None, NOW)
        for n, (unit, role, bound) in enumerate(people):
            where = {"unit_name": names[unit]} if role is Role.RESPONSIBLE else {"section_name": "综合一科"}
            person = await onboarding.add_person(office, f"人员{n}", frozenset({role}), NOW, **where)
            if role is Role.CLERK:  # a clerk placed in the unit too: not its 责任人
                async with office.db.transaction() as conn:
                    await conn.execute("UPDATE people SET unit_id = (SELECT id FROM units WHERE name = ?) WHERE id = ?", (names[unit], person.id))
            if bound:
                async with office.db.transaction() as conn:
                    await org.bind_account(conn, person.id, Account(TELEGRAM, str(1000 + n)), NOW)
        conn = office.db.reader
        by_sql = {u.name for u in await org.units_without_bound_official(conn)}
        by_rule = {u.name for u in await org.units(conn) if not has_bound_official(await org.unit_members(conn, u.id))}
        assert by_sql == by_rule
    finally:
        await office.db.close()
