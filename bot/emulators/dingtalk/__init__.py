"""A local 钉钉 (real HTTP and WebSocket server) for one 企业内部应用 and its robot: the Stream
gateway, the OpenAPI calls the bot makes, the organisation, read marks, limits and faults, and a
control API through which simulated people act.

Main entry points: :class:`~bot.emulators.dingtalk.server.DingTalkEmulator` and
:class:`~bot.emulators.dingtalk.client.DingTalkPeople`.
"""

from bot.emulators.dingtalk.client import DingTalkPeople, Person
from bot.emulators.dingtalk.server import DingTalkEmulator
from bot.emulators.dingtalk.world import Limits

__all__ = ["DingTalkEmulator", "DingTalkPeople", "Limits", "Person"]
