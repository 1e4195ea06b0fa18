"""The channel edge: what the core and the messengers (Telegram, 钉钉, 企业微信) say to each
other, in terms that belong to none of them.

A person is reached through an ``Account`` on a channel; what the bot offers to press is a
``Button`` naming an action of ``bot.actions`` with its typed values. Each channel turns these
into its own wire format (Telegram: an inline button's ``callback_data``; 钉钉: a card's
action) and back; nothing in the core knows a platform's ids or payloads.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.actions import Offer

TELEGRAM = "telegram"
"""The channel of the Telegram Bot API."""


@dataclass(frozen=True)
class Account:
    """A person's address on one channel (a Telegram user id, a 钉钉 userId, as text)."""

    channel: str
    address: str

    def __str__(self) -> str:
        return f"{self.channel}:{self.address}"


@dataclass(frozen=True)
class Button:
    """One button under a message: its label and the action it offers."""

    label: str
    offer: Offer


Buttons = tuple[tuple[Button, ...], ...]
"""Rows of buttons, top to bottom."""
