"""The buttons and replies on a slip: 签收, 反馈 (three ways), and the section's 通过 / 退回.

* 签收: one tap on the slip's button; the service refreshes the buttons of every delivered copy.
* 反馈: the 反馈 button opens a short dialog (text, documents, photos; then 提交 or /done);
  a Telegram reply to a slip message is feedback at once; so is ``/feedback <编号> <内容>``.
* 通过 closes the task; 退回 asks the reviewer for a reason, then for an optional new date.

The two dialogs keep their state in ``user_data``; their handlers take an update only while the
person has that dialog open, so every other text still reaches the other features.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.ext import CommandHandler, MessageHandler, filters

from bot import actions
from bot.edge import TELEGRAM, Account
from bot.actions import OfFeedback, OfItem, OfTask

from bot.domain.dates import read_date
from bot.domain.errors import DomainError
from bot.domain.org import Person
from bot.domain.slips import Slip
from bot.conversation.common import bound_person, refuse, reply, short_notice
from bot.conversation import buttons, dialogs
from bot.channels.telegram.context import DubanApplication, DubanContext
from bot.conversation.dialogs import InDialog, clear_buttons, keyboard, send
from bot.conversation.menu import may_use
from bot.services import handling, slip_lookup
from bot.services.handling import MAX_FEEDBACK
from bot.services.slip_lookup import SlipTarget
from bot.domain.feedback import Attachment
from bot.texts import explain, label

FEEDBACK_DRAFT = dialogs.FEEDBACK
"""``user_data`` key of an open 反馈 dialog."""

RETURN_DRAFT = dialogs.RETURN
"""``user_data`` key of an open 退回 dialog."""

KEPT_FEEDBACK = "slip_actions.kept"
"""``user_data`` key of a /feedback whose number named no slip (or two): kept until the person
picks the slip it is for."""

KEPT_CHOICES = 8
"""Slips offered as buttons under a kept feedback."""

DIALOG_LIFETIME = dialogs.DIALOG_LIFETIME

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
    """The 退回 dialog: which feedback, the review message to clear, and the reason once typed."""

    feedback_id: int
    chat_id: int | None
    message_id: int | None
    started: datetime
    reason: str | None = None
    review_html: str | None = None
    """The review message as it reads, to show the 退回 under it when the dialog ends."""
    deadline: date | None = None
    """The current deadline as the dialog began: a new date before it is said to be earlier."""


@dataclass
class Album:
    """Photos or documents sent together as a reply to a slip: one feedback."""

    person: Person
    target: SlipTarget
    chat_id: int
    texts: list[str] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)


class _AlbumContinues(filters.MessageFilter):
    """A later message of an album whose first message was taken as feedback."""

    def __init__(self, albums: dict[str, Album]) -> None:
        super().__init__(name="album_continues")
        self.albums = albums

    def filter(self, message: Message) -> bool:
        return message.media_group_id is not None and message.media_group_id in self.albums


# ------------------------------------------------------------------------------- helpers


def _attachment(message: Message) -> Attachment | None:
    """A document, or the largest size of a photo, as kept with the feedback."""
    if message.document is not None:
        d = message.document
        return Attachment("document", d.file_id, d.file_unique_id, d.file_name, d.mime_type, d.file_size)
    if message.photo:
        p = message.photo[-1]
        return Attachment("photo", p.file_id, p.file_unique_id, None, "image/jpeg", p.file_size)
    return None


def _message_text(message: Message) -> str:
    return message.text or message.caption or ""


def _draft_keyboard(task_id: int) -> InlineKeyboardMarkup:
    return keyboard([(label("slip_actions", "submit"), actions.SUBMIT_FEEDBACK(task_id=task_id)), dialogs.cancel_button()])


# -------------------------------------------------------------------------------- 签收


async def acknowledge(update: Update, context: DubanContext, button: OfTask) -> None:
    """签收: one tap; the issuer is told, and the slip's buttons change."""
    query = update.callback_query
    assert query is not None
    person = await bound_person(update, context)
    if person is None:
        return
    office = context.office
    now = office.now()
    task = await handling.acknowledge(office, person, button.task_id, now)
    await query.answer(short_notice(dialogs.text("slip_actions/acknowledged", task=task)))
    # A toast is gone in seconds: the slip keeps the mark, as a reply to it.
    if isinstance(query.message, Message):
        await query.message.reply_text(dialogs.text("marks/acknowledged", at=now), do_quote=True)


