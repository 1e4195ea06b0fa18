"""The bot token never reaches a log line (SPEC section 9), whoever logs it."""

from __future__ import annotations

import logging

import pytest

from bot import logs
from bot.config import Secret, Settings

TOKEN = "7000000001:AAEmulatorTokenForTheDubanDemoBot01"


@pytest.fixture
def configured_logging():
    """``logs.configure`` as ``duban`` calls it, undone afterwards for the other tests."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    logs.configure(verbose=True)
    yield
    root.handlers[:], level = saved
    root.setLevel(level)


def test_token_in_a_request_url_is_redacted(capfd, configured_logging):
    logging.getLogger("httpx").info('HTTP Request: POST http://127.0.0.1/bot%s/getUpdates "HTTP/1.1 200 OK"', TOKEN)
    logging.getLogger("telegram.ext.ExtBot").debug("Set Bot API URL: http://127.0.0.1/bot" + TOKEN)
    err = capfd.readouterr().err
    assert TOKEN not in err
    assert err.count("<token>") == 2


def test_settings_never_print_the_token():
    settings = Settings(token=Secret(TOKEN))
    assert TOKEN not in repr(settings) and TOKEN not in str(settings)
    assert settings.token is not None and settings.token.reveal() == TOKEN
