"""The intake in chat: /minutes and minutes sent as a file, /instruct and a leader's 批示件, the
review of the drafts (修改 · 删除 · 全部签发), and /aliases for the administrator."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest
from telegram.ext import CommandHandler, MessageHandler, filters

from bot import actions
from bot.actions import DocumentPage, OfDocument, OfDraft
from bot.domain.errors import DomainError
from bot.domain.org import Person
from bot.edge import Notice
from bot.conversation import buttons
from bot.conversation.common import bound_person, current_person, heavy_work, not_understood, refuse, reply
from bot.channels.telegram.context import DubanApplication, DubanContext
from bot.conversation.dialogs import (
    INTAKE_EDIT, INTAKE_INSTRUCTION, InDialog, close_dialogs, html_of, mark_done, open_dialog, refused,
)
from bot.services import intake
from bot.readers.issue_form import after_command
from bot.texts import render



@dataclass
class EditDraft:
    """修改 is open: the next text message holds the changed lines of this draft."""

    draft_id: int
    started: datetime
    chat_id: int | None
    message_id: int | None
    html: str | None = None
    """The review as it read when 修改 was pressed: a newer one replaces it, and it says so."""


@dataclass
class PendingInstruction:
    """A 批示件 arrived without words: the next text message is the 批示."""

    file: intake.ReceivedFile
    started: datetime


def _markup(notice: Notice) -> InlineKeyboardMarkup | None:
    if not notice.buttons:
        return None
    return InlineKeyboardMarkup(buttons.drawn(notice.buttons))


async def _show_review(update: Update, review: intake.Review, page: int = 0) -> None:
    notice = intake.review_payload(review, page)
    assert update.effective_message is not None
    await update.effective_message.reply_text(notice.text, reply_markup=_markup(notice))


async def _replace_review(update: Update, review: intake.Review, page: int = 0) -> None:
    query = update.callback_query
    assert query is not None
    notice = intake.review_payload(review, page)
    try:
        await query.edit_message_text(notice.text, reply_markup=_markup(notice))
    except BadRequest:
        pass  # unchanged text, or a message too old to edit: the state is already saved


async def _download(message: Message) -> intake.ReceivedFile:
    """The document or the largest photo of ``message``, refused before download when too big."""
    if message.document is not None:
        kind, file_id, name, size = "document", message.document.file_id, message.document.file_name, message.document.file_size
    else:
        photo = message.photo[-1]
        kind, file_id, name, size = "photo", photo.file_id, None, photo.file_size
    if size is not None and size > intake.MAX_FILE_BYTES:
        raise DomainError("intake_file_too_large", size_mb=round(size / 2**20, 1), limit_mb=intake.MAX_FILE_BYTES // 2**20)
    telegram_file = await message.get_bot().get_file(file_id)
    data = bytes(await telegram_file.download_as_bytearray())
    return intake.ReceivedFile(kind, file_id, name, data)


# ------------------------------------------------------------------------------ receiving


async def minutes_command(update: Update, context: DubanContext) -> None:
    """/minutes with the pasted text of a 会议纪要; alone, how to send the minutes."""
    person = await bound_person(update, context, "minutes")
    if person is None:
        return
    assert update.effective_message is not None
    text = after_command(update.effective_message.text or "")
    if not text:
        await reply(update, "intake/send_minutes")
        return
    try:
        review = await intake.receive_minutes(context.office, person, text, context.office.now())
    except DomainError as exc:
        await refuse(update, exc)
        return
    await _show_review(update, review)


async def file_received(update: Update, context: DubanContext) -> None:
    """A document or photo that is not a reply to a slip: minutes from the office, a 批示件 from
    a leader; anyone else is told what the bot understands."""
    person = await current_person(update, context)
    message = update.effective_message
    assert message is not None
    if person is None:
        await reply(update, "start/unknown")
        return
    if intake.reads_minutes(person) and (message.document is not None or not intake.instructs(person)):
        await _minutes_file(update, context, person, message)
    elif intake.instructs(person):
        await _instruction_file(update, context, person, message)
    else:
        await not_understood(update, person)


async def _minutes_file(update: Update, context: DubanContext, person: Person, message: Message) -> None:
    office = context.office
    try:
        received = await _download(message)
        # A long PDF, or a scan read by OCR (seconds a page), takes a while: in a worker thread,
        # a few at once, while other people's updates go on.
        async with heavy_work(update, context):
            read = await asyncio.to_thread(intake.text_of_file, received.data, received.file_name or "")
        review = await intake.receive_minutes(office, person, read.text, office.now(), received, read.scanned)
    except DomainError as exc:
        await refuse(update, exc)
        return
    await _show_review(update, review)


async def _instruction_file(update: Update, context: DubanContext, person: Person, message: Message) -> None:
    office = context.office
    try:
        received = await _download(message)
    except DomainError as exc:
        await refuse(update, exc)
        return
    words = (message.caption or "").strip()
    if not words:
        open_dialog(context, INTAKE_INSTRUCTION, PendingInstruction(received, office.now()))
        await reply(update, "intake/ask_instruction_text")
        return
    await _instruction(update, context, person, words, received)


async def _instruction(
    update: Update, context: DubanContext, person: Person, words: str, received: intake.ReceivedFile | None
) -> None:
    try:
        await intake.receive_instruction(context.office, person, words, context.office.now(), received)
    except DomainError as exc:
        await refuse(update, exc)
        return


async def instruct_command(update: Update, context: DubanContext) -> None:
    """/instruct 批示内容: a leader's 批示 typed in chat."""
    person = await bound_person(update, context, "instruct")
    if person is None:
        return
    assert update.effective_message is not None
    words = after_command(update.effective_message.text or "")
    if not words:
        await reply(update, "intake/send_instruction")
        return
    await _instruction(update, context, person, words, None)


