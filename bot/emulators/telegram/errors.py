"""Bot API errors with Telegram's own status codes and wording.

Handlers raise :class:`ApiError`; the server turns it into
``{"ok": false, "error_code": N, "description": "...", "parameters": {...}}``.
The helper constructors below hold the exact texts the real Bot API answers with.
"""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """A Bot API failure answered as ``{"ok": false, ...}``.

    Attributes:
        code: HTTP status and ``error_code`` (400, 403, 404, 409, 429, 501...).
        description: Telegram's human-readable text, e.g. ``"Bad Request: chat not found"``.
        parameters: Optional ``ResponseParameters`` (``retry_after``, ``migrate_to_chat_id``).
    """

    def __init__(self, code: int, description: str, parameters: dict[str, Any] | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def to_json(self) -> dict[str, Any]:
        """Returns the Bot API response body for this error."""
        body: dict[str, Any] = {"ok": False, "error_code": self.code, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(detail: str) -> ApiError:
    """400 ``Bad Request: <detail>``."""
    return ApiError(400, f"Bad Request: {detail}")


def forbidden(detail: str) -> ApiError:
    """403 ``Forbidden: <detail>``."""
    return ApiError(403, f"Forbidden: {detail}")


def not_found() -> ApiError:
    """404 ``Not Found`` (unknown method or malformed path)."""
    return ApiError(404, "Not Found")


def unauthorized() -> ApiError:
    """401 ``Unauthorized`` (token of the wrong form)."""
    return ApiError(401, "Unauthorized")


def too_many_requests(retry_after: int) -> ApiError:
    """429 flood-wait answer carrying ``parameters.retry_after``."""
    return ApiError(429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after})


def not_implemented(method: str) -> ApiError:
    """501 for a method that exists in the Bot API but not in this emulator."""
    return ApiError(501, f"Not Implemented: method {method} is not supported by the emulator")


CHAT_NOT_FOUND = "chat not found"
MESSAGE_NOT_FOUND = "message to edit not found"
MESSAGE_TO_DELETE_NOT_FOUND = "message to delete not found"
TEXT_EMPTY = "message text is empty"
TEXT_TOO_LONG = "message is too long"
CAPTION_TOO_LONG = "message caption is too long"
BUTTON_DATA_INVALID = "BUTTON_DATA_INVALID"
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
BLOCKED = "bot was blocked by the user"
WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"
)
QUERY_INVALID = "query is too old and response timeout expired or query ID is invalid"
WRONG_FILE_ID = "wrong file identifier/HTTP URL specified"
INVALID_FILE_ID = "invalid file_id"
FILE_TOO_BIG = "file is too big"
