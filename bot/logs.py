"""Logging set-up: the bot token never reaches a log line, whoever logs it."""

from __future__ import annotations

import logging
import re

TOKEN_PATTERN = re.compile(r"\d{5,}:[A-Za-z0-9_-]{30,}")
"""The shape of a Bot API token, as it appears in request URLs (…/bot<token>/getUpdates)."""


class RedactTokens(logging.Filter):
    """Replace anything shaped like a bot token with ``<token>`` in the formatted message."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = TOKEN_PATTERN.sub("<token>", message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def configure(verbose: bool = False) -> None:
    """Log to stderr with times; quiet the HTTP client's per-request lines unless verbose."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactTokens())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    for noisy in ("httpx", "httpcore", "apscheduler", "aiohttp.access"):
        logging.getLogger(noisy).setLevel(logging.DEBUG if verbose else logging.WARNING)
