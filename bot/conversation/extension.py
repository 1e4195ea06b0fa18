"""延期: "如确需延长办理时间的，需经分管市领导同意" (notice, section 二).

* The 责任单位's official taps 申请延期 (``ext:<task>``) on a slip, or sends
  ``/extend <编号> <天数或日期> <理由>``; the dialog asks for what is missing (天数或日期, then
  理由; both in one message like ``7天 需协调用地`` work too); /cancel ends it.
* The unit's 分管市领导 taps 同意 (``exa:``) or 不同意 (``exr:``), or 改期同意 (``exd:``), which
  asks for the date they grant instead.

Both dialogs go through the dialog kit (``bot.conversation.kit``): a person has one dialog open
at a time, so opening one here closes the others, and one opened later elsewhere wins.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from bot import actions
from bot.actions import OfRequest, OfTask
from bot.conversation import kit, routes
from bot.conversation.answer import Answer, buttons, text
from bot.conversation.asking import bound_person, refuse
from bot.conversation.said import Said
from bot.domain.dates import read_date
from bot.domain.errors import DomainError
from bot.domain.org import Person
from bot.domain.tasks import Task
from bot.services import extensions, slip_lookup

REQUEST_DIALOG = kit.EXTENSION_REQUEST
"""Dialog key of an open 申请延期 dialog."""

GRANT_DIALOG = kit.EXTENSION_GRANT
"""Dialog key of an open 改期同意 dialog (the leader types the date granted)."""


@dataclass
class RequestDraft:
    """The 申请延期 dialog: which task, and the time asked for once typed."""

    task_id: int
    started: datetime
    id: str
    days: int | None = None
    until: date | None = None

    @property
    def has_period(self) -> bool:
        """天数或日期 already given; the next text is the reason."""
        return self.days is not None or self.until is not None


@dataclass
class GrantDraft:
    """The 改期同意 dialog: which request, and the message of the request whose buttons were
    pressed (the channel's id, and its text to mark under it what was decided)."""

    request_id: int
    started: datetime
    id: str
    pressed_on: str | None
    pressed_html: str | None = None


def _arguments(said: Said) -> str:
    """What follows the command (leading spaces gone, the rest as typed)."""
    parts = said.text.split(maxsplit=1)
    return parts[1] if len(parts) > 1 else ""


# ------------------------------------------------------------------------ 申请延期


async def extension_button(said: Said, answer: Answer, button: OfTask) -> None:
    """申请延期 on a slip: ask for 天数或日期 and 理由."""
    person = await bound_person(said, answer)
    if person is None:
        return
    target = await slip_lookup.by_task(said.office, button.task_id, said.account, said.pressed_on)
    await extensions.check_may_request(said.office, person, target.task)
    await answer.toast()
    await _open_request(said, answer, target.task)


async def _open_request(said: Said, answer: Answer, task: Task) -> None:
    draft = RequestDraft(task.id, said.office.now(), kit.new_id())
    kit.open_dialog(said, answer, REQUEST_DIALOG, draft)
    await kit.ask(
        said, answer, "extension/ask", buttons([kit.cancel_button(draft.id)]), task=task, today=said.office.now().date(),
    )


async def extend_command(said: Said, answer: Answer) -> None:
    """``/extend <编号> <天数或日期> <理由>``; with only a number, the dialog asks for the rest."""
    person = await bound_person(said, answer, "extend")
    if person is None:
        return
    office = said.office
    today = office.now().date()
    rest = _arguments(said)
    if not rest.strip():
        lines = await slip_lookup.open_slips(office, person, today)
        await kit.ask(said, answer, "extension/usage", lines=lines, year=today.year)
        return
    split = slip_lookup.split_reference(rest, today.year)
    if split is None:
        raise await slip_lookup.not_found(office, person, today, "invalid", rest.split()[0])
    reference, after_number = split
    target = await slip_lookup.by_parsed_reference(
        office, person, reference, today, slip_lookup.typed_number(rest, after_number)
    )
    await extensions.check_may_request(office, person, target.task)
    if not after_number:
        await _open_request(said, answer, target.task)
        return
    period = extensions.read_time_asked(after_number, today)
    if period is None:
        await kit.ask(said, answer, "extension/period_invalid", text=after_number.split()[0][:30], command=True, year=today.year)
        return
    await _submit(said, answer, person, target.task.id, period)


async def request_answer(said: Said, answer: Answer) -> None:
    """In the 申请延期 dialog: 天数或日期 (with the reason, or alone), then the reason."""
    draft: RequestDraft = kit.draft(said, REQUEST_DIALOG)
    person = await bound_person(said, answer)
    if person is None:
        return
    typed = said.text.strip()
    today = said.office.now().date()
    if draft.has_period:
        await _submit(said, answer, person, draft.task_id, extensions.TimeAsked(draft.days, draft.until, typed), draft)
        return
    period = extensions.read_time_asked(typed, today)
    if period is None:
        await kit.ask(said, answer, "extension/period_invalid", text=typed.split()[0][:30] if typed else "", command=False, year=today.year)
        return
    if not period.rest:
        draft.days, draft.until = period.days, period.until
        await kit.ask(
            said, answer, "extension/ask_reason", buttons([kit.cancel_button(draft.id)]), days=period.days, until=period.until,
        )
        return
    await _submit(said, answer, person, draft.task_id, period, draft)


async def _submit(
    said: Said, answer: Answer, person: Person, task_id: int, period: extensions.TimeAsked, draft: RequestDraft | None = None
) -> None:
    office = said.office
    try:
        task, request = await extensions.request_extension(
            office, person, task_id, period.rest, office.now(), days=period.days, until=period.until
        )
    except DomainError as exc:
        if draft is not None and exc.asks_for == "period":
            draft.days = draft.until = None  # ask for the time again
        elif draft is not None:
            kit.keep_or_end(said, answer, exc, REQUEST_DIALOG)
        await refuse(said, answer, exc)
        return
    kit.close(said, REQUEST_DIALOG)
    await kit.ask(said, answer, "extension/submitted", task=task, request=request)


# ------------------------------------------------------------------- 分管市领导's decision


async def approve_button(said: Said, answer: Answer, button: OfRequest) -> None:
    """同意: one tap; the deadline moves, the unit and the issuer are told."""
    await _decide(said, answer, button.request_id, approve=True)


async def reject_button(said: Said, answer: Answer, button: OfRequest) -> None:
    """不同意: one tap; the deadline stands, the unit and the issuer are told."""
    await _decide(said, answer, button.request_id, approve=False)


async def _decide(said: Said, answer: Answer, request_id: int, approve: bool) -> None:
    person = await bound_person(said, answer)
    if person is None:
        return
    office = said.office
    now = office.now()
    task = await extensions.decide_extension(office, person, request_id, approve, now)
    await answer.toast(text("extension/decision_made", task=task, approved=approve, asked=None))
    await answer.mark(text("marks/extension_decided", approved=approve, until=task.deadline, at=now))
    await kit.ask(said, answer, "extension/decision_made", task=task, approved=approve, asked=None)


async def other_date_button(said: Said, answer: Answer, button: OfRequest) -> None:
    """改期同意: ask the leader for the date they grant."""
    person = await bound_person(said, answer)
    if person is None:
        return
    try:
        extensions.check_may_decide(person)
    except DomainError as exc:
        await refuse(said, answer, exc)
        return
    draft = GrantDraft(button.request_id, said.office.now(), kit.new_id(), said.pressed_on, said.pressed_html)
    kit.open_dialog(said, answer, GRANT_DIALOG, draft)
    await answer.toast()
    await kit.ask(
        said, answer, "extension/grant_ask", buttons([kit.cancel_button(draft.id)]), today=said.office.now().date(),
    )


async def grant_answer(said: Said, answer: Answer) -> None:
    """In the 改期同意 dialog: the date granted."""
    draft: GrantDraft = kit.draft(said, GRANT_DIALOG)
    person = await bound_person(said, answer)
    if person is None:
        return
    office = said.office
    typed = said.text.strip()
    try:
        until = read_date(typed, office.now().date(), ahead=True)
        if until is None:
            await kit.ask(said, answer, "extension/grant_date_invalid", text=typed[:30], today=office.now().date())
            return
        task = await extensions.decide_extension(office, person, draft.request_id, True, office.now(), granted_until=until)
    except DomainError as exc:
        await kit.refused(said, answer, exc, GRANT_DIALOG)
        return
    kit.close(said, GRANT_DIALOG)
    if draft.pressed_on is not None:
        await answer.mark_at(
            draft.pressed_on, draft.pressed_html,
            text("marks/extension_decided", approved=True, until=task.deadline, at=office.now()),
        )
    await kit.ask(said, answer, "extension/decision_made", task=task, approved=True, asked=until)


# ------------------------------------------------------------------------------ routes


COMMANDS = ("extend",)
"""The commands this module adds to the menu."""

ROUTES: tuple[routes.Route, ...] = (
    routes.InDialog(REQUEST_DIALOG, request_answer),
    routes.InDialog(GRANT_DIALOG, grant_answer),
    routes.Pressed(actions.REQUEST_EXTENSION, extension_button),
    routes.Pressed(actions.APPROVE_EXTENSION, approve_button),
    routes.Pressed(actions.REJECT_EXTENSION, reject_button),
    routes.Pressed(actions.OTHER_DATE, other_date_button),
    routes.Command("extend", extend_command),
)
"""申请延期 (button, /extend, dialog) and the leader's 同意 / 不同意 / 改期同意."""
