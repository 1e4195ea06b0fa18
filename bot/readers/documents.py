"""Reading the minutes and 批示 people send: the text of a .docx (paragraphs, then tables), of a
PDF's text layer, or what OCR reads on a scanned PDF or a photo of printed minutes. Each file is
measured before it is read (:mod:`bot.readers.file_limits`)."""

from __future__ import annotations

import functools
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.domain.errors import DomainError
from bot.readers import file_limits

MAX_SCANNED_PAGES = 20
"""Reading a scanned page takes seconds (about 4 s an A4 page at 150 dpi on 2 cores): minutes
longer than this are not one meeting's minutes, and the sender would wait minutes."""

OCR_RESOLUTION = 150
"""Dots per inch a scanned PDF page is drawn at for OCR: 五号 print reads well at 150."""


@dataclass(frozen=True)
class FileText:
    """The text of a received file, and whether it was read from a scan (OCR): drafts from a
    scan ask the reader to check names and dates, since a rare character (穰) may be misread."""

    text: str
    scanned: bool = False


def text_of_file(data: bytes, file_name: str) -> FileText:
    """The plain text of a .docx (paragraphs, then tables), of a PDF's text layer, or — for a
    scanned PDF or a photo of printed minutes — what OCR reads on it.

    A file is measured before it is read (:mod:`bot.readers.file_limits`): a .docx by its
    unzipped size and part count, a PDF by its page count, a scan by its pages to read.

    Raises:
        DomainError: ``intake_file_empty``, ``intake_doc_format`` (a .doc from old Word),
            ``intake_file_type``, ``file_unreadable`` (with ``reason``: what is wrong with it),
            ``file_too_many_parts``, ``file_unzipped_too_large``, ``file_too_many_pages``,
            ``intake_scan_too_long``, ``intake_pdf_no_text`` (a scan on which no text could be read).
    """
    if not data:
        raise DomainError("intake_file_empty")
    suffix = Path(file_name or "").suffix.lower()
    if suffix == ".doc" or data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise DomainError("intake_doc_format")
    if suffix == ".docx" or (suffix != ".pdf" and data[:2] == b"PK"):
        return FileText(_docx_text(data))
    if suffix == ".pdf" or data[:5] == b"%PDF-":
        return _pdf_text(data)
    if suffix in (".jpg", ".jpeg", ".png") or data[:3] == b"\xff\xd8\xff" or data[:8] == b"\x89PNG\r\n\x1a\n":
        return FileText(_scanned_text([data]), scanned=True)
    if suffix in (".txt", ".text"):
        try:
            return FileText(data.decode("utf-8-sig"))
        except UnicodeDecodeError:
            raise DomainError("file_unreadable", reason="encoding") from None
    raise DomainError("intake_file_type", name=file_name or "")


def _docx_text(data: bytes) -> str:
    import docx  # python-docx; imported here so the bot starts without loading it
    from docx.opc.exceptions import PackageNotFoundError

    file_limits.check_zip(data)
    try:
        document = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, PackageNotFoundError, KeyError, ValueError, SyntaxError):
        # SyntaxError: lxml's XMLSyntaxError, a part that is not XML
        raise DomainError("file_unreadable", reason="docx") from None
    lines = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            lines.append("".join(cell.text for cell in row.cells))
    return "\n".join(lines)


def _pdf_text(data: bytes) -> FileText:
    import pdfplumber
    from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
    from pdfminer.psparser import PSException
    from pdfplumber.utils.exceptions import PdfminerException

    try:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            file_limits.check_pages(len(pdf.pages))
            text = "\n".join((page.extract_text() or "") for page in pdf.pages)
            if text.strip():
                return FileText(text)
            # No text layer: a scan. Each page drawn as an image and read by OCR.
            if len(pdf.pages) > MAX_SCANNED_PAGES:
                raise DomainError("intake_scan_too_long", pages=len(pdf.pages), limit=MAX_SCANNED_PAGES)
            images = []
            for page in pdf.pages:
                out = io.BytesIO()
                page.to_image(resolution=OCR_RESOLUTION).original.convert("RGB").save(out, format="PNG")
                images.append(out.getvalue())
    except PdfminerException as exc:  # pdfplumber wraps what pdfminer raised on opening
        reason = "pdf_password" if isinstance(exc.args[0] if exc.args else None, (PDFPasswordIncorrect, PDFEncryptionError)) else "pdf"
        raise DomainError("file_unreadable", reason=reason) from None
    except (PDFPasswordIncorrect, PDFEncryptionError):
        raise DomainError("file_unreadable", reason="pdf_password") from None
    except (PSException, ValueError, TypeError, KeyError, IndexError, AttributeError, AssertionError):
        raise DomainError("file_unreadable", reason="pdf") from None
    return FileText(_scanned_text(images), scanned=True)


def _scanned_text(images: list[bytes]) -> str:
    """OCR of page images, lines in reading order (RapidOCR: its detection and recognition
    models ship inside the package, nothing is downloaded)."""
    engine = _ocr_engine()
    lines: list[str] = []
    for image in images:
        try:
            result, _ = engine(image)
        except Exception:  # a picture OpenCV cannot decode is a file we cannot read
            raise DomainError("file_unreadable", reason="image") from None
        lines += [text for _, text, _ in result or ()]
    text = "\n".join(lines)
    if not text.strip():
        raise DomainError("intake_pdf_no_text")
    return text


@functools.lru_cache(maxsize=1)
def _ocr_engine() -> Any:
    from rapidocr_onnxruntime import RapidOCR

    return RapidOCR()
