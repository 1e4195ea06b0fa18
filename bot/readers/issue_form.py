"""Reading a 交办单 written in one message, and the 时限 people type (SPEC section 8).

A clerk may issue without the guided dialog::

    /new
    事项：全市城区积水点排查整治
    要求：逐点建立台账，明确整改措施
    依据：市政府第12次常务会议纪要
    单位：住建局、交通运输局
    期限：7天
    专项：否

A long task adds its 阶段汇报 (``汇报：每月5日前``); a shared one marks its 牵头单位 on the 单位
line (``单位：住建局（牵头）、交通局、城管局``: the others are 配合单位).

:func:`read_form` turns such text into an :class:`IssueForm` and the list of
:class:`FormProblem` that name the lines to fix: nothing is issued from a form with a problem.
Unit and person names are only read here; the handler looks them up in the organisation.

:func:`parse_time_limit` reads a 时限 the way people write it: ``7``, ``7天``, ``７日``, or a date
(``2026-12-31``, ``2026年12月31日``, ``12月31日``) turned into the N of "在收件之日起N天内".

Pure functions: no storage, no Telegram; ``today`` is a parameter.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from bot.domain.calendar import WorkCalendar
from bot.domain.dates import read_date
from bot.domain.deadlines import DeadlineMode, period_until
from bot.domain.errors import DomainError
from bot.domain.reporting import ReportSchedule, parse_schedule
from bot.domain.sharing import UnitsLine, parse_units
from bot.domain.tasks import SourceType
from bot.domain.slips import MAX_TEXT, MAX_TITLE
from bot.texts import label

MIN_DAYS = 1
MAX_DAYS = 365

KEYS: Mapping[str, str] = {
    "事项": "title",
    "工作事项": "title",
    "要求": "requirements",
    "工作要求": "requirements",
    "依据": "basis",
    "根据": "basis",
    "单位": "units",
    "责任单位": "units",
    "期限": "period",
    "时限": "period",
    "时限要求": "period",
    "专项": "special",
    "专项台账": "special",
    "类型": "source",
    "来源": "source",
    "责任人": "responsible",
    "汇报": "schedule",
    "阶段汇报": "schedule",
    "汇报时间": "schedule",
}
"""The words a form line may start with, and the field each one fills."""

NAMES: Mapping[str, str] = {
    "title": "事项",
    "requirements": "要求",
    "basis": "依据",
    "units": "单位",
    "period": "期限",
    "special": "专项",
    "source": "类型",
    "responsible": "责任人",
    "schedule": "汇报",
}
"""How a problem names a field: the key a user is asked to write."""

REQUIRED = ("title", "requirements", "basis", "units", "period")
LIMITS: Mapping[str, int] = {"title": MAX_TITLE, "requirements": MAX_TEXT, "basis": MAX_TEXT}

_YES = {"是", "要", "纳入", "y", "yes", "1", "true", "√", "✓"}
_NO = {"否", "不", "不纳入", "n", "no", "0", "false", "×"}

_NAME_SEPARATORS = re.compile(r"[,，、;；\s]+")
_COLON = re.compile(r"[:：]")
_KEYLIKE = re.compile(r"^[\u4e00-\u9fff]{1,6}$")
"""A short word before a colon reads as a key the user meant, known or not; anything else
(``1. 时间：月底前``) continues the previous field."""

_BARE_KEY = re.compile("^(" + "|".join(sorted(KEYS, key=len, reverse=True)) + r")(?:\s+|$)")
"""``期限 7天``: a key written without its colon (a continuation line merely starting with
the same word, ``要求各单位…``, is not one)."""
_DAYS = re.compile(r"^(\d{1,6})\s*(?:天|日|天内|日内)?$")


@dataclass(frozen=True)
class FormProblem:
    """One reason a form cannot be issued: an error code of ``messages/errors/`` and its line."""

    code: str
    details: Mapping[str, object] = field(default_factory=dict)
    line: int | None = None
    """1-based, counting the line of ``/new`` itself; None for a problem of the whole form."""
    text: str = ""
    """The line as the user wrote it."""

    def error(self) -> DomainError:
        """The problem as a domain error, to be explained with ``messages/errors/<code>.j2``."""
        return DomainError(self.code, **self.details)


@dataclass(frozen=True)
class IssueForm:
    """The fields of a 交办单 as written in one message; names not yet looked up."""

    title: str
    requirements: str
    basis: str
    unit_names: tuple[str, ...]
    period_days: int
    special_ledger: bool = False
    source: SourceType | None = None
    """None: the issuer's default (其他口线工作)."""
    responsible_names: tuple[str, ...] = ()
    lead_name: str | None = None
    """The 牵头单位 (「住建局（牵头）」); the other units are its 配合单位. None: each unit alone."""
    schedule: ReportSchedule | None = None
    """阶段汇报 (「汇报：每月5日前」); None for none."""
    lines: Mapping[str, tuple[int, str]] = field(default_factory=dict)
    """Where each field was written (line number, the line), so a later check can name it."""

    def problem(self, code: str, field: str, /, **details: object) -> FormProblem:
        """A problem found after parsing (an unknown unit, a person not in it) on ``field``'s line."""
        number, text = self.lines.get(field, (None, ""))
        return FormProblem(code, details, number, text)


