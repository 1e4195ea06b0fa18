"""Which slip a 责任单位's official means: a button, a reply to a slip message, or a typed number.

The notice asks the unit to cite the slip ("请在反馈材料中注明交办单编号"); people do it by
pressing the slip's own buttons, by replying to the slip message, or by typing its number
loosely. Each way ends here, as a :class:`SlipTarget`: the task and the slip the feedback is
recorded against. A number that names nothing of theirs is refused with ``slip_not_found``,
carrying the person's open slips so the message can offer the numbers they may have meant.

Nothing here writes; the checks repeat the ones the writing services make, so that a dialog is
refused before the person has typed a reason or a report, not after.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import cast

import aiosqlite

from bot.domain import tasks as lifecycle
from bot.domain.errors import DomainError
from bot.domain.org import Person
from bot.edge import Account, reply_finds_slip
from bot.domain.slip_numbers import find_slip_reference, parse_slip_reference, slips_meant, year_before
from bot.domain.slips import Slip, SlipReference, SlipType
from bot.domain.tasks import Task
from bot.services import queries
from bot.services.context import Office
from bot.domain.permissions import Deed, may
from bot.storage import feedback as feedback_store
from bot.storage import outbox, slips, tasks
from bot.storage.feedback import Feedback, FeedbackStatus

MAX_REFERENCE_WORDS = 4
"""``/feedback 交办 〔2026〕 12号 …``: the number may be typed with spaces inside it."""


@dataclass(frozen=True)
class SlipTarget:
    """The task a feedback is for, and the slip it cites (交办单, 催办单 or 督办通知单)."""

    task: Task
    slip: Slip


def split_reference(text: str, current_year: int) -> tuple[SlipReference, str] | None:
    """``/feedback <编号> <内容>``: the longest leading words that read as a slip number, and the rest.

    ``交办 2026-12 已完成`` gives (交办单〔2026〕12号, ``已完成``); None when the text does not
    start with a slip number.
    """
    words = text.split()
    for count in range(min(MAX_REFERENCE_WORDS, len(words)), 0, -1):
        try:
            reference = parse_slip_reference(" ".join(words[:count]), current_year)
        except DomainError:
            continue
        rest = text.strip()
        for word in words[:count]:
            rest = rest[rest.index(word) + len(word):]
        return reference, rest.strip()
    return None


def typed_number(text: str, rest: str) -> str:
    """The number as the person typed it, without the words after it (:func:`split_reference`
    gave ``rest``): a refusal quotes the number alone."""
    head = text.strip()
    return head[: len(head) - len(rest)].strip() if rest else head


async def open_slips(office: Office, person: Person, today: date) -> tuple[queries.TaskLine, ...]:
    """The person's open tasks (numbers and titles) for a message that offers them."""
    return await queries.open_lines(office, person, today)


async def not_found(office: Office, person: Person, today: date, reason: str, text: str = "") -> DomainError:
    """``slip_not_found`` with the person's open slips; ``reason`` is invalid / unknown / not_yours
    / missing / not_linked."""
    lines = await open_slips(office, person, today)
    by_reply = person.account is not None and reply_finds_slip(person.account.channel)
    return DomainError("slip_not_found", reason=reason, text=text[:50], lines=lines, year=today.year, by_reply=by_reply)


async def by_reference(office: Office, person: Person, text: str, today: date) -> SlipTarget:
    """The slip a typed number names, among the slips of the person's own unit.

    A 催办单 or 督办通知单 number finds its task as well as a 交办单 number does. A number
    without a type word can mean up to three slips; the person's own comes first, then the
    交办单 (what "12号" on its own means in feedback).

    Raises:
        DomainError: ``slip_not_found`` (with the open slips) for text that is no number, a
            number no slip has, or a slip of another unit.
    """
    try:
        reference = parse_slip_reference(text, today.year)
    except DomainError:
        raise await not_found(office, person, today, "invalid", text) from None
    return await by_parsed_reference(office, person, reference, today, text)


async def by_parsed_reference(
    office: Office, person: Person, reference: SlipReference, today: date, text: str = ""
) -> SlipTarget:
    """As :func:`by_reference`, for a number already read.

    A short number (「10号」, no year) that names no slip of the person's this year means their
    open slip of the year before; where each year has one, the person is asked which.

    Raises:
        DomainError: ``slip_ambiguous`` (with both as ``choices``) when a short number may mean
            a slip of this year and one of the year before; ``slip_not_found`` as above.
    """
    conn = office.db.reader
    named, theirs = await _slips_of(conn, person, reference)
    earlier = year_before(reference)
    if earlier is not None:
        named_before, theirs_before = await _slips_of(conn, person, earlier)
        meant = slips_meant(theirs, [t for t in theirs_before if t.task.is_open])
        if len(meant) > 1:
            raise DomainError("slip_ambiguous", text=text[:50], choices=tuple(t.task for t in meant))
        theirs, named = list(meant), named or named_before
    if theirs:
        return theirs[0]
    raise await not_found(office, person, today, "not_yours" if named else "unknown", text)


