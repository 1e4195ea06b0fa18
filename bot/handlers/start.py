"""/start (with an invite code: bind the account) and /help."""

from __future__ import annotations


from telegram import Update
from telegram.ext import CommandHandler, filters

from bot import actions
from bot.actions import BindCode, Nothing
from bot.domain.errors import DomainError
from bot.domain.org import Person
from bot.edge import TELEGRAM, Account, Menu
from bot.handlers import buttons
from bot.handlers.common import current_person, refuse, reply
from bot.handlers.context import DubanApplication, DubanContext
from bot.handlers.dialogs import clear_buttons, keyboard, query_place
from bot.handlers.menu import commands_for, menu_of
from bot.services import onboarding
from bot.texts import label, render

MAX_CODE = 64


async def start(update: Update, context: DubanContext) -> None:
    """Bind with ``/start CODE``; greet a bound person; refuse an unknown one politely."""
    assert update.effective_user is not None
    code = context.args[0] if context.args else ""
    if code:
        if len(code) > MAX_CODE:
            await refuse(update, DomainError("invite_unknown"))
            return
        change = await onboarding.check_invite(context.office, code, Account(TELEGRAM, str(update.effective_user.id)), context.office.now())
        if change is not None and actions.REBIND.fits(code=code):  # an invite code is 24 characters
            assert update.effective_message is not None
            await update.effective_message.reply_text(
                render("start/confirm_rebind", r=change),
                reply_markup=keyboard([(label("buttons", "confirm_rebind"), actions.REBIND(code=code)), (label("buttons", "cancel"), actions.KEEP_BINDING())]),
            )
            return
        await _bind(update, context, code, confirmed=False)
        return
    person = await current_person(update, context)
    if person is None:
        await reply(update, "start/unknown")
        return
    await reply(update, "start/greeting", person=person, roles=_role_names(person), commands=commands_for(person, context.implemented))


async def _bind(update: Update, context: DubanContext, code: str, confirmed: bool) -> None:
    assert update.effective_user is not None and update.effective_chat is not None
    office = context.office
    now = office.now()
    account = Account(TELEGRAM, str(update.effective_user.id))

    def menu(person: Person) -> Menu:
        return menu_of(person, context.implemented)

    bound = await onboarding.redeem_invite(office, code, account, now, confirmed=confirmed, menu=menu)
    text = render("start/bound", person=bound, roles=_role_names(bound), commands=commands_for(bound, context.implemented))
    await context.bot.send_message(update.effective_chat.id, text)


async def rebind_pressed(update: Update, context: DubanContext, button: BindCode) -> None:
    """确认改绑 under the question: the account moves to the invite's person (the invite code
    rides in the button)."""
    query = update.callback_query
    assert query is not None
    code = button.code
    try:
        await _bind(update, context, code, confirmed=True)
    except DomainError as exc:
        await refuse(update, exc)
        return
    await query.answer()
    await clear_buttons(context, *query_place(update))


async def keep_pressed(update: Update, context: DubanContext, _: Nothing) -> None:
    """取消 under the question: nothing changes."""
    query = update.callback_query
    assert query is not None
    await query.answer()
    await clear_buttons(context, *query_place(update))
    person = await current_person(update, context)
    if person is not None:
        await reply(update, "start/rebind_cancelled", person=person)


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


def register(application: DubanApplication) -> None:
    """Add /start and /help, and the buttons of the question before an account moves."""
    application.add_handler(CommandHandler("start", start, filters=filters.ChatType.PRIVATE))
    buttons.on(application, actions.REBIND, rebind_pressed)
    buttons.on(application, actions.KEEP_BINDING, keep_pressed)
    application.add_handler(CommandHandler("help", help_command, filters=filters.ChatType.PRIVATE))