async def instruction_words(update: Update, context: DubanContext) -> None:
    """The 批示 written in the message after its 批示件."""
    person = await bound_person(update, context, "instruct")
    assert context.user_data is not None and update.effective_message is not None
    pending = context.user_data.pop(INTAKE_INSTRUCTION, None)
    if person is None or pending is None:
        return
    await _instruction(update, context, person, update.effective_message.text or "", pending.file)


# ------------------------------------------------------------------------------ the review


async def page_button(update: Update, context: DubanContext, button: DocumentPage) -> None:
    """上一页 / 下一页 of the review."""
    query = update.callback_query
    person = await bound_person(update, context)
    if person is None or query is None:
        return
    try:
        review = await intake.review(context.office, person, button.document_id)
    except DomainError as exc:
        await refuse(update, exc)
        return
    await query.answer()
    await _replace_review(update, review, button.page)


async def delete_button(update: Update, context: DubanContext, button: OfDraft) -> None:
    """删除N: the draft is dropped; the review shows the rest."""
    person = await bound_person(update, context)
    if person is None or update.callback_query is None:
        return
    try:
        review = await intake.delete_draft(context.office, person, button.draft_id, context.office.now())
    except DomainError as exc:
        await refuse(update, exc)
        return
    await update.callback_query.answer()
    await _replace_review(update, review)


async def edit_button(update: Update, context: DubanContext, button: OfDraft) -> None:
    """修改N: ask for the lines to change, showing the draft's fields as they stand."""
    query = update.callback_query
    person = await bound_person(update, context)
    if person is None or query is None:
        return
    office = context.office
    try:
        draft = await intake.draft_for_edit(office, person, button.draft_id)
        review = await intake.review(office, person, draft.document_id)
    except DomainError as exc:
        await refuse(update, exc)
        return
    await query.answer()
    chat_id = query.message.chat.id if query.message else None
    message_id = query.message.message_id if query.message else None
    open_dialog(context, INTAKE_EDIT, EditDraft(draft.id, office.now(), chat_id, message_id, html_of(query.message)))
    assert update.effective_chat is not None
    await context.bot.send_message(update.effective_chat.id, render("intake/ask_edit", draft=draft, units=review.unit_names))


