"""The 企业微信 emulator: the server API an adapter calls, the callbacks people's actions cause,
and a control API for tests and the demo.

Use as ``async with WecomEmulator() as wecom:``; ``wecom.url`` stands for
``https://qyapi.weixin.qq.com`` (the client's ``api_url``). People act through
:meth:`WecomEmulator.say`, :meth:`send_file` and :meth:`press` (or the HTTP control API,
:mod:`bot.emulators.wecom.control`); each returns the callback's :class:`Delivery`, and
:meth:`chat` shows what a member's chat with the application shows. There are no read
receipts on this channel: 应用消息 carry none, so the emulator keeps none.
"""

from __future__ import annotations

import secrets
import time

from aiohttp import web

from bot.emulators.serving import Served

from bot.emulators.wecom.api import ServerApi
from bot.emulators.wecom.callback import CallbackSender, CallbackSettings, Delivery, xml_message
from bot.emulators.wecom.crypto import CallbackCipher
from bot.emulators.wecom.world import Card, Department, Entry, Limits, Member, World

DEFAULT_CORP_ID = "ww0123456789abcdef"
DEFAULT_SECRET = "emulator-app-secret-0123456789abcdefghijklmn"
DEFAULT_TOKEN = "DubanCallbackToken"
DEFAULT_AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
"""43 characters: the EncodingAESKey the admin console would generate."""

QUOTE_RULE = "- - - - - - - - - - - - - - -"


def quoted_text(quoted: str, text: str) -> str:
    """How a quoted reply reaches the application: 企业微信's 应用 callback has no quote field
    (「消息格式」 lists text/image/voice/video/location/link only), so the client puts the quoted
    message before the reply, under a dashed rule, as WeChat shows a 引用. The bot cannot rely
    on it and also takes the slip number typed in the text."""
    return f"「{quoted}」\n{QUOTE_RULE}\n{text}"


class EmulatorError(Exception):
    """A person's action 企业微信 would not allow (unknown member, card, button)."""


