"""What every emulator's HTTP server shares: starting on a port (0: any free one), stopping,
``async with``, and the error a control request answers with."""

from __future__ import annotations

import logging
from types import TracebackType
from typing import Self

from aiohttp import web

log = logging.getLogger(__name__)


class ControlError(Exception):
    """A control request that cannot be served: its HTTP status and why."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class Served:
    """An emulator's aiohttp application on ``host``:``port``. A subclass builds ``self.app``
    and says what else stops with it (``stopping``)."""

    NAME = "emulator"
    """What the log line says is listening."""

    app: web.Application
    host: str
    port: int
    _runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        """Base URL of the running server."""
        return f"http://{self.host}:{self.port}"

    async def start(self) -> None:
        """Starts listening; ``port`` is updated when 0 was given."""
        self._runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, self.port).start()
        self.port = self._runner.addresses[0][1]
        log.info("%s listening on %s", self.NAME, self.url)

    async def stopping(self) -> None:
        """What stops before the server closes (long polls, deliveries, connections)."""

    async def stop(self) -> None:
        """Stops what runs beside the server, then the server."""
        await self.stopping()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()
