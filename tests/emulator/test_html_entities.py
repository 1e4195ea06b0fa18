"""Telegram HTML parsing: text, entities (UTF-16 offsets) and error wording."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.emulators.telegram.html_entities import HtmlParseError, parse_html


def test_entities_and_references() -> None:
    text, entities = parse_html(
        '<b>粗</b> 😀<i>x</i> &lt;&#65;&#x42;&quot; a & b <a href="https://e.x/?a=1&amp;b">L</a>'
    )
    assert text == '粗 😀x <AB" a & b L'
    assert entities[0] == {"type": "bold", "offset": 0, "length": 1}
    assert entities[1] == {"type": "italic", "offset": 4, "length": 1}  # 😀 is 2 UTF-16 units
    assert entities[2] == {"type": "text_link", "offset": 17, "length": 1, "url": "https://e.x/?a=1&b"}


def test_supported_tags() -> None:
    html = (
        "<strong>a</strong><em>b</em><u>c</u><ins>d</ins><s>e</s><strike>f</strike><del>g</del>"
        '<span class="tg-spoiler">h</span><tg-spoiler>i</tg-spoiler><code>j</code>'
        '<pre><code class="language-python">k</code></pre><blockquote expandable>l</blockquote>'
        '<tg-emoji emoji-id="5368324170671202286">m</tg-emoji>'
    )
    text, entities = parse_html(html)
    assert text == "abcdefghijklm"
    assert [e["type"] for e in entities] == [
        "bold",
        "italic",
        "underline",
        "underline",
        "strikethrough",
        "strikethrough",
        "strikethrough",
        "spoiler",
        "spoiler",
        "code",
        "pre",
        "expandable_blockquote",
        "custom_emoji",
    ]
    assert entities[10]["language"] == "python"


@pytest.mark.parametrize(
    ("html", "error"),
    [
        ("<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<p>x</p>", 'Unsupported start tag "p" at byte offset 0'),
        ("签<i>x</b>", 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
        ("</i>", "Unexpected end tag at byte offset 0"),
        ("<b", "Unclosed start tag at byte offset 0"),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        ("1 < 2", 'Unsupported start tag "" at byte offset 2'),
    ],
)
def test_errors(html: str, error: str) -> None:
    with pytest.raises(HtmlParseError) as info:
        parse_html(html)
    assert str(info.value) == error


@given(st.text(alphabet=st.characters(blacklist_characters="<&")))
def test_plain_text_is_unchanged(text: str) -> None:
    assert parse_html(text) == (text, [])
