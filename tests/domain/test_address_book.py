"""How the 钉钉 organisation maps onto units, 科室 and people (``plan_directory``, pure): what an
administrator reads in ``duban dingtalk-import --dry-run`` before anything is written."""

from __future__ import annotations

from bot.domain.org import Person, Role, Section, Unit, UnitKind
from bot.edge import Account
from bot.services.address_book import (
    Directory, DirectoryDepartment, DirectoryMember, Existing, Left, plan_directory, unit_kind_of,
)

DEPARTMENTS = (
    DirectoryDepartment(2, "市住房和城乡建设局", 1),
    DirectoryDepartment(3, "城建科", 2),
    DirectoryDepartment(4, "政务监督室", 1),
    DirectoryDepartment(5, "构林镇", 1),
)


def existing(*people: Person) -> Existing:
    return Existing(
        units={"住建局": Unit(1, "住建局", UnitKind.DEPARTMENT)},
        sections={"政务监督室": Section(1, "政务监督室", True)},
        aliases={"市住房和城乡建设局": "住建局"},
        people=people,
    )


def plan(*members: DirectoryMember, people: tuple[Person, ...] = ()):  # type: ignore[no-untyped-def]
    return plan_directory(Directory("dingtalk", DEPARTMENTS, members), existing(*people))


def test_a_department_is_the_unit_of_its_name_or_other_name_and_its_sub_departments_belong_to_it() -> None:
    result = plan(DirectoryMember("u1", "杨联络", "", (3,)))
    units = {u.department: u for u in result.units}
    assert units["市住房和城乡建设局"].name == "住建局" and units["市住房和城乡建设局"].exists
    assert units["构林镇"].kind is UnitKind.TOWN and not units["构林镇"].exists
    assert units["政务监督室"].kind is None  # a 科室, not a unit
    [person] = result.created
    assert person.place == "住建局" and person.roles == frozenset({Role.RESPONSIBLE})


def test_roles_follow_the_place_or_at_the_top_the_title() -> None:
    result = plan(
        DirectoryMember("s", "赵文博", "", (4,)), DirectoryMember("l", "刘建国", "副市长", (1,)),
        DirectoryMember("p", "钱市长", "市长", (1,)), DirectoryMember("x", "赵秘书", "秘书", (1,)),
    )
    roles = {p.name: p.roles for p in result.created}
    assert roles == {"赵文博": {Role.SUPERVISOR}, "刘建国": {Role.LEADER}, "钱市长": {Role.PRINCIPAL}}
    assert [(p.name, p.left) for p in result.left_alone] == [("赵秘书", Left.NO_ROLE)]


def test_an_existing_person_keeps_their_roles_and_a_bound_one_is_left_as_bound() -> None:
    unbound = Person(7, "李住建", frozenset({Role.RESPONSIBLE, Role.ADMIN}), unit_id=1)
    on_telegram = Person(8, "张交通", frozenset({Role.RESPONSIBLE}), account=Account("telegram", "42"))
    done = Person(9, "何自然", frozenset({Role.RESPONSIBLE}), account=Account("dingtalk", "he"))
    result = plan(
        DirectoryMember("li", "李住建", "", (2,)), DirectoryMember("zhang", "张交通", "", (2,)),
        DirectoryMember("he", "何自然", "", (5,)), people=(unbound, on_telegram, done),
    )
    [matched] = result.matched
    assert matched.existing == unbound and matched.roles == unbound.roles
    assert [(p.name, p.left) for p in result.left_alone] == [("张交通", Left.BOUND_ELSEWHERE)]
    assert [p.name for p in result.unchanged] == ["何自然"] and not result.created


def test_a_name_shared_by_two_is_never_matched_by_name() -> None:
    result = plan(DirectoryMember("a", "黄磊", "", (5,)), DirectoryMember("b", "黄磊", "", (5,)))
    assert [p.left for p in result.left_alone] == [Left.NAME_TWICE, Left.NAME_TWICE]
    one_known = plan(DirectoryMember("a", "黄磊", "", (5,)), people=(Person(3, "黄磊", frozenset({Role.CLERK})),))
    assert [p.existing.id for p in one_known.matched if p.existing] == [3]


def test_towns_and_street_offices_are_told_by_their_names() -> None:
    assert unit_kind_of("穰东镇") is UnitKind.TOWN
    assert unit_kind_of("湍河街道办事处") is UnitKind.STREET
    assert unit_kind_of("教育局") is UnitKind.DEPARTMENT
