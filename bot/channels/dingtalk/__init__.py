"""The 钉钉 channel's wire client: Stream mode in (robot messages, card callbacks), the OpenAPI
out (robot messages, cards, files, 工作通知 with read receipts, the organisation). The adapter
onto the channel edge comes on top of it; nothing here knows the conversation layer.

Why not ``dingtalk-stream`` (0.24, 钉钉's own Python SDK)? It was read whole before deciding:

* Its connection registration (``open_connection``) and token fetch (``get_access_token``) are
  blocking ``requests`` calls made from inside its async loop: one slow answer from 钉钉 stops
  every handler and the sender with it.
* ``upload_to_dingtalk`` posts to a fixed ``https://oapi.dingtalk.com`` whatever
  ``DINGTALK_OPENAPI_ENDPOINT`` says, so it cannot be pointed at a 政务 deployment's address or
  at the emulator.
* Its reconnect loop sleeps a fixed 10 s after any drop and cannot be stopped except by
  cancelling; unhandled tasks are fire-and-forget; the card and robot helpers swallow errors
  into log lines, so a quota refusal cannot reach a pacer.
* It brings ``websockets`` and ``requests`` beside the ``aiohttp`` the bot already has.

What it does well — the frame shapes, acknowledging after the handler returns — is a page of
documented protocol (Stream 模式协议说明), spoken here directly over aiohttp in ``stream.py``;
``openapi.py`` makes the documented OpenAPI calls with the same session. No new dependency.

Public API:

* :class:`DingTalkApp` — the app's credentials and addresses.
* :class:`DingTalkApi` — OpenAPI calls, token kept and renewed, typed errors.
* :class:`StreamClient` — the Stream connection; handlers receive :class:`RobotMessage` and
  :class:`CardAction` and the frame is acknowledged when they return.
* :class:`DingTalkError`, :class:`QuotaExceeded` (``.wait``), :class:`TokenRejected`.
"""

from bot.channels.dingtalk.errors import DingTalkError, QuotaExceeded, TokenRejected
from bot.channels.dingtalk.openapi import (
    DingTalkApi,
    DingTalkApp,
    Department,
    Member,
    ReadMark,
    RobotSendResult,
    WorkNoticeResult,
)
from bot.channels.dingtalk.stream import CardAction, IncomingFile, RepliedMessage, RobotMessage, StreamClient

__all__ = [
    "CardAction",
    "Department",
    "DingTalkApi",
    "DingTalkApp",
    "DingTalkError",
    "IncomingFile",
    "Member",
    "QuotaExceeded",
    "ReadMark",
    "RepliedMessage",
    "RobotMessage",
    "RobotSendResult",
    "StreamClient",
    "TokenRejected",
    "WorkNoticeResult",
]
