"""/start (with an invite code: bind the account) and /help."""

from __future__ import annotations

from bot import actions
from bot.actions import BindCode, Nothing
from bot.conversation import routes
from bot.conversation.answer import Answer, buttons, reply
from bot.conversation.asking import refuse
from bot.conversation.menu import commands_for, menu_of
from bot.conversation.said import Said
from bot.domain.errors import DomainError
from bot.domain.org import Person
from bot.edge import Menu
from bot.services import onboarding
from bot.texts import label

MAX_CODE = 64


async def start(said: Said, answer: Answer) -> None:
    """Bind with ``/start CODE``; greet a bound person; refuse an unknown one politely."""
    code = said.args[0] if said.args else ""
    if code:
        if len(code) > MAX_CODE:
            await refuse(said, answer, DomainError("invite_unknown"))
            return
        change = await onboarding.check_invite(said.office, code, said.account, said.office.now())
        if change is not None and actions.REBIND.fits(code=code):  # an invite code is 24 characters
            await reply(
                answer, "start/confirm_rebind", r=change,
                buttons=buttons([(label("buttons", "confirm_rebind"), actions.REBIND(code=code)), (label("buttons", "cancel"), actions.KEEP_BINDING())]),
            )
            return
        await _bind(said, answer, code, confirmed=False)
        return
    person = await said.person()
    if person is None:
        await reply(answer, "start/unknown")
        return
    await reply(answer, "start/greeting", person=person, roles=_role_names(person), commands=commands_for(person, said.commands))


async def _bind(said: Said, answer: Answer, code: str, confirmed: bool) -> None:
    office = said.office
    now = office.now()

    def menu(person: Person) -> Menu:
        return menu_of(person, said.commands)

    bound = await onboarding.redeem_invite(office, code, said.account, now, confirmed=confirmed, menu=menu)
    await reply(answer, "start/bound", person=bound, roles=_role_names(bound), commands=commands_for(bound, said.commands))


async def rebind_pressed(said: Said, answer: Answer, button: BindCode) -> None:
    """确认改绑 under the question: the account moves to the invite's person (the invite code
    rides in the button)."""
    try:
        await _bind(said, answer, button.code, confirmed=True)
    except DomainError as exc:
        await refuse(said, answer, exc)
        return
    await answer.toast()
    await answer.clear()


async def keep_pressed(said: Said, answer: Answer, _: Nothing) -> None:
    """取消 under the question: nothing changes."""
    await answer.toast()
    await answer.clear()
    person = await said.person()
    if person is not None:
        await reply(answer, "start/rebind_cancelled", person=person)


async def help_command(said: Said, answer: Answer) -> None:
    """Explain each of the person's commands with an example."""
    person = await said.person()
    if person is None:
        await reply(answer, "start/unknown")
        return
    await reply(
        answer, "start/help", person=person, commands=commands_for(person, said.commands), year=said.office.now().year,
        by_reply=said.by_reply,
    )


def _role_names(person: Person) -> list[str]:
    return [label("roles", r.value) for r in sorted(person.roles)]


COMMANDS = ("start", "help")

ROUTES: tuple[routes.Route, ...] = (
    routes.Command("start", start),
    routes.Pressed(actions.REBIND, rebind_pressed),
    routes.Pressed(actions.KEEP_BINDING, keep_pressed),
    routes.Command("help", help_command),
)
"""/start and /help, and the buttons of the question before an account moves."""
