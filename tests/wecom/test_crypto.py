"""The callback crypto against the worked example of 企业微信's 「加解密方案说明」
(developer.work.weixin.qq.com/document/path/90968): token QDG6eK, CorpID wx5823bf96d3bd56c7.
The emulator's cipher (written from the documentation) and the client's (wechatpy) must both
read it, so neither can drift from 企业微信 while agreeing with the other."""

from __future__ import annotations

import aiohttp
import pytest

from bot.channels.wecom.callback import CallbackCrypto, CallbackRejected
from bot.channels.wecom.inputs import TextInput
from bot.emulators.wecom.crypto import CallbackCipher
from tests.wecom.conftest import Bot, serve_callback

TOKEN, AES_KEY, CORP_ID = "QDG6eK", "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C", "wx5823bf96d3bd56c7"

ECHO = {
    "msg_signature": "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3",
    "timestamp": "1409659589",
    "nonce": "263014780",
    "echostr": "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==",
}
POST_QUERY = {"msg_signature": "477715d11cdb4164915debcba66cb864d751f3e6", "timestamp": "1409659813", "nonce": "1372623149"}
POST_ENCRYPT = (
    "RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3"
    "TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gs"
    "ijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax"
    "5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGH"
    "BZZIs2pDBS8R07+qN+E7Q=="
)
POST_BODY = f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName><Encrypt><![CDATA[{POST_ENCRYPT}]]></Encrypt></xml>"


def test_the_emulator_signs_and_decrypts_the_worked_example() -> None:
    cipher = CallbackCipher(TOKEN, AES_KEY, CORP_ID)
    assert cipher.signature(ECHO["timestamp"], ECHO["nonce"], ECHO["echostr"]) == ECHO["msg_signature"]
    assert cipher.decrypt(ECHO["echostr"]) == "1616140317555161061"
    assert cipher.signature(POST_QUERY["timestamp"], POST_QUERY["nonce"], POST_ENCRYPT) == POST_QUERY["msg_signature"]
    assert "<Content><![CDATA[hello]]></Content>" in cipher.decrypt(POST_ENCRYPT)


def test_what_the_emulator_encrypts_reads_back_the_same() -> None:
    cipher = CallbackCipher(TOKEN, AES_KEY, CORP_ID)
    for message in ("", "签收", "x" * 31, "x" * 32, "<xml>" + "长" * 500 + "</xml>"):
        assert cipher.decrypt(cipher.encrypt(message)) == message


def test_the_client_passes_the_url_check_of_the_worked_example() -> None:
    crypto = CallbackCrypto(TOKEN, AES_KEY, CORP_ID)
    assert crypto.verify_url(ECHO["msg_signature"], ECHO["timestamp"], ECHO["nonce"], ECHO["echostr"]) == "1616140317555161061"
    with pytest.raises(CallbackRejected):
        crypto.verify_url("0" * 40, ECHO["timestamp"], ECHO["nonce"], ECHO["echostr"])
    with pytest.raises(CallbackRejected):  # another corporation's key and id
        CallbackCrypto(TOKEN, AES_KEY, "ww_other_corp").verify_url(*ECHO.values())


async def test_the_callback_url_takes_the_worked_example_message() -> None:
    """The documented POST, sent as it stands to the bot's callback URL."""
    bot = Bot()
    runner = await serve_callback(CallbackCrypto(TOKEN, AES_KEY, CORP_ID), bot)
    try:
        async with aiohttp.ClientSession() as session:
            async with session.get(bot.url, params=ECHO) as response:
                assert (response.status, await response.text()) == (200, "1616140317555161061")
            async with session.post(bot.url, params=POST_QUERY, data=POST_BODY.encode()) as response:
                assert (response.status, await response.text()) == (200, "")
    finally:
        await runner.cleanup()
    [item] = bot.inputs
    assert isinstance(item, TextInput) and item.text == "hello"
    assert (item.origin.userid, item.origin.agent_id, item.origin.created) == ("mycreate", 218, 1409659813)
    assert item.origin.identity == "msg/4561255354251345929"
