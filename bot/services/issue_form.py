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
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from bot.domain.calendar import WorkCalendar
from bot.domain.dates import read_date
from bot.domain.deadlines import DeadlineMode, period_until
from bot.domain.errors import DomainError
from bot.domain.reporting import ReportSchedule, parse_schedule
from bot.domain.sharing import parse_units
from bot.domain.tasks import SourceType
from bot.services.issuing import MAX_TEXT, MAX_TITLE
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
    values: dict[str, list[str]] = {}
    lines: dict[str, int] = {}
    problems: list[FormProblem] = []
    named: set[str] = set()
    """Fields already named in a problem: not reported missing as well."""
    current: str | None = None
    all_lines = text.splitlines() or [""]
    first = all_lines[0].lstrip()
    if first.startswith("/"):
        all_lines[0] = first.partition(" ")[2]
    for number, raw in enumerate(all_lines, start=1):
        line = raw.strip()
        if not line:
            continue
        key_part, colon, value = _partition_colon(line)
        key_text = normalise(key_part).replace(" ", "")
        if colon and key_text in KEYS:
            name = KEYS[key_text]
            if name in values:
                problems.append(FormProblem("form_key_repeated", {"key": NAMES[name]}, number, _short(line)))
                current = None
                continue
            values[name] = [value.strip()]
            lines[name] = number
            current = name
            continue
        if colon and _KEYLIKE.match(key_part.strip()):
            problems.append(FormProblem("form_unknown_key", {"key": key_part.strip()}, number, _short(line)))
            current = None
            continue
        bare = _BARE_KEY.match(normalise(line))
        if not colon and bare is not None:
            problems.append(FormProblem("form_colon_missing", {"key": bare.group(1)}, number, _short(line)))
            named.add(KEYS[bare.group(1)])
            current = None
            continue
        if current is None:
            problems.append(FormProblem("form_line_outside", {}, number, _short(line)))
            continue
        values[current].append(line)

    text_of = {name: "\n".join(parts).strip() for name, parts in values.items()}
    for name in REQUIRED:
        if name not in text_of:
            if name not in named:
                problems.append(FormProblem("form_key_missing", {"key": NAMES[name]}))
        elif not text_of[name]:
            problems.append(FormProblem("form_value_empty", {"key": NAMES[name]}, lines[name], _line(all_lines, lines[name])))
    for name, limit in LIMITS.items():
        value = text_of.get(name, "")
        if len(value) > limit:
            problems.append(
                FormProblem("text_too_long", {"field": NAMES[name], "length": len(value), "limit": limit}, lines[name], _line(all_lines, lines[name]))
            )

    period_days = 0
    if text_of.get("period"):
        try:
            period_days = parse_time_limit(text_of["period"], today, calendar, mode)
        except DomainError as exc:
            problems.append(FormProblem(exc.code, exc.details, lines["period"], _line(all_lines, lines["period"])))
    special = False
    if "special" in text_of:
        flag = parse_flag(text_of["special"])
        if flag is None:
            problems.append(FormProblem("form_flag_invalid", {"key": NAMES["special"], "value": text_of["special"]}, lines["special"], _line(all_lines, lines["special"])))
        else:
            special = flag
    source: SourceType | None = None
    if text_of.get("source"):
        source = parse_source(text_of["source"])
        if source is None:
            choices = [label("source", s.value) for s in SourceType]
            problems.append(FormProblem("source_unknown", {"value": text_of["source"], "choices": choices}, lines["source"], _line(all_lines, lines["source"])))
    units: tuple[str, ...] = ()
    lead: str | None = None
    if text_of.get("units"):
        try:
            units_line = parse_units(text_of["units"])
        except DomainError as exc:
            problems.append(FormProblem(exc.code, exc.details, lines["units"], _line(all_lines, lines["units"])))
        else:
            units, lead = units_line.names, units_line.lead
            if not units:
                problems.append(FormProblem("form_value_empty", {"key": NAMES["units"]}, lines["units"], _line(all_lines, lines["units"])))
    schedule: ReportSchedule | None = None
    if "schedule" in text_of and not text_of["schedule"]:
        problems.append(FormProblem("form_value_empty", {"key": NAMES["schedule"]}, lines["schedule"], _line(all_lines, lines["schedule"])))
    elif "schedule" in text_of:
        try:
            schedule = parse_schedule(text_of["schedule"], today)
        except DomainError as exc:
            problems.append(FormProblem(exc.code, exc.details, lines["schedule"], _line(all_lines, lines["schedule"])))

    form = IssueForm(
        title=text_of.get("title", ""),
        requirements=text_of.get("requirements", ""),
        basis=text_of.get("basis", ""),
        unit_names=units,
        period_days=period_days,
        special_ledger=special,
        source=source,
        responsible_names=split_names(text_of.get("responsible", "")),
        lead_name=lead,
        schedule=schedule,
        lines={name: (number, _line(all_lines, number)) for name, number in lines.items()},
    )
    return form, in_line_order(problems)


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
