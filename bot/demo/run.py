"""``duban demo``: emulator + real bot + seeded database, no Telegram token needed."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from pathlib import Path

from bot.config import Secret, Settings
from bot.demo.seed import seed
from bot.emulator import EmulatorServer
from bot.running import serve
from bot.services import onboarding
from bot.services.context import Office
from bot.texts import render

log = logging.getLogger(__name__)


async def run_demo(settings: Settings, host: str, port: int, db_path: Path, stop: asyncio.Event) -> None:
    """Start everything, print where to look, and run until ``stop`` is set."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    async with EmulatorServer(host=host, port=port) as server:
        demo = replace(
            settings, token=Secret(server.token), api_url=server.url, db_path=db_path, bot_username="duban_demo_bot"
        )
        office = await Office.open(demo)
        try:
            now = office.now()
            people = await seed(office, now)
            bound = []
            for person in people:
                user = server.state.create_user(person.name, None, None, "zh-hans", None)
                invite = await onboarding.create_invite(office, person.id, now)
                await onboarding.redeem_invite(office, invite.code, user.id, now)
                bound.append((person, user.id))
            print(render("demo/started", url=server.url, people=bound, db=db_path))
            await serve(office, stop)
        finally:
            await office.db.close()
