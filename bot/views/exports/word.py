"""Each slip, and the monthly 通报, as a printable .docx in the official layout (SPEC section 7).

The Word template ``messages/docx/slip_template.docx`` has jinja2 fields (docxtpl): 《…》 title,
number, addressee, body paragraphs, 联系人 / 联系电话 lines, 附件 and the date, in the order of the
notice's 附件1–3. A line break typed inside 工作要求 stays a line break inside its paragraph. The words come from the
slip's text as it was issued (stored with the slip), so a document printed later shows exactly
what the unit received.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from importlib.resources import as_file, files

from docxtpl import DocxTemplate, Listing

from datetime import date

from bot import actions
from bot.config import Organisation
from bot.domain.errors import DomainError
from bot.domain.org import Person
from bot.domain.slip_numbers import parse_slip_reference
from bot.domain.slips import SlipReference, SlipType
from bot.services.context import Office
from bot.edge import Button
from bot.services.notify import button
from bot.domain.permissions import can_see
from bot.services.scoring import ScoreTable, format_points
from bot.storage import org, slips, tasks
from bot.texts import label, plain, render

CONTACT_PREFIXES = ("联 系 人", "联系人", "联系电话")
"""The contact lines of the three 附件 (see messages/slips/_contact.j2)."""
PARAGRAPH_PREFIXES = ("工作要求：", "责 任 人：")
"""Lines of the body that begin a paragraph of their own (messages/slips/assignment.j2); any other
line of the body continues the paragraph before it, as typed in 工作要求."""
ANNEX_PREFIX = "附件："
"""附件1 puts 「附件：XX工作任务分解台账」 after 联系电话, on its own."""


@dataclass(frozen=True)
class SlipDocument:
    """The fields the Word template fills, split from the issued text."""

    title: str
    number: str
    addressee: str
    body: list[str]
    contact: list[str]
    date: str
    annex: list[str]


def split_slip_text(html: str) -> SlipDocument:
    """Title, number, addressee, body, contact lines and date of an issued slip's text."""
    lines = [line.strip() for line in plain(html).splitlines()]
    filled = [line for line in lines if line]
    title, number, addressee, *rest = filled
    date = rest.pop() if rest else ""
    contact = [line for line in rest if line.startswith(CONTACT_PREFIXES)]
    annex = [line for line in rest if line.startswith(ANNEX_PREFIX)]
    body: list[str] = []
    for line in rest:
        if line in contact or line in annex:
            continue
        if body and not line.startswith(PARAGRAPH_PREFIXES):
            body[-1] += "\n" + line
        else:
            body.append(line)
    return SlipDocument(title, number, addressee, body, contact, date, annex)


def render_docx(document: SlipDocument) -> bytes:
    """The filled Word document."""
    fields = dict(document.__dict__)
    # Listing escapes the text for XML and turns each "\n" into a line break (w:br).
    fields["body"] = [Listing(paragraph) for paragraph in document.body]
    return _filled("docx/slip_template.docx", fields)


def _filled(template_name: str, fields: dict[str, object]) -> bytes:
    with as_file(files("messages").joinpath(template_name)) as path:
        template = DocxTemplate(str(path))
        template.render(fields, autoescape=True)
        out = io.BytesIO()
        template.save(out)
    return out.getvalue()


def report_docx(table: ScoreTable, title: str, org: Organisation, today: date) -> bytes:
    """The 通报 as a document to file: title, a 文号-like line, the units and their points in a
    table (headings repeated on every page), 政务监督室 and the date."""
    headings = {key: label("exports", key) for key in ("rank", "unit", "events", "period_total", "score", "remark")}
    below = label("scores", "below_threshold")
    lines = [
        {
            "rank": line.rank, "unit": line.unit.name,
            "events": plain(render("reports/docx_events", figures=line.figures, pts=format_points)),
            "period_total": format_points(line.period_total, True), "score": format_points(line.score),
            "remark": below if line.below_threshold else "",
        }
        for line in table.lines
    ]
    return _filled("docx/report_template.docx", {
        "title": title,
        "number": plain(render("reports/docx_number", org=org, period=table.period)),
        "intro": plain(render("reports/docx_intro", period=table.period, until=table.until,
                              threshold=format_points(table.threshold))),
        "headings": headings, "lines": lines, "issuer": org.supervision_office,
        "date": plain(render("reports/docx_date", today=today)),
    })


async def slip_docx(office: Office, person: Person, text: str | None = None, slip_id: int | None = None) -> tuple[str, bytes]:
    """The .docx of one slip the person may see: by a typed number (交办单 first) or by id.

    Raises:
        DomainError: ``slip_number_invalid``; ``task_unknown``; ``not_allowed``.
    """
    conn = office.db.reader
    if slip_id is not None:
        found = await slips.get(conn, slip_id)
        candidates = [found] if found else []
    else:
        reference = parse_slip_reference(text or "", office.now().year)
        types = [reference.type] if reference.type is not None else list(SlipType)
        candidates = [s for t in types for s in await slips.find(conn, SlipReference(t, reference.year, reference.seq))]
    if not candidates:
        raise DomainError("slip_docx_unavailable" if slip_id is not None else "task_unknown", text=text or "")
    for slip in candidates:
        task = await tasks.get(conn, slip.task_id)
        unit = await org.unit(conn, task.unit_id) if task else None
        if task is not None and can_see(person, task, unit):
            document = split_slip_text(await slips.text_of(conn, slip.id))
            name = f"{slip.number.full}.docx".replace("〔", "[").replace("〕", "]")
            return name, render_docx(document)
    raise DomainError("not_allowed")


async def button_docx(office: Office, person: Person, task_id: int, slip_id: int | None) -> list[tuple[str, bytes]]:
    """下载Word: the slip of the button (or every slip of its task) as .docx.

    The ids come from callback data and are not trusted: a slip of another task is refused.

    Raises:
        DomainError: ``slip_docx_unavailable``; ``not_allowed``.
    """
    conn = office.db.reader
    wanted = [slip_id] if slip_id is not None else [s.id for s in await slips.of_task(conn, task_id)]
    documents = [await slip_docx(office, person, slip_id=s) for s in wanted]
    if not documents or (slip_id and (await slips.get(conn, int(slip_id))).task_id != task_id):  # type: ignore[union-attr]
        raise DomainError("slip_docx_unavailable")
    return documents


def word_button(task_id: int, slip_id: int | None = None) -> Button:
    """A 下载Word button for a slip message (``bot/conversation/exports.py`` answers it)."""
    return button(label("exports", "download_slip"), actions.WORD_FILE(task_id=task_id, slip_id=slip_id))
