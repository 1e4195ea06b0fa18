"""``duban demo``: emulators + real bot + seeded database + a web page, in one process, no token.

Everything listens on one port: the local Bot API emulator (which the real bot polls, exactly
as it would poll api.telegram.org), its control API, the 钉钉 emulator under ``/dingtalk``
(Stream gateway, OpenAPI and control API, which the bot's 钉钉 channel connects to as it would
to api.dingtalk.com), the 企业微信 emulator under ``/wecom`` (server API and control API, which
the bot's 企业微信 channel calls as it would qyapi.weixin.qq.com; its callbacks go to the
channel's own callback server on a free local port, as 企业微信's would through the reverse
proxy), and the demo page that plays every person of the seeded organisation through the control
APIs. Each person is on Telegram, or on 钉钉 when named in ``dingtalk``, or on 企业微信 when named
in ``wecom``.
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import TextIO

from bot.channels.dingtalk.channel import DingTalkChannel
from bot.channels.telegram.app import build_application, start_bot, stop_bot
from bot.channels.wecom.channel import WecomChannel
from bot.config import DingTalk, Secret, Settings, Wecom
from bot.demo.calendar import DemoCalendar
from bot.demo.seed import names as seed_names
from bot.demo.seed import seed
from bot.demo.web import DemoPage
from bot.domain.org import Person
from bot.emulators.dingtalk import DingTalkEmulator, DingTalkPeople
from bot.emulators.telegram import EmulatorServer, simulation
from bot.emulators.telegram.rules import Rules
from bot.emulators.wecom import WecomEmulator
from bot.scheduling import run_periodic
from bot.services import onboarding
from bot.services.context import Office
from bot.storage import org
from bot.texts import plain, render
from bot.channels.telegram.context import DubanApplication

log = logging.getLogger(__name__)

BIND_TIMEOUT = 15.0
"""Seconds to wait for the bot to answer everyone's ``/start <invite>`` before giving up."""

DINGTALK_PREFIX = "/dingtalk"
"""Where the 钉钉 emulator is served on the demo's one port (the page may only talk to its own
origin)."""


class MountedDingTalk(DingTalkEmulator):
    """The 钉钉 emulator served by the demo's server under :data:`DINGTALK_PREFIX` (its app a
    sub-application there), so its own URLs — the Stream gateway's WebSocket — point there."""

    def __init__(self, server: EmulatorServer) -> None:
        super().__init__()
        self.server = server
        server.app.add_subapp(DINGTALK_PREFIX, self.app)

    @property
    def url(self) -> str:
        """The emulator's base URL under the demo's server."""
        return self.server.url + DINGTALK_PREFIX


WECOM_PREFIX = "/wecom"
"""Where the 企业微信 emulator is served on the demo's one port."""


class MountedWecom(WecomEmulator):
    """The 企业微信 emulator served by the demo's server under :data:`WECOM_PREFIX`."""

    def __init__(self, server: EmulatorServer) -> None:
        super().__init__()
        self.server = server
        server.app.add_subapp(WECOM_PREFIX, self.app)

    @property
    def url(self) -> str:
        """The emulator's base URL under the demo's server."""
        return self.server.url + WECOM_PREFIX


@dataclass
class Demo:
    """A running demo: where it listens and the parts a test may look at."""

    url: str
    server: EmulatorServer
    office: Office
    application: DubanApplication
    calendar: DemoCalendar
    people: list[Person]
    dingtalk: DingTalkEmulator
    wecom: WecomEmulator


def _claim(db_path: Path, url: str) -> TextIO:
    """Lock ``<db>.lock`` for as long as the returned file stays open: a second demo on the same
    database is refused before it deletes anything (a demo starts by removing the old database),
    and told the address the first one runs at, which the lock file holds. The lock goes with the
    file's closing, also when the process dies."""
    path = Path(f"{db_path}.lock")
    lock = open(path, "a", encoding="utf-8")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        lock.close()
        running = path.read_text(encoding="utf-8").strip() if path.exists() else ""
        raise SystemExit(plain(render("demo/db_busy", db=db_path, running=running))) from None
    lock.truncate(0)
    lock.write(url + "\n")
    lock.flush()
    return lock


@asynccontextmanager
async def running_demo(
    settings: Settings, host: str = "127.0.0.1", port: int = 0, db_path: Path = Path("demo.db"),
    rules: Rules | None = None, today: date | None = None, dingtalk: frozenset[str] = frozenset(),
    wecom: frozenset[str] = frozenset(),
) -> AsyncIterator[Demo]:
    """Start the emulators and the page, a fresh seeded database and the real bot; stop them on exit.

    Refused, touching no file, when another demo uses the same database or the port is taken.
    ``today`` is the demo's first date (default: today's). The people named in ``dingtalk`` join
    on 钉钉, those named in ``wecom`` on 企业微信, everyone else on Telegram; a name not in the
    organisation, or named for both, is refused.
    """
    unknown = sorted(dingtalk - set(demo_names()))
    if unknown:
        raise SystemExit(plain(render("demo/dingtalk_unknown", names=unknown, known=demo_names())))
    unknown = sorted(wecom - set(demo_names()))
    if unknown:
        raise SystemExit(plain(render("demo/wecom_unknown", names=unknown, known=demo_names())))
    if dingtalk & wecom:
        raise SystemExit(plain(render("demo/channel_twice", names=sorted(dingtalk & wecom))))
    server = EmulatorServer(host=host, port=port, bot_username="duban_demo_bot", rules=rules)
    ding = MountedDingTalk(server)
    wx = MountedWecom(server)
    page = DemoPage(server)
    page.mount(server.app)
    try:
        await server.start()
    except OSError:
        raise SystemExit(plain(render("demo/port_busy", host=host, port=port, other=port + 1))) from None
    try:
        lock = _claim(db_path, server.url)
    except SystemExit:
        await server.stop()
        raise
    try:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db_path}{suffix}").unlink(missing_ok=True)
        async with _running(settings, server, ding, wx, page, db_path, today, dingtalk, wecom) as demo:
            yield demo
    finally:
        lock.close()


