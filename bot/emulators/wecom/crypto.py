"""The callback encryption 企业微信 applies to what it POSTs to an application's 接收消息 URL.

Written from the documentation (「加解密方案说明」, developer.work.weixin.qq.com/document/path/90968,
whose worked example ``tests/wecom/test_crypto.py`` checks), not from a library, so that the emulator and the bot's client
(``bot.channels.wecom.callback``, which uses wechatpy) are two independent readings of one
specification and a test between them can fail:

* ``AESKey = Base64_Decode(EncodingAESKey + "=")``: 43 characters give 32 bytes (AES-256);
  the IV is the key's first 16 bytes; mode CBC.
* plaintext ``random(16 bytes) + msg_len(4 bytes, network order) + msg + receiveid``, padded
  PKCS#7 to a multiple of 32 bytes; ``msg_encrypt = Base64_Encode(AES_Encrypt(...))``. For an
  application's callback the receiveid is the CorpID.
* ``msg_signature = sha1(sort(token, timestamp, nonce, msg_encrypt))``: the four strings sorted
  and concatenated.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
import struct

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

BLOCK = 32
"""企业微信 pads to 32 bytes, not AES's 16."""


class CallbackCipher:
    """Encrypts and signs callback bodies for one application (token, EncodingAESKey, CorpID)."""

    def __init__(self, token: str, encoding_aes_key: str, receive_id: str) -> None:
        key = base64.b64decode(encoding_aes_key + "=")
        if len(key) != 32:
            raise ValueError("EncodingAESKey must be 43 characters of Base64 (32 bytes)")
        self.token = token
        self.receive_id = receive_id
        self._key = key

    def encrypt(self, message: str) -> str:
        """``msg_encrypt`` of ``message``."""
        body = message.encode()
        plain = os.urandom(16) + struct.pack(">I", len(body)) + body + self.receive_id.encode()
        pad = BLOCK - len(plain) % BLOCK
        plain += bytes([pad]) * pad
        encryptor = Cipher(algorithms.AES(self._key), modes.CBC(self._key[:16])).encryptor()
        return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode()

    def decrypt(self, msg_encrypt: str) -> str:
        """The message inside ``msg_encrypt`` (the emulator reads passive replies with it)."""
        decryptor = Cipher(algorithms.AES(self._key), modes.CBC(self._key[:16])).decryptor()
        plain = decryptor.update(base64.b64decode(msg_encrypt)) + decryptor.finalize()
        plain = plain[: -plain[-1]]
        (length,) = struct.unpack(">I", plain[16:20])
        if plain[20 + length :].decode() != self.receive_id:
            raise ValueError("receiveid does not match")
        return plain[20 : 20 + length].decode()

    def signature(self, timestamp: str, nonce: str, msg_encrypt: str) -> str:
        """``msg_signature``: sha1 of the four strings sorted and joined."""
        return hashlib.sha1("".join(sorted((self.token, timestamp, nonce, msg_encrypt))).encode()).hexdigest()

    def signed(self, message: str, timestamp: str) -> tuple[str, dict[str, str]]:
        """``message`` encrypted, and the query (msg_signature, timestamp, nonce) that goes with it."""
        nonce = secrets.token_hex(5)
        encrypted = self.encrypt(message)
        return encrypted, {"msg_signature": self.signature(timestamp, nonce, encrypted), "timestamp": timestamp, "nonce": nonce}


def random_aes_key() -> str:
    """A fresh EncodingAESKey (43 characters), as the admin console generates one."""
    return base64.b64encode(os.urandom(32)).decode().rstrip("=")
