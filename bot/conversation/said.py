"""What a person said to the bot, in no messenger's terms: who, the text, the command and its
arguments, the button pressed (an action of ``bot.actions`` with its typed values), the files.

A channel's adapter (``bot/channels/telegram/adapter.py``) makes one ``Said`` of each message
or press it receives (an album of photos is one, with several files) and hands it to the route
that takes it (``bot.conversation.routes``), with an ``Answer`` (``bot.conversation.answer``)
to reply through.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from bot.actions import Offer
from bot.domain.org import Person
from bot.edge import Account, reply_finds_slip
from bot.services import onboarding
from bot.services.context import Office

DialogStore = MutableMapping[str, Any]
"""A person's open dialogs, by the dialog's key (``bot.conversation.kit``): kept per account
by the channel (on PostgreSQL in the database, so any instance takes the next answer)."""


@dataclass(frozen=True)
class Received:
    """A file that came with the message: its name, kind (``document`` or ``photo``), size in
    bytes (None where the channel does not say) and a way to fetch its bytes."""

    name: str
    kind: str
    size: int | None
    read: Callable[[], Awaitable[bytes]]
    reference: str = ""
    """The channel's own reference to the file (kept with evidence, to fetch it again later)."""
    unique: str | None = None
    """The channel's lasting id of the file's content, where it has one."""
    mime: str | None = None


@dataclass
class Said:
    """One message or button press of a person, as the conversation layer reads it."""

    office: Office
    account: Account
    """Who said it, on which channel."""
    text: str = ""
    """The message's text (or a file's caption); for a command, the whole line."""
    command: str | None = None
    """The command (without its slash), when the message is one."""
    args: tuple[str, ...] = ()
    """The command's words after it."""
    pressed: Offer | None = None
    """The action of the button pressed, with its typed values."""
    pressed_label: str | None = None
    """The label of the button pressed, as the person saw it."""
    pressed_unknown: bool = False
    """A button was pressed whose data is no action's (a keyboard from before an upgrade)."""
    pressed_on: str | None = None
    """The channel's id of the message whose button was pressed."""
    pressed_html: str | None = None
    """That message's text as it reads (the bot's markup), where the channel gives it: to show
    later, under it, what came of the press (``Answer.mark_at``)."""
    reply_to: str | None = None
    """The channel's id of the message this one replies to (quotes), if any."""
    replied_text: str | None = None
    """The text of the message replied to, where the channel gives it (钉钉 quotes the text but
    not an id the bot knows: the slip it shows is found by the number it cites)."""
    album: str | None = None
    """The channel's id of the group of files this message's file was sent with, if any."""
    files: tuple[Received, ...] = ()
    in_group: bool = False
    """Said in a group chat (the bot works in private chats only)."""
    edited: bool = False
    """An old message edited."""
    bot_name: str = ""
    """The bot's name on the channel (for a link that starts it, or its mention in a group)."""
    commands: frozenset[str] = frozenset()
    """The commands the conversation layer answers (the menu shows only these)."""
    dialogs: DialogStore = field(default_factory=dict)
    """The person's open dialogs."""
    _asked: bool = field(default=False, repr=False)
    _person: Person | None = field(default=None, repr=False)

    async def person(self) -> Person | None:
        """The bound person behind the account (asked once), or None for an unknown account."""
        if not self._asked:
            self._person = await onboarding.person_asking(self.office, self.account)
            self._asked = True
        return self._person

    @property
    def words(self) -> bool:
        """Typed words: text that is no command, with no file."""
        return bool(self.text) and self.command is None and not self.files and self.pressed is None

    @property
    def by_reply(self) -> bool:
        """Whether replying to a slip's message is feedback on it where this was said
        (``bot.edge.reply_finds_slip``): the words offer it only there."""
        return reply_finds_slip(self.account.channel)

    @property
    def rest(self) -> str:
        """What follows the command on its line (and the lines after it)."""
        parts = self.text.split(maxsplit=1)
        return parts[1].strip() if len(parts) > 1 else ""

    @property
    def joined_args(self) -> str:
        """The command's words after it, joined by single spaces."""
        return " ".join(self.args).strip()
