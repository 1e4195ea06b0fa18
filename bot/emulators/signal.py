"""A wake-up the emulators' long polls sleep on, so nothing polls."""

from __future__ import annotations

import asyncio


class Signal:
    """A broadcast wake-up: ``notify()`` (sync) releases every current ``wait()``."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        """Wakes all waiters; later waiters wait for the next notify."""
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, timeout: float) -> bool:
        """Sleeps until the next ``notify`` or ``timeout`` seconds; True if notified."""
        try:
            await asyncio.wait_for(self._event.wait(), timeout)
        except TimeoutError:
            return False
        return True
