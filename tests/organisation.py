"""A small organisation for the tests of a channel beside Telegram: units, sections, people
added with one-time invites, and each person joining on Telegram (here) or on the channel under
test (a subclass, in that channel's conftest)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.org import Person, Role, UnitKind
from bot.emulators.telegram import Simulator
from bot.services import onboarding
from bot.services.context import Office
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
