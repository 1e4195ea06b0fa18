"""Small helpers for uploaded media: image dimensions from PNG / JPEG / GIF headers."""

from __future__ import annotations

import struct

#: Used when the bytes are not a recognised image (the emulator does not reject them).
DEFAULT_SIZE = (1, 1)


def image_size(data: bytes) -> tuple[int, int]:
    """Returns (width, height) of a PNG, GIF or JPEG image, else :data:`DEFAULT_SIZE`."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        return struct.unpack(">II", data[16:24])
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        return struct.unpack("<HH", data[6:10])
    if data[:2] == b"\xff\xd8":
        return _jpeg_size(data) or DEFAULT_SIZE
    return DEFAULT_SIZE


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    """Walks JPEG segments to the first start-of-frame marker."""
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        length = struct.unpack(">H", data[i + 2 : i + 4])[0]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[i + 5 : i + 9])
            return width, height
        i += 2 + length
    return None
