"""The one dispatch of every channel: which route takes what a person said.

The conversation modules of ``FEATURES`` declare their ``ROUTES``; they are tried in this order
and, within a module, in the order listed, and the catch-alls of ``fallback`` come last: the
first route that fits takes the message, so the order is the precedence. A channel's adapter
makes a ``Said`` of what arrived and calls ``dispatch``; it knows nothing of which handler
answers.
"""

from __future__ import annotations

from collections.abc import Iterable
from types import ModuleType

from bot.conversation import admin, corrections, escalation, exports, extension, fallback, intake, issue, lookup
from bot.conversation import partners, reports, scores, slip_actions, start
from bot.conversation import kit, routes
from bot.conversation.answer import Answer
from bot.conversation.said import Said

FEATURES: tuple[ModuleType, ...] = (
    start, issue, corrections, extension, escalation, slip_actions, partners, lookup, scores, exports, reports, admin, intake,
)
"""The conversation layer's modules, each with ``ROUTES`` and ``COMMANDS`` (the commands it adds
to the menu)."""


def declared(features: Iterable[ModuleType] = FEATURES) -> tuple[routes.Route, ...]:
    """Every route of ``features``, in order, then the dialog kit's (/cancel, 取消, a lapsed
    dialog) and the catch-alls."""
    found: list[routes.Route] = []
    for feature in features:
        found += feature.ROUTES
    return (*found, *kit.ROUTES, *fallback.ROUTES)


ROUTES = declared()
"""Every route of the bot, in order of precedence."""


def commands(features: Iterable[ModuleType] = FEATURES) -> frozenset[str]:
    """The commands the conversation layer answers (the menu shows only these)."""
    return frozenset({"cancel"}.union(*(getattr(feature, "COMMANDS", ()) for feature in features)))


def fits(route: routes.Route, said: Said) -> bool:
    """Whether ``route`` takes ``said``."""
    if isinstance(route, routes.InGroup):
        return said.in_group
    if said.in_group:
        return False
    if isinstance(route, routes.Edited):
        return said.edited
    if said.edited:
        return False
    pressed = said.pressed is not None or said.pressed_unknown
    if isinstance(route, routes.Pressed):
        return said.pressed is not None and said.pressed.action is route.action
    if isinstance(route, routes.AnyPress):
        return pressed
    if pressed:
        return False
    if isinstance(route, routes.Command):
        return (said.command or "").lower() == route.name and (not route.while_open or any(kit.is_open(said, k) for k in route.while_open))
    if isinstance(route, routes.InDialog):
        return _is(route.kind, said) and kit.is_open(said, route.key, route.fits)
    if isinstance(route, routes.Lapsed):
        return said.command is None and kit.has_lapsed(said)
    if isinstance(route, routes.AlbumGoesOn):
        return said.album is not None and route.going_on(said)
    if isinstance(route, routes.Reply):
        return said.reply_to is not None and _is(routes.REPORT, said)
    if isinstance(route, routes.FileSent):
        return said.reply_to is None and bool(said.files)
    return True  # AnyMessage


def _is(kind: str, said: Said) -> bool:
    """Whether a message is of the kind a route takes (``routes.WORDS`` and the others)."""
    if said.command is not None:
        return False
    if kind == routes.WORDS:
        return said.words
    if kind == routes.DOCUMENT:
        return any(f.kind == "document" for f in said.files)
    if kind == routes.REPORT:
        return bool(said.text) or bool(said.files)
    return True  # ANYTHING


def route_for(said: Said, table: tuple[routes.Route, ...] | None = None) -> routes.Route | None:
    """The first route of ``table`` (every declared route) that takes ``said``."""
    return next((route for route in (ROUTES if table is None else table) if fits(route, said)), None)


async def take(route: routes.Route, said: Said, answer: Answer) -> None:
    """Hand ``said`` to ``route``'s handler (a pressed action's with its typed values)."""
    if isinstance(route, routes.Pressed):
        assert said.pressed is not None
        await route.takes(said, answer, said.pressed.values)
    else:
        await route.takes(said, answer)


async def dispatch(said: Said, answer: Answer, table: tuple[routes.Route, ...] | None = None) -> bool:
    """Hand ``said`` to the first route of ``table`` (every declared route) that takes it;
    whether one did."""
    route = route_for(said, table)
    if route is None:
        return False
    await take(route, said, answer)
    return True
