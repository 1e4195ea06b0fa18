"""The core's notices (``bot.edge``) in 钉钉's terms: markdown for the text, an interactive card
for anything with buttons.

The templates of ``messages/`` are written in a small HTML subset (``<b>``, ``<i>``, ``<code>``,
``<a href>``, ``<blockquote>``); 钉钉's robot messages and cards read markdown, so the same text
is turned into it here (bold, italics, code, links; each line break a hard break).

A message with buttons is the "markdown with buttons" card of 钉钉's card platform (its
template id is ``[dingtalk] card_template_id``): ``cardParamMap`` holds ``title``, ``markdown``
and ``sys_full_json_obj`` whose ``msgButtons`` are the buttons. Each button's ``id`` is its
action's data (``bot.actions``), also carried in its ``params``: a press comes back over Stream
with it, and the adapter reads the action from it (and, from ``label``, the words the person
pressed: a dialog's question shows the choice under it, as on Telegram). A card of an outbox notice is known to 钉钉
by ``outTrackId`` ``duban-<outbox id>``, so sending it again after a crash or a quota refusal
finds the card already made rather than showing a second one, and a later change of the notice
(``bot.edge.Change``) reaches the same card.
"""

from __future__ import annotations

import json
import re
from html import unescape

from bot.edge import Buttons

CARD_PREFIX = "duban-"
"""``outTrackId`` of the card an outbox notice became: ``duban-<outbox id>``."""
ANSWER_PREFIX = "duban-a-"
"""``outTrackId`` of a card sent as a direct answer (not through the outbox)."""
TITLE_LENGTH = 40
"""Characters of the first line shown as a message's title (the chat list's preview)."""

_REPLACEMENTS = (
    (re.compile(r"</?(?:b|strong)>", re.I), "**"),
    (re.compile(r"</?(?:i|em)>", re.I), "*"),
    (re.compile(r"</?(?:code|pre)>", re.I), "`"),
    (re.compile(r"<blockquote[^>]*>", re.I), "\n> "),
    (re.compile(r"</blockquote>", re.I), "\n"),
)
_LINK = re.compile(r"""<a\s+href=["']([^"']+)["'][^>]*>(.*?)</a>""", re.I | re.S)
_TAG = re.compile(r"<[^>]+>")


def markdown(html: str) -> str:
    """The text of a template in 钉钉's markdown."""
    text = _LINK.sub(lambda m: f"[{m.group(2)}]({m.group(1)})", html)
    for pattern, mark in _REPLACEMENTS:
        text = pattern.sub(mark, text)
    text = unescape(_TAG.sub("", text))
    return "  \n".join(line.rstrip() for line in text.strip().split("\n"))


def title(html: str) -> str:
    """A message's title: its first line as plain text, cut to :data:`TITLE_LENGTH`."""
    first = unescape(_TAG.sub("", html)).strip().split("\n", 1)[0].strip()
    return first if len(first) <= TITLE_LENGTH else first[: TITLE_LENGTH - 1] + "…"


def card_buttons(buttons: Buttons) -> str:
    """``sys_full_json_obj`` of the card: its buttons in order (the rows read left to right,
    top to bottom; a card shows them one under another)."""
    drawn = [
        {"text": b.label, "id": b.offer.data, "color": "blue", "request": True,
         "params": {"data": b.offer.data, "label": b.label}}
        for row in buttons for b in row
    ]
    return json.dumps({"msgButtons": drawn}, ensure_ascii=False)


def card(html: str, buttons: Buttons = ()) -> dict[str, str]:
    """The whole ``cardParamMap`` of a message with buttons."""
    return {"title": title(html), "markdown": markdown(html), "sys_full_json_obj": card_buttons(buttons)}


def card_change(html: str | None, buttons: Buttons | None) -> dict[str, str]:
    """The keys of a card that change: new text (when given), new buttons (``()``: none; None:
    as they are)."""
    params: dict[str, str] = {}
    if html is not None:
        params["title"] = title(html)
        params["markdown"] = markdown(html)
    if buttons is not None:
        params["sys_full_json_obj"] = card_buttons(buttons)
    return params


def notice_card(outbox_id: int) -> str:
    """The ``outTrackId`` of the card outbox row ``outbox_id`` became."""
    return f"{CARD_PREFIX}{outbox_id}"


def outbox_id_of(out_track_id: str) -> int | None:
    """The outbox row a card came from (None for a card sent as an answer)."""
    tail = out_track_id.removeprefix(CARD_PREFIX)
    return int(tail) if out_track_id.startswith(CARD_PREFIX) and tail.isdigit() else None


def pressed_data(action_ids: tuple[str, ...], params: dict[str, object]) -> str:
    """The action data a card press carries (its ``params``, else the button's id)."""
    data = params.get("data")
    if isinstance(data, str) and data:
        return data
    return action_ids[0] if action_ids else ""


def pressed_label(params: dict[str, object]) -> str | None:
    """The label of the button pressed, as the card showed it (None on a card drawn before
    buttons carried it)."""
    label = params.get("label")
    return label if isinstance(label, str) and label else None


def work_notice(html: str, footer: str) -> dict[str, object]:
    """The ``msg`` of the 工作通知 a slip also goes as: its text in markdown and ``footer``
    (where to 签收 it: a 工作通知 carries no buttons that call back). The slip's text names it
    by its number, so no two slips' notices are the same content (钉钉 delivers the same content
    to the same person once a day)."""
    return {"msgtype": "markdown", "markdown": {"title": title(html), "text": markdown(html) + "  \n\n" + footer}}
