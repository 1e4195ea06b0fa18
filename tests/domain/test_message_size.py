"""Long texts are cut into messages that each keep Telegram's limit and each parse on their own."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.message_size import MESSAGE_LIMIT, fits_in_message, message_length, split_message

TAG = re.compile(r"<(/?)([a-z]+)[^>]*>")

WORDS = st.sampled_from([
    "交办单〔2026〕12号", "「城区积水点排查整治」", "<b>逾期3天</b>", "&lt;台账&gt;", "A&amp;B", "😀",
    '<a href="https://t.me/x">链接</a>', "<code>/task 2026-12</code>", "已逾期", " ", "。",
])
LINES = st.lists(st.lists(WORDS, max_size=40).map("".join), min_size=1, max_size=300).map("\n".join)


def balanced(html: str) -> bool:
    depth = 0
    for closing, _ in TAG.findall(html):
        depth += -1 if closing else 1
        if depth < 0:
            return False
    return depth == 0


def no_cut_entity_or_tag(part: str) -> bool:
    return part.rfind("<") <= part.rfind(">") and re.search(r"&[#a-zA-Z0-9]*$", part) is None


@settings(max_examples=60, deadline=None)
@given(LINES, st.sampled_from([200, 1000, MESSAGE_LIMIT]))
def test_parts_fit_keep_every_character_and_parse_alone(html: str, limit: int) -> None:
    parts = split_message(html, limit)
    assert all(fits_in_message(part, limit) for part in parts)
    assert "".join(parts).replace("\n", "") == html.replace("\n", "")
    assert all(balanced(part) and no_cut_entity_or_tag(part) for part in parts)
    if fits_in_message(html, limit):
        assert parts == [html]


def test_a_digest_too_long_is_cut_between_lines() -> None:
    lines = [f"• 交办单〔2026〕{n}号「{'老旧小区改造' * 8}」期限 2026年12月1日，已逾期{n}天" for n in range(1, 91)]
    html = "<b>2026年12月2日 到期提醒</b>\n" + "\n".join(lines)
    assert message_length(html) > MESSAGE_LIMIT
    parts = split_message(html)
    assert len(parts) == 2 and parts[0].startswith("<b>2026年12月2日 到期提醒</b>")
    assert [line for part in parts for line in part.split("\n")][1:] == lines


def test_one_line_longer_than_a_message_is_cut_outside_tags_and_entities() -> None:
    html = "<b>标题</b>" + "&amp;很长" * 2000
    parts = split_message(html)
    assert len(parts) == 4 and all(fits_in_message(p) and no_cut_entity_or_tag(p) for p in parts)
    assert "".join(parts) == html
