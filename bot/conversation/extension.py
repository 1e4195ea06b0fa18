"""延期: "如确需延长办理时间的，需经分管市领导同意" (notice, section 二).

* The 责任单位's official taps 申请延期 (``ext:<task>``) on a slip, or sends
  ``/extend <编号> <天数或日期> <理由>``; the dialog asks for what is missing (天数或日期, then
  理由; both in one message like ``7天 需协调用地`` work too); /cancel ends it.
* The unit's 分管市领导 taps 同意 (``exa:``) or 不同意 (``exr:``), or 改期同意 (``exd:``), which
  asks for the date they grant instead.

The dialogs keep their state in ``user_data``. A person has one dialog open at a time: opening
one here closes the others, and one opened later elsewhere wins over an older one here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import CommandHandler, MessageHandler, filters

from bot import actions
from bot.edge import TELEGRAM, Account
from bot.actions import OfRequest, OfTask
from bot.domain.dates import read_date
from bot.domain.errors import DomainError
from bot.domain.org import Person
from bot.domain.tasks import Task
from bot.conversation import buttons, dialogs
from bot.conversation.common import bound_person, refuse, short_notice
from bot.channels.telegram.context import DubanApplication, DubanContext
from bot.conversation.dialogs import (
    InDialog, answer, keyboard, message_text, open_dialog, query_place, text,
)
from bot.services import extensions, slip_lookup

REQUEST_DIALOG = dialogs.EXTENSION_REQUEST
"""``user_data`` key of an open 申请延期 dialog."""

GRANT_DIALOG = dialogs.EXTENSION_GRANT
"""``user_data`` key of an open 改期同意 dialog (the leader types the date granted)."""




@dataclass
class RequestDraft:
    """The 申请延期 dialog: which task, and the time asked for once typed."""

    task_id: int
    started: datetime
    days: int | None = None
    until: date | None = None

    @property
    def has_period(self) -> bool:
        """天数或日期 already given; the next text is the reason."""
        return self.days is not None or self.until is not None


@dataclass
class GrantDraft:
    """The 改期同意 dialog: which request, and the message whose buttons to clear."""

    request_id: int
    started: datetime
    chat_id: int | None
    message_id: int | None
    html: str | None = None
    """The request as it reads, to mark under it what was decided."""


def cancel_keyboard() -> InlineKeyboardMarkup:
    """The dialog's 取消 button."""
    return keyboard([dialogs.cancel_button()])


# ------------------------------------------------------------------------ 申请延期


async def extension_button(update: Update, context: DubanContext, button: OfTask) -> None:
    """申请延期 on a slip: ask for 天数或日期 and 理由."""
    query = update.callback_query
    assert query is not None
    person = await bound_person(update, context)
    if person is None:
        return
    chat_id, message_id = query_place(update)
    target = await slip_lookup.by_task(context.office, button.task_id, Account(TELEGRAM, str(chat_id)), str(message_id) if message_id is not None else None)
    await extensions.check_may_request(context.office, person, target.task)
    await query.answer()
    await _open_request(update, context, target.task)


async def _open_request(update: Update, context: DubanContext, task: Task) -> None:
    open_dialog(context, REQUEST_DIALOG, RequestDraft(task.id, context.office.now()))
    await answer(update, context, "extension/ask", cancel_keyboard(), task=task, today=context.office.now().date())


async def extend_command(update: Update, context: DubanContext) -> None:
    """``/extend <编号> <天数或日期> <理由>``; with only a number, the dialog asks for the rest."""
    person = await bound_person(update, context, "extend")
    if person is None:
        return
    office = context.office
    today = office.now().date()
    typed = message_text(update).split(maxsplit=1)
    rest = typed[1] if len(typed) > 1 else ""
    if not rest.strip():
        lines = await slip_lookup.open_slips(office, person, today)
        await answer(update, context, "extension/usage", lines=lines, year=today.year)
        return
    split = slip_lookup.split_reference(rest, today.year)
    if split is None:
        raise await slip_lookup.not_found(office, person, today, "invalid", rest.split()[0])
    reference, after_number = split
    target = await slip_lookup.by_parsed_reference(
        office, person, reference, today, slip_lookup.typed_number(rest, after_number)
    )
    await extensions.check_may_request(context.office, person, target.task)
    if not after_number:
        await _open_request(update, context, target.task)
        return
    period = extensions.read_time_asked(after_number, today)
    if period is None:
        await answer(update, context, "extension/period_invalid", text=after_number.split()[0][:30], command=True, year=today.year)
        return
    await _submit(update, context, person, target.task.id, period)


async def request_answer(update: Update, context: DubanContext) -> None:
    """In the 申请延期 dialog: 天数或日期 (with the reason, or alone), then the reason."""
    assert context.user_data is not None
    draft: RequestDraft = context.user_data[REQUEST_DIALOG]
    person = await bound_person(update, context)
    if person is None:
        return
    typed = message_text(update).strip()
    today = context.office.now().date()
    if draft.has_period:
        await _submit(update, context, person, draft.task_id, extensions.TimeAsked(draft.days, draft.until, typed), draft)
        return
    period = extensions.read_time_asked(typed, today)
    if period is None:
        await answer(update, context, "extension/period_invalid", text=typed.split()[0][:30] if typed else "", command=False, year=today.year)
        return
    if not period.rest:
        draft.days, draft.until = period.days, period.until
        await answer(update, context, "extension/ask_reason", cancel_keyboard(), days=period.days, until=period.until)
        return
    await _submit(update, context, person, draft.task_id, period, draft)


