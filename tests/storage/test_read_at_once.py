"""``read_at_once``: a use case's many small reads in one hop of the database thread and one
snapshot, with the repositories' own functions."""

from __future__ import annotations

import asyncio
import threading

import aiosqlite
import pytest

from bot.domain.org import UnitKind
from bot.services.context import Office
from bot.storage import org
from bot.storage.reader import ReaderConnection, read_at_once
from tests import postgres_server

pytestmark = pytest.mark.skipif(
    postgres_server.BACKEND == "postgresql",
    reason="SQLite's reader thread; on PostgreSQL read_at_once runs the work as it is, on one connection",
)


async def test_many_reads_in_one_hop(office: Office) -> None:
    async with office.db.transaction() as conn:
        section = await org.add_section(conn, "综合一科")
        for name in ("住建局", "交通运输局", "教育局"):
            await org.add_unit(conn, name, UnitKind.DEPARTMENT)
    reader = office.db.reader
    assert isinstance(reader, ReaderConnection)
    hops = 0
    real = reader._execute

    async def counted(fn, *args, **kwargs):  # type: ignore[no-untyped-def]
        nonlocal hops
        hops += 1
        return await real(fn, *args, **kwargs)

    reader._execute = counted  # type: ignore[method-assign]
    threads: set[int] = set()

    async def work(conn: aiosqlite.Connection) -> tuple[str, list[str]]:
        threads.add(threading.get_ident())
        found = await org.section(conn, section.id)
        names = [u.name for u in await org.units(conn)]
        assert found is not None
        return found.name, names

    try:
        name, units = await read_at_once(reader, work)
    finally:
        del reader._execute
    assert (name, units) == ("综合一科", ["住建局", "交通运输局", "教育局"])
    assert hops == 1
    assert threads != {threading.get_ident()}, "the reads ran on the database's thread"


async def test_an_error_passes_through_and_ends_the_read(office: Office) -> None:
    async with office.db.transaction() as conn:
        await org.add_unit(conn, "住建局", UnitKind.DEPARTMENT)

    async def refuses(conn: aiosqlite.Connection) -> None:
        await org.units(conn)
        raise LookupError("no such slip")

    with pytest.raises(LookupError):
        await read_at_once(office.db.reader, refuses)
    # the read transaction was closed: a later commit is seen
    async with office.db.transaction() as conn:
        await org.add_unit(conn, "教育局", UnitKind.DEPARTMENT)
    assert len(await read_at_once(office.db.reader, org.units)) == 2


async def test_work_that_waits_on_something_else_is_refused(office: Office) -> None:
    async def wanders(conn: aiosqlite.Connection) -> None:
        await asyncio.sleep(0)

    with pytest.raises(RuntimeError, match="other than its queries"):
        await read_at_once(office.db.reader, wanders)
    assert await read_at_once(office.db.reader, org.units) == []
