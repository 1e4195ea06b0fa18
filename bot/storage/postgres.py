"""PostgreSQL as the second storage backend, behind the connection the repositories already use.

Repositories and services speak SQLite's SQL to an ``aiosqlite.Connection``. On PostgreSQL
``PgConnection`` offers the same small surface (``execute`` as an awaitable or an ``async with``,
``executemany``, ``fetchone``/``fetchall``, ``lastrowid``, ``rowcount``, ``commit``/``rollback``,
rows read by index or by name) over psycopg 3, and ``translate`` rewrites each statement once
(cached) from SQLite's dialect to PostgreSQL's. Every difference the project meets is one rule
here, visible in ``translate``:

* ``?`` placeholders become ``%s`` (and a literal ``%`` in code becomes ``%%``);
* ``BEGIN IMMEDIATE`` — SQLite's "take the write lock now" — becomes ``BEGIN`` plus a
  transaction-scoped advisory lock (``WRITE_LOCK``): one writer at a time across every bot
  instance and CLI command on the database, exactly the guarantee the services were written
  for (a slip number read and bumped inside a transaction has no gap and no duplicate);
* ``INSERT OR IGNORE`` becomes ``ON CONFLICT DO NOTHING``; ``INSERT OR REPLACE`` becomes
  ``ON CONFLICT ON CONSTRAINT <table>_pkey DO UPDATE`` of every column given (the row replaced
  where its primary key is taken);
* in DDL, ``id INTEGER PRIMARY KEY`` (SQLite's rowid alias) becomes an identity column, other
  ``INTEGER`` columns ``BIGINT`` (Telegram ids exceed 32 bits), ``REAL`` double precision and
  ``BLOB`` ``BYTEA``;
* an ``INSERT`` into a table with an identity ``id`` gets ``RETURNING id``, read as ``lastrowid``;
* SQLite's planner hints go: ``INDEXED BY`` is dropped, ``CROSS JOIN … ON`` is a ``JOIN``;
* ``GROUP_CONCAT`` is ``string_agg``, ``json_extract(x, '$.k')`` is ``(x)::json ->> 'k'``;
* ``PRAGMA`` statements are SQLite's own and do nothing here;
* ``sum(<condition>)`` counts as in SQLite: the database gets a ``sum(boolean)`` aggregate.

Values go both ways as SQLite keeps them: dates and times as ISO text (the columns are TEXT),
booleans as 0/1, and a ``sum()`` as an int (or a float when it has a fraction), not a Decimal.
"""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from datetime import date, datetime
from functools import lru_cache
from typing import Any

import psycopg
from psycopg.adapt import Dumper, Loader
from psycopg.pq import Format

from bot.storage import inbox

WRITE_LOCK = 0x64756261  # "duba": the advisory lock key that stands for SQLite's write lock

BEGIN_IMMEDIATE = "BEGIN IMMEDIATE"
"""Kept as the marker ``PgConnection`` runs as ``BEGIN`` and then takes ``WRITE_LOCK``."""

URL_SCHEMES = ("postgresql://", "postgres://")

PREPARE_THRESHOLD = 1
"""A statement run a second time on a connection is prepared there, and runs prepared from then
on: parsed and planned once per connection, not at every run."""

CONNECT_TIMEOUT = 10
"""Seconds to wait for the server when connecting."""

PREPARED_MAX = 1000
"""Prepared statements kept per connection: more than the bot's distinct statements."""

_ROWID_TABLES = {"migrations"}
"""Tables read in insertion order (SQLite's ``ORDER BY rowid``): they get a ``rowid`` column."""


class DatabaseUnavailable(Exception):
    """The PostgreSQL server cannot be reached, or the connection to it was lost (a restart, a
    failover, the network): what was being done is not done (its transaction is rolled back
    with the connection) and is to be done again once the server is back. An update being
    handled is left unconfirmed and taken again (``bot.storage.inbox.interrupted``)."""


