"""A small believable organisation for the demo: the office, its 政务监督室 and three sections,
eight units (towns, a street office, departments) with their 分管市领导, a principal, and
one or two officials per unit."""

from __future__ import annotations

from datetime import datetime

from bot.domain.org import Person, Role, UnitKind
from bot.services import onboarding
from bot.storage import intake, org
from bot.services.context import Office

LEADERS = ("刘建国", "孙丽华")
"""Two 分管市领导 (副市长)."""

SECTIONS = (
    ("政务监督室", True, "刘建国", ("赵文博",)),
    ("综合一科", False, "刘建国", ("王晓燕",)),
    ("综合二科", False, "孙丽华", ("周明",)),
    ("综合三科", False, "孙丽华", ("吴芳",)),
)
"""(name, is 政务监督室, 分管市领导, staff)."""

UNITS = (
    ("穰东镇", UnitKind.TOWN, "孙丽华", ("陈志强",)),
    ("构林镇", UnitKind.TOWN, "孙丽华", ("马红梅",)),
    ("湍河街道", UnitKind.STREET, "刘建国", ("黄磊",)),
    ("住建局", UnitKind.DEPARTMENT, "刘建国", ("李住建", "杨联络")),
    ("交通运输局", UnitKind.DEPARTMENT, "刘建国", ("张交通",)),
    ("教育局", UnitKind.DEPARTMENT, "孙丽华", ("郑教育",)),
    ("自然资源局", UnitKind.DEPARTMENT, "刘建国", ("何自然",)),
    ("农业农村局", UnitKind.DEPARTMENT, "孙丽华", ("罗农业",)),
)
"""(name, kind, 分管市领导, officials)."""

PRINCIPAL = "钱市长"

ALIASES = {
    "住建局": ("市住房和城乡建设局", "住房城乡建设局"),
    "交通运输局": ("交通局",),
    "湍河街道": ("湍河街道办事处",),
    "自然资源局": ("自然资源和规划局",),
    "农业农村局": ("农业局",),
}
"""The names the sample 会议纪要 (examples/minutes-sample.docx) uses for some units."""


async def seed(office: Office, now: datetime) -> list[Person]:
    """Create the demo organisation; return everyone in it (not yet bound to accounts)."""
    people = [await onboarding.add_person(office, name, frozenset({Role.LEADER}), now) for name in LEADERS]
    people.append(await onboarding.add_person(office, PRINCIPAL, frozenset({Role.PRINCIPAL}), now))
    for name, supervision, leader, staff in SECTIONS:
        await onboarding.add_section(office, name, supervision, leader, now)
        role = Role.SUPERVISOR if supervision else Role.CLERK
        for i, person in enumerate(staff):
            people.append(
                await onboarding.add_person(office, person, frozenset({role}), now, section_name=name, phone=f"0377-6228{3100 + len(people)}")
            )
    for name, kind, leader, officials in UNITS:
        await onboarding.add_unit(office, name, kind, leader, now)
        for person in officials:
            people.append(
                await onboarding.add_person(office, person, frozenset({Role.RESPONSIBLE}), now, unit_name=name, phone=f"1380377{1000 + len(people)}")
            )
    async with office.db.transaction() as conn:
        for name, aliases in ALIASES.items():
            unit = await org.unit_by_name(conn, name)
            assert unit is not None
            await intake.set_aliases(conn, unit.id, aliases)
    return people


def names() -> tuple[str, ...]:
    """Everyone :func:`seed` creates, by name, in its order."""
    return (
        *LEADERS, PRINCIPAL,
        *(person for _, _, _, staff in SECTIONS for person in staff),
        *(person for _, _, _, officials in UNITS for person in officials),
    )
