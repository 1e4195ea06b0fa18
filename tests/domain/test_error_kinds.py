"""Whether a dialog stays open after a refusal is said by the error itself (bot/domain/errors.py)."""

from __future__ import annotations

import pytest

from bot.domain.errors import _ASKS_FOR, _KINDS, DomainError, ErrorKind
from bot.texts import exists
from tests.domain.test_lifecycle import _CODES


@pytest.mark.parametrize("code", sorted({*_KINDS, *_ASKS_FOR}))
def test_every_code_of_the_tables_is_raised_and_reads_as_chinese(code: str) -> None:
    assert code in _CODES, f"{code} is raised nowhere in bot/: a stale row"
    assert exists(f"errors/{code}")


def test_a_wrong_answer_keeps_the_question_and_a_refusal_ends_it() -> None:
    assert DomainError("feedback_too_long").may_answer_again
    assert DomainError("date_not_future").may_answer_again
    assert not DomainError("not_allowed").may_answer_again
    assert not DomainError("task_completed").may_answer_again
    assert DomainError("task_unknown").kind is ErrorKind.NOT_FOUND
    assert DomainError("some_new_code").kind is ErrorKind.REFUSED
    assert DomainError("extension_not_later").asks_for == "period"
    assert DomainError("field_too_long").asks_for is None
