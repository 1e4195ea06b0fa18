"""Who is asking, and the refusals every handler shares, in no messenger's terms."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.conversation.answer import Answer, reply
from bot.conversation.menu import may_use
from bot.conversation.said import Said
from bot.domain.errors import DomainError
from bot.domain.org import Person
from bot.texts import explain, render


async def bound_person(said: Said, answer: Answer, command: str | None = None) -> Person | None:
    """The bound person asking, allowed ``command`` when one is named.

    Otherwise the refusal is given (an unknown account: the polite invite text; a role without
    the right: the not_allowed notice) as a notice on the pressed button or a message, and None
    returned.
    """
    person = await said.person()
    if person is None:
        if said.pressed is not None:
            await answer.alert(render("start/unknown"))
        else:
            await reply(answer, "start/unknown")
        return None
    if command is not None and not may_use(person, command):
        await refuse(said, answer, DomainError("not_allowed"))
        return None
    return person


async def refuse(said: Said, answer: Answer, error: Exception) -> None:
    """Answer a refused action with what to do instead (as a notice on the pressed button, or a
    message)."""
    if said.pressed is not None:
        await answer.alert(explain(error))
    else:
        await answer.say(explain(error))


@asynccontextmanager
async def heavy_work(said: Said, answer: Answer, waiting: str = "inbox/reading_wait") -> AsyncIterator[None]:
    """Hold one of the places for heavy work (``files.at_once``) while the block runs; when all
    are taken, say so (``waiting``: 「正在读取，请稍候」) and wait for one. The work runs in a
    worker thread meanwhile, and other people's messages are handled side by side."""
    places = said.office.heavy_work
    if places.locked():
        await reply(answer, waiting)
    async with places:
        yield


async def not_understood(said: Said, answer: Answer, person: Person) -> None:
    """A message nothing took: the hint fits the person (a 责任单位 answers slips, and a loose
    file is told how to become feedback; a 科室 issues them)."""
    await reply(
        answer, "fallback/not_understood", answers_slips=may_use(person, "feedback"), issues_slips=may_use(person, "new"),
        loose_file=bool(said.files), by_reply=said.by_reply,
    )
