"""约谈, 移交作风办, 催办 by hand, and the drafts of confirm mode (notice, section 二).

* ``/interview <编号> <约谈领导> [日期] [情况]`` and ``/transfer <编号> [说明]`` for 政务监督室;
  the daily check's proposals carry 记录约谈 / 记录移交 buttons that ask the same as a dialog.
* 催办 (``rmd:<task>``) on an overdue task's /task detail issues the 工作催办单 at once.
* 签发 (``dri:<draft>``) and 暂缓 (``drh:<draft>``) on a drafted 催办单 / 督办通知单.

Every refusal (wrong person, wrong stage, a stale button) comes from the services and the
domain; a second tap finds the step already done and changes nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from bot import actions
from bot.actions import OfDraft, OfTask, OfTaskInDialog
from bot.conversation import kit, routes
from bot.conversation.answer import Answer, buttons, text
from bot.conversation.asking import bound_person
from bot.conversation.said import Said
from bot.domain.dates import read_date
from bot.domain.errors import DomainError
from bot.domain.org import Person
from bot.domain.scores import ScoreCategory
from bot.domain.tasks import Task
from bot.services import drafts, escalating, queries, slip_lookup
from bot.texts import label

INTERVIEW_DIALOG = kit.INTERVIEW
TRANSFER_DIALOG = kit.TRANSFER


@dataclass
class InterviewDraft:
    """The 记录约谈 dialog: the task, then the leader's name, an optional note, and the date by
    which the unit must report (the default window offered as a button)."""

    task_id: int
    started: datetime
    id: str
    leader: str | None = None
    note: str | None = None


@dataclass
class TransferDraft:
    """The 记录移交 dialog: the task, then an optional note."""

    task_id: int
    started: datetime
    id: str


async def _office_task(person: Person, said: Said, typed: str, today: date) -> tuple[Task, str]:
    """The task a typed slip number names (within the person's scope) and the words after it.

    Raises:
        DomainError: ``slip_number_invalid``, ``task_unknown`` or ``not_allowed``.
    """
    split = slip_lookup.split_reference(typed, today.year)
    if split is None:
        raise DomainError("slip_number_invalid", text=typed.split()[0][:30])
    _, rest = split
    number = slip_lookup.typed_number(typed, rest)
    detail = await queries.task_detail(said.office, person, number, today)
    return detail.task, rest


def _arguments(said: Said) -> str:
    """What follows the command (leading spaces gone, the rest as typed)."""
    parts = said.text.split(maxsplit=1)
    return parts[1] if len(parts) > 1 else ""


# -------------------------------------------------------------------------------- 约谈


async def interview_command(said: Said, answer: Answer) -> None:
    """``/interview <编号> <约谈领导> [日期] [情况]``: the date defaults to today."""
    person = await bound_person(said, answer, "interview")
    if person is None:
        return
    today = said.office.now().date()
    typed = _arguments(said)
    if not typed.strip():
        await kit.ask(said, answer, "escalation/interview_usage", year=today.year, number=None)
        return
    task, rest = await _office_task(person, said, typed, today)
    words = rest.split(maxsplit=1)
    if not words or _as_date(words[0], today) is not None:
        await kit.ask(said, answer, "escalation/interview_usage", year=today.year, number=task.number)
        return
    leader, remainder = words[0], words[1] if len(words) > 1 else ""
    held_on, note = today, remainder
    if remainder:
        first, _, after = remainder.partition(" ")
        on = _as_date(first, today)
        if on is not None:
            held_on, note = on, after
    await _record_interview(said, answer, person, task.id, held_on, leader, note)


def _as_date(word: str, today: date) -> date | None:
    try:
        return read_date(word, today, ahead=False)
    except DomainError:
        raise DomainError("held_on_invalid", text=word[:30]) from None


async def _record_interview(
    said: Said, answer: Answer, person: Person, task_id: int, held_on: date, leader: str, note: str,
    last_day: date | None = None,
) -> None:
    office = said.office
    task = await escalating.record_interview(office, person, task_id, held_on, leader, note, office.now(), last_day)
    await kit.ask(
        said, answer, "escalation/interview_recorded", task=task, leader=leader.strip(), held_on=held_on,
        note=note.strip(), points=office.settings.score_rules.points_for(ScoreCategory.INTERVIEW),
        asked=last_day,
    )


async def interview_button(said: Said, answer: Answer, button: OfTask) -> None:
    """记录约谈 on a proposal: ask for the leader's name, then an optional note."""
    await _open_record_dialog(said, answer, button.task_id, interview=True)


async def transfer_button(said: Said, answer: Answer, button: OfTask) -> None:
    """记录移交 on a proposal: ask for an optional note."""
    await _open_record_dialog(said, answer, button.task_id, interview=False)


async def _open_record_dialog(said: Said, answer: Answer, task_id: int, *, interview: bool) -> None:
    person = await bound_person(said, answer)
    if person is None:
        return
    office = said.office
    task = await escalating.check_may_record(office, person, task_id, interview=interview)
    now, dialog_id = office.now(), kit.new_id()
    await answer.toast()
    if interview:
        kit.open_dialog(said, answer, INTERVIEW_DIALOG, InterviewDraft(task.id, now, dialog_id))
        await kit.ask(
            said, answer, "escalation/interview_ask_leader", buttons([kit.cancel_button(dialog_id)]), task=task,
        )
    else:
        kit.open_dialog(said, answer, TRANSFER_DIALOG, TransferDraft(task.id, now, dialog_id))
        skip = actions.TRANSFER_NO_NOTE(task_id=task.id, dialog_id=dialog_id)
        await kit.ask(
            said, answer, "escalation/transfer_ask_note",
            buttons([(label("buttons", "skip"), skip), kit.cancel_button(dialog_id)]),
            task=task, org=office.settings.organisation,
        )


async def interview_answer(said: Said, answer: Answer) -> None:
    """In the 记录约谈 dialog: the leader's name, the note (or 跳过), then the last date."""
    draft: InterviewDraft = kit.draft(said, INTERVIEW_DIALOG)
    person = await bound_person(said, answer)
    if person is None:
        return
    typed = said.text.strip()
    if draft.leader is None:
        draft.leader = typed
        skip = actions.INTERVIEW_NO_NOTE(task_id=draft.task_id, dialog_id=draft.id)
        await kit.ask(
            said, answer, "escalation/interview_ask_note",
            buttons([(label("buttons", "skip"), skip), kit.cancel_button(draft.id)]),
            leader=typed,
        )
        return
    if draft.note is None:
        escalating.check_interview_note(typed)
        draft.note = typed
        await _ask_last_day(said, answer, draft)
        return
    last_day = read_date(typed, said.office.now().date(), ahead=True)
    if last_day is None:
        raise DomainError("interview_date_invalid", text=typed[:50])
    await _finish_interview(said, answer, person, draft, last_day)


async def _ask_last_day(said: Said, answer: Answer, draft: InterviewDraft) -> None:
    """Ask by when the unit must report after the 约谈, offering the default window."""
    default = escalating.interview_window(said.office, said.office.now().date())
    offered = actions.INTERVIEW_DEFAULT_DAY(task_id=draft.task_id, dialog_id=draft.id)
    await kit.ask(
        said, answer, "escalation/interview_ask_last_day",
        buttons([(text("escalation/interview_default_day", day=default), offered), kit.cancel_button(draft.id)]),
        default=default,
    )


async def _dialog_button(
    said: Said, answer: Answer, key: str, dialog_id: str | None, fits: Callable[[Any], bool],
) -> tuple[Person, Any] | None:
    """A button inside dialog ``key`` (跳过, the default day): the presser and the draft. None
    when the dialog is over or the button is not the open dialog's (the presser is told), or the
    account is not bound; the press is answered."""
    draft = await kit.pressed(said, answer, key, dialog_id, fits)
    if draft is None:
        return None
    person = await bound_person(said, answer)
    if person is None:
        return None
    await answer.toast()
    kit.answered_by_button(said)
    return person, draft


async def interview_skip(said: Said, answer: Answer, button: OfTaskInDialog) -> None:
    """跳过: no note; the last date is asked next."""
    pressed = await _dialog_button(
        said, answer, INTERVIEW_DIALOG, button.dialog_id,
        lambda d: d.leader is not None and d.note is None and d.task_id == button.task_id,
    )
    if pressed is not None:
        _, draft = pressed
        draft.note = ""
        await _ask_last_day(said, answer, draft)
        await kit.echo_choice(said, answer)


async def interview_default_day(said: Said, answer: Answer, button: OfTaskInDialog) -> None:
    """The offered date: the default window after the 约谈."""
    pressed = await _dialog_button(
        said, answer, INTERVIEW_DIALOG, button.dialog_id,
        lambda d: d.note is not None and d.task_id == button.task_id,
    )
    if pressed is not None:
        person, draft = pressed
        await _finish_interview(said, answer, person, draft, None)
        await kit.echo_choice(said, answer)


async def _finish_interview(said: Said, answer: Answer, person: Person, draft: InterviewDraft, last_day: date | None) -> None:
    assert draft.leader is not None and draft.note is not None
    leader, today = draft.leader, said.office.now().date()
    await _finish(
        said, answer, INTERVIEW_DIALOG,
        _record_interview(said, answer, person, draft.task_id, today, leader, draft.note, last_day),
    )


async def _finish(said: Said, answer: Answer, key: str, recording: Awaitable[None]) -> None:
    """Record what the dialog gathered and close it; a note too long keeps it open for another try."""
    try:
        await recording
    except DomainError as exc:
        await kit.refused(said, answer, exc, key)
        return
    kit.close(said, key)


# ------------------------------------------------------------------------ 移交作风办


async def transfer_command(said: Said, answer: Answer) -> None:
    """``/transfer <编号> [说明]``."""
    person = await bound_person(said, answer, "transfer")
    if person is None:
        return
    today = said.office.now().date()
    typed = _arguments(said)
    if not typed.strip():
        await kit.ask(said, answer, "escalation/transfer_usage", year=today.year)
        return
    task, note = await _office_task(person, said, typed, today)
    await _record_transfer(said, answer, person, task.id, note)


async def _record_transfer(said: Said, answer: Answer, person: Person, task_id: int, note: str) -> None:
    office = said.office
    task = await escalating.record_transfer(office, person, task_id, note, office.now())
    await kit.ask(
        said, answer, "escalation/transfer_recorded", task=task, note=note.strip(), org=office.settings.organisation,
    )


async def transfer_answer(said: Said, answer: Answer) -> None:
    """In the 记录移交 dialog: the note."""
    draft: TransferDraft = kit.draft(said, TRANSFER_DIALOG)
    person = await bound_person(said, answer)
    if person is None:
        return
    await _finish_transfer(said, answer, person, draft, said.text.strip())


async def transfer_skip(said: Said, answer: Answer, button: OfTaskInDialog) -> None:
    """跳过: record the 移交 without a note."""
    pressed = await _dialog_button(
        said, answer, TRANSFER_DIALOG, button.dialog_id, lambda d: d.task_id == button.task_id,
    )
    if pressed is not None:
        person, draft = pressed
        await _finish_transfer(said, answer, person, draft, "")
        await kit.echo_choice(said, answer)


async def _finish_transfer(said: Said, answer: Answer, person: Person, draft: TransferDraft, note: str) -> None:
    await _finish(said, answer, TRANSFER_DIALOG, _record_transfer(said, answer, person, draft.task_id, note))


# ------------------------------------------------------------------------ 催办 by hand


async def remind_button(said: Said, answer: Answer, button: OfTask) -> None:
    """催办 on an overdue task's detail: the 工作催办单 is issued now, filed with 政务监督室."""
    person = await bound_person(said, answer)
    if person is None:
        return
    office = said.office
    slip = await escalating.issue_reminder_slip(office, button.task_id, office.now(), person)
    await answer.toast(text("escalation/reminded", slip=slip))
    await answer.mark(text("marks/reminded", slip=slip, at=office.now()))
    await kit.ask(said, answer, "escalation/reminded", slip=slip)


# ------------------------------------------------------------------- drafts: 签发 / 暂缓


async def issue_draft_button(said: Said, answer: Answer, button: OfDraft) -> None:
    """签发 issues the drafted slip."""
    await _decide_draft(said, answer, button.draft_id, issue=True)


async def hold_draft_button(said: Said, answer: Answer, button: OfDraft) -> None:
    """暂缓 puts the drafted slip aside until the next daily check."""
    await _decide_draft(said, answer, button.draft_id, issue=False)


async def _decide_draft(said: Said, answer: Answer, draft_id: int, issue: bool) -> None:
    person = await bound_person(said, answer)
    if person is None:
        return
    office = said.office
    if issue:
        decision = await drafts.issue_draft(office, person, draft_id, office.now())
    else:
        decision = await drafts.hold_draft(office, person, draft_id, office.now())
    template = "drafts/issued" if issue else "drafts/held"
    await answer.toast(text(template, decision=decision))
    await answer.mark(text("marks/draft_decided", decision=decision, issued=issue, at=office.now()))
    await kit.ask(said, answer, template, decision=decision)


# ------------------------------------------------------------------------------ routes


COMMANDS = ("interview", "transfer")
"""The commands this module adds to the menu."""

ROUTES: tuple[routes.Route, ...] = (
    routes.InDialog(INTERVIEW_DIALOG, interview_answer),
    routes.InDialog(TRANSFER_DIALOG, transfer_answer),
    routes.Command("interview", interview_command),
    routes.Command("transfer", transfer_command),
    routes.Pressed(actions.INTERVIEW, interview_button),
    routes.Pressed(actions.INTERVIEW_NO_NOTE, interview_skip),
    routes.Pressed(actions.INTERVIEW_DEFAULT_DAY, interview_default_day),
    routes.Pressed(actions.TRANSFER, transfer_button),
    routes.Pressed(actions.TRANSFER_NO_NOTE, transfer_skip),
    routes.Pressed(actions.REMIND, remind_button),
    routes.Pressed(actions.ISSUE_DRAFT, issue_draft_button),
    routes.Pressed(actions.HOLD_DRAFT, hold_draft_button),
)
"""/interview, /transfer, their dialogs, 催办 and the draft buttons."""
