"""Chat dialogs kept in ``user_data`` (the guided /new, 反馈, 退回, 申请延期, 改期同意, 记录约谈,
记录移交, the 百分制 recording), and the helpers their handlers share.

A person has one dialog open at a time: opening one closes the others, so a typed answer is
never taken by a question asked earlier somewhere else. A dialog left for an hour has lapsed:
nothing keeps a timer (several instances may serve one person), so the person is told when
they next answer it or press one of its buttons, and it is forgotten then.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.ext import filters

from bot import actions
from bot.actions import DialogChoice, DialogStep, Leftover, Offer
from bot.domain.org import Person
from bot.conversation import buttons
from bot.channels.telegram.adapter import clear_buttons, mark_done, query_place, short_notice
from bot.channels.telegram.adapter import html_of as html_of, redraw as redraw
from bot.conversation.kit import (  # the one list of dialogs, kept by the kit
    CANCELLED_BY_ONE as CANCELLED_BY_ONE, DIALOG_LIFETIME as DIALOG_LIFETIME, DIALOGS as DIALOGS,
    EXTENSION_GRANT as EXTENSION_GRANT, EXTENSION_REQUEST as EXTENSION_REQUEST, FEEDBACK as FEEDBACK,
    INTAKE_EDIT as INTAKE_EDIT, INTAKE_INSTRUCTION as INTAKE_INSTRUCTION, INTERVIEW as INTERVIEW, NEW as NEW,
    PROMPT as PROMPT, PUT_RIGHT as PUT_RIGHT, RETURN as RETURN, SCORES as SCORES, STALE as STALE, TRANSFER as TRANSFER,
    lapsed as lapsed,
)
from bot.conversation.answer import text
from bot.conversation.answer import paged as paged, turn_row as turn_row
from bot.conversation.common import bound_person, refuse
from bot.domain.errors import DomainError
from bot.channels.telegram.context import DubanApplication, DubanContext
from bot.texts import label



class InDialog(filters.UpdateFilter):
    """Updates of a person who has dialog ``key`` open (and has not left it too long); with
    ``fits``, only while the draft is at a step that takes them (a typed answer, say)."""

    def __init__(self, application: DubanApplication, key: str, fits: Callable[[Any], bool] | None = None) -> None:
        super().__init__(name=f"in_dialog({key})")
        self.application = application
        self.key = key
        self.fits = fits

    def filter(self, update: Update) -> bool:
        user = update.effective_user
        if user is None:
            return False
        draft = self.application.user_data.get(user.id, {}).get(self.key)
        if draft is None or (self.fits is not None and not self.fits(draft)):
            return False
        return not lapsed(self.application.bot_data["office"].now(), draft)


class Lapsed(filters.UpdateFilter):
    """Updates of a person whose open dialog has lapsed."""

    def __init__(self, application: DubanApplication) -> None:
        super().__init__(name="lapsed_dialog")
        self.application = application

    def filter(self, update: Update) -> bool:
        user = update.effective_user
        if user is None:
            return False
        kept = self.application.user_data.get(user.id, {})
        now = self.application.bot_data["office"].now()
        return any(key in kept and lapsed(now, kept[key]) for key in DIALOGS)


def lapse_text(context: DubanContext) -> str:
    """Forget the person's lapsed dialog; what to tell them (how to start it again)."""
    assert context.user_data is not None
    commands = [getattr(context.user_data.get(key), "command", "") for key in DIALOGS]
    close_dialogs(context)
    hours = round(DIALOG_LIFETIME.total_seconds() / 3600)
    return text("dialogs/lapsed", hours=hours, command=next((c for c in commands if c), ""))


async def told_lapsed(update: Update, context: DubanContext, draft: Any) -> bool:
    """Whether the dialog whose button was pressed has lapsed (the presser is then told, and
    it is forgotten)."""
    if not lapsed(context.office.now(), draft):
        return False
    assert update.callback_query is not None
    await update.callback_query.answer(short_notice(lapse_text(context)), show_alert=True)
    return True


async def lapse_answer(update: Update, context: DubanContext) -> None:
    """A typed answer to a dialog that has lapsed: it is over, and the person told how to start
    it again, rather than "not understood"."""
    assert update.effective_message is not None
    await update.effective_message.reply_text(lapse_text(context))


def open_dialog(context: DubanContext, key: str, draft: Any) -> None:
    """Start dialog ``key``, closing any other dialog the person had open."""
    close_dialogs(context)
    assert context.user_data is not None
    context.user_data[key] = draft


def close_dialogs(context: DubanContext) -> None:
    """Forget every dialog the person has open; its last question loses its buttons."""
    assert context.user_data is not None
    for key in DIALOGS:
        context.user_data.pop(key, None)
    retire_prompt(context)


def keep_or_end(context: DubanContext, exc: DomainError, key: str | None = None) -> None:
    """After a refused answer: the dialog stays open for the person to answer again when the
    answer itself was at fault (``exc.may_answer_again``: a note too long, a date in the past),
    else it ends — dialog ``key``, or with no key every dialog and its question's buttons."""
    if exc.may_answer_again:
        return
    if key is None:
        close_dialogs(context)
    elif context.user_data is not None:
        context.user_data.pop(key, None)


async def refused(update: Update, context: DubanContext, exc: DomainError, key: str | None = None) -> None:
    """A dialog's answer refused: the person is told what to do instead, and the dialog kept
    open or ended (``keep_or_end``)."""
    await refuse(update, exc)
    keep_or_end(context, exc, key)


