"""The three slips (三单) of 邓政办〔2018〕127号 and their numbers.

Each slip type has its own sequence per calendar year: 交办单〔2026〕1号, 催办单〔2026〕1号,
督办通知单〔2026〕1号 are three different slips.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum


class SlipType(StrEnum):
    """The kind of slip; the value is stored in the database and is never renamed."""

    ASSIGNMENT = "assignment"
    """工作交办单 (附件1): a section or 政务监督室 hands a task to a 责任单位."""

    REMINDER = "reminder"
    """工作催办单 (附件2): the task is overdue; filed (备案) with 政务监督室; −0.2."""

    SUPERVISION = "supervision"
    """督办通知单 (附件3): still not done after the 催办单; issued by 政务监督室; −0.5."""

    @property
    def title(self) -> str:  # type: ignore[override]  # shadows str.title on purpose: templates read type.title
        """The document's name as the notice writes it (without the organisation)."""
        return _TITLES[self]

    @property
    def short(self) -> str:
        """The word users type before a number: 交办, 催办, 督办."""
        return _SHORT[self]

    @property
    def letter(self) -> str:
        """The one-letter form users may type: J, C, D."""
        return _LETTER[self]


MAX_TITLE = 500
"""The most characters a slip's 事项 (its title) may have."""
MAX_TEXT = 2000
"""The most characters of a slip's 具体要求 (its text)."""

_TITLES = {
    SlipType.ASSIGNMENT: "工作交办单",
    SlipType.REMINDER: "工作催办单",
    SlipType.SUPERVISION: "督办通知单",
}
_SHORT = {SlipType.ASSIGNMENT: "交办", SlipType.REMINDER: "催办", SlipType.SUPERVISION: "督办"}
_LETTER = {SlipType.ASSIGNMENT: "J", SlipType.REMINDER: "C", SlipType.SUPERVISION: "D"}


@dataclass(frozen=True, order=True)
class SlipNumber:
    """〔year〕seq号 of one slip type."""

    type: SlipType
    year: int
    seq: int

    def __str__(self) -> str:
        return f"〔{self.year}〕{self.seq}号"

    @property
    def full(self) -> str:
        """With the type word, e.g. 交办单〔2026〕12号 — unambiguous across the three sequences."""
        word = "督办通知单" if self.type is SlipType.SUPERVISION else self.type.short + "单"
        return f"{word}{self}"


@dataclass(frozen=True)
class SlipReference:
    """What a user typed to cite a slip: the type may be missing ("〔2026〕12号")."""

    type: SlipType | None
    year: int
    seq: int
    year_typed: bool = field(default=True, compare=False)
    """False for a short form (「10号」): ``year`` is then the current year, and the number may
    mean the year before's slip (:func:`bot.domain.slip_numbers.year_before`)."""

    def matches(self, number: SlipNumber) -> bool:
        """True when this reference names that slip."""
        return (
            number.year == self.year
            and number.seq == self.seq
            and (self.type is None or self.type is number.type)
        )


@dataclass(frozen=True)
class Slip:
    """One issued slip of a task."""

    id: int
    task_id: int
    number: SlipNumber
    issued_on: date
    window_days: int | None
    """For 催办单 and 督办通知单: the w of "下发后w日内" (原则上3天)."""
    overdue_days: int | None
    """For 催办单 and 督办通知单: 逾期d天 at the time of issue."""
    issued_by: int | None
    corrected_on: date | None = None
    """The day a 交办单 was last corrected (更正): its text is the corrected slip."""
    void_reason: str | None = None
    """Why a 催办单 issued in error was voided; None while it stands."""
