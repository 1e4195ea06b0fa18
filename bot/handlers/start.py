"""/start (with an invite code: bind the account) and /help."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CommandHandler, filters

from bot.domain.errors import DomainError
from bot.domain.org import Person
from bot.handlers.common import current_person, refuse, reply
from bot.handlers.context import DubanContext
from bot.handlers.menu import commands_for, queue_menu
from bot.services import onboarding
from bot.texts import label

MAX_CODE = 64


async def start(update: Update, context: DubanContext) -> None:
    """Bind with ``/start CODE``; greet a bound person; refuse an unknown one politely."""
    assert update.effective_user is not None
    code = context.args[0] if context.args else ""
    if code:
        if len(code) > MAX_CODE:
            await refuse(update, DomainError("invite_unknown"))
            return
        office = context.office
        now = office.now()
        bound = await onboarding.redeem_invite(office, code, update.effective_user.id, now)
        async with office.db.transaction() as conn:
            await queue_menu(conn, bound, update.effective_user.id, now, context.implemented)
        context.sender.wake()
        await reply(update, "start/bound", person=bound, roles=_role_names(bound), commands=commands_for(bound, context.implemented))
        return
    person = await current_person(update, context)
    if person is None:
        await reply(update, "start/unknown")
        return
    await reply(update, "start/greeting", person=person, roles=_role_names(person), commands=commands_for(person, context.implemented))


async def help_command(update: Update, context: DubanContext) -> None:
    """Explain each of the person's commands with an example."""
    person = await current_person(update, context)
    if person is None:
        await reply(update, "start/unknown")
        return
    await reply(
        update, "start/help", person=person, commands=commands_for(person, context.implemented),
        year=context.office.now().year,
    )


def _role_names(person: Person) -> list[str]:
    return [label("roles", r.value) for r in sorted(person.roles)]


COMMANDS = ("start", "help")


def register(application: Application) -> None:  # type: ignore[type-arg]
    """Add /start and /help."""
    application.add_handler(CommandHandler("start", start, filters=filters.ChatType.PRIVATE))
    application.add_handler(CommandHandler("help", help_command, filters=filters.ChatType.PRIVATE))