def retire_prompt(context: DubanContext) -> None:
    """The last question's buttons (跳过, 取消, …) come off, in the background: the dialog has
    moved on or ended, and an old 取消 pressed later would only be told it is over."""
    place = context.user_data.pop(PROMPT, None) if context.user_data is not None else None
    if place is not None and context._chat_id is not None:
        context.application.create_task(clear_buttons(context, context._chat_id, int(place)))




def keyboard(*rows: list[tuple[str, Offer]]) -> InlineKeyboardMarkup:
    """Inline buttons from (label, action offered) rows; an empty row is left out."""
    return buttons.markup(list(rows))














def message_text(update: Update) -> str:
    """The text (or caption) of the update's message."""
    message = update.effective_message
    return ((message.text or message.caption) if message is not None else None) or ""




async def send(context: DubanContext, chat_id: int, template: str, /, markup: Any = None, **ctx: Any) -> None:
    """A new message of a dialog: the next question (with its buttons) or the end. Either way
    the question before it loses its buttons."""
    await send_html(context, chat_id, text(template, **ctx), markup)


async def send_html(context: DubanContext, chat_id: int, html: str, markup: Any = None) -> None:
    """``send`` of a text already rendered (a question put together from several templates)."""
    sent = await context.bot.send_message(chat_id, html, reply_markup=markup)
    retire_prompt(context)
    if markup is not None and context.user_data is not None:
        context.user_data[PROMPT] = str(sent.message_id)


async def answer(update: Update, context: DubanContext, template: str, /, markup: Any = None, **ctx: Any) -> None:
    """A new message in the asking person's chat."""
    assert update.effective_chat is not None
    await send(context, update.effective_chat.id, template, markup, **ctx)


async def dialog_button(update: Update, context: DubanContext, key: str, fits: Callable[[Any], bool]) -> tuple[Person, Any] | None:
    """A button inside dialog ``key`` (跳过 and the like): the presser and the draft. None when
    the dialog is over or the button is not the open dialog's (the presser is told), or the
    account is not bound. Once the dialog has answered, ``tidy_later`` takes the keyboard off."""
    query = update.callback_query
    assert query is not None and context.user_data is not None
    draft = context.user_data.get(key)
    if draft is None or not fits(draft):
        await query.answer(short_notice(text(STALE)), show_alert=True)
        return None
    if await told_lapsed(update, context, draft):
        return None
    person = await bound_person(update, context)
    if person is None:
        return None
    await query.answer()
    return person, draft


def answered_by_button(update: Update, context: DubanContext) -> None:
    """The question whose button was pressed is answered: it is no longer the question whose
    buttons come off when the next is asked (``echo_choice`` takes them off, with the choice)."""
    if context.user_data is not None and context.user_data.get(PROMPT) == str(query_place(update)[1]):
        del context.user_data[PROMPT]




def tidy_later(update: Update, context: DubanContext) -> None:
    """Echo the choice into the pressed message and take its keyboard off, in the background,
    after the answer the person waits for: both go to the same chat, one a second, and the
    answer should not be the one to wait."""
    context.application.create_task(echo_choice(update, context), update=update)


async def pressed(
    update: Update, context: DubanContext, key: str, fits: Callable[[Any], bool],
    button: DialogStep | DialogChoice, answer: bool = True,
) -> tuple[Any, str] | None:
    """A button of dialog ``key`` (one carrying the dialog's id) at a step ``fits`` accepts: the
    draft and the button's value (the query answered, unless ``answer`` is False). None, the
    presser told, for a button of another dialog or of a step already passed, or of a lapsed
    dialog."""
    query = update.callback_query
    assert query is not None and context.user_data is not None
    draft = context.user_data.get(key)
    if draft is None or getattr(draft, "id", None) != button.dialog_id or not fits(draft):
        await query.answer(short_notice(text(STALE)), show_alert=True)
        return None
    if await told_lapsed(update, context, draft):
        return None
    if answer:
        await query.answer()
    return draft, button.value


async def stale_button(update: Update, context: DubanContext, _: Leftover | None = None) -> None:
    """A button of a dialog no handler took (its action is not one the dialog knows)."""
    assert update.callback_query is not None
    await update.callback_query.answer(short_notice(text(STALE)), show_alert=True)


async def echo_choice(update: Update, context: DubanContext) -> None:
    """The question whose button was pressed shows the choice under it (「✔️ 已选：…」) and
    loses its keyboard; where the text cannot be edited, the keyboard still goes."""
    query = update.callback_query
    if query is None:
        return
    message = query.message
    chat_id, message_id = query_place(update)
    chosen = next(
        (b.text for row in (message.reply_markup.inline_keyboard if isinstance(message, Message) and message.reply_markup else ())
         for b in row if b.callback_data == query.data),
        None,
    )
    html = message.text_html if isinstance(message, Message) and message.text else None
    if chosen is None:
        html = None
    await mark_done(context, chat_id, message_id, html, text("marks/chosen", choice=chosen or ""))


# ------------------------------------------------------------------------------ 取消


def cancel_button(dialog_id: str = "") -> tuple[str, Offer]:
    """取消 as a (label, offer) pair for ``keyboard``; with the dialog's id where it has one, so
    the 取消 of a dialog already replaced cancels nothing."""
    return label("buttons", "cancel"), actions.CANCEL(dialog_id=dialog_id or None)
