"""The intake in chat: /minutes and minutes sent as a file, /instruct and a leader's 批示件, the
review of the drafts (修改 · 删除 · 全部签发), and /aliases for the administrator."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime

from bot import actions
from bot.actions import DocumentPage, OfDocument, OfDraft
from bot.conversation import kit, routes
from bot.conversation.answer import Answer, reply
from bot.conversation.asking import bound_person, heavy_work, not_understood, refuse
from bot.conversation.said import Received, Said
from bot.domain.errors import DomainError
from bot.domain.org import Person
from bot.readers.issue_form import after_command
from bot.services import intake
from bot.texts import render


@dataclass
class EditDraft:
    """修改 is open: the next text message holds the changed lines of this draft."""

    draft_id: int
    started: datetime
    id: str = ""
    message: str | None = None
    """The channel's id of the review 修改 was pressed on."""
    html: str | None = None
    """The review as it read when 修改 was pressed: a newer one replaces it, and it says so."""


@dataclass
class PendingInstruction:
    """A 批示件 arrived without words: the next text message is the 批示."""

    file: intake.ReceivedFile
    started: datetime
    id: str = ""


async def _show_review(answer: Answer, review: intake.Review, page: int = 0) -> None:
    notice = intake.review_payload(review, page)
    await answer.say(notice.text, notice.buttons)


async def _replace_review(answer: Answer, review: intake.Review, page: int = 0) -> None:
    notice = intake.review_payload(review, page)
    await answer.redraw(notice.text, notice.buttons)


async def _fetch(received: Received, channel: str) -> intake.ReceivedFile:
    """The document or the photo sent, refused before it is fetched when too big."""
    name = (received.name or None) if received.kind == "document" else None
    return await intake.fetch_file(received.kind, received.reference, name, received.size, received.read, channel)


# ------------------------------------------------------------------------------ receiving


async def minutes_command(said: Said, answer: Answer) -> None:
    """/minutes with the pasted text of a 会议纪要; alone, how to send the minutes."""
    person = await bound_person(said, answer, "minutes")
    if person is None:
        return
    text = after_command(said.text)
    if not text:
        await reply(answer, "intake/send_minutes")
        return
    try:
        review = await intake.receive_minutes(said.office, person, text, said.office.now())
    except DomainError as exc:
        await refuse(said, answer, exc)
        return
    await _show_review(answer, review)


async def file_received(said: Said, answer: Answer) -> None:
    """A document or photo that is not a reply to a slip: minutes from the office, a 批示件 from
    a leader; anyone else is told what the bot understands."""
    person = await said.person()
    if person is None:
        await reply(answer, "start/unknown")
        return
    received = said.files[0]
    if intake.reads_minutes(person) and (received.kind == "document" or not intake.instructs(person)):
        await _minutes_file(said, answer, person, received)
    elif intake.instructs(person):
        await _instruction_file(said, answer, person, received)
    else:
        await not_understood(said, answer, person)


async def _minutes_file(said: Said, answer: Answer, person: Person, received: Received) -> None:
    office = said.office
    try:
        file = await _fetch(received, said.account.channel)
        # A long PDF, or a scan read by OCR (seconds a page), takes a while: in a worker thread,
        # a few at once, while other people's messages go on.
        async with heavy_work(said, answer):
            read = await asyncio.to_thread(intake.text_of_file, file.data, file.file_name or "")
        review = await intake.receive_minutes(office, person, read.text, office.now(), file, read.scanned)
    except DomainError as exc:
        await refuse(said, answer, exc)
        return
    await _show_review(answer, review)


async def _instruction_file(said: Said, answer: Answer, person: Person, received: Received) -> None:
    try:
        file = await _fetch(received, said.account.channel)
    except DomainError as exc:
        await refuse(said, answer, exc)
        return
    words = said.text.strip()
    if not words:
        kit.open_dialog(said, answer, kit.INTAKE_INSTRUCTION, PendingInstruction(file, said.office.now(), kit.new_id()))
        await reply(answer, "intake/ask_instruction_text")
        return
    await _instruction(said, answer, person, words, file)


async def _instruction(said: Said, answer: Answer, person: Person, words: str, file: intake.ReceivedFile | None) -> None:
    try:
        await intake.receive_instruction(said.office, person, words, said.office.now(), file)
    except DomainError as exc:
        await refuse(said, answer, exc)


async def instruct_command(said: Said, answer: Answer) -> None:
    """/instruct 批示内容: a leader's 批示 typed in chat."""
    person = await bound_person(said, answer, "instruct")
    if person is None:
        return
    words = after_command(said.text)
    if not words:
        await reply(answer, "intake/send_instruction")
        return
    await _instruction(said, answer, person, words, None)


async def instruction_words(said: Said, answer: Answer) -> None:
    """The 批示 written in the message after its 批示件."""
    person = await bound_person(said, answer, "instruct")
    pending: PendingInstruction | None = said.dialogs.pop(kit.INTAKE_INSTRUCTION, None)
    if person is None or pending is None:
        return
    await _instruction(said, answer, person, said.text, pending.file)


