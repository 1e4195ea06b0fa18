"""What a person does in 企业微信, as plain values: the decrypted callback XML parsed.

Every input carries its :class:`Origin`, whose ``identity`` is the same for a callback and its
retries and different for anything else: 「关于重试的消息排重，有msgid的消息推荐使用msgid排重。
事件类型消息推荐使用FromUserName + CreateTime排重」. An event's identity adds the event, task
and key, and a card press its ResponseCode, so two presses in one second stay two.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

QUOTE = re.compile(r"^「(?P<quoted>.*)」\n- - - - - - - - - - - - - - -\n(?P<text>.*)$", re.DOTALL)
"""A quoted reply as its text reaches the application (see ``bot.emulators.wecom.server.quoted_text``)."""


class MalformedCallback(ValueError):
    """The decrypted callback is not the XML 企业微信 sends."""


@dataclass(frozen=True)
class Origin:
    """Who, when, and the identity that tells a retry from a new input."""

    userid: str
    """FromUserName: the member's UserID."""
    agent_id: int
    created: int
    """CreateTime, seconds since the epoch."""
    identity: str
    """``msg/<MsgId>`` for a message, ``event/<user>/<CreateTime>/<Event>/<TaskId>/<EventKey>/<ResponseCode>`` for an event."""


@dataclass(frozen=True)
class TextInput:
    """「文本消息」; ``quoted`` is the quoted message's text when the person quoted one."""

    origin: Origin
    text: str
    quoted: str | None = None


@dataclass(frozen=True)
class FileInput:
    """A file (``kind`` "file") or picture ("image") the person sent; fetch it with
    ``WecomApi.download_media(media_id)`` within three days."""

    origin: Origin
    media_id: str
    kind: str


@dataclass(frozen=True)
class CardPress:
    """「模板卡片事件推送」 (template_card_event, 「事件格式」 developer.work.weixin.qq.com/document/path/90240):
    a card button pressed. ``response_code``
    updates this person's card once (``WecomApi.update_card_buttons``)."""

    origin: Origin
    task_id: str
    event_key: str
    response_code: str
    card_type: str


@dataclass(frozen=True)
class Unsupported:
    """Anything else (voice, location, entering the application, …): ``kind`` is the MsgType,
    or ``event:<Event>``."""

    origin: Origin
    kind: str


Input = TextInput | FileInput | CardPress | Unsupported


def parse_input(xml_text: str) -> Input:
    """The decrypted callback XML as an :data:`Input`."""
    try:
        root = ET.fromstring(xml_text)
    except ET.ParseError as exc:
        raise MalformedCallback(str(exc)) from exc

    def field(name: str) -> str:
        return (root.findtext(name) or "").strip() if name != "Content" else root.findtext(name) or ""

    userid, msg_type = field("FromUserName"), field("MsgType")
    if not userid or not msg_type:
        raise MalformedCallback("FromUserName and MsgType are required")
    try:
        created = int(field("CreateTime") or 0)
        agent_id = int(field("AgentID") or 0)
    except ValueError as exc:
        raise MalformedCallback(str(exc)) from exc
    if msg_type == "event":
        event = field("Event")
        task_id, key = field("TaskId"), field("EventKey")
        # A press's ResponseCode is its own (企业微信 sends it again unchanged on a retry): the same
        # button pressed twice in one second is two presses.
        origin = Origin(userid, agent_id, created,
                        "/".join(("event", userid, str(created), event, task_id, key, field("ResponseCode"))))
        if event == "template_card_event":
            return CardPress(origin, task_id, key, field("ResponseCode"), field("CardType"))
        return Unsupported(origin, "event:" + event)
    msg_id = field("MsgId")
    if not msg_id:
        raise MalformedCallback("MsgId is required for a message")
    origin = Origin(userid, agent_id, created, "/".join(("msg", msg_id)))
    if msg_type == "text":
        content = field("Content")
        quote = QUOTE.match(content)
        if quote:
            return TextInput(origin, quote["text"], quote["quoted"])
        return TextInput(origin, content)
    if msg_type in ("file", "image"):
        media_id = field("MediaId")
        if not media_id:
            raise MalformedCallback("MediaId is required")
        return FileInput(origin, media_id, msg_type)
    return Unsupported(origin, msg_type)
