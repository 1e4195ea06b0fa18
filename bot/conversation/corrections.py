"""/withdraw and /correct: putting an issued slip right (``bot.services.corrections``).

* ``/withdraw <编号> [理由]`` — 撤回 a 交办单, or void a 催办单 issued in error (its number with
  催办单 or C). Asked the reason if it was not typed, then shown what will happen (the points
  voided) with 确认撤回 · 取消.
* ``/correct <编号>`` — 更正 a 交办单: which field (工作事项 · 工作要求 · 期限 · 责任单位, as
  buttons), its corrected value, the reason, then the corrected slip as the unit will receive it
  with 确认更正 · 取消.

The /task detail of a task the person may put right carries 撤回 · 更正 (and 作废催办单 while
its 催办单 stands), which start the same dialogs. The dialog is one of ``bot.conversation.kit``:
its buttons carry its id, a choice is echoed on the question, 取消 and /cancel end it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import IntEnum

from bot import actions
from bot.actions import Action, DialogStep, Offer, OfSlip, OfTask
from bot.domain.errors import DomainError
from bot.domain.org import Person
from bot.conversation import kit, routes
from bot.conversation.answer import Answer, buttons, reply
from bot.conversation.asking import bound_person, refuse
from bot.conversation.said import Said
from bot.message_size import fits_in_message
from bot.services import corrections, slip_lookup
from bot.services.context import Office
from bot.services.corrections import Field, Target
from bot.services.scoring import format_points
from bot.texts import label, plain, render

DIALOG_KEY = kit.PUT_RIGHT


class Step(IntEnum):
    """The question the dialog waits for an answer to."""

    FIELD = 1
    VALUE = 2
    REASON = 3
    PREVIEW = 4


TYPED = (Step.VALUE, Step.REASON)


@dataclass
class PutRight:
    """One 撤回 (or 作废) or 更正 in the making, kept in the person's dialog store."""

    withdraw: bool
    slip_id: int
    task_id: int
    number: str
    started: datetime
    step: Step = Step.REASON
    id: str = field(default_factory=kit.new_id)
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


async def _ask(said: Said, answer: Answer, draft: PutRight, step: Step, html: str, rows: list[list[tuple[str, Offer]]]) -> None:
    draft.step, draft.started = step, said.office.now()
    await kit.ask_html(said, answer, html, buttons(*rows))


def _cancel_row(draft: PutRight) -> list[tuple[str, Offer]]:
    return [kit.cancel_button(draft.id)]


# --------------------------------------------------------------------------- entry


async def withdraw_command(said: Said, answer: Answer) -> None:
    """/withdraw <编号> [理由]."""
    typed = said.rest
    split = slip_lookup.split_reference(typed, said.office.now().year)
    number, reason = (slip_lookup.typed_number(typed, split[1]), split[1]) if split else (typed.split(" ")[0], "")
    await _from_command(said, answer, "withdraw", corrections.find, number, lambda s, a, t: _start_withdrawal(s, a, t, reason))


async def withdraw_button(said: Said, answer: Answer, button: OfSlip) -> None:
    """撤回 / 作废催办单 under /task."""
    await _from_button(said, answer, "withdraw", corrections.by_slip, button.slip_id, lambda s, a, t: _start_withdrawal(s, a, t, ""))


async def correct_command(said: Said, answer: Answer) -> None:
    """/correct <编号>."""
    await _from_command(said, answer, "correct", corrections.find_assignment, said.rest, _start_correction)


async def correct_button(said: Said, answer: Answer, button: OfTask) -> None:
    """更正 under /task."""
    await _from_button(said, answer, "correct", corrections.by_task, button.task_id, _start_correction)


Start = Callable[[Said, Answer, Target], Awaitable[None]]


async def _from_command(
    said: Said, answer: Answer, command: str, find: Callable[[Office, Person, str], Awaitable[Target]], typed: str, start: Start,
) -> None:
    """A command with a slip number: the usage without one, the refusal, or the dialog started."""
    person = await bound_person(said, answer, command)
    if person is None:
        return
    if not typed:
        await reply(answer, f"corrections/{command}_usage", year=said.office.now().year)
        return
    try:
        target = await find(said.office, person, typed)
    except DomainError as exc:
        await refuse(said, answer, exc)
        return
    await start(said, answer, target)


async def _from_button(
    said: Said, answer: Answer, command: str, find: Callable[[Office, Person, int], Awaitable[Target]], found_id: int,
    start: Start,
) -> None:
    """A button of /task (its id checked again by the service): the refusal, or the dialog started."""
    person = await bound_person(said, answer, command)
    if person is None:
        return
    try:
        target = await find(said.office, person, found_id)
    except DomainError as exc:
        await refuse(said, answer, exc)
        return
    await answer.toast()
    await start(said, answer, target)


async def _start_withdrawal(said: Said, answer: Answer, target: Target, reason: str) -> None:
    draft = PutRight(True, target.slip.id, target.task.id, target.slip.number.full, said.office.now())
    kit.open_dialog(said, answer, DIALOG_KEY, draft)
    if reason.strip():
        await _take_reason(said, answer, draft, reason)
        return
    await _ask(said, answer, draft, Step.REASON, render("corrections/ask_reason", t=target, withdraw=True), [_cancel_row(draft)])


