"""Every word a user reads comes from a jinja2 template under ``messages/``.

Templates are Telegram HTML with autoescaping on: user text (a title, a reason) can never
inject markup. ``render("slips/assignment", ...)`` reads ``messages/slips/assignment.j2``.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from functools import lru_cache
from html import unescape
from typing import Any

import jinja2

from bot.domain import clock


def chinese_date(value: date | str) -> str:
    """2026年11月24日 (no zero padding, as official documents write it). A history entry keeps
    its dates as ISO text (``2026-11-24``): read so, and shown the same way."""
    if isinstance(value, str):
        try:
            day = date.fromisoformat(value)
        except ValueError:
            return value
    else:
        day = value
    return f"{day.year}年{day.month}月{day.day}日"


def chinese_datetime(value: datetime) -> str:
    """2026年11月24日 10:02: a moment in chat (the time already in the office's time zone)."""
    return f"{chinese_date(value.date())} {value:%H:%M}"


def clause(value: str) -> str:
    """A person's sentence set inside the bot's own (in brackets, before its 。): its closing
    punctuation dropped, so the message does not read 「（…书面报告。）。」."""
    return value.rstrip().rstrip("。.！!；;，,、")


def period_words(days: int, working_days: bool) -> str:
    """The N of 时限要求 as a slip words it: 「7天」, or 「7个工作日」 where N counts working days
    (``deadline_mode = "working"``), so a unit reading the slip counts as the bot does."""
    return label("period", "working" if working_days else "calendar").format(days=days)


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The one template environment (autoescape on, strict about missing values)."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("messages", ""),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        # every template stays compiled (there are more than jinja's default 400) and is not
        # looked at again on disk: the messages change with a release, not while it runs
        cache_size=-1,
        auto_reload=False,
    )
    env.filters["cdate"] = chinese_date
    env.filters["cdatetime"] = chinese_datetime
    env.filters["clause"] = clause
    env.filters["period"] = period_words
    env.filters["command_label"] = lambda command: label("commands", command)
    env.globals["label"] = label
    # The one clock (bot/domain/clock.py): templates ask it, never count days themselves.
    env.globals["overdue_days"] = clock.overdue_days
    env.globals["step_deadline"] = clock.step_deadline
    return env


def render(name: str, /, **context: Any) -> str:
    """Render ``messages/<name>.j2`` to Telegram HTML, trimmed."""
    return environment().get_template(f"{name}.j2").render(**context).strip()


def exists(name: str) -> bool:
    """Whether ``messages/<name>.j2`` exists."""
    try:
        environment().get_template(f"{name}.j2")
    except jinja2.TemplateNotFound:
        return False
    return True


_TAG = re.compile(r"<[^>]+>")


def plain(html: str) -> str:
    """The text a reader sees: tags dropped, entities decoded."""
    return unescape(_TAG.sub("", html))


@lru_cache(maxsize=1)
def _labels() -> dict[str, dict[str, str]]:
    import tomllib
    from importlib.resources import files

    return tomllib.loads(files("messages").joinpath("labels.toml").read_text(encoding="utf-8"))


def label(group: str, key: str) -> str:
    """A short word from ``messages/labels.toml``, e.g. ``label("buttons", "acknowledge")`` → 签收."""
    return _labels()[group][key]


def explain(error: Exception) -> str:
    """A domain error as the Chinese sentence of ``messages/errors/<code>.j2``."""
    code = getattr(error, "code", "unexpected")
    details = getattr(error, "details", {})
    name = f"errors/{code}" if exists(f"errors/{code}") else "errors/unexpected"
    return render(name, **details)