def normalise(text: str) -> str:
    """Full-width digits, letters and punctuation folded to ASCII; for keys, numbers and dates only."""
    return unicodedata.normalize("NFKC", text).strip()


def split_names(text: str) -> tuple[str, ...]:
    """``住建局, 交通运输局`` / ``住建局，交通运输局`` / ``住建局、交通运输局`` / spaces: in order, once each."""
    names: list[str] = []
    for name in _NAME_SEPARATORS.split(text.strip()):
        if name and name not in names:
            names.append(name)
    return tuple(names)


def parse_flag(text: str) -> bool | None:
    """是/否 (and the usual ways of writing them); None when it is neither."""
    value = normalise(text).lower()
    if value in _YES:
        return True
    if value in _NO:
        return False
    return None


def source_names() -> dict[str, SourceType]:
    """Every way a source type may be written: its label, without 市政府, and its code."""
    names: dict[str, SourceType] = {}
    for source in SourceType:
        full = label("source", source.value)
        names[full] = source
        names[full.removeprefix("市政府")] = source
        names[source.value] = source
    return names


def parse_source(text: str) -> SourceType | None:
    """A source type by any of its names; None when unknown."""
    return source_names().get(text.strip()) or source_names().get(normalise(text))


def parse_time_limit(text: str, today: date, calendar: WorkCalendar, mode: DeadlineMode) -> int:
    """The N of "在收件之日起N天内" from a number of days or a date after today (a date counted
    as the office counts its periods: :func:`bot.domain.deadlines.period_until`).

    Raises:
        DomainError: ``period_invalid`` (unreadable), ``deadline_days_invalid`` (not 1–365),
            ``date_not_future`` (a date that is today or already past).
    """
    value = normalise(text)
    match = _DAYS.match(value)
    if match:
        days = int(match.group(1))
        if not MIN_DAYS <= days <= MAX_DAYS:
            raise DomainError("deadline_days_invalid", days=days)
        return days
    deadline = read_date(value, today, ahead=True)
    if deadline is None:
        raise DomainError("period_invalid", text=text.strip())
    days = period_until(deadline, today, calendar, mode)
    if days > MAX_DAYS:
        raise DomainError("deadline_days_invalid", days=days)
    return days


def after_command(text: str) -> str:
    """What follows ``/new`` (or ``/new@bot``) in a message: the form, or "" for the dialog."""
    stripped = text.strip()
    if not stripped.startswith("/"):
        return stripped
    parts = stripped.split(maxsplit=1)
    return parts[1].strip() if len(parts) > 1 else ""


def read_form(text: str, today: date, calendar: WorkCalendar, mode: DeadlineMode) -> tuple[IssueForm, list[FormProblem]]:
    """The form as far as it can be read, and its problems in line order.

    ``text`` is the whole message, ``/new`` line included, so problems count lines as the user
    sees them. A line that does not start with a key continues the field above it, so 工作要求
    may run over several lines. The partly read form lets a caller look up the unit names even
    when another line is wrong, and report everything at once.
    """
    all_lines = text.splitlines() or [""]
    first = all_lines[0].lstrip()
    if first.startswith("/"):
        all_lines[0] = first.partition(" ")[2]
    scan = _scan(all_lines)
    problems = scan.problems

    def on_line(name: str, code: str, details: Mapping[str, object]) -> FormProblem:
        return FormProblem(code, details, scan.lines[name], _line(all_lines, scan.lines[name]))

    text_of = {name: "\n".join(parts).strip() for name, parts in scan.values.items()}
    for name, code, details in _missing_or_too_long(text_of, scan.named):
        problems.append(on_line(name, code, details) if name in scan.lines else FormProblem(code, details))

    read: dict[str, Any] = {}
    for name, (reader, when_empty) in READERS.items():
        value = text_of.get(name)
        if value is None or (not value and not when_empty):
            continue
        try:
            read[name] = reader(value, _Context(today, calendar, mode))
        except DomainError as exc:
            problems.append(on_line(name, exc.code, exc.details))

    units: UnitsLine | None = read.get("units")
    form = IssueForm(
        title=text_of.get("title", ""),
        requirements=text_of.get("requirements", ""),
        basis=text_of.get("basis", ""),
        unit_names=units.names if units else (),
        period_days=read.get("period", 0),
        special_ledger=read.get("special", False),
        source=read.get("source"),
        responsible_names=split_names(text_of.get("responsible", "")),
        lead_name=units.lead if units else None,
        schedule=read.get("schedule"),
        lines={name: (number, _line(all_lines, number)) for name, number in scan.lines.items()},
    )
    return form, in_line_order(problems)