async def edit_answer(update: Update, context: DubanContext) -> None:
    """The changed lines of the draft being edited; on a mistake the question stays open."""
    person = await bound_person(update, context)
    assert context.user_data is not None and update.effective_message is not None
    editing: EditDraft | None = context.user_data.get(INTAKE_EDIT)
    if person is None or editing is None:
        return
    try:
        review = await intake.edit_draft(context.office, person, editing.draft_id, update.effective_message.text or "", context.office.now())
    except DomainError as exc:
        await refused(update, context, exc)
        return
    close_dialogs(context)
    await _show_review(update, review)
    # the review just shown replaces the one 修改 was pressed on: its buttons would act on drafts as they were
    await mark_done(context, editing.chat_id, editing.message_id, editing.html, render("marks/replaced").strip())


async def cancel_edit(update: Update, context: DubanContext) -> None:
    """/cancel while 修改 (or a 批示件's words) is awaited."""
    close_dialogs(context)
    await reply(update, "intake/edit_cancelled")


async def issue_all_button(update: Update, context: DubanContext, button: OfDocument) -> None:
    """全部签发: every complete draft issued at once; the review keeps what is left."""
    query = update.callback_query
    person = await bound_person(update, context)
    if person is None or query is None:
        return
    office = context.office
    document_id = button.document_id
    try:
        await intake.issue_all(office, person, document_id, office.now())
        review = await intake.review(office, person, document_id)
    except DomainError as exc:
        await refuse(update, exc)
        return
    await query.answer()
    await _replace_review(update, review)


# ------------------------------------------------------------------------------ aliases


async def aliases_command(update: Update, context: DubanContext) -> None:
    """/aliases 单位 [别名、别名 | -]: show or set the other names of a unit."""
    person = await bound_person(update, context, "aliases")
    if person is None:
        return
    assert update.effective_message is not None
    words = after_command(update.effective_message.text or "").split(maxsplit=1)
    office = context.office
    try:
        if not words:
            raise DomainError("aliases_usage")
        if len(words) == 1:
            result = await intake.unit_aliases(office, person, words[0])
        else:
            result = await intake.set_unit_aliases(office, person, words[0], words[1], office.now())
    except DomainError as exc:
        await refuse(update, exc)
        return
    await reply(update, "intake/aliases", result=result, changed=len(words) > 1)


# ------------------------------------------------------------------------------ wiring


COMMANDS = ("minutes", "instruct", "aliases")
"""The commands this module adds to the menu."""


def register(application: DubanApplication) -> None:
    """Add /minutes, /instruct, /aliases, files sent on their own, and the review's buttons."""
    private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
    words = filters.TEXT & ~filters.COMMAND
    editing = InDialog(application, INTAKE_EDIT)
    awaiting = InDialog(application, INTAKE_INSTRUCTION)

    application.add_handler(CommandHandler("cancel", cancel_edit, filters=private & (editing | awaiting)))
    application.add_handler(MessageHandler(private & editing & words, edit_answer))
    application.add_handler(MessageHandler(private & awaiting & words, instruction_words))
    application.add_handler(CommandHandler("minutes", minutes_command, filters=private))
    application.add_handler(CommandHandler("instruct", instruct_command, filters=private))
    application.add_handler(CommandHandler("aliases", aliases_command, filters=private))
    application.add_handler(MessageHandler(private & ~filters.REPLY & (filters.Document.ALL | filters.PHOTO), file_received))
    buttons.on(application, actions.EDIT_DRAFT, edit_button)
    buttons.on(application, actions.DELETE_DRAFT, delete_button)
    buttons.on(application, actions.ISSUE_ALL, issue_all_button)
    buttons.on(application, actions.TURN_DRAFTS, page_button)
