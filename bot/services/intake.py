"""The intake: a 会议纪要 or a leader's 批示 becomes draft 交办单, reviewed and issued in one tap.

The notice, section 一: 「市政府常务会议议定事项、市政府主要领导批示件…由市政府办公室政务监督室依据相关文件、
会议纪要建立工作台账进行专项交办」. The office sends the minutes (.docx, a PDF with a text layer, or
pasted text); each 议定事项 becomes a draft (:mod:`bot.domain.minutes`). 全部签发 issues every
complete draft through :func:`bot.services.issuing.issue_assignment_on` in one transaction, so
they take consecutive numbers together or none is issued. A leader's 批示 becomes a draft for
政务监督室; the leader is told the numbers when it is issued and receives the accepted feedback at
办结 (:func:`report_completion`).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path

import aiosqlite

from bot import actions
from bot.domain import minutes as reading
from bot.domain.errors import DomainError
from bot.domain.feedback import Attachment, Feedback
from bot.domain.minutes import DraftStatus, IntakeDocument, IntakeDraft, IntakeKind
from bot.domain.org import Person, Role
from bot.domain.permissions import Deed, check, may
from bot.domain.tasks import SourceType, Task
from bot.readers.documents import FileText as FileText, text_of_file as text_of_file
from bot.services import evidence, form_issuing
from bot.services.context import Office
from bot.readers.issue_form import KEYS
from bot.services.issuing import AssignmentDraft, IssuedAssignment, issue_assignment_on
from bot.edge import Notice
from bot.services.notify import button, message, send, tell, with_file
from bot.services.notify import received as received_file
from bot.storage import intake as store
from bot.storage import history, org
from bot.texts import label, plain, render

MAX_FILE_BYTES = 20 * 1024 * 1024
"""Telegram lets a bot download files up to 20 MB; a larger one cannot be read."""

MAX_TEXT_CHARS = 200_000
"""About a hundred pages of minutes: more is not one meeting's minutes."""


@dataclass(frozen=True)
class ReceivedFile:
    """A file as it came in chat: the channel's reference to it and its name, and its bytes once
    downloaded."""

    kind: str
    """``document`` or ``photo``."""
    file_id: str
    file_name: str | None
    data: bytes
    channel: str = "telegram"
    """The channel it came on (``bot.edge``), which alone can fetch it again by ``file_id``."""


