"""/withdraw and /correct: putting an issued slip right (``bot.services.corrections``).

* ``/withdraw <编号> [理由]`` — 撤回 a 交办单, or void a 催办单 issued in error (its number with
  催办单 or C). Asked the reason if it was not typed, then shown what will happen (the points
  voided) with 确认撤回 · 取消.
* ``/correct <编号>`` — 更正 a 交办单: which field (工作事项 · 工作要求 · 期限 · 责任单位, as
  buttons), its corrected value, the reason, then the corrected slip as the unit will receive it
  with 确认更正 · 取消.

The /task detail of a task the person may put right carries 撤回 · 更正 (and 作废催办单 while
its 催办单 stands), which start the same dialogs. The dialog is one of ``bot.conversation.dialogs``:
its buttons carry its id, a choice is echoed on the question, 取消 and /cancel end it.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import IntEnum

from telegram import Update
from telegram.ext import CommandHandler, MessageHandler, filters

from bot import actions
from bot.actions import Action, DialogStep, Offer, OfSlip, OfTask
from bot.domain.errors import DomainError
from bot.domain.org import Person
from bot.conversation import buttons, dialogs
from bot.conversation.common import bound_person, current_person, refuse, reply, short_notice
from bot.channels.telegram.context import DubanApplication, DubanContext
from bot.message_size import fits_in_message
from bot.services import corrections, slip_lookup
from bot.services.context import Office
from bot.services.corrections import Field, Target
from bot.services.scoring import format_points
from bot.texts import label, plain, render

DIALOG_KEY = dialogs.PUT_RIGHT


class Step(IntEnum):
    """The question the dialog waits for an answer to."""

    FIELD = 1
    VALUE = 2
    REASON = 3
    PREVIEW = 4


TYPED = (Step.VALUE, Step.REASON)


@dataclass
class PutRight:
    """One 撤回 (or 作废) or 更正 in the making, kept in ``user_data``."""

    withdraw: bool
    slip_id: int
    task_id: int
    number: str
    started: datetime
    step: Step = Step.REASON
    id: str = field(default_factory=lambda: secrets.token_hex(3))
    field: Field | None = None
    value: str = ""
    reason: str = ""

    @property
    def command(self) -> str:
        """What starts it again once it has lapsed."""
        return "withdraw" if self.withdraw else "correct"

    def offer(self, action: Action[DialogStep], value: object = "") -> Offer:
        """A button of this dialog (``PUT_RIGHT_FIELD`` or ``PUT_RIGHT_CONFIRM``)."""
        return action(dialog_id=self.id, value=str(value))


def _arguments(update: Update) -> str:
    parts = dialogs.message_text(update).split(maxsplit=1)
    return parts[1].strip() if len(parts) > 1 else ""


async def _ask(update: Update, context: DubanContext, draft: PutRight, step: Step, html: str, rows: list[list[tuple[str, Offer]]]) -> None:
    assert update.effective_chat is not None
    draft.step, draft.started = step, context.office.now()
    await dialogs.send_html(context, update.effective_chat.id, html, dialogs.keyboard(*rows))


def _cancel_row(draft: PutRight) -> list[tuple[str, Offer]]:
    return [dialogs.cancel_button(draft.id)]


# --------------------------------------------------------------------------- entry


async def withdraw_command(update: Update, context: DubanContext) -> None:
    """/withdraw <编号> [理由]."""
    typed = _arguments(update)
    split = slip_lookup.split_reference(typed, context.office.now().year)
    number, reason = (slip_lookup.typed_number(typed, split[1]), split[1]) if split else (typed.split(" ")[0], "")
    await _from_command(update, context, "withdraw", corrections.find, number, lambda u, c, t: _start_withdrawal(u, c, t, reason))


async def withdraw_button(update: Update, context: DubanContext, button: OfSlip) -> None:
    """撤回 / 作废催办单 under /task."""
    await _from_button(
        update, context, "withdraw", corrections.by_slip, button.slip_id, lambda u, c, t: _start_withdrawal(u, c, t, "")
    )


async def correct_command(update: Update, context: DubanContext) -> None:
    """/correct <编号>."""
    await _from_command(update, context, "correct", corrections.find_assignment, _arguments(update), _start_correction)


async def correct_button(update: Update, context: DubanContext, button: OfTask) -> None:
    """更正 under /task."""
    await _from_button(update, context, "correct", corrections.by_task, button.task_id, _start_correction)


Start = Callable[[Update, DubanContext, Target], Awaitable[None]]


async def _from_command(
    update: Update, context: DubanContext, command: str, find: Callable[[Office, Person, str], Awaitable[Target]],
    typed: str, start: Start,
) -> None:
    """A command with a slip number: the usage without one, the refusal, or the dialog started."""
    person = await bound_person(update, context, command)
    if person is None:
        return
    if not typed:
        await reply(update, f"corrections/{command}_usage", year=context.office.now().year)
        return
    try:
        target = await find(context.office, person, typed)
    except DomainError as exc:
        await refuse(update, exc)
        return
    await start(update, context, target)


async def _from_button(
    update: Update, context: DubanContext, command: str, find: Callable[[Office, Person, int], Awaitable[Target]],
    found_id: int, start: Start,
) -> None:
    """A button of /task (its id checked again by the service): the refusal, or the dialog started."""
    person = await bound_person(update, context, command)
    if person is None:
        return
    try:
        target = await find(context.office, person, found_id)
    except DomainError as exc:
        await refuse(update, exc)
        return
    assert update.callback_query is not None
    await update.callback_query.answer()
    await start(update, context, target)


async def _start_withdrawal(update: Update, context: DubanContext, target: Target, reason: str) -> None:
    draft = PutRight(True, target.slip.id, target.task.id, target.slip.number.full, context.office.now())
    dialogs.open_dialog(context, DIALOG_KEY, draft)
    if reason.strip():
        await _take_reason(update, context, draft, reason)
        return
    await _ask(update, context, draft, Step.REASON, render("corrections/ask_reason", t=target, withdraw=True), [_cancel_row(draft)])


async def _start_correction(update: Update, context: DubanContext, target: Target) -> None:
    draft = PutRight(False, target.slip.id, target.task.id, target.slip.number.full, context.office.now())
    dialogs.open_dialog(context, DIALOG_KEY, draft)
    rows = [[(label("corrections", f.value), draft.offer(actions.PUT_RIGHT_FIELD, f.value)) for f in Field], _cancel_row(draft)]
    await _ask(update, context, draft, Step.FIELD, render("corrections/ask_field", t=target), rows)


# --------------------------------------------------------------------------- answers


def _draft(context: DubanContext) -> PutRight:
    assert context.user_data is not None
    found = context.user_data[DIALOG_KEY]
    assert isinstance(found, PutRight)
    return found


async def field_chosen(update: Update, context: DubanContext, button: DialogStep) -> None:
    """工作事项 · 工作要求 · 期限 · 责任单位: the field to correct; its value is asked next."""
    pressed = await dialogs.pressed(
        update, context, DIALOG_KEY, lambda d: isinstance(d, PutRight) and d.step is Step.FIELD, button
    )
    if pressed is None:
        return
    draft, value = pressed
    try:
        draft.field = Field(value)
    except ValueError:
        await dialogs.stale_button(update, context)
        return
    dialogs.answered_by_button(update, context)
    await _ask(update, context, draft, Step.VALUE, render("corrections/ask_value", field=draft.field.value, number=draft.number), [_cancel_row(draft)])
    dialogs.tidy_later(update, context)


async def typed(update: Update, context: DubanContext) -> None:
    """The corrected value, or the reason."""
    draft = _draft(context)
    text = dialogs.message_text(update)
    if draft.step is Step.VALUE:
        person = await current_person(update, context)
        assert person is not None and draft.field is not None
        try:
            await corrections.plan_correction(context.office, person, draft.task_id, draft.field, text)
        except DomainError as exc:
            await dialogs.refused(update, context, exc)
            return
        draft.value = text.strip()
        await _ask(update, context, draft, Step.REASON, render("corrections/ask_reason", t=None, withdraw=False), [_cancel_row(draft)])
        return
    await _take_reason(update, context, draft, text)




async def _take_reason(update: Update, context: DubanContext, draft: PutRight, text: str) -> None:
    """The reason; then the preview with 确认."""
    person = await current_person(update, context)
    assert person is not None
    try:
        draft.reason = corrections.check_reason(text)
        if draft.withdraw:
            target = await corrections.by_slip(context.office, person, draft.slip_id)
            html = render("corrections/preview_withdraw", t=target, reason=draft.reason, pts=format_points)
        else:
            assert draft.field is not None
            plan = await corrections.plan_correction(context.office, person, draft.task_id, draft.field, draft.value)
            summary = render("corrections/preview_correct", p=plan, reason=draft.reason)
            html = f"{plan.slip_text}\n\n{summary}"
            if not fits_in_message(html):
                assert update.effective_chat is not None
                await update.effective_chat.send_message(plan.slip_text)
                html = summary
    except DomainError as exc:
        await dialogs.refused(update, context, exc)
        return
    confirm = label("corrections", "confirm_withdraw" if draft.withdraw else "confirm_correct")
    await _ask(update, context, draft, Step.PREVIEW, html, [[(confirm, draft.offer(actions.PUT_RIGHT_CONFIRM))], _cancel_row(draft)])


async def confirm(update: Update, context: DubanContext, button: DialogStep) -> None:
    """确认撤回 / 确认更正: the change is made; the outbox tells everyone, the person too."""
    pressed = await dialogs.pressed(
        update, context, DIALOG_KEY, lambda d: isinstance(d, PutRight) and d.step is Step.PREVIEW, button, answer=False,
    )
    if pressed is None:
        return
    draft, _ = pressed
    person = await current_person(update, context)
    query = update.callback_query
    assert query is not None
    if person is None:
        await query.answer(short_notice(render("start/unknown")), show_alert=True)
        return
    office = context.office
    try:
        if draft.withdraw:
            await corrections.withdraw(office, person, draft.slip_id, draft.reason, office.now())
        else:
            assert draft.field is not None
            await corrections.correct(office, person, draft.task_id, draft.field, draft.value, draft.reason, office.now())
    except DomainError as exc:
        await refuse(update, exc)
        dialogs.close_dialogs(context)
        return
    await query.answer(plain(render("corrections/done_notice", withdraw=draft.withdraw)))
    dialogs.answered_by_button(update, context)
    dialogs.close_dialogs(context)
    await dialogs.echo_choice(update, context)


# --------------------------------------------------------------------------- registration


COMMANDS = ("withdraw", "correct")
"""The commands this module adds to the menu."""


def register(application: DubanApplication) -> None:
    """Add /withdraw, /correct, their /task buttons and the dialog's answers."""
    private = filters.ChatType.PRIVATE
    typing = dialogs.InDialog(application, DIALOG_KEY, fits=lambda d: d.step in TYPED)
    application.add_handler(CommandHandler("withdraw", withdraw_command, filters=private))
    application.add_handler(CommandHandler("correct", correct_command, filters=private))
    application.add_handler(MessageHandler(private & filters.UpdateType.MESSAGE & filters.TEXT & ~filters.COMMAND & typing, typed))
    buttons.on(application, actions.WITHDRAW, withdraw_button)
    buttons.on(application, actions.CORRECT, correct_button)
    buttons.on(application, actions.PUT_RIGHT_FIELD, field_chosen)
    buttons.on(application, actions.PUT_RIGHT_CONFIRM, confirm)
    buttons.on(application, actions.PUT_RIGHT_OTHER, dialogs.stale_button)
