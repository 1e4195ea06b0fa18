"""``/late 编号 单位``: the 牵头单位 names a 配合单位 whose part has not come (``sharing.chase = "named"``)."""

from __future__ import annotations

from bot.conversation import routes
from bot.conversation.answer import Answer, reply
from bot.conversation.asking import bound_person, refuse
from bot.conversation.menu import may_use
from bot.conversation.said import Said
from bot.domain.errors import DomainError
from bot.services import partners, slip_lookup


async def late(said: Said, answer: Answer) -> None:
    """/late 编号 单位: the named 配合单位 is chased instead of the 牵头单位 until its part arrives."""
    person = await bound_person(said, answer)
    if person is None:
        return
    if not may_use(person, "late"):
        await refuse(said, answer, DomainError("not_allowed"))
        return
    office = said.office
    today = office.now().date()
    parts = said.text.split(maxsplit=1)
    split = slip_lookup.split_reference(parts[1], today.year) if len(parts) > 1 else None
    if split is None or not split[1].strip():
        await reply(answer, "partners/usage", year=today.year)
        return
    reference, unit_name = split
    target = await slip_lookup.by_parsed_reference(
        office, person, reference, today, slip_lookup.typed_number(parts[1], unit_name)
    )
    task = await partners.name_late_partner(office, person, target.task.id, unit_name, office.now())
    await reply(answer, "partners/named", unit=unit_name.strip(), task=task)


COMMANDS = ("late",)
"""The commands this module adds to the menu."""

ROUTES: tuple[routes.Route, ...] = (routes.Command("late", late),)
