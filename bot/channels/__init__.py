"""The messengers the bot speaks on, one adapter package each. An adapter turns its platform's
updates into the conversation layer's inputs and the core's notices into its platform's messages;
only it knows the platform's wire format (see ``bot.edge``)."""

from __future__ import annotations


class ChannelRefused(Exception):
    """The messenger refused the bot's credentials (a wrong token or secret)."""


class ChannelUnreachable(Exception):
    """The messenger could not be reached at start-up; ``reason`` says what went wrong."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
