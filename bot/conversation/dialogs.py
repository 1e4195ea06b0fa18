"""Chat dialogs kept in ``user_data`` (the guided /new, 反馈, 退回, 申请延期, 改期同意, 记录约谈,
记录移交, the 百分制 recording), and the helpers their handlers share.

A person has one dialog open at a time: opening one closes the others, so a typed answer is
never taken by a question asked earlier somewhere else. A dialog left for an hour has lapsed:
nothing keeps a timer (several instances may serve one person), so the person is told when
they next answer it or press one of its buttons, and it is forgotten then.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.ext import CommandHandler, MessageHandler, filters

from bot import actions
from bot.actions import DialogChoice, DialogStep, Leftover, Offer, OfDialog
from bot.domain.org import Person
from bot.conversation import buttons
from bot.channels.telegram.adapter import clear_buttons, mark_done, query_place, short_notice
from bot.channels.telegram.adapter import html_of as html_of, redraw as redraw
from bot.conversation.answer import text
from bot.conversation.answer import paged as paged, turn_row as turn_row
from bot.conversation.common import bound_person, refuse
from bot.domain.errors import DomainError
from bot.channels.telegram.context import DubanApplication, DubanContext
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
"""Every ``user_data`` dialog key of the bot. Each draft kept under one has a ``started`` time."""


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


def lapsed(now: datetime, draft: Any) -> bool:
    """Whether a dialog was left longer than ``DIALOG_LIFETIME`` (its ``started`` is when it was
    opened, or when a dialog with steps last asked its question)."""
    return bool(now - draft.started >= DIALOG_LIFETIME)


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


STALE = "dialogs/stale_button"
"""The one notice for a button of a dialog that is over, replaced, or already past its step."""

PROMPT = "dialogs.prompt"
"""``user_data`` key: chat and message of the last dialog question sent with buttons."""


def retire_prompt(context: DubanContext) -> None:
    """The last question's buttons (跳过, 取消, …) come off, in the background: the dialog has
    moved on or ended, and an old 取消 pressed later would only be told it is over."""
    place = context.user_data.pop(PROMPT, None) if context.user_data is not None else None
    if place is not None:
        context.application.create_task(clear_buttons(context, *place))




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
        context.user_data[PROMPT] = (chat_id, sent.message_id)


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
    if context.user_data is not None and context.user_data.get(PROMPT) == query_place(update):
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


CANCELLED_BY_ONE = (NEW, FEEDBACK, RETURN, EXTENSION_REQUEST, EXTENSION_GRANT, INTERVIEW, TRANSFER, SCORES, PUT_RIGHT)
"""The dialogs /cancel and 取消 end here (修改 of the intake says its own words)."""


def cancel_button(dialog_id: str = "") -> tuple[str, Offer]:
    """取消 as a (label, offer) pair for ``keyboard``; with the dialog's id where it has one, so
    the 取消 of a dialog already replaced cancels nothing."""
    return label("buttons", "cancel"), actions.CANCEL(dialog_id=dialog_id or None)


async def cancel(update: Update, context: DubanContext) -> None:
    """/cancel or 取消 in any of these dialogs: it ends and nothing is recorded."""
    close_dialogs(context)
    query = update.callback_query
    if query is not None:
        await query.answer()
        await clear_buttons(context, *query_place(update))
    await answer(update, context, "dialogs/cancelled")


async def drop_button(update: Update, context: DubanContext, button: OfDialog) -> None:
    """取消 on a dialog's question; a dialog already over gets a short notice."""
    query = update.callback_query
    assert context.user_data is not None and query is not None
    dialog_id = button.dialog_id
    open_ones = [context.user_data[key] for key in CANCELLED_BY_ONE if key in context.user_data]
    if not open_ones or (dialog_id and all(getattr(d, "id", None) != dialog_id for d in open_ones)):
        await query.answer(short_notice(text(STALE)), show_alert=True)
        return
    await cancel(update, context)


def register(application: DubanApplication) -> None:
    """/cancel inside a dialog, every dialog's 取消 button, and the answer to a lapsed one."""
    open_one = InDialog(application, CANCELLED_BY_ONE[0])
    for key in CANCELLED_BY_ONE[1:]:
        open_one = open_one | InDialog(application, key)  # type: ignore[assignment]
    application.add_handler(CommandHandler("cancel", cancel, filters=filters.ChatType.PRIVATE & open_one))
    buttons.on(application, actions.CANCEL, drop_button)
    private_message = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE & ~filters.COMMAND
    application.add_handler(MessageHandler(private_message & Lapsed(application), lapse_answer))