def _missing_or_too_long(text_of: Mapping[str, str], named: set[str]) -> list[tuple[str, str, dict[str, object]]]:
    """(field, code, details) of each required field missing or empty, and each text too long."""
    found: list[tuple[str, str, dict[str, object]]] = []
    for name in REQUIRED:
        if name not in text_of and name not in named:
            found.append((name, "form_key_missing", {"key": NAMES[name]}))
        elif name in text_of and not text_of[name]:
            found.append((name, "form_value_empty", {"key": NAMES[name]}))
    for name, limit in LIMITS.items():
        value = text_of.get(name, "")
        if len(value) > limit:
            found.append((name, "text_too_long", {"field": NAMES[name], "length": len(value), "limit": limit}))
    return found


@dataclass
class _Scan:
    """The lines of a form sorted into fields."""

    values: dict[str, list[str]] = field(default_factory=dict)
    """Each field's lines: the one with its key, then those continuing it."""
    lines: dict[str, int] = field(default_factory=dict)
    """The line each field's key is on."""
    problems: list[FormProblem] = field(default_factory=list)
    named: set[str] = field(default_factory=set)
    """Fields already named in a problem: not reported missing as well."""


def _scan(all_lines: list[str]) -> _Scan:
    """Each line starts a field (``键：值``), continues the one above, or is a problem: a key
    written twice, a key not known, a key without its colon, a line before any key."""
    scan = _Scan()
    current: str | None = None
    for number, raw in enumerate(all_lines, start=1):
        line = raw.strip()
        if not line:
            continue
        key_part, colon, value = _partition_colon(line)
        key_text = normalise(key_part).replace(" ", "")
        bare = None if colon else _BARE_KEY.match(normalise(line))
        if colon and key_text in KEYS and KEYS[key_text] not in scan.values:
            name = KEYS[key_text]
            scan.values[name], scan.lines[name], current = [value.strip()], number, name
        elif colon and key_text in KEYS:
            scan.problems.append(FormProblem("form_key_repeated", {"key": NAMES[KEYS[key_text]]}, number, _short(line)))
            current = None
        elif colon and _KEYLIKE.match(key_part.strip()):
            scan.problems.append(FormProblem("form_unknown_key", {"key": key_part.strip()}, number, _short(line)))
            current = None
        elif bare is not None:
            scan.problems.append(FormProblem("form_colon_missing", {"key": bare.group(1)}, number, _short(line)))
            scan.named.add(KEYS[bare.group(1)])
            current = None
        elif current is None:
            scan.problems.append(FormProblem("form_line_outside", {}, number, _short(line)))
        else:
            scan.values[current].append(line)
    return scan


@dataclass(frozen=True)
class _Context:
    today: date
    calendar: WorkCalendar
    mode: DeadlineMode


def _read_period(value: str, at: _Context) -> int:
    return parse_time_limit(value, at.today, at.calendar, at.mode)


def _read_special(value: str, at: _Context) -> bool:
    flag = parse_flag(value)
    if flag is None:
        raise DomainError("form_flag_invalid", key=NAMES["special"], value=value)
    return flag


def _read_source(value: str, at: _Context) -> SourceType:
    source = parse_source(value)
    if source is None:
        raise DomainError("source_unknown", value=value, choices=[label("source", s.value) for s in SourceType])
    return source


def _read_units(value: str, at: _Context) -> UnitsLine:
    units = parse_units(value)
    if not units.names:
        raise DomainError("form_value_empty", key=NAMES["units"])
    return units


def _read_schedule(value: str, at: _Context) -> ReportSchedule:
    if not value:
        raise DomainError("form_value_empty", key=NAMES["schedule"])
    return parse_schedule(value, at.today)


READERS: Mapping[str, tuple[Callable[[str, _Context], Any], bool]] = {
    "period": (_read_period, False),
    "special": (_read_special, True),
    "source": (_read_source, False),
    "units": (_read_units, False),
    "schedule": (_read_schedule, True),
}
"""How each field that is more than text is read, in the order its problems are listed, and
whether it is read when written empty (else an empty value is the required keys' problem)."""


def in_line_order(problems: list[FormProblem]) -> list[FormProblem]:
    """Problems by line, those of the whole form (a missing key) last."""
    return sorted(problems, key=lambda p: (p.line is None, p.line or 0))


def _partition_colon(line: str) -> tuple[str, str, str]:
    match = _COLON.search(line)
    if match is None:
        return line, "", ""
    return line[: match.start()], match.group(), line[match.end():]


def _line(all_lines: list[str], number: int) -> str:
    return _short(all_lines[number - 1].strip())


def _short(line: str, limit: int = 40) -> str:
    return line if len(line) <= limit else line[: limit - 1] + "…"
