"""The demo's web page and its three small routes, mounted on the emulator's aiohttp app.

The page talks to two APIs on the same origin:

* the emulator's control API (``/_emulator/...``, see :mod:`bot.emulators.telegram.control`) for everything a
  Telegram client does: read a chat's transcript (long-polled), send text as a user, reply, upload a
  file, press an inline button, download a file;
* the 钉钉 emulator's control API (``/dingtalk/_emulator/...``, see :mod:`bot.emulators.dingtalk.control`)
  for the same on 钉钉: a person's chat with the robot (cards as they now look), writing to it,
  sending a file, pressing a card's button;
* the 企业微信 emulator's control API (``/wecom/_emulator/...``, see :mod:`bot.emulators.wecom.control`)
  for the same on 企业微信: a member's chat with the application (模板卡片 as they now look, greyed
  once used), writing to it, sending a file, pressing a card's button;
* the routes below (``/_demo/...``) for what only the demo knows:

====== ===================== ==========================================================
Method Route                 Result
====== ===================== ==========================================================
GET    /                     the page (``static/index.html``)
GET    /_demo/static/{name}  its script and style sheet
GET    /_demo/people         everyone in the demo: their channel (``telegram``: user/chat
                             id and command menu; ``dingtalk``, ``wecom``: the userid), a ``key`` the
                             page tells chats apart by, name, roles (from the database), unit
                             or section
GET    /_demo/calendar       ``{"date": "YYYY-MM-DD", "timezone": "Asia/Shanghai"}``: the demo's
                             date, and the office's time zone the page shows times in
GET    /_demo/sample-minutes the sample 会议纪要 (.docx) of a meeting held a few days before the
                             demo's date (:mod:`bot.demo.minutes_sample`), for 「纪要示例」
POST   /_demo/next-day       moves the demo a day on and runs that day's schedule →
                             ``{"date", "steps": [{"label", "count"}], "periodic": [label]}``
POST   /_demo/jump           ``{"to": "monday" | "first" | "YYYY-MM-DD"}``: day by day to next
                             Monday, the 1st of next month or a date; the same answer, the
                             steps summed; a bad target is a 400 with what to do instead
====== ===================== ==========================================================
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aiohttp import web

from datetime import date, timedelta

from bot.demo import minutes_sample
from bot.demo.calendar import JUMPS, DemoCalendar, DemoDays, jump_target
from bot.domain.errors import DomainError
from bot.channels.dingtalk.adapter import DINGTALK
from bot.channels.wecom.adapter import WECOM
from bot.edge import TELEGRAM
from bot.domain.escalation import Escalation
from bot.domain.org import Person, Role
from bot.emulators.telegram import EmulatorServer
from bot.emulators.telegram.server import json_response
from bot.services.context import Office
from bot.storage import org
from bot.texts import explain, label, plain

STATIC = Path(__file__).parent / "static"

STATIC_TYPES = {".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}

PAGE_HEADERS = {
    # The page renders what the bot sends; even if a bug let markup through, no script could run.
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
        "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}

ROLE_ORDER = (Role.SUPERVISOR, Role.CLERK, Role.RESPONSIBLE, Role.LEADER, Role.PRINCIPAL, Role.ADMIN)
"""The order people are listed in: who issues first, then who answers, then who oversees."""


class DemoPage:
    """Serves the page and the demo's routes."""

    def __init__(self, server: EmulatorServer) -> None:
        self.server = server
        self._office: Office | None = None
        self._calendar: DemoCalendar | None = None

    def attach(self, office: Office, calendar: DemoCalendar) -> None:
        """The bot is up and everyone has joined: the demo routes may answer."""
        self._office = office
        self._calendar = calendar

    @property
    def office(self) -> Office:
        if self._office is None:
            raise web.HTTPServiceUnavailable(text="demo is starting")
        return self._office

    @property
    def calendar(self) -> DemoCalendar:
        if self._calendar is None:
            raise web.HTTPServiceUnavailable(text="demo is starting")
        return self._calendar

    def mount(self, app: web.Application) -> None:
        """Add the routes to ``app`` (before the server starts)."""
        app.router.add_get("/", self.page)
        app.router.add_get("/_demo/static/{name}", self.static)
        app.router.add_get("/_demo/people", self.people)
        app.router.add_get("/_demo/calendar", self.get_calendar)
        app.router.add_get("/_demo/sample-minutes", self.sample_minutes)
        app.router.add_post("/_demo/next-day", self.next_day)
        app.router.add_post("/_demo/jump", self.jump)

    async def page(self, request: web.Request) -> web.StreamResponse:
        """The single page."""
        return self._file("index.html")

    async def static(self, request: web.Request) -> web.StreamResponse:
        """The page's script and style sheet (nothing outside ``static/``)."""
        return self._file(request.match_info["name"])

    def _file(self, name: str) -> web.StreamResponse:
        path = STATIC / name
        if "/" in name or name.startswith(".") or not path.is_file() or path.suffix not in STATIC_TYPES:
            raise web.HTTPNotFound()
        return web.Response(
            body=path.read_bytes(), content_type=STATIC_TYPES[path.suffix], charset="utf-8", headers=PAGE_HEADERS
        )

    async def people(self, request: web.Request) -> web.Response:
        """Everyone who has a chat with the bot, in the order the page lists them."""
        conn = self.office.db.reader
        units = {u.id: u.name for u in await org.units(conn)}
        sections = {s.id: s.name for s in await org.sections(conn)}
        bound = [p for p in await org.people(conn) if p.account is not None and p.account.channel in (TELEGRAM, DINGTALK, WECOM)]
        bound.sort(key=lambda p: (min(ROLE_ORDER.index(r) for r in p.roles) if p.roles else len(ROLE_ORDER), p.id))
        return json_response({"ok": True, "result": [self._person_json(p, units, sections) for p in bound]})

    def _person_json(self, person: Person, units: dict[int, str], sections: dict[int, str]) -> dict[str, Any]:
        roles = sorted(person.roles, key=ROLE_ORDER.index)
        assert person.account is not None
        if person.account.channel in (DINGTALK, WECOM):
            return {
                "channel": person.account.channel,
                "key": str(person.account),
                "userid": person.account.address,
                "name": person.name,
                "roles": [{"key": r.value, "label": label("roles", r.value)} for r in roles],
                "unit": units.get(person.unit_id) if person.unit_id else None,
                "section": sections.get(person.section_id) if person.section_id else None,
                "commands": [],  # neither has a command menu here: /help lists the commands
            }
        user_id = int(person.account.address)
        return {
            "channel": TELEGRAM,
            "key": str(person.account),
            "user_id": user_id,
            "chat_id": user_id,  # a private chat's id is its user's id
            "name": person.name,
            "roles": [{"key": r.value, "label": label("roles", r.value)} for r in roles],
            "unit": units.get(person.unit_id) if person.unit_id else None,
            "section": sections.get(person.section_id) if person.section_id else None,
            "commands": self._menu(user_id),
        }

    def _menu(self, chat_id: int) -> list[dict[str, str]]:
        """The command menu Telegram would show in this chat (setMyCommands, chat scope first)."""
        commands = self.server.state.commands
        return commands.get((("chat", chat_id), ""), commands.get((("default",), ""), []))

    async def get_calendar(self, request: web.Request) -> web.Response:
        """The demo's date."""
        timezone = self.calendar.office.settings.timezone.key
        return json_response({"ok": True, "result": {"date": self.calendar.today.isoformat(), "timezone": timezone}})

    async def sample_minutes(self, request: web.Request) -> web.Response:
        """The sample minutes, its meeting a few days before the demo's date: its 期限 lie ahead."""
        held_on = self.calendar.today - timedelta(days=minutes_sample.DAYS_BEFORE_DEMO)
        return web.Response(
            body=minutes_sample.minutes_docx(held_on), headers=PAGE_HEADERS,
            content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        )

    async def next_day(self, request: web.Request) -> web.Response:
        """Tomorrow: run its schedule, say what it did."""
        return self._days(await self.calendar.next_day())

    async def jump(self, request: web.Request) -> web.Response:
        """To next Monday, the 1st of next month or a chosen date, a day at a time."""
        try:
            body = await request.json()
        except ValueError:
            body = {}
        to = str(body.get("to", "")) if isinstance(body, dict) else ""
        try:
            if to in JUMPS:
                target = jump_target(self.calendar.today, to)
            else:
                try:
                    target = date.fromisoformat(to)
                except ValueError:
                    raise DomainError("demo_jump_unknown", text=to[:40]) from None
            days = await self.calendar.jump_to(target)
        except DomainError as exc:
            return json_response({"ok": False, "error": plain(explain(exc))}, status=400)
        return self._days(days)

    def _days(self, days: DemoDays) -> web.Response:
        steps = [{"label": label("escalation", step.value), "count": n} for step, n in days.steps.items() if n and step is not Escalation.NOTHING]
        periodic = [label("demo_periodic", key) for key in dict.fromkeys(days.periodic)]
        return json_response({"ok": True, "result": {"date": days.day.isoformat(), "steps": steps, "periodic": periodic}})
