"""What follows a send: the issuer learns a slip was delivered, or that its reader blocked us."""

from __future__ import annotations

from datetime import datetime

import aiosqlite

from bot.edge import Account

from bot.services.notify import tell
from bot.services.task_changes import issuer_and_section
from bot.storage import history, org, outbox, slips, tasks
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
