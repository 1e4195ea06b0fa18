"""Reading the slip numbers people type (SPEC §3 "Slip numbers").

A slip number is 〔年份〕序号号, with one sequence per slip type and year: 交办单〔2026〕12号,
催办单〔2026〕12号 and 督办通知单〔2026〕12号 are three different slips. The notice asks the
责任单位 to cite it ("请在反馈材料中注明交办单编号"), and people type it loosely: other brackets,
``2026-12``, ``12号`` for the current year, full-width digits, a type word or a letter J/C/D.

Two entry points:

* :func:`parse_slip_reference` — the whole text is meant to be a slip number (a command
  argument, a search box). Lenient; anything it cannot read is a ``slip_number_invalid``
  :class:`DomainError`, never another exception.
* :func:`find_slip_reference` — the first slip number cited inside free text (a feedback
  message). Strict, so that "完成了3项", a date "2026-12-01" or the number of another document
  ("邓政办〔2018〕127号") is not taken for a slip number.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TypeVar

from bot.domain.errors import DomainError
from bot.domain.slips import SlipReference, SlipType

MIN_YEAR = 2000
MAX_YEAR = 2100
MAX_SEQ = 99999
_MAX_INPUT_LENGTH = 200
"""Longer text is not a slip number (and is not worth running a regex over)."""

_OPENING = "〔[(（【［〖「"
_CLOSING = "〕])）】］〗」"

_NORMALISE = str.maketrans(
    {
        **{chr(0xFF10 + i): str(i) for i in range(10)},  # full-width digits
        **{chr(0xFF21 + i): chr(0x41 + i) for i in range(26)},  # full-width A–Z
        **{chr(0xFF41 + i): chr(0x61 + i) for i in range(26)},  # full-width a–z
        **{c: "〔" for c in _OPENING},
        **{c: "〕" for c in _CLOSING},
        **{c: "-" for c in "－‐‑‒–—―−﹣"},
        "／": "/",
        "＿": "_",
        "＃": "#",
        "：": ":",
        "號": "号",
        "\u3000": " ",
        # 《邓州市人民政府工作交办单》〔2026〕12号 — the notice puts the document's name in 《》.
        "《": None,
        "》": None,
    }
)

_TYPE_WORD = r"交办单|交办|催办通知单|催办通知|催办单|催办|督办通知单|督办通知|督办单|督办"
"""Longest first, so 督办通知单 is read whole."""

_TYPE_BY_FIRST_CHAR = {
    "交": SlipType.ASSIGNMENT,
    "催": SlipType.REMINDER,
    "督": SlipType.SUPERVISION,
}
_TYPE_BY_LETTER = {t.letter: t for t in SlipType}

T = TypeVar("T")

_AFTER_WORD = r"\s*(?:编号|单号|号码|号)?\s*[:#]?\s*"
"""交办单编号：〔2026〕12号 — what people write after the type word, before the number."""

_NUMBER = r"""
    (?:
        # 〔2026〕12号, 〔2026〕第12号, (2026)12
        〔\s*(?P<b_year>[0-9]{4})\s*〕\s*
        (?:(?P<b_nth>第)\s*)?(?P<b_seq>[0-9]+)(?![0-9])\s*(?P<b_hao>号)?
        # 2026-12, 2026/12, 2026年12号, 2026年第12号
      | (?<![0-9])(?P<s_year>[0-9]{4})\s*(?:[-/_]|年)\s*
        (?:(?P<s_nth>第)\s*)?(?P<s_seq>[0-9]+)(?![0-9])\s*(?P<s_hao>号)?
        # 12号, 第12号, 12: the current year
      | (?:(?P<c_nth>第)\s*)?(?<![0-9])(?P<c_seq>[0-9]+)(?![0-9])\s*(?P<c_hao>号)?
    )
