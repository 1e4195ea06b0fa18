"""约谈, 移交作风办, 催办 by hand, and the drafts of confirm mode (notice, section 二).

* ``/interview <编号> <约谈领导> [日期] [情况]`` and ``/transfer <编号> [说明]`` for 政务监督室;
  the daily check's proposals carry 记录约谈 / 记录移交 buttons that ask the same as a dialog.
* 催办 (``rmd:<task>``) on an overdue task's /task detail issues the 工作催办单 at once.
* 签发 (``dri:<draft>``) and 暂缓 (``drh:<draft>``) on a drafted 催办单 / 督办通知单.

Every refusal (wrong person, wrong stage, a stale button) comes from the services and the
domain; a second tap finds the step already done and changes nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import date, datetime

from telegram import Update
from telegram.ext import CommandHandler, MessageHandler, filters

from bot import actions
from bot.actions import OfDraft, OfTask
from bot.domain.dates import read_date
from bot.domain.errors import DomainError
from bot.domain.org import Person
from bot.domain.scores import ScoreCategory
from bot.domain.tasks import Task
from bot.conversation import buttons, dialogs
from bot.conversation.common import bound_person, short_notice
from bot.channels.telegram.context import DubanApplication, DubanContext
from bot.conversation.dialogs import (
    InDialog, answer, dialog_button, keyboard, message_text, open_dialog, query_place, text,
    tidy_later,
)
from bot.conversation.dialogs import INTERVIEW as INTERVIEW_DIALOG
from bot.conversation.dialogs import TRANSFER as TRANSFER_DIALOG
from bot.services import drafts, escalating, queries, slip_lookup
from bot.texts import label


@dataclass
class InterviewDraft:
    """The 记录约谈 dialog: the task, then the leader's name, an optional note, and the date by
    which the unit must report (the default window offered as a button)."""

    task_id: int
    started: datetime
    leader: str | None = None
    note: str | None = None


@dataclass
class TransferDraft:
    """The 记录移交 dialog: the task, then an optional note."""

    task_id: int
    started: datetime


async def _office_task(person: Person, context: DubanContext, typed: str, today: date) -> tuple[Task, str]:
    """The task a typed slip number names (within the person's scope) and the words after it.

    Raises:
        DomainError: ``slip_number_invalid``, ``task_unknown`` or ``not_allowed``.
    """
    split = slip_lookup.split_reference(typed, today.year)
    if split is None:
        raise DomainError("slip_number_invalid", text=typed.split()[0][:30])
    _, rest = split
    number = slip_lookup.typed_number(typed, rest)
    detail = await queries.task_detail(context.office, person, number, today)
    return detail.task, rest


def _arguments(update: Update) -> str:
    parts = message_text(update).split(maxsplit=1)
    return parts[1] if len(parts) > 1 else ""


# -------------------------------------------------------------------------------- 约谈


async def interview_command(update: Update, context: DubanContext) -> None:
    """``/interview <编号> <约谈领导> [日期] [情况]``: the date defaults to today."""
    person = await bound_person(update, context, "interview")
    if person is None:
        return
    office = context.office
    today = office.now().date()
    typed = _arguments(update)
    if not typed.strip():
        await answer(update, context, "escalation/interview_usage", year=today.year, number=None)
        return
    task, rest = await _office_task(person, context, typed, today)
    words = rest.split(maxsplit=1)
    if not words or _as_date(words[0], today) is not None:
        await answer(update, context, "escalation/interview_usage", year=today.year, number=task.number)
        return
    leader, remainder = words[0], words[1] if len(words) > 1 else ""
    held_on, note = today, remainder
    if remainder:
        first, _, after = remainder.partition(" ")
        on = _as_date(first, today)
        if on is not None:
            held_on, note = on, after
    await _record_interview(update, context, person, task.id, held_on, leader, note)


def _as_date(word: str, today: date) -> date | None:
    try:
        return read_date(word, today, ahead=False)
    except DomainError:
        raise DomainError("held_on_invalid", text=word[:30]) from None


async def _record_interview(
    update: Update, context: DubanContext, person: Person, task_id: int, held_on: date, leader: str, note: str,
    last_day: date | None = None,
) -> None:
    office = context.office
    task = await escalating.record_interview(office, person, task_id, held_on, leader, note, office.now(), last_day)
    await answer(
        update, context, "escalation/interview_recorded", task=task, leader=leader.strip(), held_on=held_on,
        note=note.strip(), points=office.settings.score_rules.points_for(ScoreCategory.INTERVIEW),
        asked=last_day,
    )


async def interview_button(update: Update, context: DubanContext, button: OfTask) -> None:
    """记录约谈 on a proposal: ask for the leader's name, then an optional note."""
    await _open_record_dialog(update, context, button.task_id, interview=True)


async def transfer_button(update: Update, context: DubanContext, button: OfTask) -> None:
    """记录移交 on a proposal: ask for an optional note."""
    await _open_record_dialog(update, context, button.task_id, interview=False)


async def _open_record_dialog(update: Update, context: DubanContext, task_id: int, *, interview: bool) -> None:
    query = update.callback_query
    assert query is not None
    person = await bound_person(update, context)
    if person is None:
        return
    task = await escalating.check_may_record(context.office, person, task_id, interview=interview)
    now = context.office.now()
    await query.answer()
    cancel_button = dialogs.cancel_button()
    if interview:
        open_dialog(context, INTERVIEW_DIALOG, InterviewDraft(task.id, now))
        await answer(update, context, "escalation/interview_ask_leader", keyboard([cancel_button]), task=task)
    else:
        open_dialog(context, TRANSFER_DIALOG, TransferDraft(task.id, now))
        await answer(
            update, context, "escalation/transfer_ask_note",
            keyboard([(label("buttons", "skip"), actions.TRANSFER_NO_NOTE(task_id=task.id)), cancel_button]),
            task=task, org=context.office.settings.organisation,
        )



async def interview_answer(update: Update, context: DubanContext) -> None:
    """In the 记录约谈 dialog: the leader's name, the note (or 跳过), then the last date."""
    assert context.user_data is not None
    draft: InterviewDraft = context.user_data[INTERVIEW_DIALOG]
    person = await bound_person(update, context)
    if person is None:
        return
    typed = message_text(update).strip()
    if draft.leader is None:
        draft.leader = typed
        await answer(
            update, context, "escalation/interview_ask_note",
            keyboard([(label("buttons", "skip"), actions.INTERVIEW_NO_NOTE(task_id=draft.task_id)), dialogs.cancel_button()]),
            leader=typed,
        )
        return
    if draft.note is None:
        escalating.check_interview_note(typed)
        draft.note = typed
        await _ask_last_day(update, context, draft)
        return
    last_day = read_date(typed, context.office.now().date(), ahead=True)
    if last_day is None:
        raise DomainError("interview_date_invalid", text=typed[:50])
    await _finish_interview(update, context, person, draft, last_day)


async def _ask_last_day(update: Update, context: DubanContext, draft: InterviewDraft) -> None:
    """Ask by when the unit must report after the 约谈, offering the default window."""
    default = escalating.interview_window(context.office, context.office.now().date())
    await answer(
        update, context, "escalation/interview_ask_last_day",
        keyboard([(text("escalation/interview_default_day", day=default), actions.INTERVIEW_DEFAULT_DAY(task_id=draft.task_id)),
                  dialogs.cancel_button()]),
        default=default,
    )


async def interview_skip(update: Update, context: DubanContext, button: OfTask) -> None:
    """跳过: no note; the last date is asked next."""
    pressed = await dialog_button(
        update, context, INTERVIEW_DIALOG,
        lambda d: d.leader is not None and d.note is None and d.task_id == button.task_id,
    )
    if pressed is not None:
        _, draft = pressed
        draft.note = ""
        await _ask_last_day(update, context, draft)
        tidy_later(update, context)


async def interview_default_day(update: Update, context: DubanContext, button: OfTask) -> None:
    """The offered date: the default window after the 约谈."""
    pressed = await dialog_button(
        update, context, INTERVIEW_DIALOG,
        lambda d: d.note is not None and d.task_id == button.task_id,
    )
    if pressed is not None:
        await _finish_interview(update, context, *pressed, None)
        tidy_later(update, context)


async def _finish_interview(
    update: Update, context: DubanContext, person: Person, draft: InterviewDraft, last_day: date | None
) -> None:
    assert draft.leader is not None and draft.note is not None
    leader, today = draft.leader, context.office.now().date()
    await _finish(
        update, context, INTERVIEW_DIALOG,
        _record_interview(update, context, person, draft.task_id, today, leader, draft.note, last_day),
    )


async def _finish(update: Update, context: DubanContext, key: str, recording: Awaitable[None]) -> None:
    """Record what the dialog gathered and close it; a note too long keeps it open for another try."""
    assert context.user_data is not None
    try:
        await recording
    except DomainError as exc:
        await dialogs.refused(update, context, exc, key)
        return
    context.user_data.pop(key, None)


# ------------------------------------------------------------------------ 移交作风办


async def transfer_command(update: Update, context: DubanContext) -> None:
    """``/transfer <编号> [说明]``."""
    person = await bound_person(update, context, "transfer")
    if person is None:
        return
    today = context.office.now().date()
    typed = _arguments(update)
    if not typed.strip():
        await answer(update, context, "escalation/transfer_usage", year=today.year)
        return
    task, note = await _office_task(person, context, typed, today)
    await _record_transfer(update, context, person, task.id, note)


async def _record_transfer(update: Update, context: DubanContext, person: Person, task_id: int, note: str) -> None:
    office = context.office
    task = await escalating.record_transfer(office, person, task_id, note, office.now())
    await answer(update, context, "escalation/transfer_recorded", task=task, note=note.strip(), org=office.settings.organisation)


async def transfer_answer(update: Update, context: DubanContext) -> None:
    """In the 记录移交 dialog: the note."""
    assert context.user_data is not None
    draft: TransferDraft = context.user_data[TRANSFER_DIALOG]
    person = await bound_person(update, context)
    if person is None:
        return
    await _finish_transfer(update, context, person, draft, message_text(update).strip())


async def transfer_skip(update: Update, context: DubanContext, button: OfTask) -> None:
    """跳过: record the 移交 without a note."""
    pressed = await dialog_button(update, context, TRANSFER_DIALOG, lambda d: d.task_id == button.task_id)
    if pressed is not None:
        await _finish_transfer(update, context, *pressed, "")
        tidy_later(update, context)


async def _finish_transfer(update: Update, context: DubanContext, person: Person, draft: TransferDraft, note: str) -> None:
    await _finish(update, context, TRANSFER_DIALOG, _record_transfer(update, context, person, draft.task_id, note))


# ------------------------------------------------------------------------ 催办 by hand


async def remind_button(update: Update, context: DubanContext, button: OfTask) -> None:
    """催办 on an overdue task's detail: the 工作催办单 is issued now, filed with 政务监督室."""
    query = update.callback_query
    assert query is not None
    person = await bound_person(update, context)
    if person is None:
        return
    office = context.office
    slip = await escalating.issue_reminder_slip(office, button.task_id, office.now(), person)
    await query.answer(short_notice(text("escalation/reminded", slip=slip)))
    await dialogs.mark_done(
        context, *query_place(update), dialogs.html_of(query.message), text("marks/reminded", slip=slip, at=office.now()),
    )
    await answer(update, context, "escalation/reminded", slip=slip)


# ------------------------------------------------------------------- drafts: 签发 / 暂缓


async def issue_draft_button(update: Update, context: DubanContext, button: OfDraft) -> None:
    """签发 issues the drafted slip."""
    await _decide_draft(update, context, button.draft_id, issue=True)


async def hold_draft_button(update: Update, context: DubanContext, button: OfDraft) -> None:
    """暂缓 puts the drafted slip aside until the next daily check."""
    await _decide_draft(update, context, button.draft_id, issue=False)


async def _decide_draft(update: Update, context: DubanContext, draft_id: int, issue: bool) -> None:
    query = update.callback_query
    assert query is not None
    person = await bound_person(update, context)
    if person is None:
        return
    office = context.office
    if issue:
        decision = await drafts.issue_draft(office, person, draft_id, office.now())
    else:
        decision = await drafts.hold_draft(office, person, draft_id, office.now())
    template = "drafts/issued" if issue else "drafts/held"
    await query.answer(short_notice(text(template, decision=decision)))
    await dialogs.mark_done(
        context, *query_place(update), dialogs.html_of(query.message),
        text("marks/draft_decided", decision=decision, issued=issue, at=office.now()),
    )
    await answer(update, context, template, decision=decision)


# ------------------------------------------------------------------------------ wiring


COMMANDS = ("interview", "transfer")
"""The commands this module adds to the menu."""


def register(application: DubanApplication) -> None:
    """Add /interview, /transfer, their dialogs, 催办 and the draft buttons."""
    private = filters.ChatType.PRIVATE
    in_interview = InDialog(application, INTERVIEW_DIALOG)
    in_transfer = InDialog(application, TRANSFER_DIALOG)
    words = filters.TEXT & ~filters.COMMAND

    application.add_handler(MessageHandler(private & in_interview & words, interview_answer))
    application.add_handler(MessageHandler(private & in_transfer & words, transfer_answer))

    application.add_handler(CommandHandler("interview", interview_command, filters=private))
    application.add_handler(CommandHandler("transfer", transfer_command, filters=private))
    buttons.on(application, actions.INTERVIEW, interview_button)
    buttons.on(application, actions.INTERVIEW_NO_NOTE, interview_skip)
    buttons.on(application, actions.INTERVIEW_DEFAULT_DAY, interview_default_day)
    buttons.on(application, actions.TRANSFER, transfer_button)
    buttons.on(application, actions.TRANSFER_NO_NOTE, transfer_skip)
    buttons.on(application, actions.REMIND, remind_button)
    buttons.on(application, actions.ISSUE_DRAFT, issue_draft_button)
    buttons.on(application, actions.HOLD_DRAFT, hold_draft_button)
