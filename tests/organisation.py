"""A small organisation for the tests of a channel beside Telegram: units, sections, people
added with one-time invites, and each person joining on Telegram (here) or on the channel under
test (a subclass, in that channel's conftest)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.domain.feedback import Attachment
from bot.domain.org import Person, Role, UnitKind
from bot.domain.tasks import SourceType, Task
from bot.emulators.telegram import Simulator
from bot.services import onboarding
from bot.services.context import Office
from bot.services.issuing import AssignmentDraft, issue_assignment
from bot.storage import org


@dataclass
class Member:
    """A person of the organisation with their account: a simulated Telegram user or a person of
    the other channel's emulator."""

    person: Person
    user: object

    def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
        return getattr(self.user, name)


class Organisation:
    """Builds a small organisation; people join on Telegram with one-time invites."""

    def __init__(self, office: Office, simulator: Simulator) -> None:
        self.office = office
        self.simulator = simulator

    async def unit(self, name: str, kind: UnitKind = UnitKind.DEPARTMENT, leader: str | None = None) -> None:
        await onboarding.add_unit(self.office, name, kind, leader, self.office.now())

    async def section(self, name: str, supervision_office: bool = False, leader: str | None = None) -> None:
        await onboarding.add_section(self.office, name, supervision_office, leader, self.office.now())

    async def invited(self, name: str, *roles: Role, unit: str | None = None, section: str | None = None) -> tuple[Person, str]:
        person = await onboarding.add_person(self.office, name, frozenset(roles), self.office.now(), unit, section, "0377-6228")
        invite = await onboarding.create_invite(self.office, person.id, self.office.now())
        return person, invite.code

    async def join_telegram(self, name: str, *roles: Role, unit: str | None = None, section: str | None = None) -> Member:
        person, code = await self.invited(name, *roles, unit=unit, section=section)
        user = await self.simulator.create_user(name)
        await user.send(f"/start {code}")
        await user.wait_for(text_contains="绑定成功")
        return Member(await self.bound(person), user)

    async def bound(self, person: Person) -> Person:
        """The person as stored once their account is bound."""
        found = await org.person(self.office.db.reader, person.id)
        assert found is not None and found.account is not None
        return found


async def small_city(organisation: Organisation, join_other: Callable[..., Awaitable[Member]]) -> dict[str, Member]:
    """A clerk on Telegram; 住建局's official on the other channel (``join_other``), 交通运输局's
    on Telegram."""
    await organisation.section("综合一科")
    await organisation.unit("住建局")
    await organisation.unit("交通运输局")
    return {
        "clerk": await organisation.join_telegram("王科员", Role.CLERK, section="综合一科"),
        "zhujian": await join_other("李住建", Role.RESPONSIBLE, unit="住建局", userid="lizhujian"),
        "jiaotong": await organisation.join_telegram("张交通", Role.RESPONSIBLE, unit="交通运输局"),
    }


async def until(check, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    """Wait until ``check()`` (a coroutine function) is true."""
    async with asyncio.timeout(timeout):
        while not await check():
            await asyncio.sleep(0.05)


async def issue(
    office: Office, clerk: Member, unit_name: str = "住建局", title: str = "城区积水点排查整治",
    attachment: Attachment | None = None,
) -> Task:
    """The clerk signs a 交办单 (through the service, as the /new dialog would), ``attachment``
    issued with it."""
    unit = await org.unit_by_name(office.db.reader, unit_name)
    assert unit is not None
    draft = AssignmentDraft(
        title=title, requirements="逐点建立台账，明确整改措施和完成时间。", basis="市政府第12次常务会议纪要",
        source=SourceType.OTHER, unit_ids=(unit.id,), period_days=7, attachment=attachment,
    )
    [issued] = await issue_assignment(office, draft, clerk.person, office.now())
    return issued.task


def slip_number(task: Task) -> str:
    """How the slip's number reads in its text: 〔2026〕12号."""
    return f"〔{task.number.year}〕{task.number.seq}号"
