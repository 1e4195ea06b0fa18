"""The 钉钉 emulator's HTTP server: the Stream gateway, the OpenAPI and the control API on one
address.

Point the wire client at it with ``endpoint=server.url`` (both ``api.dingtalk.com`` and
``oapi.dingtalk.com`` calls go there; the gateway hands out ``{url}/connect`` as its WebSocket).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from aiohttp import web

from bot.emulators.serving import Served

from bot.emulators.dingtalk.control import ControlApi
from bot.emulators.dingtalk.gateway import CARD_TOPIC, Delivery, Gateway
from bot.emulators.dingtalk.openapi import OpenApi
from bot.emulators.dingtalk.world import World

log = logging.getLogger(__name__)

DEFAULT_CLIENT_ID = "dingemulatorrobot0001"
DEFAULT_CLIENT_SECRET = "EmulatorSecretForTheDubanDemoApp-0123456789abcdefABCDEF"
DEFAULT_AGENT_ID = 3_000_000_001
DEFAULT_CORP_ID = "dingemulatorcorp0001"


class DingTalkEmulator(Served):
    """A local 钉钉 for one 企业内部应用 with its robot, plus a control API.

    Use as ``async with DingTalkEmulator() as server:``; ``server.url`` is then the base URL
    and ``server.world`` the in-memory organisation (see :mod:`bot.emulators.dingtalk.control`).

    Args:
        host: Interface to bind.
        port: TCP port; 0 picks a free one.
        client_id, client_secret, agent_id, corp_id: The app's credentials.
    """

    NAME = "钉钉 emulator"

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        client_id: str = DEFAULT_CLIENT_ID,
        client_secret: str = DEFAULT_CLIENT_SECRET,
        agent_id: int = DEFAULT_AGENT_ID,
        corp_id: str = DEFAULT_CORP_ID,
    ) -> None:
        self.host = host
        self.port = port
        self.world = World(client_id, client_secret, agent_id, corp_id)
        self.gateway = Gateway(self.world, lambda: self.url.replace("http", "ws", 1) + "/connect")
        self.gateway.on_ack = self._card_answer
        self.app = web.Application(client_max_size=64 * 1024 * 1024)
        self.app.router.add_post("/v1.0/gateway/connections/open", self.gateway.open_connection)
        self.app.router.add_get("/connect", self.gateway.websocket)
        OpenApi(self.world, lambda: self.url).add_routes(self.app)
        ControlApi(self).add_routes(self.app)

    async def stopping(self) -> None:
        """Closes the Stream gateway's connections."""
        await self.gateway.stop()

    def _card_answer(self, delivery: Delivery) -> None:
        """A card callback's acknowledgement may carry the card's new data (回传请求的响应:
        ``{"cardData": {"cardParamMap": …}, "cardUpdateOptions": …}``): 钉钉 applies it at once."""
        if delivery.topic != CARD_TOPIC or delivery.ack is None:
            return
        try:
            data: Any = json.loads(delivery.ack.get("data") or "{}")
        except (TypeError, ValueError):
            return
        if isinstance(data, dict) and isinstance(data.get("response"), dict):
            data = data["response"]
        card = self.world.cards.get(str(delivery.data.get("outTrackId")))
        params = (data.get("cardData") or {}).get("cardParamMap") if isinstance(data, dict) else None
        if card is not None and isinstance(params, dict):
            by_key = bool((data.get("cardUpdateOptions") or {}).get("updateCardDataByKey"))
            self.world.update_card(card, {str(k): str(v) for k, v in params.items()}, by_key)
