"""The buttons and replies on a slip: 签收, 反馈 (three ways), and the section's 通过 / 退回.

* 签收: one tap on the slip's button; the service refreshes the buttons of every delivered copy.
* 反馈: the 反馈 button opens a short dialog (text, documents, photos; then 提交 or /done);
  a reply to a slip message is feedback at once; so is ``/feedback <编号> <内容>``.
* 通过 closes the task; 退回 asks the reviewer for a reason, then for an optional new date.

The two dialogs are kit dialogs (``bot.conversation.kit``): their typed answers reach them only
while the person has that dialog open, so every other text still reaches the other features.

An album (files sent together, ``Said.album``) sent as a reply to a slip is one feedback. A
channel may deliver it as several messages (Telegram sends each photo as its own); they are
gathered here, by the album's id, rather than in the channel: the first message is taken as a
reply, and the rest, which need not quote the slip, continue it (``routes.AlbumGoesOn``) until
it is recorded ``ALBUM_WAIT`` seconds later (``Answer.later``). Gathering in the channel would
change every feature's album (a loose album to the intake, one inside a dialog) at once; here
only the reply changes, and a channel that hands over an album as one message gathers nothing.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import date, datetime

from bot import actions
from bot.actions import FeedbackInDialog, OfItem, OfTask, TaskInDialog
from bot.conversation import kit, routes
from bot.conversation.answer import Answer, buttons, text
from bot.conversation.asking import bound_person, refuse
from bot.conversation.said import Said
from bot.domain.dates import read_date
from bot.domain.errors import DomainError
from bot.domain.feedback import Attachment
from bot.domain.org import Person
from bot.domain.slips import Slip
from bot.edge import Buttons
from bot.services import handling, slip_lookup
from bot.services.handling import MAX_FEEDBACK
from bot.services.slip_lookup import SlipTarget
from bot.texts import explain, label

FEEDBACK_DRAFT = kit.FEEDBACK
"""Dialog store key of an open 反馈 dialog."""

RETURN_DRAFT = kit.RETURN
"""Dialog store key of an open 退回 dialog."""

KEPT_FEEDBACK = "slip_actions.kept"
"""Dialog store key of a /feedback whose number named no slip (or two): kept until the person
picks the slip it is for."""

KEPT_CHOICES = 8
"""Slips offered as buttons under a kept feedback."""

DIALOG_LIFETIME = kit.DIALOG_LIFETIME

ALBUM_WAIT = 1.5
"""Seconds to wait for the rest of an album: Telegram sends each photo as its own message."""


@dataclass
class FeedbackDraft:
    """What the person has sent so far in the 反馈 dialog."""

    task_id: int
    slip: Slip
    started: datetime
    texts: list[str] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    last_album: str | None = None
    progress: bool = False
    """A 阶段进展 report (汇报进展), not the 办理结果."""
    id: str = field(default_factory=kit.new_id)

    @property
    def text(self) -> str:
        """The parts of the report, in the order they were sent."""
        return "\n".join(t for t in self.texts if t)


@dataclass
class KeptFeedback:
    """A /feedback typed with a number that named no slip of the person's, or two: what they
    wrote, kept, and the tasks offered to choose from."""

    text: str
    attachments: tuple[Attachment, ...]
    choices: tuple[int, ...]


@dataclass
class ReturnDraft:
    """The 退回 dialog: which feedback, the review message to mark, and the reason once typed."""

    feedback_id: int
    pressed_on: str | None
    """The channel's id of the review message whose 退回 was pressed."""
    started: datetime
    reason: str | None = None
    review_html: str | None = None
    """The review message as it reads, to show the 退回 under it when the dialog ends."""
    deadline: date | None = None
    """The current deadline as the dialog began: a new date before it is said to be earlier."""
    id: str = field(default_factory=kit.new_id)


@dataclass
class Album:
    """Photos or documents sent together as a reply to a slip: one feedback."""

    person: Person
    target: SlipTarget
    texts: list[str] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)


_albums: dict[tuple[int, str, str, str], Album] = {}
"""The albums being gathered in this process, by office, account and album id."""


