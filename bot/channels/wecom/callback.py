"""The application's 接收消息 URL: verify, decrypt, parse, hand over, and only then answer.

Crypto: wechatpy's ``WeChatCrypto`` (``wechatpy.enterprise.crypto`` in 1.8.x, the line on PyPI;
``wechatpy.work`` is the 2.x name of the same module). It implements 企业微信's documented scheme
(sha1 signature over token/timestamp/nonce/msg_encrypt, AES-256-CBC with the EncodingAESKey,
PKCS#7 to 32 bytes, receiveid = CorpID), is widely used, small, and reads 企业微信's own worked
example (``tests/wecom/test_crypto.py``); what it costs is its dependencies (requests, six,
xmltodict, optionaldict, python-dateutil — all pure Python), no type information, and a last
stable release of 2021 (1.8.18): the scheme has not changed since, and the emulator's own
implementation, written from the documentation, would show a drift. Only the crypto is used: its client is synchronous (see
``bot.channels.wecom.api``) and its message parser predates 模板卡片事件, so inputs are parsed
here (``bot.channels.wecom.inputs``).

「企业微信服务器在五秒内收不到响应会断掉连接，并且重新发起请求，总共重试三次」: the handler answers
after the given coroutine returns, so a callback is acknowledged only once what it caused is
done; a retry carries the same ``Origin.identity``, by which the adapter takes it once.
"""

from __future__ import annotations

import asyncio
import logging
import struct
from collections.abc import Awaitable, Callable
from xml.parsers.expat import ExpatError

from aiohttp import web
from wechatpy.enterprise.crypto import WeChatCrypto
from wechatpy.exceptions import WeChatException

from bot.channels.wecom.inputs import Input, MalformedCallback, parse_input

log = logging.getLogger(__name__)

MAX_CALLBACK_BYTES = 256 * 1024
"""A callback is one message's XML, encrypted: far below this."""

UNREADABLE = (WeChatException, ValueError, KeyError, TypeError, IndexError, struct.error, ExpatError)
"""What wechatpy lets out for a forged or mangled request: a bad signature or corp id
(WeChatException), bad Base64 or padding (ValueError, IndexError, struct.error), XML that is not
the envelope (ExpatError, KeyError)."""

OnInput = Callable[[Input], Awaitable[None]]


class CallbackRejected(Exception):
    """A request that is not from 企业微信 (bad signature, wrong corp id) or not readable."""


class CallbackCrypto:
    """Signature check and decryption for one application's callback URL."""

    def __init__(self, token: str, encoding_aes_key: str, corp_id: str) -> None:
        self._crypto = WeChatCrypto(token, encoding_aes_key, corp_id)

    def verify_url(self, msg_signature: str, timestamp: str, nonce: str, echostr: str) -> str:
        """「验证URL有效性」: the plaintext of ``echostr``, to be answered as it is."""
        try:
            return str(self._crypto.check_signature(msg_signature, timestamp, nonce, echostr))
        except UNREADABLE as exc:
            raise CallbackRejected(type(exc).__name__) from exc

    def decrypt(self, body: str, msg_signature: str, timestamp: str, nonce: str) -> str:
        """The message XML inside a callback body."""
        try:
            return str(self._crypto.decrypt_message(body, msg_signature, timestamp, nonce))
        except UNREADABLE as exc:
            raise CallbackRejected(type(exc).__name__) from exc


class CallbackEndpoint:
    """The aiohttp routes of the callback URL: GET verifies it, POST takes one input.

    ``on_input`` gets every parsed input; the POST is answered (HTTP 200, empty body: no
    passive reply) after it returns. If it raises, the answer is 500 and 企业微信 retries.
    企业微信 waits five seconds, so ``on_input`` should only commit the input to the inbox
    (once per ``Origin.identity``) and return; reading a long file comes after.
    A request that fails the signature or decryption gets 403 and nothing is handed over.
    """

    def __init__(self, crypto: CallbackCrypto, on_input: OnInput) -> None:
        self.crypto = crypto
        self.on_input = on_input

    def add_routes(self, app: web.Application, path: str) -> None:
        app.router.add_get(path, self.verify)
        app.router.add_post(path, self.receive)

    @staticmethod
    def _query(request: web.Request) -> tuple[str, str, str]:
        q = request.query
        return q.get("msg_signature", ""), q.get("timestamp", ""), q.get("nonce", "")

    async def verify(self, request: web.Request) -> web.Response:
        """GET ?msg_signature&timestamp&nonce&echostr → the echostr's plaintext."""
        try:
            plain = self.crypto.verify_url(*self._query(request), request.query.get("echostr", ""))
        except CallbackRejected as exc:
            log.warning("企业微信 URL check refused: %s", exc)
            return web.Response(status=403)
        return web.Response(text=plain)

    async def receive(self, request: web.Request) -> web.Response:
        """POST: decrypt, parse, await ``on_input``, then answer."""
        if (request.content_length or 0) > MAX_CALLBACK_BYTES:
            return web.Response(status=413)
        body = await request.text()
        try:
            message = parse_input(self.crypto.decrypt(body, *self._query(request)))
        except (CallbackRejected, MalformedCallback) as exc:
            log.warning("企业微信 callback refused: %s", exc)
            return web.Response(status=403 if isinstance(exc, CallbackRejected) else 400)
        # shield: 企业微信 hanging up after five seconds does not cancel the handling half-way
        await asyncio.shield(self.on_input(message))
        return web.Response(text="")
