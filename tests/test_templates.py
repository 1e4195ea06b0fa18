"""Every template under ``messages/`` reads as finished text: list items on their own lines,
no doubled punctuation, no double spaces.

The environment trims the newline after a block tag (``trim_blocks``), so a line of text that
ends in ``{% endif %}`` loses its line break: the next line, or the next item of a loop, runs
on. Such a line is followed by a blank line, or its tag says ``+%}`` to keep the break.

Each template is checked twice: its source, and the text it renders with sample values (a
person's reason ending in 。, lists of three, each branch it chooses by a word), which is where
a 「（…。）。」 or a value missing between two spaces shows.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import meta
from markupsafe import escape

from bot.config import Organisation, Settings
from bot.edge import TELEGRAM, Account
from bot.domain.org import Person, Role
from bot.domain.scores import ScoreCategory
from bot.domain.sharing import UnitRole
from bot.domain.slips import SlipNumber, SlipType
from bot.domain.tasks import EscalationStage, SourceType, Task, TaskStatus
from bot.services.scoring import format_points
from bot.texts import environment, plain, render

MESSAGES = Path(__file__).resolve().parents[1] / "messages"
TEMPLATES = sorted(MESSAGES.rglob("*.j2"))

_ENDS_IN_TAG = re.compile(r"^[^{\s].*\{%-?[^%]*[^%+\-]%\}\s*$")
"""Text, then a tag (``endif``, ``endwith``, an ``include`` …) that does not keep the break; a
line that starts with a tag, or a tag written ``-%}``, is laid out by its author on purpose."""
_TAG_ONLY = re.compile(r"^\s*(?:\{%[^%]*%\}\s*)+$")


def _run_on(lines: list[str]) -> list[int]:
    """1-based numbers of text lines whose line break the environment swallows into text."""
    found = []
    for index, line in enumerate(lines):
        if not _ENDS_IN_TAG.match(line) or _TAG_ONLY.match(line):
            continue
        after = index + 1
        loops_back = False
        while after < len(lines) and _TAG_ONLY.match(lines[after]):
            loops_back |= "endfor" in lines[after]
            after += 1
        if loops_back or (after < len(lines) and lines[after].strip()):
            found.append(index + 1)
    return found


def test_templates_were_found() -> None:
    assert len(TEMPLATES) > 300


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(MESSAGES)))
def test_no_line_runs_into_the_next(path: Path) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    assert _run_on(lines) == [], f"{path.name}: end these lines' tags with +%}} or follow them with a blank line"


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(MESSAGES)))
def test_no_doubled_punctuation_or_double_space_in_the_text(path: Path) -> None:
    """Checked on the template's own words, outside the tags and expressions."""
    source = path.read_text(encoding="utf-8")
    words = re.sub(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", "\x00", source, flags=re.S)
    for line in plain(words).splitlines():
        if "\x00" in line and "  " in line.replace("\x00", ""):
            continue  # spaces that pad a value, e.g. a table's columns
        assert not re.search(r"[。，；：！？]{2}|）。）|[^ ]  [^ ]", line.replace("\x00", "X")), (path.name, line)


def test_the_checker_sees_a_run_on_list() -> None:
    broken = ["{% for x in xs %}", "• {{ x }}{% if x %} 逾期{% endif %}", "{% endfor %}"]
    assert _run_on(broken) == [2]
    assert _run_on(["{% for x in xs %}", "• {{ x }}{% if x %} 逾期{% endif +%}", "{% endfor %}"]) == []
    rendered = environment().from_string("\n".join(broken)).render(xs=["甲", "乙"])
    assert "逾期• 乙" in rendered  # what a reader saw before the fix


def test_the_checker_sees_any_tag_that_swallows_a_line_break() -> None:
    """Not only ``endif``: an ``endwith`` after an include, or an ``if`` opened at a line's end,
    joins the next line to it (「办结期限 12月7日阶段汇报：无」)."""
    ended = ["时限：{{ d }}{% with a = 1 %}{% include 'x.j2' %}{% endwith %}", "阶段汇报：无"]
    opened = ["报送人：{{ p }}{% if lead %}", "牵头单位：{{ lead }}{% endif %}", "", "{{ text }}"]
    assert _run_on(ended) == [1] and _run_on(opened) == [1]
    assert _run_on(["时限：{{ d }}{% with a = 1 %}{% include 'x.j2' %}{% endwith +%}", "阶段汇报：无"]) == []
    rendered = environment().from_string("\n".join(opened)).render(p="张三", lead="住建局", text="正文")
    assert "张三牵头单位" in rendered  # what a reader saw before the fix


TYPED_EXAMPLES = {"intake/ask_edit.j2", "escalation/interview_ask_last_day.j2"}
"""Chat templates that show an ISO date as something to type (``<code>2026-12-31</code>``)."""


@pytest.mark.parametrize(
    "path",
    [p for p in TEMPLATES if p.parent.name not in {"cli", "ops", "calendar"} and p.name != "cli.j2"],
    ids=lambda p: str(p.relative_to(MESSAGES)),
)
def test_dates_in_chat_read_one_way(path: Path) -> None:
    """年月日 (``|cdate``), with the time where it matters (``|cdatetime``); the command line's
    own templates keep ISO dates."""
    if str(path.relative_to(MESSAGES)) in TYPED_EXAMPLES:
        return
    source = path.read_text(encoding="utf-8")
    assert 'strftime("%Y' not in source and "isoformat()" not in source


# Rendering every template with sample data --------------------------------------------------
#
# The checks above read a template's source; these render it, so a defect that only shows in
# the text a person reads (a list item running on after a value, 「。）。」 around a quoted
# reason, a double space between two values, a leftover tag) is seen. Values are fed by name:
# a list for a plural (``units``, ``lines``), a date for ``*_on`` / ``deadline``, a number for
# ``count`` / ``days``, a real 交办单 for ``task``; a person's own sentence ends in 。 as people
# type it. Anything else is a :class:`Sample` that answers every attribute by the same rules.

TODAY = date(2026, 11, 29)
NOW = datetime(2026, 11, 29, 10, 2, tzinfo=ZoneInfo("Asia/Shanghai"))


def _task(index: int = 0) -> Task:
    return Task(
        id=index + 1,
        number=SlipNumber(SlipType.ASSIGNMENT, 2026, index + 12),
        title=("城区积水点排查整治", "老旧小区改造", "农村道路养护")[index % 3],
        requirements="逐点建立台账，明确整改措施和完成时间。",
        basis="市政府第12次常务会议纪要",
        source=SourceType.STANDING_MEETING,
        unit_id=index + 1,
        section_id=1,
        issued_by=1,
        issued_on=date(2026, 11, 20),
        period_days=7,
        original_deadline=date(2026, 11, 27),
        deadline=date(2026, 11, 27),
        contact_name="王晓燕",
        contact_phone="0377-62212345",
        window_until=date(2026, 12, 2),
        last_report_on=date(2026, 11, 25),
        completed_on=date(2026, 11, 28),
    )


def _fresh_task() -> Task:
    """A 交办单 just issued: no window, no 阶段汇报, not completed (each of those ``None``)."""
    return replace(_task(), window_until=None, last_report_on=None, completed_on=None, contact_phone="")


def _person(index: int) -> Person:
    return Person(index + 1, PERSON_NAMES[index % 3], frozenset({Role.RESPONSIBLE}), unit_id=1, account=Account(TELEGRAM, str(1000 + index)))


UNIT_NAMES = ("住建局", "交通局", "穰东镇")
PERSON_NAMES = ("李住建", "王晓燕", "赵文博")

TEXTS = {
    "name": lambda i: UNIT_NAMES[i % 3],
    "unit_name": lambda i: UNIT_NAMES[i % 3],
    "title": lambda i: _task(i).title,
    "text": lambda i: "已完成排查，整改台账见附件。",
    "note": lambda i: "会议迟到十分钟。",
    "reason": lambda i: "需协调省级部门，请求延期。",
    "void_reason": lambda i: "单位记错，重新记录。",
    "requirements": lambda i: "逐点建立台账，明确整改措施和完成时间。",
    "basis": lambda i: "市政府第12次常务会议纪要",
}
"""Text by name; a person's sentence ends in 。 as typed."""

NUMBERS = {
    "count", "days", "day_count", "length", "pages", "page", "size_mb", "limit_mb", "hours", "port",
    "limit", "period_days", "window_days", "ordinal", "max_rows", "first_row",
    "omitted", "position", "year", "month", "seq", "id", "event_id", "overdue_days", "waiting", "total",
    "kept", "rank", "below", "column", "uptime", "reminder_overdue_days",
    "unit_id", "telegram_id",
}
DATES = {"today", "day", "date", "deadline", "until", "since", "on", "new_deadline", "ready_by", "moved", "deadline_before", "next_report"}
MOMENTS = {"at", "now", "expires_at", "submitted_at", "created_at", "decided_at"}


def sample(name: str, index: int = 0) -> Any:
    """A value for ``name`` as a caller would pass it."""
    if name in EXPLICIT:
        return EXPLICIT[name](index)
    if name in TEXTS:
        return TEXTS[name](index)
    if name in NUMBERS or name.endswith(("_days", "_count")):
        return {"year": 2026, "month": 11}.get(name, 2 + index)
    if name in MOMENTS or name.endswith("_at"):
        return NOW
    if name in DATES or name.endswith(("_on", "_until", "_date", "deadline")):
        return TODAY
    if name.endswith("s") and not name.endswith(("ss", "us")):
        return Samples(sample(name[:-1], i) for i in range(3))
    return Sample(name, index)


class Named(str):
    """A unit or a person: some callers pass the name, others the object (``unit.name``)."""

    def __new__(cls, name: str, index: int = 0) -> Named:
        named = super().__new__(cls, name)
        named.id = index + 1
        return named

    @property
    def name(self) -> str:
        return str(self)

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__"):
            raise AttributeError(attr)
        return sample(attr, self.id - 1)


class Samples(list[Any]):
    """Three samples of a plural; read as a mapping too (``drafts.get("reminder")``,
    ``by_unit.items()``), each key answering by its own name."""

    def get(self, key: Any, default: Any = None) -> Any:
        if not self:
            return default
        return sample(str(key)) if isinstance(key, str) else self[0]

    def items(self) -> list[tuple[Any, Any]]:
        return [(item, self) for item in self]

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__"):
            raise AttributeError(attr)
        return sample(attr)


class Sample:
    """A value nothing above names: each attribute, item or call answers by the same rules,
    it is a list of three when iterated, and prints as its own name."""

    def __init__(self, name: str, index: int = 0) -> None:
        self._name = name
        self._index = index

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__"):
            raise AttributeError(attr)
        return sample(attr, self._index)

    def __getitem__(self, key: Any) -> Any:
        return sample(str(key), self._index) if isinstance(key, str) else Sample(self._name, self._index)

    def __iter__(self) -> Any:
        return iter([Sample(self._name, i) for i in range(3)])

    def __len__(self) -> int:
        return 3

    def __call__(self, *args: Any, **kwargs: Any) -> Sample:
        return self

    def __str__(self) -> str:
        return f"{self._name}{self._index + 1}"

    def __int__(self) -> int:
        return 2

    def __float__(self) -> float:
        return 2.0

    def __neg__(self) -> int:
        return -2

    def __format__(self, spec: str) -> str:
        return format(2, spec) if spec else str(self)

    def __lt__(self, other: Any) -> bool:
        return False

    __gt__ = __le__ = __ge__ = __lt__

    def __html__(self) -> str:
        return str(escape(str(self)))


EXPLICIT: dict[str, Any] = {
    "task": _task,
    "number": lambda i: SlipNumber(SlipType.ASSIGNMENT, 2026, 12 + i),
    "unit": lambda i: Named(UNIT_NAMES[i % 3], i),
    "person": lambda i: Named(PERSON_NAMES[i % 3], i),
    "org": lambda i: Organisation(),
    "roles": lambda i: [Role.CLERK, Role.SUPERVISOR],
    "roles_of": lambda i: lambda person: [Role.RESPONSIBLE],
    "commands": lambda i: ["start", "new", "tasks", "feedback", "cancel"],
    "missed_report": lambda i: date(2026, 11, 25),
    "days_left": lambda i: (-2, 0, 3)[i % 3],
    "size": lambda i: (2_500_000, 30_000, 0)[i % 3],
    "counts": lambda i: {ScoreCategory.REMINDER_SLIP: 2, ScoreCategory.PRAISE: 1},
    "tz": lambda i: ZoneInfo("Asia/Shanghai"),
    "settings": lambda i: Settings(),
    "pts": lambda i: format_points,
    "category": lambda i: ScoreCategory.PRAISE,
    "status": lambda i: TaskStatus.ACKNOWLEDGED,
    "stage": lambda i: EscalationStage.REMINDED,
    "source": lambda i: SourceType.STANDING_MEETING,
    "unit_role": lambda i: UnitRole.LEAD,
    "points": lambda i: Decimal("-0.2"),
    "score": lambda i: Decimal("99.8") - i,
    "period_total": lambda i: Decimal("-0.2") * (i + 1),
    "threshold": lambda i: Decimal("80"),
    "counted": lambda i: date(2026, 11, 28),
    "asked": lambda i: date(2026, 11, 28),
    "due": lambda i: date(2026, 12, 8),
    "part_due": lambda i: date(2026, 12, 8),
    "path": lambda i: Path("/var/lib/duban/backups/duban-20261129-030000"),
}
"""Values whose shape a name alone cannot tell."""


def _lines() -> list[SimpleNamespace]:
    """Three 台账 lines of /tasks: overdue, due today, days left."""
    return [
        SimpleNamespace(
            task=_task(i), unit_name=UNIT_NAMES[i], overdue=i == 0, days_left=(-2, 0, 3)[i], missed_report=i == 2,
            stage=EscalationStage.REMINDED if i == 0 else EscalationStage.NONE, held=i == 1,
        )
        for i in range(3)
    ]


def _page() -> SimpleNamespace:
    return SimpleNamespace(
        unit=None, page=0, empty=False, groups=[(TaskStatus.ISSUED, _lines()), (TaskStatus.ACKNOWLEDGED, _lines()[:2])]
    )


def _issued() -> list[SimpleNamespace]:
    return [SimpleNamespace(task=_task(i), unit_name=UNIT_NAMES[i]) for i in range(2)]


def _target(reminder: bool = False) -> SimpleNamespace:
    """What /withdraw acts on (``bot.services.corrections.Target``)."""
    points = [SimpleNamespace(note="催办单〔2026〕3号", points=Decimal("-0.2")), SimpleNamespace(note="督办通知单〔2026〕1号", points=Decimal("-0.5"))]
    return SimpleNamespace(
        task=_task(0), slip=SimpleNamespace(number=SlipNumber(SlipType.REMINDER if reminder else SlipType.ASSIGNMENT, 2026, 3)),
        unit_name="住建局", copies=[_task(0), _task(1)], points=points, is_reminder=reminder,
    )


def _plan(field: str = "deadline") -> SimpleNamespace:
    """A 更正 as previewed (``bot.services.corrections.CorrectionPlan``)."""
    return SimpleNamespace(
        target=_target(), field=SimpleNamespace(value=field), before="2026年12月15日", after="2026年12月18日", slip_text="",
    )


def _figures() -> SimpleNamespace:
    return SimpleNamespace(
        counts={ScoreCategory.REMINDER_SLIP: 2, ScoreCategory.PRAISE: 1},
        points={ScoreCategory.REMINDER_SLIP: Decimal("-0.4"), ScoreCategory.PRAISE: Decimal("1")},
    )


def _binding(i: int) -> SimpleNamespace:
    people = [SimpleNamespace(name=name) for name in PERSON_NAMES]
    return SimpleNamespace(
        name=UNIT_NAMES[i], kind="department", leader_name="刘建国" if i else "", people=people, bound=people[:1],
        unbound=people[1:], blocked=people[2:], has_bound_official=i != 1,
    )


SAMPLES: dict[str, dict[str, Any]] = {
    "admin/units": {"d": SimpleNamespace(
        units=UNIT_NAMES, sections=[_binding(0)], people=PERSON_NAMES, bound_count=1,
        by_kind=[("department", [_binding(0), _binding(1)]), ("town", [_binding(2)])],
    )},
    "admin/people": {"groups": [
        SimpleNamespace(kind="department", name="住建局", people=[_person(0), _person(1)]),
        SimpleNamespace(kind="others", name="", people=[]),
    ]},
    "daily/summary": {"events": [
        ("reminder_issued", {"number": "催办单〔2026〕3号"}, "城区积水点排查整治", "住建局", _task(0).number),
        ("interview_proposed", {}, "老旧小区改造", "交通局", _task(1).number),
    ]},
    "daily/unit_digest": {
        "lists": SimpleNamespace(today=[_task(0)], tomorrow=[_task(1), _task(2)], overdue=[_task(0), _task(2)], report=[_task(1)],
                                 report_next=[_task(2)]),
        "cite": {},
        "next_check": date(2026, 12, 1),
    },
    "digests/leader": {"by_unit": {1: [_task(0), _task(1)], 2: [_task(2)]}},
    "digests/principal": {
        "groups": [(SourceType.STANDING_MEETING, SimpleNamespace(open=[_task(0), _task(1)], completed=[_task(2)], overdue=1))],
        "units": {1: "住建局", 2: "交通局", 3: "穰东镇"},
    },
    "errors/invitee_ambiguous": {"candidates": [
        SimpleNamespace(person=_person(i), places=["住建局"], roles=[Role.RESPONSIBLE]) for i in range(2)
    ]},
    "errors/schedule_day_invalid": {"day": 32},
    "errors/unit_not_in_scope": {"unit": "住建", "units": list(UNIT_NAMES)},
    "intake/instruction_issued": {"results": [(Sample("draft"), _issued())]},
    "intake/issued": {"results": [(Sample("draft", 0), _issued()), (Sample("draft", 1), _issued()[:1])]},
    "lookup/overdue": {"page": _page()},
    "lookup/tasks": {"page": _page()},
    "lookup/task": {"clip": 300},
    **{f"corrections/{name}": {"t": _target()} for name in ("_points", "withdrawn", "withdrawn_issuer", "preview_withdraw", "ask_reason")},
    **{f"corrections/{name}": {"p": _plan(), "copies": 2} for name in ("_change", "corrected", "corrected_issuer", "corrected_unit", "preview_correct")},
    "corrections/reminder_voided_unit": {"t": _target(reminder=True)},
    "reports/analysis": {"a": SimpleNamespace(
        section_name="综合一科", issued=5, completed=3, overdue=1, reports_due=4, reports_made=3, **vars(_figures())
    )},
    "reports/docx_events": {"figures": _figures()},
    "reports/unit_figures": {"line": SimpleNamespace(
        unit=Named("住建局"), period_total=Decimal("-0.4"), figures=_figures(), score=Decimal("99.6"), rank=2,
        below_threshold=False,
    )},
    "scores/recorded": {"names": dict(enumerate(UNIT_NAMES * 2))},
    "scores/unit": {"shown": [
        SimpleNamespace(occurred_on=date(2026, 11, 20 + i), category=ScoreCategory.MEETING_LATE, points=Decimal("-0.2"),
                        note="会议迟到十分钟。", id=i + 1, void_reason="记错单位。" if i else "")
        for i in range(3)
    ]},
}
"""Templates whose values a name cannot tell (a tuple unpacked in a loop, a mapping keyed by
objects), with the values their callers pass."""


def _included(name: str) -> set[str]:
    """The templates ``messages/<name>`` includes or imports, and theirs."""
    tree = environment().parse((MESSAGES / name).read_text(encoding="utf-8"))
    found = {included for included in meta.find_referenced_templates(tree) if included}
    for included in list(found):
        found |= _included(included)
    return found


def _wanted(name: str) -> set[str]:
    """The values ``messages/<name>.j2`` and the templates it includes ask their caller for."""
    env = environment()
    tree = env.parse((MESSAGES / name).read_text(encoding="utf-8"))
    wanted = meta.find_undeclared_variables(tree) - set(env.globals)
    for included in meta.find_referenced_templates(tree):
        if included:
            wanted |= _wanted(included)
    return wanted


_CHOICE = re.compile(r"""\b(\w+) == ["']([^"']+)["']""")
"""``reason == "missing"``: a value the template reads as one of several words."""


_TESTED = re.compile(r"\{%-?\s*(?:el)?if\s+(?:not\s+)?(\w+)\s*(?:-?%\}|and\b|or\b)")
"""``{% if units %}``: a value the template may find empty."""


def _empty(given: Any) -> Any:
    """What a caller passes for "nothing": an empty list, 0, an empty text, no date."""
    if isinstance(given, Samples):
        return Samples()
    if type(given) is int:
        return 0
    if type(given) is str:
        return ""
    if isinstance(given, date):
        return None
    return given


def _sources(name: str) -> list[str]:
    """The text of ``messages/<name>.j2`` and of the templates it includes."""
    return [(MESSAGES / path).read_text(encoding="utf-8") for path in [f"{name}.j2", *sorted(_included(f"{name}.j2"))]]


def render_samples(name: str) -> list[str]:
    """``messages/<name>.j2`` rendered with a sample for each value it asks for, once for each
    word a value is compared with (each branch of ``{% if reason == "missing" %}``)."""
    wanted = _wanted(f"{name}.j2")
    context = {value: sample(value) for value in wanted} | SAMPLES.get(name, {})
    choices: dict[str, list[str]] = {}
    for source in _sources(name):
        for value, word in _CHOICE.findall(source):
            if value in wanted and value not in SAMPLES.get(name, {}) and word not in choices.get(value, []):
                choices.setdefault(value, []).append(word)
    context |= {value: words[0] for value, words in choices.items()}
    # And once with nothing to list or count where the template asks (``{% if not units %}``).
    tested = {value for source in _sources(name) for value in _TESTED.findall(source)}
    empty = {value: _empty(given) for value, given in context.items() if value in tested} | {
        value: _fresh_task() for value, given in context.items() if isinstance(given, Task)
    }
    return [render(name, **context), render(name, **(context | empty))] + [
        render(name, **(context | {value: word})) for value, words in choices.items() for word in words[1:]
    ]


_ISO_DATE = r"(?<!\d)20\d\d-\d\d-\d\d(?!\d)"

_DEFECTS = {
    "a list item runs on after text": re.compile(r"[^\s]•|[^\s·]·(?=[^\s·])|[^\s·]·\s|[^\s\d.]\d{1,2}\. \S"),
    "doubled punctuation": re.compile(r"[。，；：！？、]{2}|[。！？；][）)]+[。，；]"),
    "a double space": re.compile(r"\S {2,}\S"),
    "an ISO date": re.compile(_ISO_DATE),
    "a template tag left in the text": re.compile(r"\{\{|\}\}|\{%|%\}|\{#|#\}"),
    "None printed": re.compile(r"\bNone\b"),
}


COMMAND_LINE = {"cli", "ops", "calendar", "importing"}
"""Folders of the command line's own messages (and ``*/cli.j2``): columns padded with spaces,
ISO dates."""


def in_chat(path: Path) -> bool:
    """Whether the template is read in a chat, not on the command line."""
    relative = path.relative_to(MESSAGES)
    return relative.parts[0] not in COMMAND_LINE and path.name != "cli.j2"


def defects(text: str, chat: bool = True, examples: str = "") -> list[str]:
    """What a reader would stumble on in ``text``: each as its kind and the line it is on. A
    quotation keeps its own 。 (「已完成。」。): it is what the person wrote. An ISO date the
    template writes itself (its month and day in ``examples``, the year may be a value) is
    something to type, as in 「如 2026-12-31」."""
    found = []
    for line in plain(text).splitlines():
        for kind, pattern in _DEFECTS.items():
            if not chat and kind in {"a double space", "an ISO date"}:
                continue
            if kind == "an ISO date":
                line = re.sub(_ISO_DATE, lambda m: "" if m.group()[4:] in examples else m.group(), line)
            if pattern.search(line):
                found.append(f"{kind}: {line.strip()}")
    return found


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(MESSAGES)))
def test_every_template_renders_as_finished_text(path: Path) -> None:
    """Rendered with sample values (and once per branch it chooses by a word, and once with its
    lists empty), a template reads as finished text: no list item running on after text, no
    doubled punctuation (「。，」, 「。）。」), no double space, no leftover tag, no "None", and in
    chat no ISO date (年月日 instead, ``|cdate``)."""
    name = str(path.relative_to(MESSAGES))[: -len(".j2")]
    chat = in_chat(path) and str(path.relative_to(MESSAGES)) not in TYPED_EXAMPLES
    examples = "".join(_sources(name))
    found = sorted({defect for text in render_samples(name) for defect in defects(text, chat, examples)})
    assert found == [], f"{name}: " + "\n".join(found)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("您的在办事项：\n• 〔2026〕1号 机密事项甲五• 交办单〔2026〕2号 乙", "a list item runs on after text"),
        ("已记录：\n· 住建局 −0.2· 交通局 −0.2", "a list item runs on after text"),
        ("1. 城区积水点排查整治2. 老旧小区改造", "a list item runs on after text"),
        ("已移交（理由：屡催不办，已书面报告。）。", "doubled punctuation"),
        ("理由：需协调省级部门。，备注：无", "doubled punctuation"),
        ("好的！。", "doubled punctuation"),
        ("• 建议约谈  交通局", "a double space"),
        ("期限 {{ deadline }}", "a template tag left in the text"),
        ("责任人：None", "None printed"),
        ("限期至2026-12-04", "an ISO date"),
    ],
)
def test_the_rendered_text_checker_sees_each_defect(text: str, kind: str) -> None:
    assert any(found.startswith(kind) for found in defects(text)), defects(text)


def test_the_rendered_text_checker_passes_finished_text() -> None:
    finished = (
        "📝 住建局 反馈 交办单〔2026〕12号「城区积水点排查整治」\n反馈人：李住建（2026年11月29日 10:02）\n"
        "• 交办单〔2026〕12号 城区积水点排查整治 · 住建局 · 逾期2天 【牵头】\n1. 城区积水点排查整治：99.8分\n"
        "没有找到单号「已完成。」。例如 /extend 12号 2026-12-31 等待省厅批复"
    )
    assert defects(finished, examples="/extend 12号 {{ year }}-12-31") == []


def test_a_broken_template_fails() -> None:
    """The render check catches what the source checks cannot: a value printed where its label
    was meant, a reason quoted with its own 。 inside brackets."""
    env = environment()
    for source in (
        "{% for t in tasks %}• {{ t.number.full }}{% if t.is_overdue(day) %} 逾期{% endif %}{% endfor %}",
        "已移交（{{ reason }}）。",
        "截止 {{ deadline }}",
    ):
        wanted = meta.find_undeclared_variables(env.parse(source))
        text = env.from_string(source).render(**{value: sample(value) for value in wanted})
        assert defects(text), text
