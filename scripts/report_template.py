"""Builds messages/docx/report_template.docx, the 通报's Word template (docxtpl fields only; the
words come from messages/). Run with the project's Python after changing the layout:
``.venv/bin/python scripts/report_template.py``."""
from pathlib import Path

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

FANG, XBS = "仿宋_GB2312", "方正小标宋简体"
doc = Document()
sec = doc.sections[0]
sec.page_width, sec.page_height = Cm(21), Cm(29.7)
sec.top_margin, sec.bottom_margin, sec.left_margin, sec.right_margin = Cm(3.7), Cm(3.5), Cm(2.8), Cm(2.6)

def para(text, font=FANG, size=16, align=None, indent=False, bold=False):
    p = doc.add_paragraph()
    if align is not None:
        p.alignment = align
    if indent:
        p.paragraph_format.first_line_indent = Pt(size * 2)
    r = p.add_run(text)
    r.font.size = Pt(size); r.font.name = font; r.bold = bold
    r._element.rPr.rFonts.set(qn("w:eastAsia"), font)
    return p

para("{{ title }}", XBS, 22, WD_ALIGN_PARAGRAPH.CENTER)
para("{{ number }}", FANG, 16, WD_ALIGN_PARAGRAPH.CENTER)
doc.add_paragraph()
para("{{ intro }}", indent=True)
table = doc.add_table(rows=3, cols=6)
table.style = "Table Grid"
table.alignment = WD_TABLE_ALIGNMENT.CENTER
widths = [Cm(1.4), Cm(2.6), Cm(5.8), Cm(1.9), Cm(1.9), Cm(2.0)]  # 15.6 cm: the type area of A4 between the margins
fields = ["rank", "unit", "events", "period_total", "score", "remark"]
def cell(c, text, bold=False, align=WD_ALIGN_PARAGRAPH.CENTER):
    p = c.paragraphs[0]; p.alignment = align
    r = p.add_run(text); r.font.size = Pt(12); r.font.name = FANG; r.bold = bold
    r._element.rPr.rFonts.set(qn("w:eastAsia"), FANG)
for i, (w, f) in enumerate(zip(widths, fields)):
    for row in table.rows:
        row.cells[i].width = w
    cell(table.rows[0].cells[i], "{{ headings.%s }}" % f, bold=True)
table.autofit = False
for col, w in zip(table._tbl.tblGrid.findall(qn("w:gridCol")), widths):
    col.set(qn("w:w"), str(int(w.twips)))
cell(table.rows[1].cells[0], "{%tr for line in lines %}")
for i, f in enumerate(fields):
    cell(table.rows[2].cells[i], "{{ line.%s }}" % f, align=WD_ALIGN_PARAGRAPH.LEFT if f == "events" else WD_ALIGN_PARAGRAPH.CENTER)
row = table.add_row()
cell(row.cells[0], "{%tr endfor %}")
# header row repeats on every page
trPr = table.rows[0]._tr.get_or_add_trPr()
from docx.oxml import OxmlElement
h = OxmlElement("w:tblHeader"); h.set(qn("w:val"), "true"); trPr.append(h)
doc.add_paragraph()
para("{{ issuer }}", align=WD_ALIGN_PARAGRAPH.RIGHT)
para("{{ date }}", align=WD_ALIGN_PARAGRAPH.RIGHT)
doc.save(Path(__file__).resolve().parent.parent / "messages" / "docx" / "report_template.docx")
