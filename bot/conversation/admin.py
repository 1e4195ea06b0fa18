"""/units, /people and /invite: the administrator's view of the organisation, and invites.

The command line has the same (``duban unit|person|invite``); here an administrator checks who
has not yet bound their account and sends them a new link without a shell.
"""

from __future__ import annotations

from bot.conversation import routes
from bot.conversation.answer import Answer, reply
from bot.conversation.asking import bound_person
from bot.conversation.said import Said
from bot.message_size import split_message
from bot.services import admin_lists, onboarding
from bot.texts import render


async def units_command(said: Said, answer: Answer) -> None:
    """Every 责任单位 by kind, then the 科室, each with its 分管市领导 and who has bound."""
    if await bound_person(said, answer, "units") is None:
        return
    directory = await admin_lists.directory(said.office)
    await _send(answer, render("admin/units", d=directory))


async def people_command(said: Said, answer: Answer) -> None:
    """Everyone by unit and section, with roles, phone and binding; ``/people 住建局`` narrows."""
    if await bound_person(said, answer, "people") is None:
        return
    text = said.joined_args
    directory = await admin_lists.directory(said.office)
    groups = admin_lists.find_groups(directory, text) if text else tuple(g for g in directory.groups if g.people)
    await _send(answer, render("admin/people", d=directory, groups=groups, narrowed=bool(text), roles_of=admin_lists.roles_of))


async def invite_command(said: Said, answer: Answer) -> None:
    """``/invite 姓名`` or ``/invite 编号``: a new one-time link to forward to that person."""
    if await bound_person(said, answer, "invite") is None:
        return
    text = said.joined_args
    if not text:
        await reply(answer, "admin/invite_usage")
        return
    office = said.office
    invitation = await admin_lists.invite(office, text, office.now())
    await reply(
        answer, "admin/invite", i=invitation, link=onboarding.deep_link(said.bot_name, invitation.invite),
        hours=office.settings.invite_ttl_hours,
    )


async def _send(answer: Answer, html: str) -> None:
    """A list as one message, or as several cut between lines when it is longer than a message may be."""
    for part in split_message(html):
        await answer.say(part)


COMMANDS = ("units", "people", "invite")
"""The commands this module adds to the menu (the administrator's only: ``bot.domain.permissions.COMMANDS``)."""

ROUTES: tuple[routes.Route, ...] = (
    routes.Command("units", units_command),
    routes.Command("people", people_command),
    routes.Command("invite", invite_command),
)
"""/units, /people and /invite."""
