"""Dialog state in the database, for several bot instances on one PostgreSQL database.

Every dialog (the guided /new, 反馈, 退回, 申请延期, 改期同意, 记录约谈, 记录移交, the 百分制
recording, the intake edits; ``bot.conversation.kit``) keeps a person's draft, with the step it
is at, in PTB's ``user_data``, which lives in one process's memory. With several
instances each update may reach either one (the load balancer's round robin, a failover, an
upgrade): this persistence keeps each person's ``user_data`` in the ``dialog_state`` table,
reads it afresh before each of their updates (``refresh_user_data``) and writes what an update
changed before the update is confirmed (``bot.channels.telegram.updates``), so the next answer, wherever it
lands, finds the dialog where the last one left it.

Used only on PostgreSQL (``bot.channels.telegram.app.build_application``): one SQLite bot is one process, and
its dialogs need no round trip to the database. A draft must pickle (dataclasses of plain
values); a dialog's lifetime is checked against its draft's time when the person next answers,
so no timer in one process has to outlive it.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from telegram.ext import BasePersistence, PersistenceInput

from bot.services.context import Office
from bot.storage import channel_dialogs, inbox
from bot.storage.rows import stamp

UPDATE_INTERVAL = 0.5
"""Seconds between writes of the ``user_data`` that updates changed."""

UserData = dict[Any, Any]


class DatabasePersistence(BasePersistence[UserData, dict[Any, Any], dict[Any, Any]]):
    """``user_data`` kept in the database; chat data, bot data and callback data are not."""

    def __init__(self, office: Office) -> None:
        super().__init__(
            store_data=PersistenceInput(bot_data=False, chat_data=False, user_data=True, callback_data=False),
            update_interval=UPDATE_INTERVAL,
        )
        self.office = office
        self._stored: dict[int, bytes] = {}
        """Each person's state as last read or written: an update that changed nothing in it
        (most do: a /task, a button) writes nothing."""
        self._read_for: dict[int, int | None] = {}
        """The update each person's state was last read for: PTB reads it again for the handlers."""

    async def get_user_data(self) -> dict[int, UserData]:
        # Read per update instead (refresh_user_data): what another instance wrote since counts.
        return {}

    async def refresh_user_data(self, user_id: int, user_data: UserData) -> None:
        update_id = inbox.handling.get()
        if update_id is not None and self._read_for.get(user_id) == update_id:
            return  # read for this update already, before the handlers' filters looked (bot.updates)
        self._read_for[user_id] = update_id
        async with self.office.db.reader.execute("SELECT data FROM dialog_state WHERE user_id = ?", (user_id,)) as cur:
            row = await cur.fetchone()
        user_data.clear()
        self._stored[user_id] = bytes(row[0]) if row is not None else pickle.dumps({})
        if row is not None:
            user_data.update(channel_dialogs.loads(bytes(row[0])))

    async def update_user_data(self, user_id: int, data: UserData) -> None:
        pickled = pickle.dumps(dict(data))
        if self._stored.get(user_id) == pickled:
            return
        self._stored[user_id] = pickled
        with _outside_update():
            async with self.office.db.transaction() as conn:
                await conn.execute(
                    "INSERT OR REPLACE INTO dialog_state (user_id, data, updated_at) VALUES (?, ?, ?)",
                    (user_id, pickled, stamp(self.office.now())),
                )

    async def drop_user_data(self, user_id: int) -> None:
        self._stored.pop(user_id, None)
        with _outside_update():
            async with self.office.db.transaction() as conn:
                await conn.execute("DELETE FROM dialog_state WHERE user_id = ?", (user_id,))

    async def flush(self) -> None:
        return None  # every write is committed when made

    # What this persistence does not keep.
    async def get_chat_data(self) -> dict[int, dict[Any, Any]]:
        return {}

    async def get_bot_data(self) -> dict[Any, Any]:
        return {}

    async def get_callback_data(self) -> None:
        return None

    async def get_conversations(self, name: str) -> dict[Any, Any]:
        return {}

    async def update_conversation(self, name: str, key: Any, new_state: object | None) -> None:
        return None

    async def update_chat_data(self, chat_id: int, data: dict[Any, Any]) -> None:
        return None

    async def update_bot_data(self, data: dict[Any, Any]) -> None:
        return None

    async def update_callback_data(self, data: Any) -> None:
        return None

    async def drop_chat_data(self, chat_id: int) -> None:
        return None

    async def refresh_chat_data(self, chat_id: int, chat_data: dict[Any, Any]) -> None:
        return None

    async def refresh_bot_data(self, bot_data: dict[Any, Any]) -> None:
        return None


@contextmanager
def _outside_update() -> Iterator[None]:
    # Written on PTB's schedule, not as part of an update's work: never marks one handled.
    with inbox.aside():
        yield
