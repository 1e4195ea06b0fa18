"""The sender is woken by the database's commit hook, not by each handler."""

from __future__ import annotations

import asyncio

import pytest

from bot.domain.org import UnitKind
from bot.channels.telegram.sender import _SENDING, Sender
from bot.services.context import Office
from bot.storage import org


async def test_every_commit_calls_the_hook_and_a_rollback_does_not(office: Office) -> None:
    calls: list[str] = []
    office.db.on_commit = lambda: calls.append("commit")
    async with office.db.transaction() as conn:
        await org.add_unit(conn, "住建局", UnitKind.DEPARTMENT)
    assert calls == ["commit"]
    with pytest.raises(RuntimeError):
        async with office.db.transaction() as conn:
            await org.add_unit(conn, "教育局", UnitKind.DEPARTMENT)
            raise RuntimeError("refused halfway")
    assert calls == ["commit"]


def test_a_commit_wakes_the_sender_but_its_own_commits_do_not() -> None:
    sender = Sender.__new__(Sender)  # only its wake-up event is used here
    sender._wake = asyncio.Event()
    sender._batch_read_at = 5.0
    sender.committed()
    assert sender._wake.is_set()
    sender._wake.clear()
    token = _SENDING.set(True)
    try:
        sender.committed()
    finally:
        _SENDING.reset(token)
    assert not sender._wake.is_set()
