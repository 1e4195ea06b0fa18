"""The one dialog kit: chat dialogs kept in the person's dialog store (the guided /new, 反馈,
退回, 申请延期, 改期同意, 记录约谈, 记录移交, the 百分制 recording, the intake edits, 更正), in
no messenger's terms.

Every dialog follows one pattern:

* it **opens** with ``open_dialog`` (closing any other: a person has one dialog open at a time,
  so a typed answer is never taken by a question asked earlier somewhere else); its draft is a
  picklable dataclass with an ``id`` (``new_id``) and a ``started`` time;
* its **questions** go out with ``ask``: the question before loses its buttons;
* its **buttons** carry the dialog's id (``Offer`` of an action with ``dialog_id``), and a
  handler takes them through ``pressed``, which refuses with the one 「已失效」 notice a button
  of a dialog that is over, replaced or past that step, and tells of a lapsed one;
* its **typed answers** arrive by the route ``routes.InDialog`` (only while the dialog is open
  and not lapsed), and the draft is at hand with ``draft``;
* a **refused answer** goes through ``refused``: the dialog stays open for the person to answer
  again when the answer itself was at fault (``DomainError.may_answer_again``), else it ends;
* it **ends** with ``close`` (done) or by /cancel and 取消 (``ROUTES``), which every dialog
  shares.

A dialog left for an hour has lapsed: nothing keeps a timer (several instances may serve one
person), so the person is told when they next answer it or press one of its buttons, and it is
forgotten then.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from bot import actions
from bot.actions import Offer, OfDialog
from bot.conversation import routes
from bot.conversation.answer import Answer, text
from bot.conversation.asking import refuse
from bot.conversation.said import DialogStore, Said
from bot.domain.errors import DomainError
from bot.edge import Buttons
from bot.texts import label

DIALOG_LIFETIME = timedelta(hours=1)
"""A dialog left this long is forgotten: a later message is not silently taken as its answer."""

FEEDBACK = "slip_actions.feedback"
RETURN = "slip_actions.return"
EXTENSION_REQUEST = "extension.request"
EXTENSION_GRANT = "extension.grant"
INTERVIEW = "escalation.interview"
TRANSFER = "escalation.transfer"
INTAKE_EDIT = "intake.edit"
INTAKE_INSTRUCTION = "intake.instruction"
SCORES = "scores.record"
NEW = "issue.new"
PUT_RIGHT = "corrections.put_right"

DIALOGS = (
    NEW, FEEDBACK, RETURN, EXTENSION_REQUEST, EXTENSION_GRANT, INTERVIEW, TRANSFER, INTAKE_EDIT, INTAKE_INSTRUCTION, SCORES,
    PUT_RIGHT,
)
"""Every dialog key of the bot. Each draft kept under one has a ``started`` time."""

CANCELLED_BY_ONE = (NEW, FEEDBACK, RETURN, EXTENSION_REQUEST, EXTENSION_GRANT, INTERVIEW, TRANSFER, SCORES, PUT_RIGHT)
"""The dialogs /cancel and 取消 end here (修改 of the intake says its own words)."""

STALE = "dialogs/stale_button"
"""The one notice for a button of a dialog that is over, replaced, or already past its step."""

PROMPT = "dialogs.prompt"
"""Dialog store key: the channel's id of the last dialog question sent with buttons."""


def new_id() -> str:
    """A dialog's id, carried by its buttons (a few hex digits: buttons are small)."""
    return secrets.token_hex(4)


# ------------------------------------------------------------------------------ open, close


def is_open(said: Said, key: str, fits: Callable[[Any], bool] | None = None) -> bool:
    """Whether the person has dialog ``key`` open and not lapsed (at a step ``fits`` accepts)."""
    found = said.dialogs.get(key)
    if found is None or (fits is not None and not fits(found)):
        return False
    return not lapsed(said.office.now(), found)


def has_lapsed(said: Said) -> bool:
    """Whether one of the person's dialogs has lapsed (they are told when they next answer)."""
    now = said.office.now()
    return any(key in said.dialogs and lapsed(now, said.dialogs[key]) for key in DIALOGS)


def lapsed(now: datetime, draft: Any) -> bool:
    """Whether a dialog was left longer than ``DIALOG_LIFETIME`` (its ``started`` is when it was
    opened, or when a dialog with steps last asked its question)."""
    return bool(now - draft.started >= DIALOG_LIFETIME)


def draft(said: Said, key: str) -> Any:
    """The draft of dialog ``key`` (a route of the dialog was chosen because it is open)."""
    return said.dialogs[key]


def open_dialog(said: Said, answer: Answer, key: str, draft: Any) -> None:
    """Start dialog ``key``, closing any other dialog the person had open."""
    close_all(said, answer)
    said.dialogs[key] = draft


def close(said: Said, key: str) -> None:
    """Dialog ``key`` is done (its last question's buttons already went with the answer)."""
    said.dialogs.pop(key, None)


def close_all(said: Said, answer: Answer) -> None:
    """Forget every dialog the person has open; its last question loses its buttons."""
    for key in DIALOGS:
        said.dialogs.pop(key, None)
    retire_prompt(said.dialogs, answer)


def retire_prompt(dialogs: DialogStore, answer: Answer) -> None:
    """The last question's buttons (跳过, 取消, …) come off: the dialog has moved on or ended,
    and an old 取消 pressed later would only be told it is over."""
    place = dialogs.pop(PROMPT, None)
    if place is not None:
        answer.clear_at(str(place))