async def fetch_file(
    kind: str, file_id: str, file_name: str | None, size: int | None, read: Callable[[], Awaitable[bytes]],
    channel: str = "telegram",
) -> ReceivedFile:
    """A file sent in chat, fetched by ``read``; one the channel says is larger than
    ``MAX_FILE_BYTES`` is refused before it is fetched.

    Raises:
        DomainError: ``intake_file_too_large`` (``size_mb``, ``limit_mb``).
    """
    if size is not None and size > MAX_FILE_BYTES:
        raise DomainError("intake_file_too_large", size_mb=round(size / 2**20, 1), limit_mb=MAX_FILE_BYTES // 2**20)
    return ReceivedFile(kind, file_id, file_name, await read(), channel)


@dataclass(frozen=True)
class Review:
    """What the review message shows: the document and its waiting drafts."""

    document: IntakeDocument
    drafts: tuple[IntakeDraft, ...]
    unit_names: dict[int, str]

    @property
    def complete(self) -> tuple[IntakeDraft, ...]:
        """The drafts 全部签发 would issue."""
        return tuple(d for d in self.drafts if d.proposal.complete)


def archive_folder(now: datetime) -> str:
    """The archive folder of the 会议纪要 and 批示件 received in a month: ``intake/2026-12``."""
    return f"intake/{now:%Y-%m}"


def archive_file_name(data: bytes, file_name: str) -> str:
    """The original is kept under its checksum (the same file sent twice is kept once), with the
    sender's suffix reduced to letters and digits: nothing of a user's name reaches the path."""
    suffix = re.sub(r"[^a-z0-9.]", "", Path(file_name or "").suffix.lower())[:8]
    return f"{hashlib.sha256(data).hexdigest()[:32]}{suffix}"


# ------------------------------------------------------------------------------ use cases


def reads_minutes(person: Person) -> bool:
    """A 科室 (or 政务监督室) has its 会议纪要 read into drafts."""
    return may(person, Deed.READ_MINUTES)


def instructs(person: Person) -> bool:
    """A 分管市领导 or the principal gives a 批示."""
    return may(person, Deed.INSTRUCT)


async def _directory(conn: aiosqlite.Connection) -> reading.UnitDirectory:
    units = {u.id: u.name for u in await org.units(conn)}
    return reading.UnitDirectory.build(units, await store.aliases(conn))


def _check_text(text: str) -> str:
    text = text.strip()
    if not text:
        raise DomainError("intake_file_empty")
    if len(text) > MAX_TEXT_CHARS:
        raise DomainError("intake_text_too_long", limit=MAX_TEXT_CHARS, length=len(text))
    return text


async def _with_file(
    office: Office, document: IntakeDocument, file: ReceivedFile | None, now: datetime
) -> tuple[IntakeDocument, str | None]:
    """The document with its original file archived, and the archived copy's checksum."""
    if file is None:
        return document, None
    name = file.file_name or (".jpg" if file.kind == "photo" else "")
    kept = await evidence.keep(office.settings.archive_dir, archive_folder(now), archive_file_name(file.data, name), file.data)
    return replace(
        document, file_kind=file.kind, file_id=file.file_id, file_name=file.file_name, archive_path=kept.relative_path,
        file_channel=file.channel,
    ), kept.sha256


async def receive_minutes(
    office: Office, person: Person, text: str, now: datetime, file: ReceivedFile | None = None, scanned: bool = False
) -> Review:
    """A 会议纪要 (already turned into text) is read into one draft per 议定事项.

    From 政务监督室 the drafts are 市政府常务会议议定事项 (专项); from a 科室, its own meeting's
    (其他口线工作). Nothing is stored when the minutes have no numbered items.

    Raises:
        DomainError: ``not_allowed``, ``intake_file_empty``, ``intake_text_too_long``,
            ``minutes_no_items``.
    """
    if not reads_minutes(person):
        raise DomainError("not_allowed")
    text = _check_text(text)
    minutes = reading.read_minutes(text)
    if not minutes.items:
        raise DomainError("minutes_no_items")
    today = now.date()
    name = minutes.name or (Path(file.file_name).stem if file and file.file_name else "") or plain(render("intake/unnamed_minutes"))
    bases = [
        plain(render("intake/basis_item", name=name, number=minutes.number, ordinal=reading.item_ordinal(item), sub=item.sub))
        for item in reading.matters(minutes)
    ]
    source = SourceType.STANDING_MEETING if may(person, Deed.ISSUE_SPECIAL) else SourceType.OTHER
    received, digest = await _with_file(
        office, IntakeDocument(0, IntakeKind.MINUTES, name, minutes.held_on, person.id, text, scanned=scanned), file, now
    )
    async with office.db.transaction() as conn:
        proposals = reading.propose_from_minutes(minutes, bases, today, await _directory(conn), office.calendar, dated=_dated)
        document = await store.add_document(conn, received, now, digest)
        await store.add_drafts(conn, document.id, proposals, source.value)
        return await _review(conn, document.id)


async def receive_instruction(
    office: Office, leader: Person, text: str, now: datetime, file: ReceivedFile | None = None
) -> Review:
    """A leader's 批示 is recorded (who, when, text, the 批示件) and drafted for 政务监督室.

    The principal's is a 市政府主要领导批示件, another leader's a 市领导交办任务. 政务监督室 is sent
    the review in the same transaction; the leader is told it went there.

    Raises:
        DomainError: ``not_allowed``, ``instruction_empty``, ``intake_text_too_long``,
            ``no_supervision_office``.
    """
    if not instructs(leader):
        raise DomainError("not_allowed")
    text = text.strip()
    if not text:
        raise DomainError("instruction_empty")
    text = _check_text(text)
    today = now.date()
    source = SourceType.PRINCIPAL_INSTRUCTION if leader.has(Role.PRINCIPAL) else SourceType.LEADER_ASSIGNMENT
    basis = plain(render("intake/basis_instruction", leader=leader.name, on=today))
    title = _instruction_title(text, file)
    received, digest = await _with_file(office, IntakeDocument(0, IntakeKind.INSTRUCTION, basis, today, leader.id, text), file, now)
    async with office.db.transaction() as conn:
        supervisors = await org.with_role(conn, Role.SUPERVISOR)
        if not supervisors:
            raise DomainError("no_supervision_office")
        proposal = reading.propose(title, text, basis, today, today, await _directory(conn), office.calendar, dated=_dated)
        document = await store.add_document(conn, received, now, digest)
        await store.add_drafts(conn, document.id, [proposal], source.value)
        review = await _review(conn, document.id)
        for supervisor in supervisors:
            await tell(conn, supervisor, "intake/instruction_received", now, leader=leader, document=document)
            if document.file_id:
                forwarded = received_file(document.file_id, document.file_kind or "document", channel=document.file_channel)
                await send(conn, supervisor, with_file(forwarded), now, purpose="intake")
            await send(conn, supervisor, review_payload(review, 0), now, purpose="intake")
        await tell(conn, leader, "intake/instruction_recorded", now, review=review)
    return review


def _dated(day: date) -> str:
    """A period of the minutes or the 批示 as the 交办单's 工作要求 writes it: 「于2026年12月4日前」."""
    return plain(render("intake/dated_period", day=day))


def _instruction_title(text: str, file: ReceivedFile | None) -> str:
    # A forwarded 请示 / 报告 is named by its file; the 批示's own words are an order, not a title.
    if file is not None and file.kind == "document" and file.file_name:
        return Path(file.file_name).stem
    return re.sub(r"^请", "", text)


async def _review(conn: aiosqlite.Connection, document_id: int) -> Review:
    document = await store.document(conn, document_id)
    if document is None:
        raise DomainError("intake_draft_gone")
    drafts = await store.drafts(conn, document_id)
    names = {u.id: u.name for u in await org.units(conn)}
    return Review(document, tuple(drafts), names)


def _may_handle(person: Person, document: IntakeDocument) -> bool:
    if document.kind is IntakeKind.INSTRUCTION:
        return may(person, Deed.HANDLE_INSTRUCTION_DRAFTS)
    return may(person, Deed.HANDLE_MINUTES_DRAFTS, sent_by=document.sent_by)


async def review(office: Office, person: Person, document_id: int) -> Review:
    """The waiting drafts of a document, for the person who may handle them."""
    review = await _review(office.db.reader, document_id)
    if not _may_handle(person, review.document):
        raise DomainError("not_allowed")
    return review


async def _waiting_draft(conn: aiosqlite.Connection, person: Person, draft_id: int) -> tuple[IntakeDraft, IntakeDocument]:
    draft = await store.draft(conn, draft_id)
    if draft is None or draft.status is not DraftStatus.DRAFT:
        raise DomainError("intake_draft_gone")
    document = await store.document(conn, draft.document_id)
    assert document is not None
    if not _may_handle(person, document):
        raise DomainError("not_allowed")
    return draft, document


async def delete_draft(office: Office, person: Person, draft_id: int, now: datetime) -> Review:
    """删除: the draft will not be issued."""
    async with office.db.transaction() as conn:
        draft, document = await _waiting_draft(conn, person, draft_id)
        await store.decide(conn, draft.id, DraftStatus.DELETED, person.id, now)
        return await _review(conn, document.id)


async def draft_for_edit(office: Office, person: Person, draft_id: int) -> IntakeDraft:
    """The draft 修改 opens, checked to be waiting and the person's to handle."""
    draft, _ = await _waiting_draft(office.db.reader, person, draft_id)
    return draft


EDITABLE = {"title", "requirements", "units", "period"}
"""The lines 修改 reads: 事项, 要求, 单位, 期限 (依据 names the minutes and stays)."""


async def edit_draft(office: Office, person: Person, draft_id: int, text: str, now: datetime) -> Review:
    """修改: lines ``事项：…`` / ``要求：…`` / ``单位：…`` / ``期限：…`` replace those fields; units are
    looked up by name or alias, the 期限 is a date or a number of days from today.

    Raises:
        DomainError: ``intake_edit_invalid`` (no such line), ``intake_unit_unknown``,
            ``period_invalid`` and the other 期限 refusals of :func:`bot.readers.issue_form.parse_time_limit`.
    """
    fields = _edit_lines(text)
    today = now.date()
    async with office.db.transaction() as conn:
        draft, document = await _waiting_draft(conn, person, draft_id)
        proposal = draft.proposal
        directory = await _directory(conn)
        changes: dict[str, object] = {}
        if "title" in fields:
            changes["title"] = fields["title"][: reading.TITLE_LIMIT * 2]
        if "requirements" in fields:
            changes["requirements"] = fields["requirements"]
        problems = [p for p in proposal.problems if p.kind not in _UNIT_PROBLEMS | _DEADLINE_PROBLEMS]
        unit_problems = [p for p in proposal.problems if p.kind in _UNIT_PROBLEMS]
        deadline = proposal.deadline
        if "units" in fields:
            unit_ids, lead = _units_by_name(fields["units"], directory)
            changes["unit_ids"], changes["lead_unit_id"] = unit_ids, lead
            unit_problems = []
        if "period" in fields:
            deadline = office.deadline_after(today, form_issuing.time_limit(office, fields["period"]))
            changes["deadline"] = deadline
            if "requirements" not in fields and proposal.deadline is not None:
                # 「于2026年12月4日前报送」 in 工作要求 follows the new 期限, so the slip says one date.
                changes["requirements"] = proposal.requirements.replace(_dated(proposal.deadline), _dated(deadline))
        edited = replace(proposal, **changes)  # type: ignore[arg-type]
        problems += unit_problems + reading.deadline_problems(deadline, today)
        await store.update_draft(conn, draft.id, replace(edited, problems=tuple(problems)))
        return await _review(conn, document.id)


_UNIT_PROBLEMS = {
    reading.ProblemKind.NO_UNIT, reading.ProblemKind.UNIT_UNKNOWN, reading.ProblemKind.UNIT_AMBIGUOUS,
    reading.ProblemKind.LEAD_ALSO_PARTNER,
}
_DEADLINE_PROBLEMS = {reading.ProblemKind.NO_DEADLINE, reading.ProblemKind.DEADLINE_PASSED}


def _edit_lines(text: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    current: str | None = None
    for raw in text.strip().splitlines():
        line = raw.strip()
        if not line:
            continue
        match = re.match(r"^([^:：]{1,6})[:：](.*)$", line)
        name = KEYS.get(match.group(1).strip()) if match else None
        if match is not None and name in EDITABLE and match.group(2).strip():
            assert name is not None
            fields[name] = match.group(2).strip()
            current = name
        elif match is None and current == "requirements":
            fields[current] += "\n" + line
        else:
            raise DomainError("intake_edit_invalid", line=line[:40])
    if not fields:
        raise DomainError("intake_edit_invalid", line="")
    return fields


def _units_by_name(text: str, directory: reading.UnitDirectory) -> tuple[tuple[int, ...], int | None]:
    """单位：住建局（牵头）、交通运输局 — each name must be one unit; 牵头 marks the lead."""
    ids: list[int] = []
    lead: int | None = None
    for raw in re.split(r"[,，、;；\s]+", text.strip()):
        is_lead = "牵头" in raw
        name = re.sub(r"[（(]?(牵头|配合)[)）]?", "", raw).strip()
        if not name:
            continue
        unit_id = directory.unit_for(name)
        if unit_id is None:
            raise DomainError("intake_unit_unknown", name=name)
        if unit_id in ids:
            if is_lead or unit_id == lead:
                raise DomainError("partner_is_lead", unit=directory.names[unit_id])
            continue
        if is_lead and lead is None:
            lead = unit_id
            ids.insert(0, unit_id)
        else:
            ids.append(unit_id)
    if not ids:
        raise DomainError("intake_edit_invalid", line=text[:40])
    return tuple(ids), lead


@dataclass(frozen=True)
class IssuedIntake:
    """What 全部签发 did: the 交办单 issued per draft, and the drafts left waiting."""

    issued: tuple[tuple[IntakeDraft, tuple[IssuedAssignment, ...]], ...]
    waiting: int


async def issue_all(office: Office, person: Person, document_id: int, now: datetime) -> IssuedIntake:
    """全部签发: every complete draft of the document, each unit its own 交办单 with consecutive
    numbers, all in one transaction; incomplete drafts stay waiting.

    Raises:
        DomainError: ``not_allowed``, ``intake_nothing_complete``, and any refusal of
            :func:`bot.services.issuing.check_draft` (then nothing is issued).
    """
    today = now.date()
    async with office.db.transaction() as conn:
        review = await _review(conn, document_id)
        if not _may_handle(person, review.document):
            raise DomainError("not_allowed")
        ready = [d for d in review.drafts if d.proposal.complete and d.proposal.deadline and d.proposal.deadline > today]
        if not ready:
            raise DomainError("intake_nothing_complete", waiting=len(review.drafts))
        attachment = _basis_attachment(review.document)
        # A 批示 is 专项交办 by 政务监督室 (SPEC 10), whoever wrote it: its 专项台账 line is what
        # the leader's weekly digest follows.
        instruction = review.document.kind is IntakeKind.INSTRUCTION
        results: list[tuple[IntakeDraft, tuple[IssuedAssignment, ...]]] = []
        for draft in ready:
            proposal = draft.proposal
            assert proposal.deadline is not None
            source = SourceType(draft.source)
            issued = await issue_assignment_on(
                conn, office,
                AssignmentDraft(
                    title=proposal.title, requirements=proposal.requirements, basis=proposal.basis, source=source,
                    unit_ids=proposal.unit_ids, period_days=office.period_until(today, proposal.deadline),
                    special_ledger=source.is_special or instruction, attachment=attachment,
                    # 「住建局牵头，交通局配合」: one matter, its 配合单位 sending their parts to the 牵头单位
                    lead_unit_id=proposal.lead_unit_id if len(proposal.unit_ids) > 1 else None,
                ),
                person, now,
            )
            for item in issued:
                await store.link_task(conn, item.task.id, draft.id)
            await store.decide(conn, draft.id, DraftStatus.ISSUED, person.id, now)
            results.append((draft, tuple(issued)))
        waiting = len(review.drafts) - len(ready)
        await tell(conn, person, "intake/issued", now, results=results, waiting=waiting, count=sum(len(i) for _, i in results))
        if review.document.kind is IntakeKind.INSTRUCTION:
            leader = await org.person(conn, review.document.sent_by)
            if leader is not None:
                await tell(conn, leader, "intake/instruction_issued", now, document=review.document, results=results)
    return IssuedIntake(tuple(results), waiting)


def _basis_attachment(document: IntakeDocument) -> Attachment | None:
    """The 会议纪要 / 批示件 goes with each 交办单 as its 依据 (a photo cannot go as a document)."""
    if document.file_id and document.file_kind == "document":
        return Attachment("document", document.file_id, file_name=document.file_name, channel=document.file_channel)
    return None


async def report_completion(conn: aiosqlite.Connection, task: Task, feedback: Feedback, now: datetime) -> None:
    """办结 of a task issued from a 批示: the leader who wrote it receives the accepted feedback
    and its files, in the transaction that closes the task."""
    document = await store.document_of_task(conn, task.id)
    if document is None or document.kind is not IntakeKind.INSTRUCTION:
        return
    leader = await org.person(conn, document.sent_by)
    if leader is None:
        return
    unit = await org.unit(conn, task.unit_id)
    await tell(conn, leader, "intake/instruction_completed", now, task=task, unit=unit, feedback=feedback, document=document)
    for a in feedback.attachments:
        await send(conn, leader, with_file(received_file(a.file_id, a.kind, a.file_name or "", a.channel), task.number.full), now, task_id=task.id)


# ------------------------------------------------------------------------------ the review message

PAGE_SIZE = 5
"""Drafts per page of the review message: each shows its 要求 in part, and its buttons."""


def review_payload(review: Review, page: int) -> Notice:
    """The review message: the drafts of one page, 修改 / 删除 each, 全部签发 and paging."""
    pages = max(1, -(-len(review.drafts) // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    shown = review.drafts[page * PAGE_SIZE:(page + 1) * PAGE_SIZE]
    text = render("intake/review", review=review, drafts=shown, page=page, pages=pages)
    doc = review.document.id
    rows = [
        [button(label("intake", "edit").format(n=d.position), actions.EDIT_DRAFT(draft_id=d.id)),
         button(label("intake", "delete").format(n=d.position), actions.DELETE_DRAFT(draft_id=d.id))]
        for d in shown
    ]
    paging = []
    if page > 0:
        paging.append(button(label("buttons", "previous"), actions.TURN_DRAFTS(document_id=doc, page=page - 1)))
    if page < pages - 1:
        paging.append(button(label("buttons", "next"), actions.TURN_DRAFTS(document_id=doc, page=page + 1)))
    if paging:
        rows.append(paging)
    if review.complete:
        rows.append([button(label("intake", "issue_all").format(n=len(review.complete)), actions.ISSUE_ALL(document_id=doc))])
    return message(text, rows)


# ------------------------------------------------------------------------------ unit aliases


@dataclass(frozen=True)
class UnitAliases:
    """A unit and the other names it goes by."""

    unit: str
    aliases: tuple[str, ...]


async def unit_aliases(office: Office, admin: Person, unit_name: str) -> UnitAliases:
    """The aliases of one unit, for the administrator.

    Raises:
        DomainError: ``not_allowed``, ``intake_unit_unknown``.
    """
    check(admin, Deed.ADMINISTER)
    conn = office.db.reader
    unit = await org.unit_by_name(conn, unit_name)
    if unit is None:
        raise DomainError("intake_unit_unknown", name=unit_name)
    return UnitAliases(unit.name, tuple((await store.aliases(conn)).get(unit.id, ())))


async def set_unit_aliases(office: Office, admin: Person, unit_name: str, names: str, now: datetime) -> UnitAliases:
    """别名: the administrator replaces a unit's aliases (``-`` clears them). An alias another
    unit already has is refused: the minutes would then name two units at once.

    Raises:
        DomainError: ``not_allowed``, ``intake_unit_unknown``, ``alias_taken``.
    """
    check(admin, Deed.ADMINISTER)
    wanted = [] if names.strip() in ("-", "－", "无") else [
        reading.fold(a).strip() for a in re.split(r"[,，、;；\s]+", names) if a.strip()
    ]
    async with office.db.transaction() as conn:
        unit = await org.unit_by_name(conn, unit_name)
        if unit is None:
            raise DomainError("intake_unit_unknown", name=unit_name)
        aliases = tuple(dict.fromkeys(a for a in wanted if a != unit.name))
        for alias in aliases:
            owner = await store.alias_owner(conn, alias)
            other = await org.unit_by_name(conn, alias)
            if (owner is not None and owner != unit.id) or (other is not None and other.id != unit.id):
                taken_by = await org.unit(conn, owner) if owner is not None and owner != unit.id else other
                raise DomainError("alias_taken", alias=alias, unit=taken_by.name if taken_by else "")
        await store.set_aliases(conn, unit.id, aliases)
        await history.append(conn, "unit_aliases_set", now, actor_id=admin.id, unit=unit.name, aliases=list(aliases))
    return UnitAliases(unit.name, aliases)