# ------------------------------------------------------------------------------- helpers


def _attachments(said: Said) -> tuple[Attachment, ...]:
    """The files of the message as kept with the feedback, with the channel they came on."""
    return tuple(
        Attachment(
            f.kind, f.reference, f.unique, (f.name or None) if f.kind == "document" else None, f.mime, f.size,
            said.account.channel,
        )
        for f in said.files
    )


def _draft_buttons(draft: FeedbackDraft) -> Buttons:
    return buttons([
        (label("slip_actions", "submit"), actions.SUBMIT_FEEDBACK(task_id=draft.task_id, dialog_id=draft.id)),
        kit.cancel_button(draft.id),
    ])


# -------------------------------------------------------------------------------- 签收


async def acknowledge(said: Said, answer: Answer, button: OfTask) -> None:
    """签收: one tap; the issuer is told, and the slip's buttons change."""
    person = await bound_person(said, answer)
    if person is None:
        return
    office = said.office
    now = office.now()
    task = await handling.acknowledge(office, person, button.task_id, now)
    await answer.toast(text("slip_actions/acknowledged", task=task, by_reply=said.by_reply))
    # A toast is gone in seconds: the slip keeps the mark, as a reply to it.
    await answer.quote(text("marks/acknowledged", at=now))


# -------------------------------------------------------------------------------- 反馈


async def open_feedback(said: Said, answer: Answer, button: OfTask) -> None:
    """反馈 button: ask for the report (text, documents, photos), then 提交 or /done."""
    await _open_feedback_dialog(said, answer, button.task_id, progress=False)


async def open_progress(said: Said, answer: Answer, button: OfTask) -> None:
    """汇报进展 button: the same dialog, for a 阶段汇报."""
    await _open_feedback_dialog(said, answer, button.task_id, progress=True)


async def _open_feedback_dialog(said: Said, answer: Answer, task_id: int, progress: bool) -> None:
    person = await bound_person(said, answer)
    if person is None:
        return
    target = await slip_lookup.by_task(said.office, task_id, said.account, said.pressed_on)
    slip_lookup.check_may_feed_back(person, target.task, progress)
    await answer.toast()
    await _start_feedback_dialog(said, answer, target, progress)


async def _start_feedback_dialog(said: Said, answer: Answer, target: SlipTarget, progress: bool = False) -> None:
    draft = FeedbackDraft(target.task.id, target.slip, said.office.now(), progress=progress)
    kit.open_dialog(said, answer, FEEDBACK_DRAFT, draft)
    await kit.ask(
        said, answer, "slip_actions/feedback_prompt", _draft_buttons(draft),
        task=target.task, slip=target.slip, limit=MAX_FEEDBACK, progress=progress,
    )


async def collect_feedback(said: Said, answer: Answer) -> None:
    """In the 反馈 dialog: keep each text, document and photo until 提交."""
    draft: FeedbackDraft = kit.draft(said, FEEDBACK_DRAFT)
    if await bound_person(said, answer) is None:
        return
    typed = said.text.strip()
    length = len("\n".join([draft.text, typed]).strip())
    if length > MAX_FEEDBACK:
        await refuse(said, answer, DomainError("feedback_too_long", limit=MAX_FEEDBACK, length=length))
        return
    draft.texts.append(typed)
    draft.attachments.extend(_attachments(said))
    if said.album is not None and said.album == draft.last_album:
        return  # one note per album is enough
    draft.last_album = said.album
    await answer.say(
        text("slip_actions/feedback_collected", length=len(draft.text), files=len(draft.attachments)), _draft_buttons(draft),
    )


async def submit_draft(said: Said, answer: Answer, button: TaskInDialog) -> None:
    """提交: record the dialog's report against its slip (a 提交 sent before buttons carried
    the dialog's id is taken for the open dialog of its task)."""
    draft = await kit.pressed(said, answer, FEEDBACK_DRAFT, button.dialog_id, lambda d: d.task_id == button.task_id)
    if draft is not None:
        await _submit_draft(said, answer, draft)