def _unavailable(exc: BaseException) -> DatabaseUnavailable:
    inbox.interrupt()
    lost = DatabaseUnavailable(f"PostgreSQL unavailable: {exc}")
    lost.__cause__ = exc
    return lost


def is_url(location: object) -> bool:
    """Whether a storage location names a PostgreSQL server rather than a SQLite file."""
    return isinstance(location, str) and location.startswith(URL_SCHEMES)


# --- the dialect ------------------------------------------------------------------------------

_LEADING_COMMENTS = re.compile(r"^(?:\s*--[^\n]*\n)+")
_LITERAL = re.compile(r"'(?:[^']|'')*'|--[^\n]*")
_JSON = re.compile(r"json_extract\(\s*([\w.]+)\s*,\s*'\$\.(\w+)'\s*\)", re.I)
_INSERT_INTO = re.compile(r"^\s*INSERT\s+(?:OR\s+(IGNORE|REPLACE)\s+)?INTO\s+(\w+)\s*(?:\(([^)]*)\))?", re.I)
_DDL = re.compile(r"^\s*(CREATE\s+TABLE|ALTER\s+TABLE)", re.I)
_REFERENCE = re.compile(r"\s+REFERENCES\s+(\w+)\s*\((\w+)\)", re.I)
_CREATE_TABLE = re.compile(r"^\s*CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(\w+)\s*\(", re.I)


@lru_cache(maxsize=4096)
def translate(sql: str, identity_tables: frozenset[str] = frozenset()) -> str:
    """One statement in SQLite's dialect, in PostgreSQL's (see the module's list of rules)."""
    sql = _LEADING_COMMENTS.sub("", sql)  # so that a commented CREATE TABLE is seen as one
    if re.match(r"^\s*PRAGMA\b", sql, re.I):
        return "SELECT 1 WHERE false"
    if re.match(r"^\s*BEGIN\s+IMMEDIATE\s*$", sql, re.I):
        return BEGIN_IMMEDIATE
    sql = _group_concat(sql)
    sql = _JSON.sub(lambda m: f"(({m.group(1)})::json ->> '{m.group(2)}')", sql)
    out: list[str] = []
    pos = 0
    for m in _LITERAL.finditer(sql):
        out.append(_code(sql[pos:m.start()]))
        out.append(m.group(0).replace("%", "%%"))
        pos = m.end()
    out.append(_code(sql[pos:]))
    sql = "".join(out)
    if _DDL.match(sql):
        sql = re.sub(r"\bid\s+INTEGER\s+PRIMARY\s+KEY\b", "id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY", sql, flags=re.I)
        sql = re.sub(r"\bINTEGER\b", "BIGINT", sql, flags=re.I)
        sql = re.sub(r"\bREAL\b", "DOUBLE PRECISION", sql, flags=re.I)
        sql = re.sub(r"\bBLOB\b", "BYTEA", sql, flags=re.I)
        created = _CREATE_TABLE.match(sql)
        if created and created.group(1).lower() in _ROWID_TABLES:
            sql = sql[:created.end()] + " rowid BIGINT GENERATED ALWAYS AS IDENTITY," + sql[created.end():]
        return sql
    insert = _INSERT_INTO.match(sql)
    if insert:
        verb, table, columns = insert.group(1), insert.group(2), insert.group(3)
        body = f"INSERT INTO {table}" + (f" ({columns})" if columns else "") + sql[insert.end():]
        body, returning = _split_returning(body)
        if verb and verb.upper() == "IGNORE":
            body += " ON CONFLICT DO NOTHING"
        elif verb and columns:
            # PostgreSQL names a table's primary key <table>_pkey
            sets = ", ".join(f"{c} = EXCLUDED.{c}" for c in (c.strip() for c in columns.split(",")))
            body += f" ON CONFLICT ON CONSTRAINT {table}_pkey DO UPDATE SET {sets}"
        if not returning and table.lower() in identity_tables:
            returning = " RETURNING id"
        sql = body + returning
    return sql