# -------------------------------------------------------------------------------- 反馈


async def open_feedback(update: Update, context: DubanContext, button: OfTask) -> None:
    """反馈 button: ask for the report (text, documents, photos), then 提交 or /done."""
    await _open_feedback_dialog(update, context, button.task_id, progress=False)


async def open_progress(update: Update, context: DubanContext, button: OfTask) -> None:
    """汇报进展 button: the same dialog, for a 阶段汇报."""
    await _open_feedback_dialog(update, context, button.task_id, progress=True)


async def _open_feedback_dialog(update: Update, context: DubanContext, task_id: int, progress: bool) -> None:
    query = update.callback_query
    assert query is not None and update.effective_chat is not None
    person = await bound_person(update, context)
    if person is None:
        return
    message_id = query.message.message_id if query.message is not None else None
    target = await slip_lookup.by_task(context.office, task_id, Account(TELEGRAM, str(update.effective_chat.id)), str(message_id) if message_id is not None else None)
    slip_lookup.check_may_feed_back(person, target.task, progress)
    await query.answer()
    await _start_feedback_dialog(context, update.effective_chat.id, target, progress)


async def _start_feedback_dialog(context: DubanContext, chat_id: int, target: SlipTarget, progress: bool = False) -> None:
    assert context.user_data is not None
    dialogs.open_dialog(context, FEEDBACK_DRAFT, FeedbackDraft(target.task.id, target.slip, context.office.now(), progress=progress))
    await send(
        context, chat_id, "slip_actions/feedback_prompt", _draft_keyboard(target.task.id),
        task=target.task, slip=target.slip, limit=MAX_FEEDBACK, progress=progress,
    )


async def collect_feedback(update: Update, context: DubanContext) -> None:
    """In the 反馈 dialog: keep each text, document and photo until 提交."""
    assert context.user_data is not None and update.effective_message is not None
    draft: FeedbackDraft = context.user_data[FEEDBACK_DRAFT]
    if await bound_person(update, context) is None:
        return
    message = update.effective_message
    text = _message_text(message).strip()
    length = len("\n".join([draft.text, text]).strip())
    if length > MAX_FEEDBACK:
        await refuse(update, DomainError("feedback_too_long", limit=MAX_FEEDBACK, length=length))
        return
    draft.texts.append(text)
    attachment = _attachment(message)
    if attachment is not None:
        draft.attachments.append(attachment)
    if message.media_group_id is not None and message.media_group_id == draft.last_album:
        return  # one note per album is enough
    draft.last_album = message.media_group_id
    await message.reply_text(
        dialogs.text("slip_actions/feedback_collected", length=len(draft.text), files=len(draft.attachments)),
        reply_markup=_draft_keyboard(draft.task_id),
    )


async def submit_draft(update: Update, context: DubanContext, button: OfTask | None = None) -> None:
    """提交 (or /done): record the dialog's report against its slip."""
    assert context.user_data is not None and update.effective_chat is not None
    query = update.callback_query
    draft: FeedbackDraft | None = context.user_data.get(FEEDBACK_DRAFT)
    if button is not None and (draft is None or draft.task_id != button.task_id):
        await dialogs.stale_button(update, context)
        return
    assert draft is not None  # /done is only taken while the dialog is open
    if query is not None and await dialogs.told_lapsed(update, context, draft):
        return
    person = await bound_person(update, context)
    if person is None:
        return
    office = context.office
    submit = handling.submit_progress if draft.progress else handling.submit_feedback
    try:
        receipt = await submit(
            office, person, draft.task_id, draft.text, office.now(), tuple(draft.attachments), draft.slip.id
        )
    except DomainError as exc:
        await dialogs.refused(update, context, exc, FEEDBACK_DRAFT)
        return
    context.user_data.pop(FEEDBACK_DRAFT, None)
    if query is not None:
        await query.answer()
        await clear_buttons(context, update.effective_chat.id, query.message.message_id if query.message else None)
    await send(context, update.effective_chat.id, "slip_actions/feedback_submitted", receipt=receipt, slip=draft.slip)


