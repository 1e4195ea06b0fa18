"""Domain errors: an illegal move under the notice's rules, with a reason a person can read."""

from __future__ import annotations

from enum import StrEnum


class ErrorKind(StrEnum):
    """What a refusal means for the dialog it happens in."""

    REFUSED = "refused"
    """The move is not allowed as things stand: the dialog ends."""
    ANSWER_AGAIN = "answer_again"
    """The answer typed is wrong in itself (empty, too long, a date in the past): the same
    question stands and the person answers it again."""
    NOT_FOUND = "not_found"
    """The number typed names nothing the person may see: the answer offers what they may mean."""


_KINDS: dict[str, ErrorKind] = {
    **dict.fromkeys(
        (
            "feedback_empty", "feedback_too_long", "field_too_long", "date_not_future",
            "extension_needs_reason", "deadline_days_invalid", "extension_not_later", "period_invalid",
            "intake_edit_invalid", "intake_unit_unknown", "date_no_such_day",
            "answer_empty", "reason_missing", "correction_date_invalid", "correction_rest_day",
            "correction_unit_unknown", "correction_changes_nothing",
        ),
        ErrorKind.ANSWER_AGAIN,
    ),
    **dict.fromkeys(("slip_number_invalid", "task_unknown"), ErrorKind.NOT_FOUND),
}
"""Every code that is not ``REFUSED``; one table, so no handler keeps its own list."""

_ASKS_FOR: dict[str, str] = {
    "deadline_days_invalid": "period",
    "extension_not_later": "period",
    "period_invalid": "period",
    "date_no_such_day": "period",
    "special_source_needs_supervision_office": "source",
    "schedule_past_deadline": "schedule",
}
"""The part of an answer a refusal is about (the 期限 of a request, the 交办类型 or 汇报 line
of a /new form), so that part alone is asked or marked again."""


class DomainError(Exception):
    """A rule of the notice forbids this move.

    ``code`` is a stable key: handlers map it to a template in ``messages/`` so the user reads
    a Chinese sentence that says what to do instead. ``details`` fills that template. ``kind``
    says whether the person may answer the same question again.
    """

    def __init__(self, code: str, **details: object) -> None:
        super().__init__(code)
        self.code = code
        self.details = details

    @property
    def kind(self) -> ErrorKind:
        """Whether the dialog stays open (``ANSWER_AGAIN``), or ends."""
        return _KINDS.get(self.code, ErrorKind.REFUSED)

    @property
    def may_answer_again(self) -> bool:
        """The same question stands: the person corrects the answer and sends it again."""
        return self.kind is ErrorKind.ANSWER_AGAIN

    @property
    def asks_for(self) -> str | None:
        """The part of the answer a refusal is about (``"period"``, ``"source"``), if one part."""
        return _ASKS_FOR.get(self.code)

    def __str__(self) -> str:
        if not self.details:
            return self.code
        shown = ", ".join(f"{k}={v!r}" for k, v in sorted(self.details.items()))
        return f"{self.code} ({shown})"
