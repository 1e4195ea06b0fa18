"""``/late 编号 单位``: the 牵头单位 names a 配合单位 whose part has not come (``sharing.chase = "named"``)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CommandHandler, filters

from bot.domain.errors import DomainError
from bot.handlers.common import bound_person, refuse, reply
from bot.handlers.context import DubanApplication, DubanContext
from bot.handlers.menu import may_use
from bot.services import partners, slip_lookup


async def late(update: Update, context: DubanContext) -> None:
    """/late 编号 单位: the named 配合单位 is chased instead of the 牵头单位 until its part arrives."""
    message = update.effective_message
    assert message is not None
    person = await bound_person(update, context)
    if person is None:
        return
    if not may_use(person, "late"):
        await refuse(update, DomainError("not_allowed"))
        return
    office = context.office
    today = office.now().date()
    parts = (message.text or "").split(maxsplit=1)
    split = slip_lookup.split_reference(parts[1], today.year) if len(parts) > 1 else None
    if split is None or not split[1].strip():
        await reply(update, "partners/usage", year=today.year)
        return
    reference, unit_name = split
    target = await slip_lookup.by_parsed_reference(
        office, person, reference, today, slip_lookup.typed_number(parts[1], unit_name)
    )
    task = await partners.name_late_partner(office, person, target.task.id, unit_name, office.now())
    await reply(update, "partners/named", unit=unit_name.strip(), task=task)


COMMANDS = ("late",)
"""The commands this module adds to the menu."""


def register(application: DubanApplication) -> None:
    """Add /late."""
    application.add_handler(CommandHandler("late", late, filters=filters.ChatType.PRIVATE))
