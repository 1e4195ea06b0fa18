"""A channel whose messages are known by text ids (钉钉): the inbox records the message's key
with its work, and a person's open dialogs are kept per account — on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass

from bot.edge import Account
from bot.services.context import Office
from bot.storage import channel_dialogs, inbox


@dataclass(frozen=True)
class Draft:
    step: str
    title: str


async def test_a_messages_key_is_recorded_with_its_work_and_only_then(office: Office) -> None:
    key = "dingtalk:msg:msg0a1b2c"
    assert not await inbox.handled_key(office.db.reader, key)
    token = inbox.handling_key.set(key)
    try:
        with inbox.aside():  # bookkeeping on the way does not mark it
            async with office.db.transaction():
                pass
        assert not await inbox.handled_key(office.db.reader, key)
        async with office.db.transaction():
            pass
    finally:
        inbox.handling_key.reset(token)
    assert await inbox.handled_key(office.db.reader, key)
    async with office.db.transaction() as conn:
        await inbox.prune(conn)  # fresh keys are kept
    assert await inbox.handled_key(office.db.reader, key)
    assert not await inbox.handled_key(office.db.reader, "dingtalk:card:other")


async def test_an_accounts_dialogs_are_kept_until_none_is_open(office: Office) -> None:
    wang, li = Account("dingtalk", "wang"), Account("dingtalk", "li")
    dialogs = {"issue": Draft("title", "城区积水点排查整治")}
    async with office.db.transaction() as conn:
        await channel_dialogs.write(conn, wang, channel_dialogs.dumps(dialogs), office.now())
    assert channel_dialogs.loads(await channel_dialogs.read(office.db.reader, wang)) == dialogs
    assert await channel_dialogs.read(office.db.reader, li) is None
    async with office.db.transaction() as conn:
        await channel_dialogs.write(conn, wang, channel_dialogs.dumps({"issue": Draft("units", "改")}), office.now())
    assert channel_dialogs.loads(await channel_dialogs.read(office.db.reader, wang)) == {"issue": Draft("units", "改")}
    async with office.db.transaction() as conn:
        await channel_dialogs.write(conn, wang, channel_dialogs.dumps({}), office.now())
    assert await channel_dialogs.read(office.db.reader, wang) is None
    assert channel_dialogs.loads(b"not a pickle") == {}