async def reply_feedback(update: Update, context: DubanContext) -> None:
    """A reply to a slip message (text, a document with its caption, photos) is feedback on it."""
    message = update.effective_message
    assert message is not None and message.reply_to_message is not None and update.effective_chat is not None
    person = await bound_person(update, context)
    if person is None:
        return
    office = context.office
    today = office.now().date()
    text = _message_text(message)
    target = await slip_lookup.by_message(office, Account(TELEGRAM, str(update.effective_chat.id)), str(message.reply_to_message.message_id))
    if target is not None and slip_lookup.reviews_rather_than_answers(person, target.task):
        await reply(update, "slip_actions/use_review_buttons", label=label)
        return
    if target is None:
        target = await slip_lookup.cited_in(office, person, text, today)
    if target is None:
        raise await slip_lookup.not_found(office, person, today, "not_linked")
    attachment = _attachment(message)
    attachments = (attachment,) if attachment is not None else ()
    if message.media_group_id is not None:
        _start_album(context, person, target, update.effective_chat.id, message.media_group_id, text, attachments)
        return
    await _submit(update, context, person, target, text, attachments)


async def _submit(
    update: Update, context: DubanContext, person: Person, target: SlipTarget, text: str, attachments: tuple[Attachment, ...]
) -> None:
    office = context.office
    receipt = await handling.submit_feedback(office, person, target.task.id, text, office.now(), attachments, target.slip.id)
    await reply(update, "slip_actions/feedback_submitted", label=label, receipt=receipt, slip=target.slip)


def _albums(context: DubanContext) -> dict[str, Album]:
    return context.bot_data["slip_actions.albums"]  # type: ignore[no-any-return]


def _start_album(
    context: DubanContext, person: Person, target: SlipTarget, chat_id: int, group: str, text: str,
    attachments: tuple[Attachment, ...],
) -> None:
    albums = _albums(context)
    albums[group] = Album(person, target, chat_id, [text], list(attachments))
    # The album is recorded after this handler returns: its first update stays unconfirmed
    # until then, so a crash in between brings the whole album again.
    release = context.bot_data["inbox"].hold()
    context.application.create_task(_submit_album(context, group, release), name="album:%s" % group)


async def album_item(update: Update, context: DubanContext) -> None:
    """A later photo or document of an album already being collected."""
    message = update.effective_message
    assert message is not None and message.media_group_id is not None
    album = _albums(context).get(message.media_group_id)
    if album is None:
        return
    album.texts.append(_message_text(message))
    attachment = _attachment(message)
    if attachment is not None:
        album.attachments.append(attachment)


async def _submit_album(context: DubanContext, group: str, release: Callable[[], None]) -> None:
    try:
        await _record_album(context, group)
    finally:
        release()


async def _record_album(context: DubanContext, group: str) -> None:
    await asyncio.sleep(ALBUM_WAIT)
    album = _albums(context).pop(group, None)
    if album is None:
        return
    office = context.office
    text = "\n".join(t for t in album.texts if t)
    try:
        receipt = await handling.submit_feedback(
            office, album.person, album.target.task.id, text, office.now(), tuple(album.attachments), album.target.slip.id
        )
    except DomainError as exc:
        await context.bot.send_message(album.chat_id, explain(exc))
        return
    await send(context, album.chat_id, "slip_actions/feedback_submitted", receipt=receipt, slip=album.target.slip)


async def feedback_command(update: Update, context: DubanContext) -> None:
    """``/feedback <编号> <内容>``; with only a number, the dialog asks for the report."""
    message = update.effective_message
    assert message is not None and update.effective_chat is not None
    person = await bound_person(update, context)
    if person is None:
        return
    if not may_use(person, "feedback"):
        await refuse(update, DomainError("not_allowed"))
        return
    office = context.office
    today = office.now().date()
    parts = _message_text(message).split(maxsplit=1)
    typed = parts[1] if len(parts) > 1 else ""
    if not typed.strip():
        raise await slip_lookup.not_found(office, person, today, "missing")
    split = slip_lookup.split_reference(typed, today.year)
    attachment = _attachment(message)
    if split is None:
        # no number first: what was typed is the feedback, kept while the person picks its slip
        unread = await slip_lookup.not_found(office, person, today, "invalid", typed.split()[0])
        await _keep_and_ask(update, context, typed.strip(), attachment, unread)
        return
    reference, text = split
    try:
        target = await slip_lookup.by_parsed_reference(office, person, reference, today, slip_lookup.typed_number(typed, text))
    except DomainError as exc:
        if exc.code not in ("slip_not_found", "slip_ambiguous") or not (text or attachment):
            raise
        await _keep_and_ask(update, context, text, attachment, exc)
        return
    if not text and attachment is None:
        slip_lookup.check_may_feed_back(person, target.task)
    if not text and attachment is None:
        await _start_feedback_dialog(context, update.effective_chat.id, target)
        return
    await _submit(update, context, person, target, text, (attachment,) if attachment else ())


