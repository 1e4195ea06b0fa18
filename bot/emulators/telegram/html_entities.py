"""Telegram's ``parse_mode=HTML``: turns HTML into plain text plus MessageEntity objects.

It follows the behaviour of Telegram's own parser (tdlib ``parse_html``): only the tags
Telegram supports are accepted, tags must nest properly, only ``&lt; &gt; &amp; &quot;``
and numeric character references are decoded (any other ``&...`` stays as literal text),
and failures are reported with Telegram's wording and *UTF-8 byte* offsets, e.g.
``Unsupported start tag "div" at byte offset 0``. Entity offsets and lengths are in
UTF-16 code units, like the Bot API's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

#: Tag name -> MessageEntity type.
TAG_ENTITY: dict[str, str] = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}

NAMED_ENTITIES: dict[str, str] = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ENTITY_RE = re.compile(r"&(?:#(\d{1,7})|#[xX]([0-9a-fA-F]{1,6})|(lt|gt|amp|quot));")
_PLAIN_RE = re.compile(r"[^<&]+")


class HtmlParseError(ValueError):
    """Malformed HTML; ``str(error)`` is Telegram's text after ``can't parse entities: ``."""


@dataclass(slots=True)
class _OpenTag:
    """A start tag waiting for its end tag."""

    name: str
    attrs: dict[str, str]
    offset: int  # UTF-16 offset in the output text
    extra: dict[str, str] = field(default_factory=dict)


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units (the unit of entity offsets)."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def parse_html(source: str) -> tuple[str, list[dict[str, Any]]]:
    """Parses Telegram HTML.

    Args:
        source: The ``text`` or ``caption`` sent with ``parse_mode=HTML``.

    Returns:
        The plain text and its entities (MessageEntity dicts sorted by offset).

    Raises:
        HtmlParseError: With Telegram's description of the first problem.
    """
    parser = _Parser(source)
    return parser.run()


class _Parser:
    """Single-pass HTML scanner; one instance per parse."""

    def __init__(self, source: str) -> None:
        self.src = source
        self.pos = 0
        self.out: list[str] = []
        self.length = 0  # UTF-16 length of the output so far
        self.stack: list[_OpenTag] = []
        self.entities: list[dict[str, Any]] = []

    def byte_offset(self, index: int) -> int:
        """UTF-8 byte offset of character ``index`` in the source (Telegram's error unit)."""
        return len(self.src[:index].encode("utf-8", "surrogatepass"))

    def emit(self, text: str) -> None:
        """Appends decoded text to the output."""
        self.out.append(text)
        self.length += utf16_len(text)

    def run(self) -> tuple[str, list[dict[str, Any]]]:
        """Scans the whole source."""
        src, n = self.src, len(self.src)
        while self.pos < n:
            plain = _PLAIN_RE.match(src, self.pos)
            if plain:
                self.emit(plain.group())
                self.pos = plain.end()
            elif src[self.pos] == "&":
                self.entity_reference()
            elif src.startswith("</", self.pos):
                self.end_tag()
            else:
                self.start_tag()
        if self.stack:
            raise HtmlParseError(f'Can\'t find end tag corresponding to start tag "{self.stack[-1].name}"')
        self.entities.sort(key=lambda e: (e["offset"], -e["length"]))
        return "".join(self.out), self.entities

    def entity_reference(self) -> None:
        """Decodes ``&...;`` at the cursor, or keeps a lone ``&`` as text like Telegram."""
        m = _ENTITY_RE.match(self.src, self.pos)
        if m is None:
            self.emit("&")
            self.pos += 1
            return
        dec, hexa, named = m.groups()
        code = int(dec) if dec else int(hexa, 16) if hexa else None
        if code is not None and not (0 < code <= 0x10FFFF) or code is not None and 0xD800 <= code <= 0xDFFF:
            self.emit(m.group())
        else:
            self.emit(chr(code) if code is not None else NAMED_ENTITIES[named])
        self.pos = m.end()

    def skip_spaces(self) -> None:
        """Advances past whitespace."""
        while self.pos < len(self.src) and self.src[self.pos].isspace():
            self.pos += 1

    def start_tag(self) -> None:
        """Parses ``<name attr="value" ...>`` and pushes it on the open-tag stack."""
        src, n, begin = self.src, len(self.src), self.pos
        end = begin + 1
        while end < n and not src[end].isspace() and src[end] != ">":
            end += 1
        if end == n:
            raise HtmlParseError(f"Unclosed start tag at byte offset {self.byte_offset(begin)}")
        name = src[begin + 1 : end].lower()
        if name not in TAG_ENTITY:
            raise HtmlParseError(f'Unsupported start tag "{name}" at byte offset {self.byte_offset(begin)}')
        self.pos = end
        attrs = self.attributes(name, begin)
        if name == "span" and attrs.get("class") != "tg-spoiler":
            raise HtmlParseError(f'Tag "span" must have class "tg-spoiler" at byte offset {self.byte_offset(begin)}')
        if name == "tg-emoji" and not attrs.get("emoji-id"):
            raise HtmlParseError(
                f'Tag "tg-emoji" must have attribute "emoji-id" at byte offset {self.byte_offset(begin)}'
            )
        self.stack.append(_OpenTag(name, attrs, self.length))

    def attributes(self, tag: str, begin: int) -> dict[str, str]:
        """Parses attributes up to and including the closing ``>`` of a start tag."""
        src, n = self.src, len(self.src)
        attrs: dict[str, str] = {}
        while True:
            self.skip_spaces()
            if self.pos >= n:
                raise HtmlParseError(f"Unclosed start tag at byte offset {self.byte_offset(begin)}")
            if src[self.pos] == ">":
                self.pos += 1
                return attrs
            start = self.pos
            while self.pos < n and not src[self.pos].isspace() and src[self.pos] not in "=>":
                self.pos += 1
            attr = src[start : self.pos].lower()
            if not attr:
                raise HtmlParseError(
                    f'Empty attribute name in the tag "{tag}" at byte offset {self.byte_offset(start)}'
                )
            self.skip_spaces()
            value = ""
            if self.pos < n and src[self.pos] == "=":
                self.pos += 1
                self.skip_spaces()
                value = self.attribute_value(begin)
            attrs[attr] = value

    def attribute_value(self, begin: int) -> str:
        """Reads a quoted or bare attribute value (references decoded)."""
        src, n = self.src, len(self.src)
        if self.pos < n and src[self.pos] in "'\"":
            quote = src[self.pos]
            close = src.find(quote, self.pos + 1)
            if close < 0:
                raise HtmlParseError(f"Unclosed start tag at byte offset {self.byte_offset(begin)}")
            raw, self.pos = src[self.pos + 1 : close], close + 1
        else:
            start = self.pos
            while self.pos < n and not src[self.pos].isspace() and src[self.pos] != ">":
                self.pos += 1
            raw = src[start : self.pos]
        return _ENTITY_RE.sub(lambda m: _parse_fragment(m.group()), raw)

    def end_tag(self) -> None:
        """Parses ``</name>``, checks nesting and records the finished entity."""
        begin = self.pos
        close = self.src.find(">", begin)
        if close < 0:
            raise HtmlParseError(f"Unclosed end tag at byte offset {self.byte_offset(begin)}")
        name = self.src[begin + 2 : close].strip().lower()
        if not self.stack:
            raise HtmlParseError(f"Unexpected end tag at byte offset {self.byte_offset(begin)}")
        open_tag = self.stack[-1]
        if open_tag.name != name:
            raise HtmlParseError(
                f"Unmatched end tag at byte offset {self.byte_offset(begin)}, "
                f'expected "</{open_tag.name}>", found "</{name}>"'
            )
        self.stack.pop()
        self.pos = close + 1
        self.finish(open_tag)

    def finish(self, tag: _OpenTag) -> None:
        """Turns a closed tag into a MessageEntity (empty ones are dropped like Telegram)."""
        length = self.length - tag.offset
        language = tag.attrs.get("class", "")
        parent = self.stack[-1] if self.stack else None
        if tag.name == "code" and parent and parent.name == "pre" and language.startswith("language-"):
            parent.extra["language"] = language.removeprefix("language-")
            return
        if length == 0:
            return
        entity: dict[str, Any] = {"type": TAG_ENTITY[tag.name], "offset": tag.offset, "length": length}
        if tag.name == "a":
            url = tag.attrs.get("href", "")
            if not url:
                return
            entity["url"] = url
        elif tag.name == "blockquote" and "expandable" in tag.attrs:
            entity["type"] = "expandable_blockquote"
        elif tag.name == "tg-emoji":
            entity["custom_emoji_id"] = tag.attrs["emoji-id"]
        entity.update(tag.extra)
        self.entities.append(entity)


def _parse_fragment(reference: str) -> str:
    """Decodes a single character reference (used inside attribute values)."""
    text, _ = _Parser(reference).run()
    return text