class WecomEmulator(Served):
    """One corporation with one self-built application (自建应用)."""

    NAME = "企业微信 emulator"

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        corp_id: str = DEFAULT_CORP_ID,
        agent_id: int = 1000002,
        secret: str = DEFAULT_SECRET,
        token: str = DEFAULT_TOKEN,
        encoding_aes_key: str = DEFAULT_AES_KEY,
        limits: Limits | None = None,
        callback: CallbackSettings | None = None,
    ) -> None:
        self.host, self.port = host, port
        self.token, self.encoding_aes_key = token, encoding_aes_key
        self.world = World(corp_id, agent_id, secret, limits or Limits())
        self.cipher = CallbackCipher(token, encoding_aes_key, corp_id)
        self.callbacks = CallbackSender(self.cipher, agent_id, callback or CallbackSettings())
        self.api = ServerApi(self.world)
        self.app = web.Application(client_max_size=64 * 2**20)
        self.api.add_routes(self.app)
        from bot.emulators.wecom.control import add_control_routes

        add_control_routes(self.app, self, "/_emulator")

    @property
    def corp_id(self) -> str:
        return self.world.corp_id

    @property
    def agent_id(self) -> int:
        return self.world.agent_id

    @property
    def secret(self) -> str:
        return self.world.secret

    async def stopping(self) -> None:
        """Stops the callbacks still being delivered or retried."""
        await self.callbacks.stop()

    # The organisation

    def add_department(self, id: int, name: str, parentid: int = 1, order: int = 0) -> Department:
        department = Department(id, name, parentid, order)
        self.world.departments[id] = department
        return department

    def add_member(self, userid: str, name: str, department: list[int] | None = None, position: str = "") -> Member:
        member = Member(userid, name, department or [1], position)
        self.world.members[userid] = member
        return member

    def _member(self, userid: str) -> Member:
        """The member acting; refused when unknown, or when no callback URL is set (企业微信
        would not let a member send to an application that receives no messages)."""
        member = self.world.members.get(userid)
        if member is None:
            raise EmulatorError(f"no member {userid}")
        if not self.callbacks.settings.url:
            raise EmulatorError("no callback URL is set (PATCH /_emulator/callback)")
        return member

    # What people do (each causes one callback)

    def _message(self, userid: str, msg_type: str, **fields: str | int) -> tuple[int, str]:
        msgid = self.world.next_msgid()
        plaintext = xml_message({
            "ToUserName": self.corp_id, "FromUserName": userid, "CreateTime": int(time.time()),
            "MsgType": msg_type, **fields, "MsgId": msgid, "AgentID": self.agent_id,
        })
        return msgid, plaintext

    def say(self, userid: str, text: str, quote: str | None = None) -> Delivery:
        """A member sends text to the application (「文本消息」); ``quote``: the text of a message
        they quote (see :func:`quoted_text`)."""
        self._member(userid)
        content = text if quote is None else quoted_text(quote, text)
        msgid, plaintext = self._message(userid, "text", Content=content)
        self.world.add_entry(userid, sender="person", kind="text", text=content, msgid=str(msgid))
        return self.callbacks.deliver(plaintext)

    def send_file(self, userid: str, filename: str, content: bytes, kind: str = "file") -> Delivery:
        """A member sends a file (``kind`` "file") or a picture ("image", 「图片消息」 with PicUrl and
        MediaId); the bot fetches it with 「获取临时素材」. The app-message formats document no
        file message; it is sent as ``MsgType`` file with ``MediaId``, the form 企业微信 uses for
        files where it delivers them (微信客服, 智能机器人)."""
        self._member(userid)
        if kind not in ("file", "image"):
            raise EmulatorError("kind must be file or image")
        media = self.api.world_media(kind, filename, content)
        fields: dict[str, str | int] = {"MediaId": media.media_id}
        if kind == "image":
            fields = {"PicUrl": f"{self.url}/_emulator/media/{media.media_id}", **fields}
        msgid, plaintext = self._message(userid, kind, **fields)
        self.world.add_entry(userid, sender="person", kind=kind, media_id=media.media_id, filename=filename, msgid=str(msgid))
        return self.callbacks.deliver(plaintext)

    def press(self, userid: str, task_id: str, key: str) -> Delivery:
        """A member presses a button of a 按钮交互型 card: 「模板卡片事件推送」 (template_card_event)
        with EventKey, TaskId, CardType and a ResponseCode that may update this member's card once."""
        self._member(userid)
        card: Card | None = self.world.cards.get(task_id, {}).get(userid)
        if card is None:
            raise EmulatorError(f"{userid} has no card {task_id}")
        if card.replaced is not None:
            raise EmulatorError("the card's buttons are no longer active")
        if key not in [b.get("key") for b in card.template_card.get("button_list", [])]:
            raise EmulatorError(f"the card has no button {key}")
        card.pressed = key
        code = self._response_code(task_id, userid)
        plaintext = xml_message({
            "ToUserName": self.corp_id, "FromUserName": userid, "CreateTime": int(time.time()),
            "MsgType": "event", "Event": "template_card_event", "EventKey": key, "TaskId": task_id,
            "CardType": str(card.template_card.get("card_type", "")), "ResponseCode": code, "AgentID": self.agent_id,
        })
        return self.callbacks.deliver(plaintext)

    def _response_code(self, task_id: str, userid: str) -> str:
        code = secrets.token_urlsafe(24)
        self.world.response_codes[code] = (task_id, frozenset({userid}))
        return code

    async def set_callback_url(self, url: str) -> dict[str, object]:
        """What the admin console does when 接收消息's URL is saved: checks it with an echostr
        and keeps it only if the application answers right."""
        result = await self.callbacks.verify_url(url)
        if not result["ok"]:
            raise EmulatorError(f"the URL did not answer the check: {result}")
        self.callbacks.settings.url = url
        return result

    async def verify_url(self) -> dict[str, object]:
        """What the admin console does when the callback URL is saved."""
        if not self.callbacks.settings.url:
            raise EmulatorError("no callback URL is set")
        return await self.callbacks.verify_url(self.callbacks.settings.url)

    # What the test reads

    def chat(self, userid: str) -> list[Entry]:
        """Everything in ``userid``'s chat with the application, oldest first."""
        return list(self.world.chats.get(userid, []))

    def card(self, userid: str, task_id: str) -> Card:
        """``userid``'s copy of the card ``task_id``."""
        card = self.world.cards.get(task_id, {}).get(userid)
        if card is None:
            raise EmulatorError(f"{userid} has no card {task_id}")
        return card

    # Faults

    def fail(self, api: str, errcode: int, times: int = 1) -> None:
        """The next ``times`` calls of ``api`` (e.g. ``"message/send"``) answer ``errcode``."""
        self.world.faults[api].extend([errcode] * times)
