"""What can go wrong talking to 钉钉, as types a caller can act on."""

from __future__ import annotations


class DingTalkError(Exception):
    """钉钉 refused a call.

    Attributes:
        code: 钉钉's error: the ``code`` text of a ``/v1.0`` answer, or the ``errcode`` number (as
            text) of an ``oapi`` answer.
        status: The HTTP status (200 for ``oapi`` errors, which come with HTTP 200).
        retryable: Trying again later may succeed (钉钉 busy, a 5xx, the network).
    """

    def __init__(self, message: str, code: str = "", status: int = 0, retryable: bool = False) -> None:
        super().__init__(message)
        self.code = code
        self.status = status
        self.retryable = retryable


class QuotaExceeded(DingTalkError):
    """Over one of 钉钉's call quotas (per second or per minute, per app and API); the pacer
    waits ``wait`` seconds and tries again. 钉钉 does not say how long: ``wait`` is the client's
    estimate."""

    def __init__(self, message: str, code: str, status: int, wait: float) -> None:
        super().__init__(message, code, status, retryable=True)
        self.wait = wait


class TokenRejected(DingTalkError):
    """The access token was refused even after fetching a fresh one (wrong app credentials or
    the app lacks the permission)."""


QUOTA_CODES = frozenset({
    "Forbidden.AccessDenied.QpsLimitForApi",
    "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi",
    "Forbidden.AccessDenied.QpmLimitForApi",
    "90002", "90005", "90006", "90008", "90010", "90018", "90019",
})
"""Codes that mean "too many calls": the ``/v1.0`` 403 texts and the ``oapi`` 900xx numbers of
钉钉's 全局错误码 (调用接口超过限流); any of them, and any HTTP 429, is a :class:`QuotaExceeded`.
The 1431xx numbers sometimes quoted for these limits could not be confirmed in a public source;
an unknown code is a plain :class:`DingTalkError`."""

TOKEN_CODES = frozenset({"InvalidAuthentication", "40001", "40014", "42001"})
"""Codes that mean the access token is bad or expired: fetch another and try once more."""
