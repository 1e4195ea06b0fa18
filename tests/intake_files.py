"""会议纪要 files as offices send them, built in the test: a .docx written with python-docx and a
PDF with a text layer drawn by matplotlib with a CJK font (TrueType embedded, so the text
extracts). The names and the meeting are made up."""

from __future__ import annotations

import io
from collections.abc import Sequence

MINUTES_12 = [
    "邓州市人民政府",
    "市政府第12次常务会议纪要",
    "〔2026〕12号",
    "2026年11月20日上午，市长钱市长主持召开市政府第12次常务会议，研究城区防汛、农村公路和项目建设等工作。现将会议议定事项纪要如下：",
    "一、关于城区积水点排查整治问题",
    "会议听取了市住房和城乡建设局关于汛期城区积水情况的汇报。会议要求，由市住房和城乡建设局牵头，市交通运输局配合，于2026年12月31日前完成全部积水点整治。",
    "（一）11月底前完成积水点排查，逐点建立台账；",
    "（二）明确整改措施和完成时间。",
    "二、关于农村公路养护工作",
    "会议同意交通局提出的养护方案，请交通运输局10个工作日内报送实施计划。",
    "三、关于穰东镇污水处理厂建设",
    "穰东镇负责，一个月内完成选址和用地报批。",
    "四、关于优化营商环境工作",
    "会议要求市营商环境服务中心12月底前拿出工作方案。",
    "五、关于冬季校园安全工作",
    "会议要求教育局加强校园安全检查，确保师生安全。",
    "出席：钱市长、刘建国、孙丽华",
    "列席：市政府办公室、住建局、交通运输局、穰东镇、教育局",
]
"""Five 议定事项 numbered 一、二、…: the first with two sub-items （一）（二） under two units with
牵头/配合 and a stated date; a unit by an alias (交通局) with 工作日; a town with 「一个月内」; a unit
that is not in the organisation; no date."""

MINUTES_18 = [
    "邓州市人民政府常务会议纪要",
    "邓政纪〔2026〕18号",
    "11月23日上午，钱市长主持召开第18次常务会议，研究交通和住房工作。现纪要如下：",
    "一、关于城区停车难问题",
    "会议听取了交通运输局的汇报。会议要求，交通运输局10个工作日内拿出城区停车难问题整治方案。",
    "二、关于老旧小区改造",
    "（一）住建局12月20日前完成改造摸底；",
    "（二）交通局会同穰东镇一个月内完成小区周边道路改造计划。",
    "邓州市人民政府办公室",
    "2026年11月26日印发",
]
"""Minutes titled without the meeting's number, the 〔〕 number on a line of its own, the meeting's
day without a year in the text and the day of printing at the end; an item whose sub-items name
units and periods of their own."""

MINUTES_ARABIC = [
    "市政府第13次常务会议纪要",
    "2026年11月27日，市政府召开第13次常务会议。会议议定：",
    "1. 住建局于2027年1月15日前完成老旧小区改造摸底。",
    "2. 交通运输局、穰东镇两周内完成穰东镇客运站周边交通组织方案。",
]
"""Items numbered 1. 2.; one names two units without 牵头 (one 交办单 each)."""

MINUTES_PARENTHESISED = [
    "综合一科第3次工作例会纪要",
    "2026年11月26日",
    "（一）穰东镇12月15日前报送秸秆禁烧工作总结。",
    "（二）交通运输局会同住建局，年底前完成城区停车位普查。",
]
"""A 科室's own meeting with （一）（二）."""

MINUTES_SCANNED = [
    "市政府第17次常务会议纪要",
    "2026年11月27日，市政府召开第17次常务会议。会议议定：",
    "1. 住建局于2027年1月15日前完成老旧小区改造摸底。",
    "2. 交通运输局10个工作日内报送公交线网优化方案。",
]
"""Printed minutes to scan or photograph (common characters only: OCR drops a rare one such as
the 穰 of 穰东镇, which the review then marks as a unit not found)."""


def docx_bytes(paragraphs: Sequence[str]) -> bytes:
    """The minutes as a Word document, one paragraph per line."""
    import docx

    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def pdf_bytes(lines: Sequence[str], width: int = 34) -> bytes:
    """The minutes as a PDF with a text layer, lines broken at ``width`` characters as a page
    breaks them, 40 lines a page."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_pdf import PdfPages

    from bot.views.exports.charts import cjk_font

    font = cjk_font()
    broken = [line[i:i + width] for line in lines for i in range(0, max(len(line), 1), width)]
    out = io.BytesIO()
    with matplotlib.rc_context({"pdf.fonttype": 42}), PdfPages(out) as pdf:
        for start in range(0, len(broken), 40):
            figure = plt.figure(figsize=(8.27, 11.69))
            for i, line in enumerate(broken[start:start + 40]):
                figure.text(0.08, 0.95 - i * 0.022, line, fontsize=11, family=font)
            pdf.savefig(figure)
            plt.close(figure)
    return out.getvalue()


def page_png(lines: Sequence[str], width: int = 34) -> bytes:
    """A photo-like picture of a printed page of the minutes (150 dpi), for OCR."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from bot.views.exports.charts import cjk_font

    font = cjk_font()
    broken = [line[i:i + width] for line in lines for i in range(0, max(len(line), 1), width)]
    figure = plt.figure(figsize=(8.27, 0.6 + 0.26 * len(broken)))
    for i, line in enumerate(broken):
        figure.text(0.08, 1 - (0.3 + 0.26 * (i + 1)) / (0.6 + 0.26 * len(broken)), line, fontsize=11, family=font)
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=150)
    plt.close(figure)
    return out.getvalue()


def scanned_pdf_bytes(lines: Sequence[str]) -> bytes:
    """A PDF with no text layer: the page as a picture, as a scanner makes it."""
    from PIL import Image

    out = io.BytesIO()
    Image.open(io.BytesIO(page_png(lines))).convert("RGB").save(out, format="PDF", resolution=150)
    return out.getvalue()
