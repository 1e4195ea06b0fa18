"""Every template under ``messages/`` reads as finished text: list items on their own lines,
no doubled punctuation, no double spaces.

The environment trims the newline after a block tag (``trim_blocks``), so a line of text that
ends in ``{% endif %}`` loses its line break: the next line, or the next item of a loop, runs
on. Such a line is followed by a blank line, or its tag says ``+%}`` to keep the break.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.texts import environment, plain

MESSAGES = Path(__file__).resolve().parents[1] / "messages"
TEMPLATES = sorted(MESSAGES.rglob("*.j2"))

_ENDS_IN_TAG = re.compile(r"^[^{\s].*\{%-?\s*(?:endif|endfor|else|elif\b[^%]*)\s*%\}\s*$")
"""Text, then a closing tag that does not keep the break; a line that starts with a tag, or a
tag written ``-%}``, is laid out by its author on purpose."""
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