def _code(part: str) -> str:
    part = part.replace("%", "%%").replace("?", "%s")
    part = re.sub(r"\s+INDEXED\s+BY\s+\w+", "", part, flags=re.I)
    part = re.sub(r"\bCROSS\s+JOIN\s+(\w+(?:\s+\w+)?)\s+ON\b", r"JOIN \1 ON", part, flags=re.I)
    return part


def _group_concat(sql: str) -> str:
    # GROUP_CONCAT(x) / GROUP_CONCAT(x, sep) -> string_agg((x)::text, sep), sep ',' by default
    while (m := re.search(r"\bGROUP_CONCAT\(", sql, re.I)) is not None:
        depth, i, args, start = 1, m.end(), [], m.end()
        while depth:
            ch = sql[i]
            if ch == "(":
                depth += 1
            elif ch == ")":
                depth -= 1
            elif ch == "," and depth == 1:
                args.append(sql[start:i])
                start = i + 1
            i += 1
        args.append(sql[start:i - 1])
        separator = args[1].strip() if len(args) > 1 else "','"
        sql = sql[:m.start()] + f"string_agg(({args[0].strip()})::text, {separator})" + sql[i:]
    return sql


def _split_returning(sql: str) -> tuple[str, str]:
    m = re.search(r"\s+RETURNING\s", sql, re.I)
    if m is None:
        return sql.rstrip().rstrip(";"), ""
    return sql[:m.start()], " " + sql[m.start():].strip()


# --- values as SQLite keeps them ----------------------------------------------------------------


class _IsoDumper(Dumper):
    """A date or datetime as the ISO text SQLite's adapter writes (``str(value)``)."""

    oid = psycopg.adapters.types["text"].oid
    format = Format.TEXT

    def dump(self, obj: Any) -> bytes:
        return str(obj).encode()


class _BoolDumper(Dumper):
    """True/False as 1/0: boolean-ish columns are integers, as in SQLite."""

    oid = psycopg.adapters.types["int8"].oid
    format = Format.TEXT

    def dump(self, obj: Any) -> bytes:
        return b"1" if obj else b"0"


class _NumericLoader(Loader):
    """``sum()`` of integers is numeric in PostgreSQL: an int when whole, as SQLite returns it."""

    def load(self, data: Any) -> int | float:
        text = bytes(data).decode()
        return float(text) if "." in text or "e" in text.lower() else int(text)


def _adapt(conn: psycopg.AsyncConnection[Any]) -> None:
    conn.adapters.register_dumper(date, _IsoDumper)
    conn.adapters.register_dumper(datetime, _IsoDumper)
    conn.adapters.register_dumper(bool, _BoolDumper)
    conn.adapters.register_loader("numeric", _NumericLoader)


# --- rows and cursors ---------------------------------------------------------------------------


class Row(tuple):  # type: ignore[type-arg]
    """A row read by index or by column name, with ``keys()``: what ``aiosqlite.Row`` offers."""

    _names: tuple[str, ...]

    def __new__(cls, values: Sequence[Any], names: tuple[str, ...]) -> Row:
        row = super().__new__(cls, values)
        row._names = names
        return row

    def __getitem__(self, key: Any) -> Any:  # type: ignore[override]
        if isinstance(key, str):
            return super().__getitem__(self._names.index(key))
        return super().__getitem__(key)

    def keys(self) -> list[str]:
        return list(self._names)