"""

_PARSE_RE = re.compile(
    rf"""
    (?:
        (?:[\u4e00-\u9fff]{{0,40}}?)(?P<word>{_TYPE_WORD}){_AFTER_WORD}
      | (?P<letter>[JCDjcd])\s*[-_#:]?\s*
    )?
    {_NUMBER}
    """,
    re.VERBOSE,
)

_FIND_RE = re.compile(
    rf"""
    (?:
        (?P<word>{_TYPE_WORD}){_AFTER_WORD}
      | (?<![A-Za-z0-9])(?P<letter>[JCDjcd])[-_#]?
    )?
    {_NUMBER}
    """,
    re.VERBOSE,
)

_ISSUER_SUFFIXES = frozenset("办发政函文字委厅府纪组宣财党电令通报")
"""Last characters of issuer abbreviations in other documents' numbers.

Other documents are numbered the same way as our slips, behind the issuer's abbreviation:
邓政办〔2018〕127号 (the notice itself), 国办发〔2020〕1号, 豫政〔2019〕3号, 邓政文〔2019〕2号. A
bracketed number without a type word, glued to one of these characters, is taken to be theirs;
after any other character (已完成〔2026〕12号, 关于〔2026〕7号) it is taken to be ours.
"""


@dataclass(frozen=True)
class _Candidate:
    type: SlipType | None
    has_letter: bool
    year: int | None
    seq: int
    bracketed: bool
    marked_seq: bool
    """True when 号 or 第 says that the digits are a 序号, not a year."""


def parse_slip_reference(text: str, current_year: int) -> SlipReference:
    """Read a slip number that is the whole of ``text``.

    Accepted, with surrounding spaces and full-width digits/letters/punctuation:
    ``〔2026〕12号``, ``[2026]12号``, ``(2026)12``, ``（2026）12号``, ``【2026】12号``,
    ``2026-12``, ``2026/12``, ``2026年12号``, ``2026年第12号``, ``12号`` and ``12`` (the current
    year); before any of them optionally a type word (交办, 交办单, 催办, 催办单, 催办通知单,
    督办, 督办单, 督办通知, 督办通知单), possibly with the organisation's name
    (邓州市人民政府工作交办单〔2026〕12号), or a letter J/C/D in either case (``J2026-12``,
    ``c-2026-3``, ``D12``).

    A bare number that could be a year (``2026``, ``J2026``) is refused as ambiguous; ``2026号``
    is read as 序号 2026 of the current year.

    Args:
        text: What the user typed.
        current_year: The year (Asia/Shanghai) that ``12号`` means.

    Returns:
        The reference; its type is None when no type word or letter was given.

    Raises:
        DomainError: ``slip_number_invalid`` (with ``text``) for anything else, including a
            year outside 2000–2100 or a 序号 outside 1–99999.
    """
    if not isinstance(text, str) or len(text) > _MAX_INPUT_LENGTH:
        raise DomainError("slip_number_invalid", text=text)
    match = _PARSE_RE.fullmatch(_normalise(text).strip())
    candidate = _candidate(match) if match else None
    if candidate is None or _ambiguous(candidate):
        raise DomainError("slip_number_invalid", text=text)
    return SlipReference(candidate.type, candidate.year or current_year, candidate.seq, candidate.year is not None)


def find_slip_reference(text: str, current_year: int) -> SlipReference | None:
    """The first slip number cited in free text, e.g. a feedback message.

    Free text is full of numbers, so only these count as a citation:

    * a bracketed year form ``〔2026〕12号`` (any bracket), with or without a type word or
      letter before it — without one, only when it is not glued to another document's
      issuer abbreviation (邓政办〔2018〕127号 is the notice itself, not a slip; see
      :data:`_ISSUER_SUFFIXES`);
    * a type word followed by ``2026-12`` / ``2026/12`` / ``2026年12号`` or by ``12号``
      (交办单12号, 催办单 2026-3);
    * a letter J/C/D, not part of a word, directly followed by a number (``J2026-12``,
      ``D12``, ``c-2026-3``).

    A number followed by 月/日 or by another ``-01`` is a date and is skipped
    (交办单2026-12-01下发), as is ``督办3项`` (a type word and a bare count).

    Args:
        text: Free text.
        current_year: The year (Asia/Shanghai) that ``交办单12号`` means.

    Returns:
        The first citation, or None.
    """
    return next(_citations(text, current_year), None)


def _citations(text: str, current_year: int) -> Iterator[SlipReference]:
    normalised = _normalise(text)
    pos = 0
    while (match := _FIND_RE.search(normalised, pos)) is not None:
        candidate = _candidate(match)
        if candidate is not None and _is_citation(candidate, normalised, match):
            yield SlipReference(candidate.type, candidate.year or current_year, candidate.seq, candidate.year is not None)
            pos = match.end()
        else:
            # A rejected match may hide a citation that starts inside it.
            pos = match.start() + 1


def year_before(reference: SlipReference) -> SlipReference | None:
    """The same short number in the year before: None when the year was typed.

    In January nearly every open slip is the year before's, and people keep citing it as they
    did in December (「10号」): the short form may mean it (:func:`slips_meant`).
    """
    if reference.year_typed:
        return None
    return SlipReference(reference.type, reference.year - 1, reference.seq)


def slips_meant(this_year: Sequence[T], year_before_open: Sequence[T]) -> tuple[T, ...]:
    """What a short number (「10号」, no year) means for a person, given the slips of theirs it
    names this year and the open ones it names in the year before.

    This year's slip when there is no open one of the year before; the year before's when this
    year has none of theirs; both — the person is asked which — when each year has one; none
    when neither has.
    """
    if this_year and year_before_open:
        return (this_year[0], year_before_open[0])
    return tuple(this_year[:1]) or tuple(year_before_open[:1])


def _normalise(text: str) -> str:
    return text.translate(_NORMALISE)


def _looks_like_year(number: int) -> bool:
    return MIN_YEAR <= number <= MAX_YEAR


def _ambiguous(candidate: _Candidate) -> bool:
    """``2026`` or ``J2026`` alone: a year without its 序号, or 序号 2026? Refused."""
    return candidate.year is None and not candidate.marked_seq and _looks_like_year(candidate.seq)


def _candidate(match: re.Match[str]) -> _Candidate | None:
    """The reference a regex match spells, or None if a value is out of range."""
    groups = match.groupdict()
    slip_type: SlipType | None = None
    if groups["word"]:
        slip_type = _TYPE_BY_FIRST_CHAR[groups["word"][0]]
    elif groups["letter"]:
        slip_type = _TYPE_BY_LETTER[groups["letter"].upper()]
    for form in ("b", "s", "c"):
        seq_text = groups[f"{form}_seq"]
        if seq_text is not None:
            break
    else:  # pragma: no cover - the regex always fills one form
        return None
    year_text = groups.get(f"{form}_year")
    year = int(year_text) if year_text else None
    if len(seq_text) > 9:
        return None
    seq = int(seq_text)
    if not 1 <= seq <= MAX_SEQ or (year is not None and not _looks_like_year(year)):
        return None
    return _Candidate(
        type=slip_type,
        has_letter=bool(groups["letter"]),
        year=year,
        seq=seq,
        bracketed=form == "b",
        marked_seq=bool(groups[f"{form}_hao"] or groups[f"{form}_nth"]),
    )


def _is_citation(candidate: _Candidate, text: str, match: re.Match[str]) -> bool:
    """Whether a match inside free text is a slip number rather than some other number."""
    following = text[match.end() : match.end() + 2]
    if following[:1] in ("月", "日") or re.match(r"[-/.][0-9]", following):
        return False
    if candidate.type is None:
        if not candidate.bracketed:
            return False
        glued = text[match.start() - 1 : match.start()]
        last = text[: match.start()].rstrip(" :")[-1:]
        return not (glued.isascii() and glued.isalnum()) and last not in _ISSUER_SUFFIXES
    if candidate.has_letter:
        if following[:1].isascii() and following[:1].isalpha():
            return False
        return not _ambiguous(candidate)
    return candidate.year is not None or candidate.marked_seq


