"""Files made to cost the reader more than they weigh, built where they are used (nothing big is
stored): a .docx or .xlsx that unzips to far more than it is, one of thousands of parts, a PDF
of thousands of pages, garbage that starts like a PDF, and a long PDF with a text layer."""

from __future__ import annotations

import io
import random
import zipfile

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
    "</Types>"
)
RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="word/document.xml"/></Relationships>'
)
DOCUMENT_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
)
PARAGRAPH = "<w:p><w:r><w:t>会议要求各单位抓紧落实。</w:t></w:r></w:p>"
DOCUMENT_TAIL = "</w:body></w:document>"


def docx_bomb(unzipped: int) -> bytes:
    """A Word document whose body unzips to about ``unzipped`` bytes of paragraphs (written a
    megabyte at a time, so making it takes no more memory than the result)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", RELS)
        with archive.open("word/document.xml", "w", force_zip64=True) as part:
            part.write(DOCUMENT_HEAD.encode())
            chunk = (PARAGRAPH * (2**20 // len(PARAGRAPH.encode()))).encode()
            for _ in range(max(1, unzipped // len(chunk))):
                part.write(chunk)
            part.write(DOCUMENT_TAIL.encode())
    return out.getvalue()


def many_parts(parts: int) -> bytes:
    """A Word document of ``parts`` tiny parts besides its body."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", RELS)
        archive.writestr("word/document.xml", DOCUMENT_HEAD + PARAGRAPH + DOCUMENT_TAIL)
        for i in range(parts):
            archive.writestr(f"word/media/part{i}.xml", "<x/>")
    return out.getvalue()


def xlsx_bomb(unzipped: int) -> bytes:
    """A workbook whose one sheet unzips to about ``unzipped`` bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part:
            chunk = b"<row><c><v>1</v></c></row>" * (2**20 // 26)
            for _ in range(max(1, unzipped // len(chunk))):
                part.write(chunk)
    return out.getvalue()


def pdf_pages(pages: int, lines: int = 0) -> bytes:
    """A PDF of ``pages`` pages, each with ``lines`` lines of text (Helvetica, a text layer that
    extracts) sharing one content stream; ``lines = 0`` leaves the pages blank."""
    text = "".join(f"BT /F1 10 Tf 50 {800 - 14 * i} Td (Item {i}: the units shall report by the deadline.) Tj ET\n" for i in range(lines))
    content = text.encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        None,  # the page tree, once the pages' numbers are known
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
    ]
    first = len(objects) + 1
    kids = b" ".join(b"%d 0 R" % (first + i) for i in range(pages))
    objects[1] = b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % pages
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> /Contents 4 0 R >>"
    objects += [page] * pages
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def garbage_pdf(seed: int) -> bytes:
    """Bytes that start like a PDF and go on as noise, as a fuzzer sends them."""
    noise = random.Random(seed)
    return b"%PDF-1.4\n" + bytes(noise.randrange(256) for _ in range(2048))