def keep_or_end(said: Said, answer: Answer, exc: DomainError, key: str | None = None) -> None:
    """After a refused answer: the dialog stays open for the person to answer again when the
    answer itself was at fault (``exc.may_answer_again``: a note too long, a date in the past),
    else it ends — dialog ``key``, or with no key every dialog and its question's buttons."""
    if exc.may_answer_again:
        return
    if key is None:
        close_all(said, answer)
    else:
        said.dialogs.pop(key, None)


async def refused(said: Said, answer: Answer, exc: DomainError, key: str | None = None) -> None:
    """A dialog's answer refused: the person is told what to do instead, and the dialog kept
    open or ended (``keep_or_end``)."""
    await refuse(said, answer, exc)
    keep_or_end(said, answer, exc, key)


# ------------------------------------------------------------------------------ questions


async def ask(said: Said, answer: Answer, template: str, /, buttons: Buttons = (), **ctx: Any) -> None:
    """A new message of a dialog: the next question (with its buttons) or the end. Either way
    the question before it loses its buttons."""
    await ask_html(said, answer, text(template, **ctx), buttons)


async def ask_html(said: Said, answer: Answer, html: str, buttons: Buttons = ()) -> None:
    """``ask`` of a text already rendered (a question put together from several templates)."""
    sent = await answer.say(html, buttons)
    retire_prompt(said.dialogs, answer)
    if buttons and sent is not None:
        said.dialogs[PROMPT] = sent


def cancel_button(dialog_id: str = "") -> tuple[str, Offer]:
    """取消 as a (label, offer) pair for ``answer.buttons``; with the dialog's id where it has
    one, so the 取消 of a dialog already replaced cancels nothing."""
    return label("buttons", "cancel"), actions.CANCEL(dialog_id=dialog_id or None)


# ------------------------------------------------------------------------------ buttons


async def told_lapsed(said: Said, answer: Answer, draft: Any) -> bool:
    """Whether the dialog whose button was pressed has lapsed (the presser is then told, and it
    is forgotten)."""
    if not lapsed(said.office.now(), draft):
        return False
    await answer.alert(lapse_text(said, answer))
    return True


async def pressed(
    said: Said, answer: Answer, key: str, dialog_id: str | None, fits: Callable[[Any], bool] = lambda _: True,
) -> Any | None:
    """A button of dialog ``key`` carrying ``dialog_id`` at a step ``fits`` accepts: the draft.
    None, the presser told, for a button of another dialog, of a step already passed, or of a
    lapsed dialog. The caller answers the press (``answer.toast`` or a message)."""
    found = said.dialogs.get(key)
    if found is None or (dialog_id is not None and getattr(found, "id", None) != dialog_id) or not fits(found):
        await answer.alert(text(STALE))
        return None
    if await told_lapsed(said, answer, found):
        return None
    return found


def answered_by_button(said: Said) -> None:
    """The question whose button was pressed is answered: it is no longer the question whose
    buttons come off when the next is asked (``echo_choice`` takes them off, with the choice)."""
    if said.pressed_on is not None and said.dialogs.get(PROMPT) == said.pressed_on:
        del said.dialogs[PROMPT]


async def echo_choice(said: Said, answer: Answer) -> None:
    """The question whose button was pressed shows the choice under it (「✔️ 已选：…」) and
    loses its buttons."""
    if said.pressed_label is None:
        await answer.clear()
    else:
        await answer.mark(text("marks/chosen", choice=said.pressed_label))


async def stale_button(said: Said, answer: Answer, _: Any = None) -> None:
    """A button of a dialog no handler took (its action is not one the dialog knows)."""
    await answer.alert(text(STALE))


# ------------------------------------------------------------------------------ lapse, 取消


def lapse_text(said: Said, answer: Answer) -> str:
    """Forget the person's lapsed dialog; what to tell them (how to start it again)."""
    commands = [getattr(said.dialogs.get(key), "command", "") for key in DIALOGS]
    close_all(said, answer)
    hours = round(DIALOG_LIFETIME.total_seconds() / 3600)
    return text("dialogs/lapsed", hours=hours, command=next((c for c in commands if c), ""))


async def lapse_answer(said: Said, answer: Answer) -> None:
    """A typed answer to a dialog that has lapsed: it is over, and the person told how to start
    it again, rather than "not understood"."""
    await answer.say(lapse_text(said, answer))


async def cancel(said: Said, answer: Answer) -> None:
    """/cancel or 取消 in any of these dialogs: it ends and nothing is recorded."""
    close_all(said, answer)
    if said.pressed is not None:
        await answer.toast()
        await answer.clear()
    await answer.say(text("dialogs/cancelled"))


async def drop_button(said: Said, answer: Answer, button: OfDialog) -> None:
    """取消 on a dialog's question; a dialog already over gets a short notice."""
    open_ones = [said.dialogs[key] for key in CANCELLED_BY_ONE if key in said.dialogs]
    if not open_ones or (button.dialog_id and all(getattr(d, "id", None) != button.dialog_id for d in open_ones)):
        await answer.alert(text(STALE))
        return
    await cancel(said, answer)


ROUTES: tuple[routes.Route, ...] = (
    routes.Command("cancel", cancel, while_open=CANCELLED_BY_ONE),
    routes.Pressed(actions.CANCEL, drop_button),
    routes.Lapsed(lapse_answer),
)
"""/cancel inside a dialog, every dialog's 取消 button, and the answer to a lapsed one: after
every module's own routes, before the catch-alls."""