async def done_command(said: Said, answer: Answer) -> None:
    """/done in the 反馈 dialog: as 提交."""
    await _submit_draft(said, answer, kit.draft(said, FEEDBACK_DRAFT))


async def _submit_draft(said: Said, answer: Answer, draft: FeedbackDraft) -> None:
    person = await bound_person(said, answer)
    if person is None:
        return
    office = said.office
    submit = handling.submit_progress if draft.progress else handling.submit_feedback
    try:
        receipt = await submit(
            office, person, draft.task_id, draft.text, office.now(), tuple(draft.attachments), draft.slip.id
        )
    except DomainError as exc:
        await kit.refused(said, answer, exc, FEEDBACK_DRAFT)
        return
    kit.close(said, FEEDBACK_DRAFT)
    if said.pressed is not None:
        await answer.toast()
        kit.answered_by_button(said)
        await answer.clear()
    await kit.ask(said, answer, "slip_actions/feedback_submitted", receipt=receipt, slip=draft.slip)


async def reply_feedback(said: Said, answer: Answer) -> None:
    """A reply to a slip message (text, a document with its caption, photos) is feedback on it."""
    person = await bound_person(said, answer)
    if person is None:
        return
    office = said.office
    today = office.now().date()
    assert said.reply_to is not None
    target = await slip_lookup.by_message(office, said.account, said.reply_to)
    if target is not None and slip_lookup.reviews_rather_than_answers(person, target.task):
        await answer.say(text("slip_actions/use_review_buttons"))
        return
    if target is None and said.replied_text:
        target = await slip_lookup.cited_in(office, person, said.replied_text, today)
        if target is not None and slip_lookup.reviews_rather_than_answers(person, target.task):
            await answer.say(text("slip_actions/use_review_buttons"))
            return
    if target is None:
        target = await slip_lookup.cited_in(office, person, said.text, today)
    if target is None:
        raise await slip_lookup.not_found(office, person, today, "not_linked")
    if said.album is not None:
        _albums[_album_key(said)] = Album(person, target, [said.text], list(_attachments(said)))
        answer.later(_record_album(said, answer))
        return
    await _submit(said, answer, person, target, said.text, _attachments(said))


async def _submit(
    said: Said, answer: Answer, person: Person, target: SlipTarget, typed: str, attachments: tuple[Attachment, ...]
) -> None:
    office = said.office
    receipt = await handling.submit_feedback(office, person, target.task.id, typed, office.now(), attachments, target.slip.id)
    await answer.say(text("slip_actions/feedback_submitted", receipt=receipt, slip=target.slip))


def _album_key(said: Said) -> tuple[int, str, str, str]:
    assert said.album is not None
    return id(said.office), said.account.channel, said.account.address, said.album


def _album_goes_on(said: Said) -> bool:
    return _album_key(said) in _albums


async def album_item(said: Said, answer: Answer) -> None:
    """A later photo or document of an album already being gathered."""
    album = _albums.get(_album_key(said))
    if album is None:
        return
    album.texts.append(said.text)
    album.attachments.extend(_attachments(said))


async def _record_album(said: Said, answer: Answer) -> None:
    await asyncio.sleep(ALBUM_WAIT)
    album = _albums.pop(_album_key(said), None)
    if album is None:
        return
    office = said.office
    typed = "\n".join(t for t in album.texts if t)
    try:
        receipt = await handling.submit_feedback(
            office, album.person, album.target.task.id, typed, office.now(), tuple(album.attachments), album.target.slip.id
        )
    except DomainError as exc:
        await answer.say(explain(exc))
        return
    await answer.say(text("slip_actions/feedback_submitted", receipt=receipt, slip=album.target.slip))