async def _submit(
    update: Update, context: DubanContext, person: Person, task_id: int, period: extensions.TimeAsked, draft: RequestDraft | None = None
) -> None:
    assert context.user_data is not None
    office = context.office
    try:
        task, request = await extensions.request_extension(
            office, person, task_id, period.rest, office.now(), days=period.days, until=period.until
        )
    except DomainError as exc:
        if draft is not None and exc.asks_for == "period":
            draft.days = draft.until = None  # ask for the time again
        elif draft is not None:
            dialogs.keep_or_end(context, exc, REQUEST_DIALOG)
        await refuse(update, exc)
        return
    context.user_data.pop(REQUEST_DIALOG, None)
    await answer(update, context, "extension/submitted", task=task, request=request)


# ------------------------------------------------------------------- 分管市领导's decision


async def approve_button(update: Update, context: DubanContext, button: OfRequest) -> None:
    """同意: one tap; the deadline moves, the unit and the issuer are told."""
    await _decide(update, context, button.request_id, approve=True)


async def reject_button(update: Update, context: DubanContext, button: OfRequest) -> None:
    """不同意: one tap; the deadline stands, the unit and the issuer are told."""
    await _decide(update, context, button.request_id, approve=False)


async def _decide(update: Update, context: DubanContext, request_id: int, approve: bool) -> None:
    query = update.callback_query
    assert query is not None
    person = await bound_person(update, context)
    if person is None:
        return
    office = context.office
    now = office.now()
    task = await extensions.decide_extension(office, person, request_id, approve, now)
    await query.answer(short_notice(text("extension/decision_made", task=task, approved=approve, asked=None)))
    await dialogs.mark_done(
        context, *query_place(update), dialogs.html_of(query.message),
        text("marks/extension_decided", approved=approve, until=task.deadline, at=now),
    )
    await answer(update, context, "extension/decision_made", task=task, approved=approve, asked=None)


async def other_date_button(update: Update, context: DubanContext, button: OfRequest) -> None:
    """改期同意: ask the leader for the date they grant."""
    query = update.callback_query
    assert query is not None
    person = await bound_person(update, context)
    if person is None:
        return
    try:
        extensions.check_may_decide(person)
    except DomainError as exc:
        await refuse(update, exc)
        return
    chat_id, message_id = query_place(update)
    open_dialog(
        context, GRANT_DIALOG,
        GrantDraft(button.request_id, context.office.now(), chat_id, message_id, dialogs.html_of(query.message)),
    )
    await query.answer()
    await answer(update, context, "extension/grant_ask", cancel_keyboard(), today=context.office.now().date())


async def grant_answer(update: Update, context: DubanContext) -> None:
    """In the 改期同意 dialog: the date granted."""
    assert context.user_data is not None
    draft: GrantDraft = context.user_data[GRANT_DIALOG]
    person = await bound_person(update, context)
    if person is None:
        return
    office = context.office
    typed = message_text(update).strip()
    try:
        until = read_date(typed, office.now().date(), ahead=True)
        if until is None:
            await answer(update, context, "extension/grant_date_invalid", text=typed[:30], today=office.now().date())
            return
        task = await extensions.decide_extension(office, person, draft.request_id, True, office.now(), granted_until=until)
    except DomainError as exc:
        await dialogs.refused(update, context, exc, GRANT_DIALOG)
        return
    context.user_data.pop(GRANT_DIALOG, None)
    await dialogs.mark_done(
        context, draft.chat_id, draft.message_id, draft.html,
        text("marks/extension_decided", approved=True, until=task.deadline, at=office.now()),
    )
    await answer(update, context, "extension/decision_made", task=task, approved=True, asked=until)


# ------------------------------------------------------------------------------ wiring


COMMANDS = ("extend",)
"""The commands this module adds to the menu."""


def register(application: DubanApplication) -> None:
    """Add 申请延期 (button, /extend, dialog) and the leader's 同意 / 不同意 / 改期同意."""
    private = filters.ChatType.PRIVATE
    in_request = InDialog(application, REQUEST_DIALOG)
    in_grant = InDialog(application, GRANT_DIALOG)
    words = filters.TEXT & ~filters.COMMAND

    application.add_handler(MessageHandler(private & in_request & words, request_answer))
    application.add_handler(MessageHandler(private & in_grant & words, grant_answer))

    buttons.on(application, actions.REQUEST_EXTENSION, extension_button)
    buttons.on(application, actions.APPROVE_EXTENSION, approve_button)
    buttons.on(application, actions.REJECT_EXTENSION, reject_button)
    buttons.on(application, actions.OTHER_DATE, other_date_button)
    application.add_handler(CommandHandler("extend", extend_command, filters=private))
