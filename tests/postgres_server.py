"""A throw-away PostgreSQL server for the tests, from the system's ``initdb`` and ``pg_ctl``.

``DUBAN_TEST_BACKEND=postgresql`` runs the storage and e2e suites on it (``make test-pg``);
without a server binary the PostgreSQL tests skip and say why. The server lives in a temporary
directory, listens on 127.0.0.1 at a free port with trust authentication, and is stopped when
the test session ends. Root cannot run postgres: as root it runs as the ``postgres`` user.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import psycopg.conninfo

BACKEND = os.environ.get("DUBAN_TEST_BACKEND", "sqlite")
"""Which backend the storage and e2e suites run on: ``sqlite`` (default) or ``postgresql``."""


def _bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


def unavailable() -> str | None:
    """Why no server can be started here (None: it can)."""
    if _bin("initdb") is None or _bin("pg_ctl") is None:
        return "PostgreSQL is not installed (apt-get install postgresql; scripts/system-deps.sh does it as root)"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no postgres user to run the server as"
    return None


def _as_server_user(argv: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return argv
    return ["runuser", "-u", "postgres", "--", *argv]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def server() -> Iterator[str]:
    """Start a server; yield the URL of its ``postgres`` database; stop and remove it."""
    reason = unavailable()
    if reason:
        raise RuntimeError(reason)
    root = Path(tempfile.mkdtemp(prefix="duban-pg-"))
    data = root / "data"
    if os.geteuid() == 0:
        entry = pwd.getpwnam("postgres")
        os.chown(root, entry.pw_uid, entry.pw_gid)
    port = _free_port()
    initdb, pg_ctl = _bin("initdb"), _bin("pg_ctl")
    assert initdb and pg_ctl
    subprocess.run(
        _as_server_user([initdb, "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-locale"]),
        check=True, capture_output=True,
    )
    # fsync off: a throw-away server; durability is the product's, not the test server's
    options = f"-h 127.0.0.1 -p {port} -k {root} -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300"
    subprocess.run(
        _as_server_user([pg_ctl, "-D", str(data), "-o", options, "-l", str(root / "log"), "-w", "start"]),
        check=True, capture_output=True,
    )
    url = f"postgresql://postgres@127.0.0.1:{port}/postgres"
    _RUNNING[port] = [pg_ctl, "-D", str(data), "-o", options, "-l", str(root / "log"), "-w", "start"]
    try:
        prepare_template(url)
        yield url
    finally:
        _RUNNING.pop(port, None)
        subprocess.run(_as_server_user([pg_ctl, "-D", str(data), "-m", "immediate", "stop"]), capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


_RUNNING: dict[int, list[str]] = {}
"""Each server's port and the command that starts it."""


def stop(url: str) -> None:
    """Stop the server of ``url`` at once (``-m fast``: its sessions are ended, as in a restart)."""
    start_command = _RUNNING[int(psycopg.conninfo.conninfo_to_dict(url)["port"])]
    data = start_command[start_command.index("-D") + 1]
    subprocess.run(_as_server_user([start_command[0], "-D", data, "-m", "fast", "-w", "stop"]), check=True, capture_output=True)


def start(url: str) -> None:
    """Start the server of ``url`` again."""
    subprocess.run(_as_server_user(_RUNNING[int(psycopg.conninfo.conninfo_to_dict(url)["port"])]), check=True, capture_output=True)


TEMPLATE = "duban_migrated"
"""A database the migrations were applied to once: each test's database is a copy of it, which
PostgreSQL makes in a fraction of the time the migrations take."""


def _url(admin_url: str, name: str) -> str:
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


def prepare_template(admin_url: str) -> None:
    """Create ``TEMPLATE`` and migrate it, by the bot's own code (in a child process, outside
    the tests' event loop)."""
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {TEMPLATE}")
    script = "import asyncio, sys\nfrom bot.storage.db import Database\n" \
        "async def main():\n    db = await Database(sys.argv[1]).open()\n    await db.close()\nasyncio.run(main())\n"
    subprocess.run([sys.executable, "-c", script, _url(admin_url, TEMPLATE)], check=True)


def fresh_database(admin_url: str, migrated: bool = True) -> str:
    """A new database on the server (a copy of the migrated ``TEMPLATE``, or empty); its URL."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}" + (f" TEMPLATE {TEMPLATE}" if migrated else ""))
    return _url(admin_url, name)


def another_database(url: str | None) -> str | None:
    """On the server of ``url``, a new empty database (another machine's, say); None on SQLite."""
    if url is None:
        return None
    return fresh_database(_url(url, "postgres"), migrated=False)
