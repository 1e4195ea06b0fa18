"""A local 企业微信 (WeCom) emulator: the server API a self-built application calls, the
encrypted callbacks people's actions cause (with 企业微信's retries), limits and faults, and a
control API. Entry points: :class:`~bot.emulators.wecom.server.WecomEmulator` and, to play a
member in tests, :class:`~bot.emulators.wecom.people.WecomPerson`."""

from bot.emulators.wecom.callback import CallbackSettings, Delivery
from bot.emulators.wecom.people import WecomPerson
from bot.emulators.wecom.server import EmulatorError, WecomEmulator
from bot.emulators.wecom.world import Limits

__all__ = ["CallbackSettings", "Delivery", "EmulatorError", "Limits", "WecomEmulator", "WecomPerson"]