async def _slips_of(conn: aiosqlite.Connection, person: Person, reference: SlipReference) -> tuple[bool, list[SlipTarget]]:
    """Whether any slip has the number, and those of them on the person's unit's tasks (the
    交办单 first: what "12号" on its own means in feedback)."""
    candidates = await slips.find(conn, reference)
    candidates.sort(key=lambda s: (s.number.type is not SlipType.ASSIGNMENT, s.id))
    theirs: list[SlipTarget] = []
    for slip in candidates:
        task = await tasks.get(conn, slip.task_id)
        if task is not None and may(person, Deed.ACT_FOR_UNIT, task=task) and all(t.task.id != task.id for t in theirs):
            theirs.append(SlipTarget(task, slip))
    return bool(candidates), theirs


def offered(unresolved: DomainError) -> tuple[Task, ...]:
    """The slips to pick from when a typed number named none of the person's (their open slips)
    or two (``slip_ambiguous``: this year's and the year before's)."""
    if unresolved.code == "slip_ambiguous":
        return cast(tuple[Task, ...], unresolved.details["choices"])
    lines = cast(tuple[queries.TaskLine, ...], unresolved.details.get("lines", ()))
    return tuple(line.task for line in lines)


async def by_message(office: Office, account: Account, message: str) -> SlipTarget | None:
    """The slip a bot message in a person's chat belongs to (the slip itself, its attachment, or
    a later notice that carried the task), by the channel's id of the message; None for a
    message that is about no task."""
    conn = office.db.reader
    sent = await outbox.sent_message(conn, account.channel, account.address, message)
    if sent is None or sent.task_id is None:
        return None
    task = await tasks.get(conn, sent.task_id)
    if task is None:
        return None
    slip = await slips.get(conn, sent.slip_id) if sent.slip_id is not None else None
    if slip is None or slip.task_id != task.id:
        slip = await assignment_slip(conn, task)
    return SlipTarget(task, slip)


async def by_task(office: Office, task_id: int, account: Account | None = None, message: str | None = None) -> SlipTarget:
    """The task of a slip button, citing the slip of the message the button is on.

    The id comes from callback data and is not trusted: the caller's service call checks the
    person's right to the task.

    Raises:
        DomainError: ``task_unknown``.
    """
    if account is not None and message is not None:
        target = await by_message(office, account, message)
        if target is not None and target.task.id == task_id:
            return target
    conn = office.db.reader
    task = await tasks.get(conn, task_id)
    if task is None:
        raise DomainError("task_unknown", task_id=task_id)
    return SlipTarget(task, await assignment_slip(conn, task))


async def cited_in(office: Office, person: Person, text: str, today: date) -> SlipTarget | None:
    """The slip a free text cites ("关于交办单〔2026〕12号的办理情况…"), if it is the person's."""
    reference = find_slip_reference(text, today.year)
    if reference is None:
        return None
    return await by_parsed_reference(office, person, reference, today, text)


async def assignment_slip(conn: aiosqlite.Connection, task: Task) -> Slip:
    """The task's 交办单."""
    for slip in await slips.of_task(conn, task.id):
        if slip.number.type is SlipType.ASSIGNMENT:
            return slip
    raise DomainError("task_unknown", task_id=task.id)  # pragma: no cover - every task has one


def reviews_rather_than_answers(person: Person, task: Task) -> bool:
    """A reply to a slip by its reviewer (the issuing section, 政务监督室) rather than by its unit:
    they decide with the buttons instead of answering it."""
    return not may(person, Deed.ACT_FOR_UNIT, task=task) and may(person, Deed.REVIEW, task=task)


def check_may_feed_back(person: Person, task: Task, progress: bool = False) -> None:
    """What :func:`bot.services.handling.submit_feedback` (or ``submit_progress``) will refuse,
    asked before the dialog.

    Raises:
        DomainError: ``not_allowed``, ``task_completed``, ``task_transferred``,
            ``feedback_already_pending`` or ``no_report_schedule``.
    """
    if not may(person, Deed.ACT_FOR_UNIT, task=task):
        raise DomainError("not_allowed")
    if progress:
        lifecycle.record_progress(task, task.issued_on)
    else:
        lifecycle.submit_feedback(task)


async def reviewable(office: Office, reviewer: Person, feedback_id: int) -> tuple[Feedback, Task]:
    """A feedback still waiting for this reviewer, asked before the 退回 dialog.

    Raises:
        DomainError: ``feedback_unknown``, ``feedback_already_reviewed`` or ``not_allowed``.
    """
    conn = office.db.reader
    item = await feedback_store.get(conn, feedback_id)
    if item is None:
        raise DomainError("feedback_unknown")
    task = await tasks.get(conn, item.task_id)
    if task is None:
        raise DomainError("feedback_unknown")
    if not may(reviewer, Deed.REVIEW, task=task):
        raise DomainError("not_allowed")
    if item.status is not FeedbackStatus.PENDING:
        raise DomainError("feedback_already_reviewed", status=item.status.value)
    return item, task