class Rows:
    """A statement's rows, all read at once (the statement is finished before anything else runs
    on the connection, as on the SQLite reader), with ``lastrowid`` and ``rowcount``."""

    def __init__(self, rows: list[Row], rowcount: int, lastrowid: int | None) -> None:
        self._rows: Iterator[Row] = iter(rows)
        self.rowcount = rowcount
        self.lastrowid = lastrowid

    async def fetchone(self) -> Row | None:
        return next(self._rows, None)

    async def fetchmany(self, size: int = 1) -> list[Row]:
        return [row for _, row in zip(range(size), self._rows)]

    async def fetchall(self) -> list[Row]:
        return list(self._rows)

    async def close(self) -> None:
        self._rows = iter(())

    def __aiter__(self) -> Rows:
        return self

    async def __anext__(self) -> Row:
        try:
            return next(self._rows)
        except StopIteration:
            raise StopAsyncIteration from None


class _Pending:
    """``conn.execute(...)``: awaited, or used as ``async with`` — both as aiosqlite allows."""

    def __init__(self, run: Any) -> None:
        self._run = run

    def __await__(self) -> Any:
        return self._run.__await__()

    async def __aenter__(self) -> Rows:
        rows: Rows = await self._run
        return rows

    async def __aexit__(self, *exc: object) -> None:
        return None


class _Statement:
    """One statement waiting for the next round trip, and where its answer goes."""

    __slots__ = ("text", "parameters", "many", "answer")

    def __init__(self, text: str, parameters: Any, many: bool, answer: asyncio.Future[Any] | None) -> None:
        self.text = text
        self.parameters = parameters
        self.many = many
        self.answer = answer
        """None: nobody waits for it (``BEGIN`` and the write lock); a failure is raised by the
        next statement on the connection."""