async def feedback_command(said: Said, answer: Answer) -> None:
    """``/feedback <编号> <内容>``; with only a number, the dialog asks for the report."""
    person = await bound_person(said, answer, "feedback")
    if person is None:
        return
    office = said.office
    today = office.now().date()
    parts = said.text.split(maxsplit=1)
    typed = parts[1] if len(parts) > 1 else ""
    if not typed.strip():
        raise await slip_lookup.not_found(office, person, today, "missing")
    split = slip_lookup.split_reference(typed, today.year)
    attachments = _attachments(said)
    if split is None:
        # no number first: what was typed is the feedback, kept while the person picks its slip
        unread = await slip_lookup.not_found(office, person, today, "invalid", typed.split()[0])
        await _keep_and_ask(said, answer, typed.strip(), attachments, unread)
        return
    reference, written = split
    try:
        target = await slip_lookup.by_parsed_reference(office, person, reference, today, slip_lookup.typed_number(typed, written))
    except DomainError as exc:
        if exc.code not in ("slip_not_found", "slip_ambiguous") or not (written or attachments):
            raise
        await _keep_and_ask(said, answer, written, attachments, exc)
        return
    if not written and not attachments:
        slip_lookup.check_may_feed_back(person, target.task)
        await _start_feedback_dialog(said, answer, target)
        return
    await _submit(said, answer, person, target, written, attachments)


async def _keep_and_ask(
    said: Said, answer: Answer, typed: str, attachments: tuple[Attachment, ...], unresolved: DomainError
) -> None:
    """The feedback is kept, not lost: the person picks the slip it is for, one button each —
    the two a short number may mean, or their open slips. With no open slip there is nothing to
    pick, and the refusal says so."""
    choices = slip_lookup.offered(unresolved)[:KEPT_CHOICES]
    if not choices:
        raise unresolved
    said.dialogs[KEPT_FEEDBACK] = KeptFeedback(typed, attachments, tuple(t.id for t in choices))
    offered = buttons(*[[(f"{t.number.full} {t.title[:12]}", actions.FEEDBACK_FOR(task_id=t.id))] for t in choices])
    await answer.say(
        text("slip_actions/which_slip", text=unresolved.details.get("text", ""), choices=choices,
             reason="ambiguous" if unresolved.code == "slip_ambiguous" else unresolved.details.get("reason"),
             length=len(typed), files=len(attachments)),
        offered,
    )


async def kept_for(said: Said, answer: Answer, button: OfTask) -> None:
    """The slip picked for a kept feedback: it is recorded against it, and the choice marked."""
    kept: KeptFeedback | None = said.dialogs.get(KEPT_FEEDBACK)
    task_id = button.task_id
    if kept is None or task_id not in kept.choices:
        await kit.stale_button(said, answer)
        return
    person = await bound_person(said, answer)
    if person is None:
        return
    office = said.office
    target = await slip_lookup.by_task(office, task_id)
    receipt = await handling.submit_feedback(office, person, task_id, kept.text, office.now(), kept.attachments, target.slip.id)
    said.dialogs.pop(KEPT_FEEDBACK, None)
    await answer.toast()
    await answer.mark(text("marks/chosen", choice=target.task.number.full))
    await kit.ask(said, answer, "slip_actions/feedback_submitted", receipt=receipt, slip=target.slip)


# ------------------------------------------------------------------------- 通过 / 退回


async def accept(said: Said, answer: Answer, button: OfItem) -> None:
    """通过(办结): the task is completed; the unit is told."""
    person = await bound_person(said, answer)
    if person is None:
        return
    office = said.office
    now = office.now()
    task = await handling.accept(office, person, button.item_id, now)
    await answer.toast(text("slip_actions/accepted", task=task))
    await answer.mark(text("marks/accepted", at=now))
    await kit.ask(said, answer, "slip_actions/accepted", task=task)


async def open_return_dialog(said: Said, answer: Answer, button: OfItem) -> None:
    """退回: ask the reviewer why (the next text), then for an optional new date."""
    person = await bound_person(said, answer)
    if person is None:
        return
    feedback_id = button.item_id
    _, task = await slip_lookup.reviewable(said.office, person, feedback_id)
    draft = ReturnDraft(feedback_id, said.pressed_on, said.office.now(), review_html=said.pressed_html, deadline=task.deadline)
    kit.open_dialog(said, answer, RETURN_DRAFT, draft)
    await answer.toast()
    await kit.ask(
        said, answer, "slip_actions/return_reason", buttons([kit.cancel_button(draft.id)]), task=task, limit=MAX_FEEDBACK,
    )


