"""A local Telegram Bot API emulator (real HTTP server) with a user-simulation API.

Main entry points: :class:`~bot.emulators.telegram.server.EmulatorServer`,
:class:`~bot.emulators.telegram.client.Simulator` and :class:`~bot.emulators.telegram.rules.Rules`.
"""

from bot.emulators.telegram.client import SimulatedUser, Simulator
from bot.emulators.telegram.rules import Rules
from bot.emulators.telegram.server import EmulatorServer

__all__ = ["EmulatorServer", "Rules", "SimulatedUser", "Simulator"]
