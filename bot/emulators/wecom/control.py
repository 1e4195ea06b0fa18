"""HTTP control API of the 企业微信 emulator (tests, scripts, the demo), under ``/_emulator``.

Answers ``{"ok": true, "result": …}`` or ``{"ok": false, "error": …}`` (400 bad input,
404 unknown member/delivery, 409 an action 企业微信 would not allow).

====== ======================================= ==================================================
Method Route                                   Body / query → result
====== ======================================= ==================================================
GET    /_emulator                              → corp_id, agent_id, api url, callback settings
PATCH  /_emulator/callback                     ``{"url", "timeout", "retry_interval", "retries"}``;
                                               a new url is checked first, as the console does
                                               (409 and unchanged when it fails)
POST   /_emulator/callback/verify              → {ok, status, body}: the URL check (echostr)
PATCH  /_emulator/limits                       any :class:`~bot.emulators.wecom.world.Limits` field
POST   /_emulator/faults                       ``{"api": "message/send", "errcode", "times"?}``
POST   /_emulator/tokens/expire                every access_token expires now
POST   /_emulator/day                          a new day: the daily quota starts again
GET    /_emulator/dropped                      → messages dropped over a member's limit
POST   /_emulator/departments                  ``{"id", "name", "parentid"?}`` (201)
POST   /_emulator/members                      ``{"userid", "name", "department"?}`` (201)
POST   /_emulator/members/{userid}/text        ``{"text", "quote"?}`` → delivery (201)
POST   /_emulator/members/{userid}/files       multipart ``file``, ``kind``? → delivery (201)
POST   /_emulator/members/{userid}/press       ``{"task_id", "key"}`` → delivery (201)
GET    /_emulator/members/{userid}/chat        → [entry]: from, kind, text, media, card state
GET    /_emulator/members/{userid}/transcript  → {version, entries}: the chat, each entry with
                                               its ``at`` (unix) and ``version`` (the demo page)
GET    /_emulator/members                      → every member with their chat's ``version``
GET    /_emulator/changes                      ``?since=N&timeout=S`` waits for a change in any
                                               chat past N → {version}
GET    /_emulator/deliveries/{id}              ``?wait=S`` waits until it is done → delivery
GET    /_emulator/media/{media_id}             → the file's bytes
====== ======================================= ==================================================
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.emulators.serving import ControlError

from bot.emulators.wecom.callback import Delivery

if TYPE_CHECKING:
    from bot.emulators.wecom.server import WecomEmulator

Route = Callable[[web.Request], Awaitable[web.StreamResponse]]



def _json(body: Any, status: int = 200) -> web.Response:
    return web.json_response(body, status=status, dumps=lambda v: json.dumps(v, ensure_ascii=False))


def _ok(result: Any, status: int = 200) -> web.Response:
    return _json({"ok": True, "result": result}, status)


async def _body(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise ControlError(400, "body must be a JSON object") from None
    if not isinstance(body, dict):
        raise ControlError(400, "body must be a JSON object")
    return body


def add_control_routes(app: web.Application, wecom: WecomEmulator, prefix: str) -> None:
    """Registers the control routes on ``app``."""
    from bot.emulators.wecom.server import EmulatorError

    def wrap(handler: Route) -> Route:
        async def route(request: web.Request) -> web.StreamResponse:
            try:
                return await handler(request)
            except ControlError as exc:
                return _json({"ok": False, "error": str(exc)}, exc.status)
            except EmulatorError as exc:
                return _json({"ok": False, "error": str(exc)}, 409)
            except (KeyError, TypeError, ValueError) as exc:
                return _json({"ok": False, "error": f"bad request: {exc}"}, 400)

        return route

    world = wecom.world
    settings = wecom.callbacks.settings

    async def info(request: web.Request) -> web.StreamResponse:
        return _ok({"corp_id": wecom.corp_id, "agent_id": wecom.agent_id, "api_url": wecom.url,
                    "callback": dataclasses.asdict(settings)})

    async def patch_callback(request: web.Request) -> web.StreamResponse:
        body = await _body(request)
        for name in ("timeout", "retry_interval", "retries"):
            if name in body:
                setattr(settings, name, body[name])
        if body.get("url"):
            await wecom.set_callback_url(str(body["url"]))
        return _ok(dataclasses.asdict(settings))

    async def verify(request: web.Request) -> web.StreamResponse:
        return _ok(await wecom.verify_url())

    async def patch_limits(request: web.Request) -> web.StreamResponse:
        body = await _body(request)
        names = {f.name for f in dataclasses.fields(world.limits)}
        for name, value in body.items():
            if name not in names:
                raise ControlError(400, f"unknown limit {name}")
            setattr(world.limits, name, value)
        return _ok(dataclasses.asdict(world.limits))

    async def fault(request: web.Request) -> web.StreamResponse:
        body = await _body(request)
        wecom.fail(str(body["api"]), int(body["errcode"]), int(body.get("times", 1)))
        return _ok(None)

    async def expire(request: web.Request) -> web.StreamResponse:
        world.expire_tokens()
        return _ok(None)

    async def new_day(request: web.Request) -> web.StreamResponse:
        world.new_day()
        return _ok(None)

    async def dropped(request: web.Request) -> web.StreamResponse:
        return _ok(world.dropped)

    async def add_department(request: web.Request) -> web.StreamResponse:
        body = await _body(request)
        department = wecom.add_department(int(body["id"]), str(body["name"]), int(body.get("parentid", 1)))
        return _ok(vars(department), 201)

    async def add_member(request: web.Request) -> web.StreamResponse:
        body = await _body(request)
        member = wecom.add_member(str(body["userid"]), str(body["name"]), body.get("department"))
        return _ok(vars(member), 201)

    async def text(request: web.Request) -> web.StreamResponse:
        body = await _body(request)
        return _ok(wecom.say(request.match_info["userid"], str(body["text"]), body.get("quote")).json(), 201)

    async def files(request: web.Request) -> web.StreamResponse:
        filename, content, kind = "", b"", "file"
        async for part in await request.multipart():
            if getattr(part, "name", None) == "file":
                filename = getattr(part, "filename", None) or "file"
                content = await part.read()  # type: ignore[union-attr]
            elif getattr(part, "name", None) == "kind":
                kind = (await part.text()).strip()  # type: ignore[union-attr]
        if not filename:
            raise ControlError(400, "multipart field file is required")
        return _ok(wecom.send_file(request.match_info["userid"], filename, content, kind).json(), 201)

    async def press(request: web.Request) -> web.StreamResponse:
        body = await _body(request)
        return _ok(wecom.press(request.match_info["userid"], str(body["task_id"]), str(body["key"])).json(), 201)

    async def chat(request: web.Request) -> web.StreamResponse:
        return _ok([entry.json() for entry in wecom.chat(request.match_info["userid"])])

    async def transcript(request: web.Request) -> web.StreamResponse:
        userid = request.match_info["userid"]
        entries = [entry.json() | {"at": entry.at, "version": entry.last_seq} for entry in wecom.chat(userid)]
        return _ok({"version": world.version(userid), "entries": entries})

    async def members(request: web.Request) -> web.StreamResponse:
        return _ok([vars(m) | {"version": world.version(m.userid)} for m in world.members.values()])

    async def changes(request: web.Request) -> web.StreamResponse:
        since = int(request.query.get("since", -1))
        timeout = min(float(request.query.get("timeout", 0)), 60.0)
        return _ok({"version": await world.wait_changed(since, timeout)})

    async def delivery(request: web.Request) -> web.StreamResponse:
        found: Delivery | None = wecom.callbacks.deliveries.get(int(request.match_info["id"]))
        if found is None:
            raise ControlError(404, "no such delivery")
        wait = min(float(request.query.get("wait", 0)), 60.0)
        if wait:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(found.finished.wait(), wait)
        return _ok(found.json())

    async def media(request: web.Request) -> web.StreamResponse:
        found = world.media.get(request.match_info["media_id"])
        if found is None:
            raise ControlError(404, "no such media")
        return web.Response(body=found.content, content_type="application/octet-stream")

    routes: list[tuple[str, str, Route]] = [
        ("GET", "", info),
        ("PATCH", "/callback", patch_callback),
        ("POST", "/callback/verify", verify),
        ("PATCH", "/limits", patch_limits),
        ("POST", "/faults", fault),
        ("POST", "/tokens/expire", expire),
        ("POST", "/day", new_day),
        ("GET", "/dropped", dropped),
        ("POST", "/departments", add_department),
        ("POST", "/members", add_member),
        ("POST", "/members/{userid}/text", text),
        ("POST", "/members/{userid}/files", files),
        ("POST", "/members/{userid}/press", press),
        ("GET", "/members/{userid}/chat", chat),
        ("GET", "/members/{userid}/transcript", transcript),
        ("GET", "/members", members),
        ("GET", "/changes", changes),
        ("GET", "/deliveries/{id}", delivery),
        ("GET", "/media/{media_id}", media),
    ]
    for method, path, handler in routes:
        app.router.add_route(method, prefix + path, wrap(handler))