class PgConnection:
    """One psycopg connection in autocommit mode; ``BEGIN``/``COMMIT`` are issued as statements,
    as the SQLite connections (``isolation_level=None``) have them issued.

    Statements issued together go in one round trip. Each statement joins a queue; the queue is
    sent as soon as the coroutines that are ready to run have run, in psycopg's pipeline mode,
    and each statement's answer goes back to the coroutine that issued it. One coroutine alone
    makes one round trip per statement, as before; coroutines reading side by side
    (``bot.storage.reader.together``) or the daily check's steps run side by side
    (``bot.services.daily``) share each round trip. ``BEGIN IMMEDIATE`` waits for no answer:
    ``BEGIN`` and the write lock go with the transaction's first statement. Statements used
    again are prepared on the server once per connection (``PREPARE_THRESHOLD``).
    """

    row_factory: Any = None  # set by callers for aiosqlite; rows here are always ``Row``

    def __init__(self, conn: psycopg.AsyncConnection[Any], url: str = "") -> None:
        self._conn = conn
        self.url = url
        self.identity_tables: frozenset[str] = frozenset()
        self._deferred: list[tuple[str, str, str, str]] = []
        self._queue: list[_Statement] = []
        self._sending: asyncio.Task[None] | None = None
        self._failure: BaseException | None = None
        self.round_trips = 0
        """Round trips made (the benches print them)."""

    @classmethod
    async def connect(cls, url: str) -> PgConnection:
        # the process in pg_stat_activity: which instance holds a lock, for an operator
        try:
            conn = await psycopg.AsyncConnection.connect(
                url, autocommit=True, application_name=f"duban/{os.getpid()}", connect_timeout=CONNECT_TIMEOUT
            )
        except psycopg.OperationalError as exc:
            raise _unavailable(exc) from exc
        conn.prepare_threshold = PREPARE_THRESHOLD
        conn.prepared_max = PREPARED_MAX
        _adapt(conn)
        self = cls(conn, url)
        await self._compatibility_functions()
        await self.refresh_identity_tables()
        return self

    @property
    def broken(self) -> bool:
        """The server went away (restarted, the network failed): a new connection is needed."""
        return self._conn.broken or self._conn.closed

    async def _compatibility_functions(self) -> None:
        # SQLite counts with sum(<condition>) (a condition is 0 or 1 there); PostgreSQL has no
        # sum(boolean), so it gets one: NULL over no rows, as sum() is. Under the write lock,
        # since instances starting together would otherwise replace it at the same moment.
        exists = await self._run(
            "SELECT 1 FROM pg_proc WHERE proname = 'duban_sum_bool' AND pronamespace = current_schema()::regnamespace", []
        )
        if await exists.fetchone() is not None:
            return
        await self._run("BEGIN", [])
        try:
            await self._run(f"SELECT pg_advisory_xact_lock({WRITE_LOCK})", [])
            await self._run(
                "CREATE OR REPLACE FUNCTION duban_sum_bool(bigint, boolean) RETURNS bigint LANGUAGE sql IMMUTABLE"
                " AS 'SELECT CASE WHEN $2 IS NULL THEN $1 ELSE coalesce($1, 0) + $2::int END'", []
            )
            await self._run("CREATE OR REPLACE AGGREGATE sum(boolean) (SFUNC = duban_sum_bool, STYPE = bigint)", [])
        except BaseException:
            await self._run("ROLLBACK", [])
            raise
        await self._run("COMMIT", [])

    async def refresh_identity_tables(self) -> None:
        """The tables whose ``id`` is an identity column: their INSERTs return it."""
        rows = await self._run(
            "SELECT table_name FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND column_name = 'id' AND is_identity = 'YES'", []
        )
        self.identity_tables = frozenset(r[0] for r in await rows.fetchall())

    def execute(self, sql: str, parameters: Iterable[Any] | None = None) -> _Pending:
        return _Pending(self._execute(sql, list(parameters or ())))

    async def _execute(self, sql: str, parameters: list[Any]) -> Rows:
        text = translate(sql, self.identity_tables)
        if text == BEGIN_IMMEDIATE:
            self._send_later("BEGIN")
            self._send_later(f"SELECT pg_advisory_xact_lock({WRITE_LOCK})")
            return Rows([], -1, None)
        if _CREATE_TABLE.match(text):
            text = await self._defer_forward_references(text)
        rows = await self._run(text, parameters)
        if rows.lastrowid is None and text.endswith(" RETURNING id") and not re.search(r"\sRETURNING\s", sql, re.I):
            first = await rows.fetchone()
            rows = Rows([], rows.rowcount, first[0] if first is not None else None)
        if _CREATE_TABLE.match(text):
            await self.refresh_identity_tables()
            await self._add_deferred_references()
        return rows

    # --- the queue: statements issued together share a round trip ----------------------------

    def _send_later(self, text: str) -> None:
        self._queue.append(_Statement(text, [], False, None))

    async def _run(self, text: str, parameters: Any, many: bool = False) -> Rows:
        answer: asyncio.Future[Rows] = asyncio.get_running_loop().create_future()
        self._queue.append(_Statement(text, parameters, many, answer))
        if self._sending is None:
            # a task's first step runs after the steps already due: every coroutine ready to
            # issue a statement now has issued it by the time the queue is sent
            self._sending = asyncio.create_task(self._send())
        return await answer

    async def _send(self) -> None:
        try:
            while self._queue:
                batch, self._queue = self._queue, []
                await self._round_trip(batch)
        finally:
            self._sending = None

    async def _round_trip(self, batch: list[_Statement]) -> None:
        self.round_trips += 1
        if self._failure is not None:
            # a statement nobody waited for failed: the transaction it opened is no more
            earlier, self._failure = self._failure, None
            for statement in batch:
                _answer(statement, earlier)
            return
        if len(batch) == 1:
            await self._alone(batch[0])
        else:
            await self._pipelined(batch)

    async def _alone(self, statement: _Statement) -> None:
        try:
            cur = self._conn.cursor()
            await _issue(cur, statement)
            rows = await _rows_of(cur)
        except BaseException as exc:
            self._failed(statement, exc)
            if not isinstance(exc, Exception):
                raise
            return
        _answer(statement, rows)

    async def _pipelined(self, batch: list[_Statement]) -> None:
        # Sent together, answered in order; after a failure the server skips the rest of the
        # batch (in a transaction they would fail anyway): each of them gets that failure.
        cursors: list[psycopg.AsyncCursor[Any]] = []
        failure: BaseException | None = None
        try:
            async with self._conn.pipeline() as pipeline:
                for statement in batch:
                    cursors.append(self._conn.cursor())
                    await _issue(cursors[-1], statement)
                try:
                    await pipeline.sync()
                except psycopg.Error as exc:
                    failure = exc
        except BaseException as exc:
            failure = exc
        # Every answer is read before any is given: the coroutines given one go on at once and
        # issue their next statements, which should go together again.
        outcomes: list[Rows | BaseException] = []
        answered = True
        for statement, cur in zip(batch, cursors + [None] * (len(batch) - len(cursors))):
            if answered and failure is None and statement.many:
                outcomes.append(Rows([], -1, None))  # executemany keeps no result
                continue
            if answered and cur is not None and cur.pgresult is not None:
                try:
                    outcomes.append(await _rows_of(cur))
                    continue
                except psycopg.Error as exc:
                    failure = failure or exc
            answered = False
            assert failure is not None
            outcomes.append(failure)
        for statement, outcome in zip(batch, outcomes):
            if isinstance(outcome, BaseException):
                self._failed(statement, outcome)
            else:
                _answer(statement, outcome)
        if failure is not None and not isinstance(failure, Exception):
            raise failure

    def _failed(self, statement: _Statement, exc: BaseException) -> None:
        if isinstance(exc, psycopg.OperationalError) and self.broken:
            exc = _unavailable(exc)
        if statement.answer is None:
            self._fail(exc)
        else:
            _answer(statement, exc)

    def _fail(self, exc: BaseException) -> None:
        self._failure = self._failure or exc

    async def _defer_forward_references(self, text: str) -> str:
        # SQLite accepts a REFERENCES to a table created later in the same script (people ->
        # units); PostgreSQL does not: such a reference is added once its table exists.
        table = _CREATE_TABLE.match(text)
        assert table is not None
        existing = await self._tables()
        kept = []
        for line in text.split("\n"):
            ref = _REFERENCE.search(line)
            if ref and ref.group(1).lower() not in existing | {table.group(1).lower()}:
                column = line.strip().split()[0]
                self._deferred.append((table.group(1), column, ref.group(1), ref.group(2)))
                line = line[:ref.start()] + line[ref.end():]
            kept.append(line)
        return "\n".join(kept)

    async def _add_deferred_references(self) -> None:
        existing = await self._tables()
        for item in list(self._deferred):
            table, column, target, target_column = item
            if target.lower() in existing:
                await self._run(f"ALTER TABLE {table} ADD FOREIGN KEY ({column}) REFERENCES {target}({target_column})", [])
                self._deferred.remove(item)

    async def _tables(self) -> set[str]:
        rows = await self._run("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()", [])
        return {r[0].lower() for r in await rows.fetchall()}

    async def sync_identities(self) -> None:
        """After rows were inserted with their ``id`` given (a bulk load): each identity column
        goes on from the largest id, as SQLite's rowid does by itself."""
        for table in sorted(self.identity_tables):
            await self._run(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), coalesce(max(id), 0) + 1, false) FROM {table}", []
            )

    async def executemany(self, sql: str, parameters: Iterable[Iterable[Any]]) -> None:
        text = translate(sql, frozenset())  # no RETURNING: executemany has no lastrowid
        await self._run(text, [list(p) for p in parameters], many=True)

    async def commit(self) -> None:
        await self._run("COMMIT", [])

    async def rollback(self) -> None:
        self._failure = None
        if self.broken:
            return
        await self._run("ROLLBACK", [])

    async def close(self) -> None:
        await self._conn.close()

    async def batches(self, sql: str, parameters: Iterable[Any], size: int) -> AsyncIterator[list[tuple[Any, ...]]]:
        """A query's rows ``size`` at a time through a server-side cursor, so the client never
        holds more than one batch: for a scan of a whole table (the 台账 of a province). The
        connection must be in a transaction (``BEGIN``), the cursor's life."""
        try:
            async with self._conn.cursor(name="duban_batches") as cur:
                await cur.execute(translate(sql, self.identity_tables), list(parameters))
                while batch := await cur.fetchmany(size):
                    yield batch
        except psycopg.OperationalError as exc:
            raise _unavailable(exc) from exc