async def return_answer(said: Said, answer: Answer) -> None:
    """In the 退回 dialog: first the reason, then a date (or 不改期限)."""
    draft: ReturnDraft = kit.draft(said, RETURN_DRAFT)
    person = await bound_person(said, answer)
    if person is None:
        return
    typed = said.text.strip()
    if draft.reason is None:
        if len(typed) > MAX_FEEDBACK:
            await refuse(said, answer, DomainError("feedback_too_long", limit=MAX_FEEDBACK, length=len(typed)))
            return
        draft.reason = typed
        await kit.ask(
            said, answer, "slip_actions/return_date", buttons([
                (label("buttons", "skip"), actions.RETURN_NO_DATE(feedback_id=draft.feedback_id, dialog_id=draft.id)),
                kit.cancel_button(draft.id),
            ]),
            today=said.office.now().date(),
        )
        return
    new_deadline = read_date(typed, said.office.now().date(), ahead=True)
    if new_deadline is None:
        raise DomainError("return_date_invalid", text=typed[:50])
    await _finish_return(said, answer, person, draft, new_deadline)


async def skip_date(said: Said, answer: Answer, button: FeedbackInDialog) -> None:
    """不改期限: return the feedback keeping the current deadline."""
    draft = await kit.pressed(
        said, answer, RETURN_DRAFT, button.dialog_id, lambda d: d.reason is not None and d.feedback_id == button.feedback_id
    )
    if draft is None:
        return
    person = await bound_person(said, answer)
    if person is None:
        return
    await answer.toast()
    kit.answered_by_button(said)
    await _finish_return(said, answer, person, draft, None)
    await kit.echo_choice(said, answer)


async def _finish_return(said: Said, answer: Answer, person: Person, draft: ReturnDraft, new_deadline: date | None) -> None:
    assert draft.reason is not None
    office = said.office
    try:
        task = await handling.return_feedback(office, person, draft.feedback_id, draft.reason, office.now(), new_deadline)
    except DomainError as exc:
        kit.keep_or_end(said, answer, exc, RETURN_DRAFT)
        await answer.say(explain(exc))
        return
    kit.close(said, RETURN_DRAFT)
    await kit.ask(
        said, answer, "slip_actions/returned", task=task, reason=draft.reason, new_deadline=new_deadline,
        deadline_before=draft.deadline,
    )
    # The review's 通过 / 退回 come off after the answer, which is what the reviewer waits for.
    if draft.pressed_on is not None:
        mark = text("marks/returned", reason=draft.reason, new_deadline=task.deadline if new_deadline else None, at=office.now())
        await answer.mark_at(draft.pressed_on, draft.review_html, mark)


# ------------------------------------------------------------------------------ wiring


COMMANDS = ("feedback",)
"""The commands this module adds to the menu."""


ROUTES: tuple[routes.Route, ...] = (
    # The open dialogs first: while one is open, its person's messages are its answers.
    routes.Command("done", done_command, while_open=(FEEDBACK_DRAFT,)),
    routes.InDialog(RETURN_DRAFT, return_answer, routes.WORDS),
    routes.InDialog(FEEDBACK_DRAFT, collect_feedback, routes.REPORT),
    routes.Pressed(actions.ACKNOWLEDGE, acknowledge),
    routes.Pressed(actions.FEEDBACK, open_feedback),
    routes.Pressed(actions.PROGRESS, open_progress),
    routes.Pressed(actions.SUBMIT_FEEDBACK, submit_draft),
    routes.Pressed(actions.ACCEPT, accept),
    routes.Pressed(actions.RETURN, open_return_dialog),
    routes.Pressed(actions.RETURN_NO_DATE, skip_date),
    routes.Pressed(actions.FEEDBACK_FOR, kept_for),
    routes.Command("feedback", feedback_command),
    routes.AlbumGoesOn(album_item, _album_goes_on),
    routes.Reply(reply_feedback),
)
"""签收, 反馈 (button dialog, reply, /feedback), 通过 and 退回."""