# ------------------------------------------------------------------------------ the review


async def page_button(said: Said, answer: Answer, button: DocumentPage) -> None:
    """上一页 / 下一页 of the review."""
    person = await bound_person(said, answer)
    if person is None:
        return
    try:
        review = await intake.review(said.office, person, button.document_id)
    except DomainError as exc:
        await refuse(said, answer, exc)
        return
    await answer.toast()
    await _replace_review(answer, review, button.page)


async def delete_button(said: Said, answer: Answer, button: OfDraft) -> None:
    """删除N: the draft is dropped; the review shows the rest."""
    person = await bound_person(said, answer)
    if person is None:
        return
    try:
        review = await intake.delete_draft(said.office, person, button.draft_id, said.office.now())
    except DomainError as exc:
        await refuse(said, answer, exc)
        return
    await answer.toast()
    await _replace_review(answer, review)


async def edit_button(said: Said, answer: Answer, button: OfDraft) -> None:
    """修改N: ask for the lines to change, showing the draft's fields as they stand."""
    person = await bound_person(said, answer)
    if person is None:
        return
    office = said.office
    try:
        draft = await intake.draft_for_edit(office, person, button.draft_id)
        review = await intake.review(office, person, draft.document_id)
    except DomainError as exc:
        await refuse(said, answer, exc)
        return
    await answer.toast()
    editing = EditDraft(draft.id, office.now(), kit.new_id(), said.pressed_on, said.pressed_html)
    kit.open_dialog(said, answer, kit.INTAKE_EDIT, editing)
    await kit.ask(said, answer, "intake/ask_edit", draft=draft, units=review.unit_names)


async def edit_answer(said: Said, answer: Answer) -> None:
    """The changed lines of the draft being edited; on a mistake the question stays open."""
    person = await bound_person(said, answer)
    editing: EditDraft = kit.draft(said, kit.INTAKE_EDIT)
    if person is None:
        return
    try:
        review = await intake.edit_draft(said.office, person, editing.draft_id, said.text, said.office.now())
    except DomainError as exc:
        await kit.refused(said, answer, exc)
        return
    kit.close_all(said, answer)
    await _show_review(answer, review)
    # the review just shown replaces the one 修改 was pressed on: its buttons would act on drafts as they were
    if editing.message is not None:
        await answer.mark_at(editing.message, editing.html, render("marks/replaced").strip())


async def cancel_edit(said: Said, answer: Answer) -> None:
    """/cancel while 修改 (or a 批示件's words) is awaited."""
    kit.close_all(said, answer)
    await reply(answer, "intake/edit_cancelled")


async def issue_all_button(said: Said, answer: Answer, button: OfDocument) -> None:
    """全部签发: every complete draft issued at once; the review keeps what is left."""
    person = await bound_person(said, answer)
    if person is None:
        return
    office = said.office
    document_id = button.document_id
    try:
        await intake.issue_all(office, person, document_id, office.now())
        review = await intake.review(office, person, document_id)
    except DomainError as exc:
        await refuse(said, answer, exc)
        return
    await answer.toast()
    await _replace_review(answer, review)


# ------------------------------------------------------------------------------ aliases


async def aliases_command(said: Said, answer: Answer) -> None:
    """/aliases 单位 [别名、别名 | -]: show or set the other names of a unit."""
    person = await bound_person(said, answer, "aliases")
    if person is None:
        return
    words = after_command(said.text).split(maxsplit=1)
    office = said.office
    try:
        if not words:
            raise DomainError("aliases_usage")
        if len(words) == 1:
            result = await intake.unit_aliases(office, person, words[0])
        else:
            result = await intake.set_unit_aliases(office, person, words[0], words[1], office.now())
    except DomainError as exc:
        await refuse(said, answer, exc)
        return
    await reply(answer, "intake/aliases", result=result, changed=len(words) > 1)


# ------------------------------------------------------------------------------ routes


COMMANDS = ("minutes", "instruct", "aliases")
"""The commands this module adds to the menu."""

ROUTES: tuple[routes.Route, ...] = (
    routes.Command("cancel", cancel_edit, while_open=(kit.INTAKE_EDIT, kit.INTAKE_INSTRUCTION)),
    routes.InDialog(kit.INTAKE_EDIT, edit_answer),
    routes.InDialog(kit.INTAKE_INSTRUCTION, instruction_words),
    routes.Command("minutes", minutes_command),
    routes.Command("instruct", instruct_command),
    routes.Command("aliases", aliases_command),
    routes.FileSent(file_received),
    routes.Pressed(actions.EDIT_DRAFT, edit_button),
    routes.Pressed(actions.DELETE_DRAFT, delete_button),
    routes.Pressed(actions.ISSUE_ALL, issue_all_button),
    routes.Pressed(actions.TURN_DRAFTS, page_button),
)
"""Its own /cancel of 修改 and of a 批示件's words (before the kit's), the answers those dialogs
await, /minutes, /instruct, /aliases, files sent on their own, and the review's buttons."""
