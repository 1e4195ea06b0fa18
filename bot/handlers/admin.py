"""/units, /people and /invite: the administrator's view of the organisation, and invites.

The command line has the same (``duban unit|person|invite``); here an administrator checks who
has not yet bound their account and sends them a new link without a shell.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import CommandHandler, filters

from bot.handlers.common import bound_person, reply
from bot.handlers.context import DubanApplication, DubanContext
from bot.message_size import split_message
from bot.services import admin_lists, onboarding
from bot.texts import render


async def units_command(update: Update, context: DubanContext) -> None:
    """Every 责任单位 by kind, then the 科室, each with its 分管市领导 and who has bound."""
    if await bound_person(update, context, "units") is None:
        return
    directory = await admin_lists.directory(context.office)
    await _send(update, render("admin/units", d=directory))


async def people_command(update: Update, context: DubanContext) -> None:
    """Everyone by unit and section, with roles, phone and binding; ``/people 住建局`` narrows."""
    if await bound_person(update, context, "people") is None:
        return
    text = " ".join(context.args or ()).strip()
    directory = await admin_lists.directory(context.office)
    groups = admin_lists.find_groups(directory, text) if text else tuple(g for g in directory.groups if g.people)
    await _send(update, render("admin/people", d=directory, groups=groups, narrowed=bool(text), roles_of=admin_lists.roles_of))


async def invite_command(update: Update, context: DubanContext) -> None:
    """``/invite 姓名`` or ``/invite 编号``: a new one-time link to forward to that person."""
    if await bound_person(update, context, "invite") is None:
        return
    text = " ".join(context.args or ()).strip()
    if not text:
        await reply(update, "admin/invite_usage")
        return
    office = context.office
    invitation = await admin_lists.invite(office, text, office.now())
    await reply(
        update, "admin/invite", i=invitation, link=onboarding.deep_link(context.bot.username, invitation.invite),
        hours=office.settings.invite_ttl_hours,
    )


async def _send(update: Update, html: str) -> None:
    """A list as one message, or as several cut between lines when it is longer than Telegram's limit."""
    assert update.effective_message is not None
    for part in split_message(html):
        await update.effective_message.reply_text(part)


COMMANDS = ("units", "people", "invite")
"""The commands this module adds to the menu (the administrator's only: ``bot.domain.permissions.COMMANDS``)."""


def register(application: DubanApplication) -> None:
    """Add /units, /people and /invite."""
    private = filters.ChatType.PRIVATE
    application.add_handler(CommandHandler("units", units_command, filters=private))
    application.add_handler(CommandHandler("people", people_command, filters=private))
    application.add_handler(CommandHandler("invite", invite_command, filters=private))
