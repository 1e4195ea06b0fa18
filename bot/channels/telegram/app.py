"""The application factory: the real bot, composed from the handler modules.

``duban run``, ``duban demo`` and the end-to-end tests all build the bot here.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

from telegram.constants import ParseMode
from telegram import LinkPreviewOptions
from telegram.error import InvalidToken, NetworkError
from telegram.ext import ApplicationBuilder, ContextTypes, Defaults

from bot.conversation.router import commands
from bot.channels.telegram import adapter, errors
from bot.channels.telegram.context import DubanApplication, DubanContext
from bot import scheduling
from bot.channels import ChannelRefused, ChannelUnreachable
from bot.channels.telegram.pacing import ChatPacer
from bot.channels.telegram.persistence import DatabasePersistence
from bot.channels.telegram.sender import Sender
from bot.channels.telegram.updates import Inbox, Poller, WebhookServer
from bot.services.context import Office

log = logging.getLogger(__name__)


def build_application(
    office: Office, *, per_second: float | None = None, per_chat_interval: float | None = None, schedule: bool = True
) -> DubanApplication:
    """The bot for ``office``, talking to ``office.settings.api_url``; the sender and (unless
    ``schedule`` is False, as in tests that choose their dates) the daily check start with it."""
    settings = office.settings
    if settings.token is None:
        raise ValueError("no bot token configured (DUBAN_TELEGRAM_TOKEN)")
    pacer = ChatPacer(
        settings.send_per_second if per_second is None else per_second,
        settings.send_chat_interval if per_chat_interval is None else per_chat_interval,
    )
    builder = ApplicationBuilder()
    if office.db.url is not None:
        # several instances on one PostgreSQL database: dialogs are kept there (bot.channels.telegram.persistence)
        builder = builder.persistence(DatabasePersistence(office))
    application = (
        builder
        .token(settings.token.reveal())
        .base_url(settings.base_url)
        .base_file_url(settings.base_file_url)
        .defaults(Defaults(parse_mode=ParseMode.HTML, tzinfo=settings.timezone, link_preview_options=LinkPreviewOptions(is_disabled=True)))
        .context_types(ContextTypes(context=DubanContext))
        .rate_limiter(pacer)
        # No PTB Updater: it confirms updates before they are handled (see bot.channels.telegram.updates).
        .updater(None)
        .build()
    )
    application.bot_data["office"] = office
    application.bot_data["schedule"] = schedule
    application.bot_data["sender"] = sender = Sender(office, application.bot, pacer)
    # Whatever a handler, a scheduled job or a command commits, the sender looks at once: no
    # handler wakes it by hand.
    office.db.on_commit = sender.committed
    application.bot_data["inbox"] = Inbox(application)
    add_handlers(application)
    return application


def add_handlers(application: DubanApplication) -> None:
    """The conversation layer (every route of ``bot.conversation.router``, in its order) and the
    error handler."""
    application.bot_data["commands"] = commands()
    application.add_handler(adapter.Conversation(application))
    errors.register(application)


@dataclass(frozen=True)
class Webhook:
    """Where PTB's webhook server listens, and what it tells Telegram."""

    listen: str
    port: int
    url: str
    secret_token: str


async def start_bot(
    application: DubanApplication, *, poll_timeout: int = 10, webhook: Webhook | None = None
) -> None:
    """Start the bot (:func:`_start`); Telegram refusing the token or out of reach is said in the
    channels' terms (``ChannelRefused``, ``ChannelUnreachable``), so whoever runs the bot needs
    no Telegram types."""
    try:
        await _start(application, poll_timeout=poll_timeout, webhook=webhook)
    except InvalidToken as exc:
        raise ChannelRefused() from exc
    except NetworkError as exc:
        raise ChannelUnreachable(exc.message) from exc


async def _start(
    application: DubanApplication, *, poll_timeout: int = 10, webhook: Webhook | None = None
) -> None:
    """Initialise, start the sender and the daily check, and take updates (polling, or the
    webhook server when ``webhook`` is given: it answers on the URL's path and refuses any
    request without the secret token). Either way an update is confirmed to Telegram only
    after its handlers committed (``bot.channels.telegram.updates``).

    (PTB's ``post_init`` hooks run only inside ``run_polling``; we start the parts ourselves so
    ``duban run``, the demo and the tests share one start-up sequence.)
    """
    await application.initialize()
    application.bot_data["sender"].start()
    await application.start()
    if application.bot_data.get("schedule", True):
        await scheduling.schedule(application)
    inbox = application.bot_data["inbox"]
    if webhook is None:
        poller = Poller(inbox, poll_timeout)
        application.bot_data["updates"] = poller
        await poller.start()
    else:
        server = WebhookServer(inbox, webhook.listen, webhook.port, urlsplit(webhook.url).path, webhook.secret_token)
        application.bot_data["updates"] = server
        await server.start(webhook.url)


async def stop_bot(application: DubanApplication) -> None:
    """Stop taking updates, let handlers finish, let the sender finish its message in flight, shut down."""
    updates = application.bot_data.pop("updates", None)
    if updates is not None:
        await updates.stop()
    if application.running:
        await application.stop()
    await application.bot_data["sender"].stop()
    await application.shutdown()
