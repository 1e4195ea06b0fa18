"""Telegram's limit on one message, and long texts cut into messages that each keep it.

A message's text may be at most 4,096 characters (UTF-16 code units) after entity parsing.
Lengths here are measured on the HTML, which is never shorter than the text Telegram shows
from it, so what is measured to fit does fit.
"""

from __future__ import annotations

import re

MESSAGE_LIMIT = 4096
"""Telegram's limit on a message's text, in UTF-16 code units."""

_TAG = re.compile(r"<(/?)([a-zA-Z-]+)[^>]*>")


def message_length(html: str) -> int:
    """Length as Telegram counts it, in UTF-16 code units (of the HTML: see the module)."""
    return len(html.encode("utf-16-le")) // 2


def fits_in_message(html: str, limit: int = MESSAGE_LIMIT) -> bool:
    """Whether ``html`` fits in one Telegram message."""
    return message_length(html) <= limit


def split_message(html: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """``html`` as one message, or as several that each fit, cut between lines.

    A cut falls only where no tag is open, so each part parses on its own. A single line longer
    than a message (no newline to cut at) is cut inside, outside any tag or ``&…;`` entity.
    """
    if fits_in_message(html, limit):
        return [html]
    parts: list[str] = []
    current: list[str] = []
    for block in _blocks(html):
        for piece in _cut_long(block, limit):
            candidate = "\n".join([*current, piece])
            if current and not fits_in_message(candidate, limit):
                parts.append("\n".join(current))
                current = [piece]
            else:
                current.append(piece)
    if current:
        parts.append("\n".join(current))
    return [p for p in (part.strip("\n") for part in parts) if p]


def _blocks(html: str) -> list[str]:
    """The lines of ``html``, joined where a tag opened on one line closes on a later one."""
    blocks: list[str] = []
    pending: list[str] = []
    depth = 0
    for line in html.split("\n"):
        pending.append(line)
        for closing, _name in _TAG.findall(line):
            depth += -1 if closing else 1
        if depth <= 0:
            blocks.append("\n".join(pending))
            pending, depth = [], 0
    if pending:
        blocks.append("\n".join(pending))
    return blocks


def _cut_long(block: str, limit: int) -> list[str]:
    """A block that does not fit one message, cut where no tag or entity is open."""
    pieces: list[str] = []
    while not fits_in_message(block, limit):
        cut = _last_safe_cut(block, limit)
        pieces.append(block[:cut])
        block = block[cut:]
    pieces.append(block)
    return pieces


def _last_safe_cut(text: str, limit: int) -> int:
    """Where to cut ``text`` so the head fits: the last place outside any tag, entity and open
    element; failing that (one element longer than a message), outside any tag and entity."""
    depth, units = 0, 0
    tag_start: int | None = None
    in_entity = False
    clean = loose = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            break
        if tag_start is not None:
            if char == ">":
                depth += -1 if text.startswith("</", tag_start) else 1
                tag_start = None
        elif char == "<":
            tag_start = index
        elif in_entity:
            in_entity = char != ";"
        elif char == "&":
            in_entity = True
        if tag_start is None and not in_entity:
            loose = index + 1
            if depth <= 0:
                clean = index + 1
    return clean or loose or max(1, index)