async def _keep_and_ask(
    update: Update, context: DubanContext, text: str, attachment: Attachment | None, unresolved: DomainError
) -> None:
    """The feedback is kept, not lost: the person picks the slip it is for, one button each —
    the two a short number may mean, or their open slips. With no open slip there is nothing to
    pick, and the refusal says so."""
    assert context.user_data is not None and update.effective_message is not None
    choices = slip_lookup.offered(unresolved)[:KEPT_CHOICES]
    if not choices:
        raise unresolved
    context.user_data[KEPT_FEEDBACK] = KeptFeedback(text, (attachment,) if attachment else (), tuple(t.id for t in choices))
    buttons = keyboard(*[[(f"{t.number.full} {t.title[:12]}", actions.FEEDBACK_FOR(task_id=t.id))] for t in choices])
    await update.effective_message.reply_text(
        dialogs.text("slip_actions/which_slip", text=unresolved.details.get("text", ""), choices=choices,
                     reason="ambiguous" if unresolved.code == "slip_ambiguous" else unresolved.details.get("reason"),
                     length=len(text), files=1 if attachment else 0),
        reply_markup=buttons,
    )


async def kept_for(update: Update, context: DubanContext, button: OfTask) -> None:
    """The slip picked for a kept feedback: it is recorded against it, and the choice marked."""
    query = update.callback_query
    assert query is not None and context.user_data is not None and update.effective_chat is not None
    kept: KeptFeedback | None = context.user_data.get(KEPT_FEEDBACK)
    task_id = button.task_id
    if kept is None or task_id not in kept.choices:
        await dialogs.stale_button(update, context)
        return
    person = await bound_person(update, context)
    if person is None:
        return
    office = context.office
    target = await slip_lookup.by_task(office, task_id)
    receipt = await handling.submit_feedback(office, person, task_id, kept.text, office.now(), kept.attachments, target.slip.id)
    context.user_data.pop(KEPT_FEEDBACK, None)
    await query.answer()
    if isinstance(query.message, Message):
        await dialogs.mark_done(
            context, query.message.chat_id, query.message.message_id, query.message.text_html,
            dialogs.text("marks/chosen", choice=target.task.number.full),
        )
    await send(context, update.effective_chat.id, "slip_actions/feedback_submitted", receipt=receipt, slip=target.slip)


# ------------------------------------------------------------------------- 通过 / 退回


async def accept(update: Update, context: DubanContext, button: OfItem) -> None:
    """通过(办结): the task is completed; the unit is told."""
    query = update.callback_query
    assert query is not None and update.effective_chat is not None
    person = await bound_person(update, context)
    if person is None:
        return
    office = context.office
    now = office.now()
    task = await handling.accept(office, person, button.item_id, now)
    await query.answer(short_notice(dialogs.text("slip_actions/accepted", task=task)))
    await dialogs.mark_done(
        context, update.effective_chat.id, query.message.message_id if query.message else None,
        dialogs.html_of(query.message), dialogs.text("marks/accepted", at=now),
    )
    await send(context, update.effective_chat.id, "slip_actions/accepted", task=task)


async def open_return_dialog(update: Update, context: DubanContext, button: OfItem) -> None:
    """退回: ask the reviewer why (the next text), then for an optional new date."""
    query = update.callback_query
    assert query is not None and update.effective_chat is not None and context.user_data is not None
    person = await bound_person(update, context)
    if person is None:
        return
    feedback_id = button.item_id
    _, task = await slip_lookup.reviewable(context.office, person, feedback_id)
    dialogs.open_dialog(context, RETURN_DRAFT, ReturnDraft(
        feedback_id, update.effective_chat.id, query.message.message_id if query.message else None, context.office.now(),
        review_html=dialogs.html_of(query.message), deadline=task.deadline,
    ))
    await query.answer()
    await send(
        context, update.effective_chat.id, "slip_actions/return_reason", keyboard([dialogs.cancel_button()]),
        task=task, limit=MAX_FEEDBACK,
    )


