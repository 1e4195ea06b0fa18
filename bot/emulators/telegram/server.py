"""The emulator's HTTP server: Bot API routes, file downloads and the control API.

Routes (``{base}`` is the optional ``base_path``):

* ``{base}/bot{token}/{method}`` – the Bot API, GET or POST with query string,
  form-encoded, JSON or multipart body. Method names are case-insensitive.
* ``{base}/file/bot{token}/{file_path}`` – downloads of uploaded files.
* ``{base}/_emulator/...`` – the control API, see :mod:`bot.emulators.telegram.control`.

Point PTB at it with::

    ApplicationBuilder().token(server.token)
        .base_url(f"{server.url}/bot").base_file_url(f"{server.url}/file/bot")
"""

from __future__ import annotations

import json
import logging
import re
from functools import partial
from typing import Any

from aiohttp import web

from bot.emulators.serving import Served

from bot.emulators.telegram import errors, methods
from bot.emulators.telegram.errors import ApiError
from bot.emulators.telegram.methods import BotMethods
from bot.emulators.telegram.models import SimUser, Upload
from bot.emulators.telegram.rules import FloodControl, Rules
from bot.emulators.telegram.spec import decode_params, load_spec
from bot.emulators.telegram.state import EmulatorState
from bot.emulators.telegram.webhook import WebhookDispatcher

log = logging.getLogger(__name__)

DEFAULT_TOKEN = "7000000001:AAEmulatorTokenForTheDubanDemoBot01"
TOKEN_RE = re.compile(r"^\d+:[A-Za-z0-9_-]{35}$")
MAX_REQUEST_BYTES = 60 * 1024 * 1024

dumps = partial(json.dumps, ensure_ascii=False, separators=(",", ":"))


def json_response(body: Any, status: int = 200) -> web.Response:
    """A compact UTF-8 JSON response."""
    return web.json_response(body, status=status, dumps=dumps)


class EmulatorServer(Served):
    """A local Telegram Bot API for one bot, with a simulation control API.

    Use as ``async with EmulatorServer() as server:``; ``server.url`` is then the base URL
    and ``server.state`` the in-memory world (see :class:`bot.emulators.telegram.client.Simulator`).

    Args:
        host: Interface to bind (keep 127.0.0.1 unless the demo must be reachable).
        port: TCP port; 0 picks a free one.
        token: The configured bot's token; any token of the form ``<digits>:<35 chars>``
            is accepted and addresses this bot. The bot's user id is the digits.
        bot_username: The bot's @username.
        bot_name: The bot's first_name.
        rules: Telegram rules to enforce (default: all on).
        base_path: Optional URL prefix for every route, e.g. ``"/tg"``.
    """

    NAME = "Telegram Bot API emulator"

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        token: str = DEFAULT_TOKEN,
        bot_username: str = "duban_demo_bot",
        bot_name: str = "Duban Demo Bot",
        rules: Rules | None = None,
        base_path: str = "",
    ) -> None:
        if not TOKEN_RE.match(token):
            raise ValueError("token must look like <digits>:<35 characters>")
        self.host = host
        self.port = port
        self.token = token
        self.base_path = base_path.rstrip("/")
        self.rules = rules or Rules()
        self.spec = load_spec()
        bot = SimUser(int(token.split(":")[0]), bot_name, username=bot_username, is_bot=True)
        self.state = EmulatorState(bot)
        self.webhooks = WebhookDispatcher(self.state)
        self.methods = BotMethods(self.state, self.rules, FloodControl(self.rules), self.webhooks.restart)
        self.app = self._build_app()

    @property
    def url(self) -> str:
        """Base URL of the running server, e.g. ``http://127.0.0.1:38211``."""
        return f"http://{self.host}:{self.port}{self.base_path}"

    @property
    def api_url(self) -> str:
        """PTB ``base_url`` (the token is appended by PTB)."""
        return f"{self.url}/bot"

    @property
    def file_url(self) -> str:
        """PTB ``base_file_url``."""
        return f"{self.url}/file/bot"

    def _build_app(self) -> web.Application:
        """Creates the aiohttp application with every route."""
        from bot.emulators.telegram.control import add_control_routes  # control imports server types

        app = web.Application(client_max_size=MAX_REQUEST_BYTES)
        base = self.base_path
        app.router.add_route("*", base + "/bot{token}/{method}", self._handle_api)
        app.router.add_get(base + "/file/bot{token}/{path:.+}", self._handle_file)
        add_control_routes(app, self, base + "/_emulator")
        return app

    async def stopping(self) -> None:
        """Releases long polls and stops webhook delivery."""
        self.state.close()
        await self.webhooks.stop()

    async def _handle_api(self, request: web.Request) -> web.Response:
        """One Bot API call: token and method checks, parameter decoding, dispatch."""
        name = request.match_info["method"]
        try:
            if not TOKEN_RE.match(request.match_info["token"]):
                raise errors.unauthorized()
            spec = self.spec.lookup(name)
            if spec is None and (self.rules.validate_spec or not methods.implemented(name)):
                log.error("Bot API emulator: unknown method %r called (404)", name)
                raise errors.not_found()
            if not methods.implemented(name):
                log.error("Bot API emulator: method %s exists in the Bot API but is not implemented", name)
                raise errors.not_implemented(spec.name if spec else name)
            raw = await read_params(request)
            params = decode_params(spec, raw, self.rules.validate_spec) if spec else raw
            result = await methods.call(self.methods, name, params)
        except ApiError as exc:
            log.debug("%s -> %s %s", name, exc.code, exc.description)
            return json_response(exc.to_json(), status=exc.code)
        return json_response({"ok": True, "result": result})

    async def _handle_file(self, request: web.Request) -> web.Response:
        """Serves an uploaded file by its file_path."""
        if not TOKEN_RE.match(request.match_info["token"]):
            return json_response(errors.unauthorized().to_json(), status=401)
        stored = self.state.file_by_path(request.match_info["path"])
        if stored is None:
            return json_response(errors.not_found().to_json(), status=404)
        return web.Response(body=stored.data, content_type=stored.mime_type or "application/octet-stream")


async def read_params(request: web.Request) -> dict[str, Any]:
    """Merges query string and body parameters; file parts become :class:`Upload`.

    ``attach://<name>`` values are replaced by the uploaded part called ``<name>``.
    """
    params: dict[str, Any] = dict(request.query)
    if request.can_read_body:
        if request.content_type == "application/json":
            body = await request.json()
            if isinstance(body, dict):
                params.update(body)
        else:
            for key, value in (await request.post()).items():
                if isinstance(value, web.FileField):
                    params[key] = Upload(value.filename, value.content_type, value.file.read())
                else:
                    params[key] = value
    for key, value in params.items():
        if isinstance(value, str) and value.startswith("attach://"):
            params[key] = params.get(value.removeprefix("attach://"), value)
    return params
