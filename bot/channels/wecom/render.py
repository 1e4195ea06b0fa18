"""The core's notices (``bot.edge``) in 企业微信's terms: markdown for text, a 按钮交互型 模板卡片
for anything with buttons.

The templates of ``messages/`` are written in a small HTML subset; 企业微信's markdown reads
``**bold**``, ``[text](url)``, ``> quote`` and ``` `code` ```, so the text is turned into it here.
A text over 2048 bytes (which 企业微信 would cut without a word) goes as several messages.

A card (``button_interaction``) shows the text's first line as its title and the rest, as plain
text, under it (``sub_title_text``, up to :data:`CARD_BODY` characters); when the rest is longer,
the whole text goes first as a message and the card after it. A card holds six buttons at most:
more go on further cards. Each button's ``key`` is its action's data (``bot.actions``): a press
comes back with it as EventKey. A card of an outbox notice has the ``task_id``
``duban-<outbox id>`` (企业微信 refuses a second card with the same one, so a card sent again
after a crash is not shown twice); a card sent as a direct answer ``duban-a-<random>``.
"""

from __future__ import annotations

import re
from html import unescape
from typing import Any

from bot.channels.wecom.api import TEXT_BYTES, CardButton, button_card
from bot.edge import Buttons

CARD_PREFIX = "duban-"
ANSWER_PREFIX = "duban-a-"
TITLE_LENGTH = 36
"""main_title.title: 建议不超过36个字."""
CARD_BODY = 160
"""sub_title_text: 建议不超过160个字."""
CARD_BUTTONS = 6
REPLACE_LENGTH = 40
"""A greyed-out button's text (``replace_name``): 企业微信 documents no length for it, and it is
all that is left on the card to say what came of the press — a mark's one line, what was done
and when (「✅ 已同意延期至2026年12月15日 · 2026年12月8日 11:00」), is kept whole."""

_REPLACEMENTS = (
    (re.compile(r"</?(?:b|strong)>", re.I), "**"),
    (re.compile(r"</?(?:i|em)>", re.I), ""),
    (re.compile(r"</?(?:code|pre)>", re.I), "`"),
    (re.compile(r"<blockquote[^>]*>", re.I), "\n> "),
    (re.compile(r"</blockquote>", re.I), "\n"),
)
_LINK = re.compile(r"""<a\s+href=["']([^"']+)["'][^>]*>(.*?)</a>""", re.I | re.S)
_TAG = re.compile(r"<[^>]+>")


def plain(html: str) -> str:
    """The text a reader sees."""
    return unescape(_TAG.sub("", html)).strip()


def markdown(html: str) -> str:
    """The text of a template in 企业微信's markdown."""
    text = _LINK.sub(lambda m: f"[{m.group(2)}]({m.group(1)})", html)
    for pattern, mark in _REPLACEMENTS:
        text = pattern.sub(mark, text)
    return unescape(_TAG.sub("", text)).strip()


def pieces(text: str, limit: int = TEXT_BYTES) -> list[str]:
    """``text`` in parts of at most ``limit`` UTF-8 bytes, cut at line ends where it can."""
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        candidate = f"{current}\n{line}" if current else line
        if len(candidate.encode()) <= limit:
            current = candidate
            continue
        if current:
            parts.append(current)
        while len(line.encode()) > limit:
            cut = line.encode()[:limit].decode(errors="ignore")
            parts.append(cut)
            line = line[len(cut):]
        current = line
    if current:
        parts.append(current)
    return parts or [text]


def _cut(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


def title(html: str) -> str:
    """A card's title: the text's first line."""
    return _cut(plain(html).split("\n", 1)[0].strip(), TITLE_LENGTH)


def body(html: str) -> str:
    """What a card shows under its title: the rest of the text, as plain text."""
    lines = plain(html).split("\n", 1)
    return lines[1].strip() if len(lines) > 1 else ""


def fits_card(html: str) -> bool:
    """The whole text shows on a card (else it goes as a message first)."""
    first = plain(html).split("\n", 1)[0].strip()
    return len(first) <= TITLE_LENGTH and len(body(html)) <= CARD_BODY


def cards(task_id: str, html: str, buttons: Buttons) -> list[dict[str, Any]]:
    """The card(s) of a text with buttons: six buttons a card; the first is ``task_id``, the
    next ``task_id-2``, ``task_id-3``…"""
    flat = [CardButton(b.offer.data, _cut(b.label, 10)) for row in buttons for b in row]
    made = []
    for n, start in enumerate(range(0, len(flat), CARD_BUTTONS), start=1):
        made.append(button_card(task_id if n == 1 else f"{task_id}-{n}", title(html), flat[start:start + CARD_BUTTONS],
                                sub_title=_cut(body(html), CARD_BODY) if n == 1 else ""))
    return made


def fits_replace_name(html: str) -> bool:
    """The whole text reads on a card's greyed-out button."""
    return 0 < len(plain(html).replace("\n", " ")) <= REPLACE_LENGTH


def replace_name(mark: str) -> str:
    """The greyed-out button's text that says what came of a press."""
    return _cut(plain(mark).replace("\n", " "), REPLACE_LENGTH) or "✓"


def notice_card(outbox_id: int) -> str:
    """The ``task_id`` of the card outbox row ``outbox_id`` became."""
    return f"{CARD_PREFIX}{outbox_id}"


def outbox_id_of(task_id: str) -> int | None:
    """The outbox row a card came from (None for a card sent as an answer)."""
    tail = task_id.removeprefix(CARD_PREFIX).split("-", 1)[0]
    return int(tail) if task_id.startswith(CARD_PREFIX) and not task_id.startswith(ANSWER_PREFIX) and tail.isdigit() else None
