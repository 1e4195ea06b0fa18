"""A local Telegram Bot API emulator (real HTTP server) with a user-simulation API.

Main entry points: :class:`~bot.emulator.server.EmulatorServer`,
:class:`~bot.emulator.client.Simulator` and :class:`~bot.emulator.rules.Rules`.
"""

from bot.emulator.client import SimulatedUser, Simulator
from bot.emulator.rules import Rules
from bot.emulator.server import EmulatorServer

__all__ = ["EmulatorServer", "Rules", "SimulatedUser", "Simulator"]
