"""What nothing else answered: unknown users, group chats, stickers, unknown commands, edits."""

from __future__ import annotations

from bot.conversation import routes
from bot.conversation.answer import Answer, reply
from bot.conversation.asking import not_understood
from bot.conversation.said import Said
from bot.texts import render


async def group_chat(said: Said, answer: Answer) -> None:
    """The bot works in private chats only: say so once, briefly, when addressed in a group."""
    if not said.text:
        return
    if said.text.startswith("/") or (said.bot_name and f"@{said.bot_name}" in said.text):
        await reply(answer, "fallback/group")


async def anything(said: Said, answer: Answer) -> None:
    """A message no handler took: unknown users are refused, known ones told what to send."""
    person = await said.person()
    if person is None:
        await reply(answer, "start/unknown")
        return
    if said.text.startswith("/") and not said.files:
        await reply(answer, "fallback/unknown_command")
    else:
        await not_understood(said, answer, person)


async def nothing_to_cancel(said: Said, answer: Answer) -> None:
    """/cancel with no dialog open (inside one, the dialog's own /cancel answers first)."""
    if await said.person() is None:
        await reply(answer, "start/unknown")
        return
    await reply(answer, "fallback/nothing_to_cancel")


async def edited(said: Said, answer: Answer) -> None:
    """An edit of an old message changes nothing already recorded."""
    await reply(answer, "fallback/edited")


async def stale_button(said: Said, answer: Answer) -> None:
    """A button no handler recognises (an old keyboard): answer, change nothing."""
    await answer.alert(render("fallback/stale_button"))


ROUTES: tuple[routes.Route, ...] = (
    routes.InGroup(group_chat),
    routes.Command("cancel", nothing_to_cancel),
    routes.Edited(edited),
    routes.AnyMessage(anything),
    routes.AnyPress(stale_button),
)
"""The catch-alls, after every other module's routes: they take only what none of those took."""
