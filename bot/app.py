"""The application factory: the real bot, composed from the handler modules.

``duban run``, ``duban demo`` and the end-to-end tests all build the bot here.
"""

from __future__ import annotations

import logging

from telegram.constants import ParseMode
from telegram import LinkPreviewOptions
from telegram.ext import Application, ApplicationBuilder, ContextTypes, Defaults

from bot.handlers import errors, fallback, issue, lookup, slip_actions, start
from bot.handlers.context import DubanContext
from bot.sender import Sender
from bot.services.context import Office

log = logging.getLogger(__name__)

FEATURES = (start, issue, slip_actions, lookup)
"""Handler modules, each with ``register(application)``."""


def build_application(office: Office, *, per_second: float = 30.0, per_chat_interval: float = 1.0) -> Application:  # type: ignore[type-arg]
    """The bot for ``office``, talking to ``office.settings.api_url``; the sender starts with it."""
    settings = office.settings
    if settings.token is None:
        raise ValueError("no bot token configured (DUBAN_TELEGRAM_TOKEN)")
    application = (
        ApplicationBuilder()
        .token(settings.token.reveal())
        .base_url(settings.base_url)
        .base_file_url(settings.base_file_url)
        .defaults(Defaults(parse_mode=ParseMode.HTML, tzinfo=settings.timezone, link_preview_options=LinkPreviewOptions(is_disabled=True)))
        .context_types(ContextTypes(context=DubanContext))
        .post_init(_post_init)
        .post_stop(_post_stop)
        .build()
    )
    application.bot_data["office"] = office
    application.bot_data["sender"] = Sender(office, application.bot, per_second, per_chat_interval)
    for feature in FEATURES:
        feature.register(application)
    fallback.register(application)
    errors.register(application)
    return application


async def _post_init(application: Application) -> None:  # type: ignore[type-arg]
    application.bot_data["sender"].start()


async def _post_stop(application: Application) -> None:  # type: ignore[type-arg]
    await application.bot_data["sender"].stop()