def _answer(statement: _Statement, outcome: Any) -> None:
    if statement.answer is None or statement.answer.done():
        return  # the one waiting was cancelled
    if isinstance(outcome, BaseException):
        statement.answer.set_exception(outcome)
    else:
        statement.answer.set_result(outcome)


async def _issue(cur: psycopg.AsyncCursor[Any], statement: _Statement) -> None:
    # always with a parameter list, so psycopg reads %% as % even when there are none
    if statement.many:
        await cur.executemany(statement.text, statement.parameters)
    else:
        await cur.execute(statement.text, statement.parameters)


async def _rows_of(cur: psycopg.AsyncCursor[Any]) -> Rows:
    rows: list[Row] = []
    result = cur.pgresult
    if result is not None and result.nfields:
        # the names from the result itself: psycopg's ``description`` builds an object per column
        names = tuple((result.fname(i) or b"").decode() for i in range(result.nfields))
        rows = [Row(r, names) for r in await cur.fetchall()]
    return Rows(rows, cur.rowcount, None)


class PgPool:
    """Up to ``size`` connections behind one connection's surface: the readers' side of
    ``bot.storage.db.Database``, and the sent log's.

    A statement goes to a connection whose next round trip is forming (statements issued side
    by side go together), else to an idle one, else a new one while fewer than ``size`` are
    open, else to the one that has waited least. A connection the server dropped (a restart) is
    replaced; a statement it failed is issued once more on the new one: statements here are
    reads, or writes that may be made twice (``ON CONFLICT DO NOTHING``, a ``DELETE``).
    """

    row_factory: Any = None

    def __init__(self, url: str, size: int) -> None:
        self.url = url
        self.size = max(1, size)
        self._conns: list[PgConnection] = []
        self._turn = 0
        self._connecting = asyncio.Lock()

    @property
    def round_trips(self) -> int:
        """Round trips made by the pool's connections (the benches print them)."""
        return sum(conn.round_trips for conn in self._conns)

    async def open(self) -> PgPool:
        """Open the first connection (the others as the load asks for them)."""
        self._conns.append(await PgConnection.connect(self.url))
        return self

    def execute(self, sql: str, parameters: Iterable[Any] | None = None) -> _Pending:
        return _Pending(self._execute(sql, list(parameters or ())))

    async def _execute(self, sql: str, parameters: list[Any]) -> Rows:
        conn = await self._connection()
        try:
            return await conn._execute(sql, parameters)
        except DatabaseUnavailable:
            if not conn.broken:
                raise
            conn = await self._replace(conn)
            return await conn._execute(sql, parameters)

    async def _connection(self) -> PgConnection:
        forming = next((c for c in self._conns if c._queue and not c.broken), None)
        if forming is not None:
            return forming
        idle = next((c for c in self._conns if c._sending is None), None)
        if idle is not None:
            return idle if not idle.broken else await self._replace(idle)
        if len(self._conns) < self.size:
            async with self._connecting:
                if len(self._conns) < self.size:
                    self._conns.append(await PgConnection.connect(self.url))
                    return self._conns[-1]
        self._turn = (self._turn + 1) % len(self._conns)
        return self._conns[self._turn]

    async def _replace(self, conn: PgConnection) -> PgConnection:
        fresh = await PgConnection.connect(self.url)
        await conn.close()
        if conn in self._conns:
            self._conns[self._conns.index(conn)] = fresh
        else:
            self._conns.append(fresh)
        return fresh

    async def close(self) -> None:
        for conn in self._conns:
            await conn.close()
        self._conns = []