async def return_answer(update: Update, context: DubanContext) -> None:
    """In the 退回 dialog: first the reason, then a date (or 跳过)."""
    message = update.effective_message
    assert message is not None and context.user_data is not None and update.effective_chat is not None
    draft: ReturnDraft = context.user_data[RETURN_DRAFT]
    person = await bound_person(update, context)
    if person is None:
        return
    text = _message_text(message).strip()
    if draft.reason is None:
        if len(text) > MAX_FEEDBACK:
            await refuse(update, DomainError("feedback_too_long", limit=MAX_FEEDBACK, length=len(text)))
            return
        draft.reason = text
        await send(
            context, update.effective_chat.id, "slip_actions/return_date", keyboard(
                [(label("buttons", "skip"), actions.RETURN_NO_DATE(feedback_id=draft.feedback_id)), dialogs.cancel_button()]
            ),
            today=context.office.now().date(),
        )
        return
    new_deadline = read_date(text, context.office.now().date(), ahead=True)
    if new_deadline is None:
        raise DomainError("return_date_invalid", text=text[:50])
    await _finish_return(update, context, person, draft, new_deadline)


async def skip_date(update: Update, context: DubanContext, button: OfFeedback) -> None:
    """跳过: return the feedback keeping the current deadline."""
    pressed = await dialogs.dialog_button(
        update, context, RETURN_DRAFT, lambda d: d.reason is not None and d.feedback_id == button.feedback_id
    )
    if pressed is not None:
        await _finish_return(update, context, *pressed, None)
        dialogs.tidy_later(update, context)


async def _finish_return(
    update: Update, context: DubanContext, person: Person, draft: ReturnDraft, new_deadline: date | None
) -> None:
    assert context.user_data is not None and update.effective_chat is not None and draft.reason is not None
    office = context.office
    try:
        task = await handling.return_feedback(office, person, draft.feedback_id, draft.reason, office.now(), new_deadline)
    except DomainError as exc:
        dialogs.keep_or_end(context, exc, RETURN_DRAFT)
        await context.bot.send_message(update.effective_chat.id, explain(exc))
        return
    context.user_data.pop(RETURN_DRAFT, None)
    await send(context, update.effective_chat.id, "slip_actions/returned", task=task, reason=draft.reason, new_deadline=new_deadline,
               deadline_before=draft.deadline)
    # The review's 通过 / 退回 come off after the answer, which is what the reviewer waits for.
    mark = dialogs.text(
        "marks/returned", reason=draft.reason, new_deadline=task.deadline if new_deadline else None, at=office.now()
    )
    context.application.create_task(
        dialogs.mark_done(context, draft.chat_id, draft.message_id, draft.review_html, mark), update=update
    )


# ------------------------------------------------------------------------------ wiring


COMMANDS = ("feedback",)
"""The commands this module adds to the menu."""


def register(application: DubanApplication) -> None:
    """Add 签收, 反馈 (button dialog, reply, /feedback), 通过 and 退回."""
    private = filters.ChatType.PRIVATE
    in_feedback = InDialog(application, FEEDBACK_DRAFT)
    in_return = InDialog(application, RETURN_DRAFT)
    albums: dict[str, Album] = {}
    application.bot_data["slip_actions.albums"] = albums
    text = filters.TEXT & ~filters.COMMAND
    report = text | filters.Document.ALL | filters.PHOTO

    # The open dialogs first: while one is open, its person's messages are its answers.
    application.add_handler(CommandHandler("done", submit_draft, filters=private & in_feedback))
    application.add_handler(MessageHandler(private & in_return & text, return_answer))
    application.add_handler(MessageHandler(private & in_feedback & report, collect_feedback))

    buttons.on(application, actions.ACKNOWLEDGE, acknowledge)
    buttons.on(application, actions.FEEDBACK, open_feedback)
    buttons.on(application, actions.PROGRESS, open_progress)
    buttons.on(application, actions.SUBMIT_FEEDBACK, submit_draft)
    buttons.on(application, actions.ACCEPT, accept)
    buttons.on(application, actions.RETURN, open_return_dialog)
    buttons.on(application, actions.RETURN_NO_DATE, skip_date)
    buttons.on(application, actions.FEEDBACK_FOR, kept_for)

    application.add_handler(CommandHandler("feedback", feedback_command, filters=private))
    application.add_handler(MessageHandler(private & _AlbumContinues(albums), album_item))
    application.add_handler(MessageHandler(private & filters.REPLY & report, reply_feedback))
