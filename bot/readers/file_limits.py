"""How big a received file may be, measured before it is read.

A .docx or .xlsx is a zip: 500 KB sent may unzip to a gigabyte of XML, and parsing it takes
minutes and gigabytes of memory. Its central directory (a few kilobytes at the end of the
file) says how many parts it has and how large each is once unzipped; ``zipfile`` never
unpacks a part beyond the size stated there, so checking the directory bounds what the
parsers can be given. A PDF's page count is read from its page tree, before any page's
text is extracted.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from bot.domain.errors import DomainError

MAX_UNZIPPED_BYTES = 64 * 2**20
"""What a .docx or .xlsx may hold once unzipped. Minutes of a hundred pages are about 2 MB of
XML; pictures do not shrink when zipped, so a file Telegram lets the bot download (20 MB) with
pictures in it stays far below this."""

MAX_ZIP_PARTS = 2_000
"""Parts of a .docx or .xlsx (XML files, pictures): a long document has a few dozen."""

MAX_PDF_PAGES = 500
"""Pages of a PDF whose text is read: minutes of a hundred pages are long ones."""


def check_zip(source: bytes | Path) -> None:
    """Refuse a .docx or .xlsx whose parts are too many or too large once unzipped.

    Raises:
        DomainError: ``file_too_many_parts`` (``parts``, ``limit``), ``file_unzipped_too_large``
            (``size_mb``, ``limit_mb``), or ``file_unreadable`` (``reason``) when the file is
            not a zip at all.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise DomainError("file_unreadable", reason="zip") from None
    if len(parts) > MAX_ZIP_PARTS:
        raise DomainError("file_too_many_parts", parts=len(parts), limit=MAX_ZIP_PARTS)
    unzipped = sum(part.file_size for part in parts)
    if unzipped > MAX_UNZIPPED_BYTES:
        raise DomainError(
            "file_unzipped_too_large", size_mb=round(unzipped / 2**20), limit_mb=MAX_UNZIPPED_BYTES // 2**20
        )


def check_pages(pages: int) -> None:
    """Refuse a PDF of more than ``MAX_PDF_PAGES`` pages.

    Raises:
        DomainError: ``file_too_many_pages`` (``pages``, ``limit``).
    """
    if pages > MAX_PDF_PAGES:
        raise DomainError("file_too_many_pages", pages=pages, limit=MAX_PDF_PAGES)
