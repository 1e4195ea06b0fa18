"""What follows a send: the issuer learns a slip was delivered, or that its reader blocked us;
and, where the channel says so, that it was read — and read and not 签收'd (「已读未签收」)."""

from __future__ import annotations

from datetime import datetime

import aiosqlite

from bot.domain.receipts import receipt, read_unacknowledged
from bot.edge import Account
from bot.services.context import Office
from bot.services.notify import tell
from bot.services.task_changes import issuer_and_section
from bot.storage import history, org, outbox, receipts, slips, tasks
from bot.storage.outbox import OutboxMessage


async def delivered(conn: aiosqlite.Connection, row: OutboxMessage, now: datetime) -> None:
    """A message arrived, so its reader has not blocked the bot (or no longer has). A slip
    reached its unit: tell the slip's issuer (who, when), once per slip.

    A unit with several bound people gets several copies; the issuer hears of the first, with
    the unit, the others it went to and the 责任人 — who answers for it, whoever read it first.
    """
    await org.mark_reachable(conn, Account(row.channel, row.address))
    if row.purpose != "slip" or row.slip_id is None or row.person_id is None:
        return
    if await outbox.slip_sent_before(conn, row.slip_id, row.id):
        return
    slip = await slips.get(conn, row.slip_id)
    reader = await org.person(conn, row.person_id)
    if slip is None or reader is None or slip.issued_by is None:
        return
    issuer = await org.person(conn, slip.issued_by)
    if issuer is None or issuer.account is None or issuer.id == reader.id:
        return
    task = await tasks.get(conn, slip.task_id)
    unit = await org.unit(conn, task.unit_id) if task is not None else None
    responsible = await org.person(conn, task.responsible_id) if task is not None and task.responsible_id else None
    others = [p for i in await outbox.slip_recipients(conn, slip.id) if i != reader.id and (p := await org.person(conn, i))]
    await tell(
        conn, issuer, "delivery/delivered", now, slip=slip, reader=reader, at=now, unit=unit, responsible=responsible,
        others=[p.name for p in others],
    )


async def blocked(conn: aiosqlite.Connection, row: OutboxMessage, now: datetime) -> None:
    """The channel said the person blocked the bot (Telegram's 403): record the person unreachable, and tell whoever the message served.

    Told once per task while the person stays blocked: the daily check's reminders about the
    same task do not repeat the warning. The task's history keeps it.
    """
    account = Account(row.channel, row.address)
    before = await org.person_by_account(conn, account)
    person = await org.mark_unreachable(conn, account)
    if before is None or person is None or row.task_id is None:
        return
    task = await tasks.get(conn, row.task_id)
    if task is None:
        return
    if before.unreachable and await history.blocked_recorded(conn, task.id, person.id):
        return
    await history.append(conn, "delivery_blocked", now, task_id=task.id, actor_id=person.id)
    for reader in await issuer_and_section(conn, task):
        if reader.id != person.id:
            await tell(conn, reader, "delivery/blocked", now, task=task, person=person)


async def read(office: Office, account: Account, delivered_id: str, at: datetime) -> bool:
    """A slip notice delivered to ``account`` as the channel's message ``delivered_id`` was read
    at ``at`` (钉钉: its 工作通知's ``getsendresult`` lists the account as having read it).

    The first read counts: recorded once, with an entry in the task's history, in one
    transaction; a later report of the same read changes nothing. Returns whether this call
    recorded it: False for a read already recorded, a message that is no slip notice, and a
    channel that reports no reads (a Telegram message is never called 已读).
    """
    async with office.db.transaction() as conn:
        row = await outbox.sent_message(conn, account.channel, account.address, delivered_id)
        return row is not None and await _read(conn, office, row, at)


async def read_notice(office: Office, notice_id: int, at: datetime) -> bool:
    """The same as :func:`read`, for a sender that knows the outbox row it delivered."""
    async with office.db.transaction() as conn:
        row = await outbox.message(conn, notice_id)
        return row is not None and await _read(conn, office, row, at)


async def _read(conn: aiosqlite.Connection, office: Office, row: OutboxMessage, at: datetime) -> bool:
    if row.purpose != "slip" or row.slip_id is None:
        return False
    at = at.astimezone(office.settings.timezone)  # stored in the office's zone, as every time is
    if not await receipts.mark_read(conn, row.id, at):
        return False
    slip = await slips.get(conn, row.slip_id)
    await history.append(
        conn, "slip_read", at, task_id=row.task_id, actor_id=row.person_id, number=slip.number.full if slip else "",
    )
    return True


async def chase_read_unacknowledged(office: Office, now: datetime) -> int:
    """The read poll's turn: tell the issuers of slips now 「已读未签收」 (:func:`tell_read_unacknowledged`)."""
    async with office.db.transaction() as conn:
        return await tell_read_unacknowledged(conn, office, now)


async def tell_read_unacknowledged(conn: aiosqlite.Connection, office: Office, now: datetime) -> int:
    """Tell the issuer of each slip 「已读未签收」 at ``now`` (bot/domain/receipts.py), once per
    slip; returns how many were told.

    Called from both ends, the one record on the slip keeping it to once: by the channel's read
    poll (:func:`chase_read_unacknowledged`), which runs every few minutes where reads are
    reported, so a slip read at 10:00 is told at about 14:00 rather than at the next morning's
    check, 23 hours on, when the hours set would mean nothing; and by the daily check, so that
    nothing is missed while a poll is not running (a restart, a channel down), and its 督办日报
    counts what is known at the time it is made.
    """
    hours = office.settings.read_unacknowledged_hours
    told = 0
    for candidate in await receipts.read_not_acknowledged(conn):
        if not read_unacknowledged(candidate.read_at, candidate.status, now, hours):
            continue
        slip, task = await slips.get(conn, candidate.slip_id), await tasks.get(conn, candidate.task_id)
        if slip is None or task is None or not await receipts.mark_told(conn, slip.id, now):
            continue
        copies = await receipts.copies_of_slips(conn, [slip.id])
        unit = await org.unit(conn, task.unit_id)
        issuer = await org.person(conn, slip.issued_by or task.issued_by)
        await history.append(conn, "read_unacknowledged", now, task_id=task.id, number=slip.number.full)
        if issuer is not None:
            await tell(
                conn, issuer, "delivery/read_unacknowledged", now, task_id=task.id, slip=slip, task=task, unit=unit,
                receipt=receipt(copies.get(slip.id, []), None), hours=hours, tz=office.settings.timezone,
            )
        told += 1
    return told
