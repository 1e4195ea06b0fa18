"""How the conversation layer answers, in no messenger's terms: a message with a template and
buttons (``bot.edge.Buttons``), a short notice on a pressed button, a change to the message
whose button was pressed, a file or a picture. Each channel's adapter carries these out
(``bot/channels/telegram/adapter.py``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol, TypeVar

from bot.actions import Offer
from bot.edge import Button, Buttons
from bot.texts import label, render


class Answer(Protocol):
    """The answers to one ``Said``, in the asking person's chat."""

    async def say(self, html: str, buttons: Buttons = ()) -> str | None:
        """A message of text already rendered, with buttons under it; the channel's id of the
        message sent (None where the channel gives none)."""

    async def quote(self, html: str) -> None:
        """A message that answers, quoting it, the message whose button was pressed (or the
        message said): what stays with it once a short notice has passed."""

    async def alert(self, html: str) -> None:
        """A pressed button refused or spent: a short notice the person must dismiss."""

    async def toast(self, html: str = "") -> None:
        """A pressed button taken: a short notice that passes (none when ``html`` is empty)."""

    async def mark(self, mark: str) -> None:
        """The message whose button was pressed shows ``mark`` under its text and loses its
        buttons (where its text is not at hand, the buttons still go)."""

    async def clear(self) -> None:
        """The message whose button was pressed loses its buttons."""

    def clear_at(self, message: str) -> None:
        """An earlier message of the chat (its channel's id) loses its buttons, in the background:
        the question it asked is over."""

    async def mark_at(self, message: str, html: str | None, mark: str) -> None:
        """An earlier message of the chat (its channel's id, and its text ``html`` where known)
        shows ``mark`` under its text and loses its buttons."""

    async def redraw(self, html: str, buttons: Buttons = ()) -> None:
        """The message whose button was pressed drawn again (a list turned to another page)."""

    async def send_file(self, name: str, data: bytes, caption: str | None = None) -> None:
        """A file (an export) in the person's chat."""

    async def send_picture(self, name: str, data: bytes, caption: str | None = None) -> None:
        """A picture (a chart, the board) in the person's chat."""

    async def busy(self) -> None:
        """The person sees that files are being made."""

    def later(self, work: Awaitable[None]) -> None:
        """Finish ``work`` after the handler returns (an album gathered for a moment before it
        is recorded): what was said stays unconfirmed until ``work`` is done, so a crash in
        between brings it again; an error it raises is answered as a handler's would be."""


async def reply(answer: Answer, template: str, /, buttons: Buttons = (), **ctx: Any) -> None:
    """Answer with ``messages/<template>.j2``."""
    await answer.say(render(template, **ctx), buttons)


def text(template: str, /, **ctx: Any) -> str:
    """``messages/<template>.j2`` with the button words of ``labels.toml`` at hand."""
    return render(template, label=label, **ctx)


def buttons(*rows: list[tuple[str, Offer]]) -> Buttons:
    """Buttons from rows of (label, action offered); an empty row is left out."""
    return tuple(tuple(Button(name, offer) for name, offer in row) for row in rows if row)


T = TypeVar("T")


def paged(items: Sequence[T], page: int, per_page: int) -> tuple[Sequence[T], int, int]:
    """The items shown on ``page`` of a list of buttons (the page kept within the pages there
    are: the list may have shrunk since the button was drawn), that page, and how many pages."""
    pages = max(1, -(-len(items) // per_page))
    page = min(max(page, 0), pages - 1)
    return items[page * per_page : (page + 1) * per_page], page, pages


def turn_row(page: int, has_next: bool, data: Callable[[int], Offer]) -> list[tuple[str, Offer]]:
    """上一页 / 下一页 of a paged list, as far as there is a page that way; ``data(n)`` turns to
    page n (from 0). Every paged list of the bot turns with these two buttons."""
    row = []
    if page > 0:
        row.append((label("buttons", "previous"), data(page - 1)))
    if has_next:
        row.append((label("buttons", "next"), data(page + 1)))
    return row