async def _start_correction(said: Said, answer: Answer, target: Target) -> None:
    draft = PutRight(False, target.slip.id, target.task.id, target.slip.number.full, said.office.now())
    kit.open_dialog(said, answer, DIALOG_KEY, draft)
    rows = [[(label("corrections", f.value), draft.offer(actions.PUT_RIGHT_FIELD, f.value)) for f in Field], _cancel_row(draft)]
    await _ask(said, answer, draft, Step.FIELD, render("corrections/ask_field", t=target), rows)


# --------------------------------------------------------------------------- answers


async def field_chosen(said: Said, answer: Answer, button: DialogStep) -> None:
    """工作事项 · 工作要求 · 期限 · 责任单位: the field to correct; its value is asked next."""
    draft = await kit.pressed(
        said, answer, DIALOG_KEY, button.dialog_id, lambda d: isinstance(d, PutRight) and d.step is Step.FIELD
    )
    if draft is None:
        return
    try:
        draft.field = Field(button.value)
    except ValueError:
        await kit.stale_button(said, answer)
        return
    await answer.toast()
    kit.answered_by_button(said)
    await _ask(said, answer, draft, Step.VALUE, render("corrections/ask_value", field=draft.field.value, number=draft.number), [_cancel_row(draft)])
    await kit.echo_choice(said, answer)


async def typed(said: Said, answer: Answer) -> None:
    """The corrected value, or the reason."""
    draft = kit.draft(said, DIALOG_KEY)
    if draft.step is Step.VALUE:
        person = await said.person()
        assert person is not None and draft.field is not None
        try:
            await corrections.plan_correction(said.office, person, draft.task_id, draft.field, said.text)
        except DomainError as exc:
            await kit.refused(said, answer, exc)
            return
        draft.value = said.text.strip()
        await _ask(said, answer, draft, Step.REASON, render("corrections/ask_reason", t=None, withdraw=False), [_cancel_row(draft)])
        return
    await _take_reason(said, answer, draft, said.text)


async def _take_reason(said: Said, answer: Answer, draft: PutRight, text: str) -> None:
    """The reason; then the preview with 确认."""
    person = await said.person()
    assert person is not None
    try:
        draft.reason = corrections.check_reason(text)
        if draft.withdraw:
            target = await corrections.by_slip(said.office, person, draft.slip_id)
            html = render("corrections/preview_withdraw", t=target, reason=draft.reason, pts=format_points)
        else:
            assert draft.field is not None
            plan = await corrections.plan_correction(said.office, person, draft.task_id, draft.field, draft.value)
            summary = render("corrections/preview_correct", p=plan, reason=draft.reason)
            html = f"{plan.slip_text}\n\n{summary}"
            if not fits_in_message(html):
                await answer.say(plan.slip_text)
                html = summary
    except DomainError as exc:
        await kit.refused(said, answer, exc)
        return
    confirm = label("corrections", "confirm_withdraw" if draft.withdraw else "confirm_correct")
    await _ask(said, answer, draft, Step.PREVIEW, html, [[(confirm, draft.offer(actions.PUT_RIGHT_CONFIRM))], _cancel_row(draft)])


async def confirm(said: Said, answer: Answer, button: DialogStep) -> None:
    """确认撤回 / 确认更正: the change is made; the outbox tells everyone, the person too."""
    draft = await kit.pressed(
        said, answer, DIALOG_KEY, button.dialog_id, lambda d: isinstance(d, PutRight) and d.step is Step.PREVIEW,
    )
    if draft is None:
        return
    person = await said.person()
    if person is None:
        await answer.alert(render("start/unknown"))
        return
    office = said.office
    try:
        if draft.withdraw:
            await corrections.withdraw(office, person, draft.slip_id, draft.reason, office.now())
        else:
            assert draft.field is not None
            await corrections.correct(office, person, draft.task_id, draft.field, draft.value, draft.reason, office.now())
    except DomainError as exc:
        await refuse(said, answer, exc)
        kit.close_all(said, answer)
        return
    await answer.toast(plain(render("corrections/done_notice", withdraw=draft.withdraw)))
    kit.answered_by_button(said)
    kit.close_all(said, answer)
    await kit.echo_choice(said, answer)


# --------------------------------------------------------------------------- routes


COMMANDS = ("withdraw", "correct")
"""The commands this module adds to the menu."""

ROUTES: tuple[routes.Route, ...] = (
    routes.Command("withdraw", withdraw_command),
    routes.Command("correct", correct_command),
    routes.InDialog(DIALOG_KEY, typed, fits=lambda d: d.step in TYPED),
    routes.Pressed(actions.WITHDRAW, withdraw_button),
    routes.Pressed(actions.CORRECT, correct_button),
    routes.Pressed(actions.PUT_RIGHT_FIELD, field_chosen),
    routes.Pressed(actions.PUT_RIGHT_CONFIRM, confirm),
    routes.Pressed(actions.PUT_RIGHT_OTHER, kit.stale_button),
)
"""/withdraw, /correct, their /task buttons and the dialog's answers."""