@asynccontextmanager
async def _running(
    settings: Settings, server: EmulatorServer, ding: DingTalkEmulator, wx: WecomEmulator, page: DemoPage,
    db_path: Path, today: date | None, on_dingtalk: frozenset[str], on_wecom: frozenset[str],
) -> AsyncIterator[Demo]:
    world = ding.world
    with tempfile.TemporaryDirectory(prefix="duban-demo-archive-") as archive:
        demo_settings = replace(
            settings, token=Secret(server.token), api_url=server.url, db_path=db_path,
            archive_dir=Path(archive), bot_username="duban_demo_bot",
            dingtalk=DingTalk(client_id=world.client_id, client_secret=Secret(world.client_secret),
                              agent_id=world.agent_id, endpoint=ding.url, oapi_endpoint=ding.url),
            wecom=Wecom(corp_id=wx.corp_id, agent_id=wx.agent_id, secret=Secret(wx.secret), token=Secret(wx.token),
                        encoding_aes_key=Secret(wx.encoding_aes_key), api_url=wx.url, port=0),
        )
        office = await Office.open(demo_settings)
        # The 下一天 button drives the daily check; the 09:00 job would run it on the real date.
        application = build_application(office, schedule=False)
        calendar = DemoCalendar(office, today)
        server.state.clock = lambda: office.now().timestamp()  # messages are dated on the demo's day
        world.clock = lambda: office.now().timestamp()
        wx.world.clock = lambda: office.now().timestamp()
        channel = DingTalkChannel(office)
        wecom_channel = WecomChannel(office, port=0)  # its callback server on a free local port
        try:
            people = await seed(office, office.now())
            await start_bot(application, poll_timeout=10)
            try:
                await channel.start(connect_timeout=BIND_TIMEOUT)
                await wecom_channel.start()
                await wx.set_callback_url(wecom_channel.url)  # as saved in the admin console
                await _join(office, server, ding, wx, people, on_dingtalk, on_wecom)
                # As the bot's start does: what the schedule owed before today goes out now (last
                # week's digests, last month's analyses), not on the visitor's first 「下一天」.
                await run_periodic(office, calendar.today)
                page.attach(office, calendar)
                yield Demo(server.url, server, office, application, calendar, people, ding, wx)
            finally:
                await wecom_channel.stop()
                await channel.stop()
                await stop_bot(application)
        finally:
            await office.db.close()
            await ding.stopping()
            await wx.stopping()
            await server.stop()


async def _join(
    office: Office, server: EmulatorServer, ding: DingTalkEmulator, wx: WecomEmulator, people: list[Person],
    on_dingtalk: frozenset[str], on_wecom: frozenset[str],
) -> None:
    """Everyone opens their invite link: ``/start <code>`` in their own chat, as on a phone; on
    钉钉 or 企业微信, the code is sent to the robot or the application by a member of the
    organisation, filed under the department of their unit or section."""
    now = office.now()
    departments: dict[str, int] = {}
    wx_departments: dict[str, int] = {}
    places = {u.id: u.name for u in await org.units(office.db.reader)}
    sections = {s.id: s.name for s in await org.sections(office.db.reader)}
    async with DingTalkPeople(ding.url) as organisation:
        for person in people:
            invite = await onboarding.create_invite(office, person.id, now)
            place = places.get(person.unit_id or 0) or sections.get(person.section_id or 0)
            if person.name in on_wecom:
                if place and place not in wx_departments:
                    wx_departments[place] = wx.add_department(len(wx_departments) + 2, place).id
                wx.add_member(f"wx{person.id:04d}", person.name, [wx_departments[place]] if place else None)
                wx.say(f"wx{person.id:04d}", f"/start {invite.code}")
                continue
            if person.name not in on_dingtalk:
                user = server.state.create_user(person.name, None, None, "zh-hans", None)
                simulation.send_text(server.state, user, server.state.chats[user.id], f"/start {invite.code}")
                continue
            if place and place not in departments:
                departments[place] = (await organisation.add_department(place))["dept_id"]
            member = await organisation.add_person(
                person.name, f"user{person.id:04d}", [departments[place]] if place else None,
            )
            await member.send(f"/start {invite.code}")
    loop = asyncio.get_running_loop()
    deadline = loop.time() + BIND_TIMEOUT
    while any(p.account is None for p in await org.people(office.db.reader)):
        if loop.time() > deadline:
            raise RuntimeError("the bot did not bind the demo people in time")
        await asyncio.sleep(0.05)


def demo_names() -> list[str]:
    """Everyone the demo's organisation has, by name."""
    return list(seed_names())


async def run_demo(
    settings: Settings, host: str, port: int, db_path: Path, stop: asyncio.Event, dingtalk: frozenset[str] = frozenset(),
    wecom: frozenset[str] = frozenset(),
) -> None:
    """Run the demo, print what to open, and keep running until ``stop`` (Ctrl+C) is set."""
    async with running_demo(settings, host, port, db_path, dingtalk=dingtalk, wecom=wecom) as demo:
        on_dingtalk = [p.name for p in demo.people if p.name in dingtalk]
        on_wecom = [p.name for p in demo.people if p.name in wecom]
        print(render("demo/started", url=demo.url, db=db_path, people=len(demo.people), dingtalk=on_dingtalk,
                     wecom=on_wecom), flush=True)
        await stop.wait()
        print(render("demo/stopping"), flush=True)
