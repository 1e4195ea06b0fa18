"""The outbox and the reader it is read through: a message goes once, and a read never misses
a commit made before it."""

from __future__ import annotations

from datetime import timedelta

from bot.services.context import Office
from bot.edge import TELEGRAM, Account, Notice
from bot.storage import outbox

from .conftest import NOW

CHAT = 100_000_001


async def queue(office: Office, text: str) -> int:
    async with office.db.transaction() as conn:
        return await outbox.enqueue(conn, Account(TELEGRAM, str(CHAT)), Notice(text, purpose="test"), NOW)


async def claim(office: Office, row_id: int, now=NOW) -> bool:  # type: ignore[no-untyped-def]
    async with office.db.transaction() as conn:
        return await outbox.claim(conn, row_id, now)


async def test_a_row_is_claimed_only_while_it_is_due(office: Office) -> None:
    sent, later, failed = await queue(office, "一"), await queue(office, "二"), await queue(office, "三")
    async with office.db.transaction() as conn:
        await outbox.retry_later(conn, later, NOW + timedelta(seconds=30), "429")
        await outbox.mark_failed(conn, failed, "Bad Request: chat not found")

    assert await claim(office, sent)
    assert await claim(office, sent), "a row left 'sending' by a crash is sent again"
    async with office.db.transaction() as conn:
        await outbox.mark_sent(conn, sent, 7, NOW)
    assert not await claim(office, sent), "a row already sent must not go a second time"
    assert not await claim(office, failed)
    assert not await claim(office, later), "a row put back for later waits for its time"
    assert await claim(office, later, NOW + timedelta(seconds=30))


async def test_a_read_sees_a_commit_made_while_an_earlier_read_was_still_open(office: Office) -> None:
    ids = [await queue(office, text) for text in ("一", "二", "三")]
    # A slow reader (a report walking its rows) is part-way through when the sender records
    # a message as sent; the next look at the outbox must see it sent, not still to send.
    async with office.db.reader.execute("SELECT id FROM outbox ORDER BY id") as earlier:
        assert (await earlier.fetchone())[0] == ids[0]
        async with office.db.transaction() as conn:
            await outbox.claim(conn, ids[0], NOW)
            await outbox.mark_sent(conn, ids[0], 7, NOW)
        assert [row.id for row in await outbox.heads(office.db.reader, NOW)] == [ids[1]]
        assert (await outbox.sent_message(office.db.reader, TELEGRAM, str(CHAT), "7")) is not None
        assert [row[0] async for row in earlier] == ids[1:], "the earlier read still gives all its rows"
