"""The sample 会议纪要 (a made-up 市政府第12次常务会议纪要), dated from the day its meeting was held.

The demo hands it out dated a few days before the demo's date, so its 期限 lie ahead whatever
the day the demo is run; ``examples/minutes-sample.docx`` is the same text for a meeting on
2026-11-20 (``examples/make_minutes_sample.py``). Its 议定事项 show what the bot reads: 一、二、…
numbering with sub-items （一）（二）; units by full name, short name and alias (市住房和城乡建设局 =
住建局, 交通局 = 交通运输局); 牵头/配合; the 期限 forms 「于…前」, 「12月底前」, 「10个工作日内」,
「一个月内」; an item with no date and one naming a body that is not a 责任单位, which the review
marks for a decision. Every name is made up.
"""

from __future__ import annotations

import calendar
import io
import zipfile
from datetime import date, datetime, timedelta

DAYS_BEFORE_DEMO = 3
"""The demo's sample meeting was held this many days before the demo's date."""

FIXED_TIME = datetime(2026, 1, 1, 9, 0)
"""The file's own timestamps: the same minutes give the same bytes."""


def _month_end(day: date, months_on: int) -> date:
    month = day.month - 1 + months_on
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, calendar.monthrange(year, month)[1])


def _day(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def paragraphs(held_on: date) -> list[str]:
    """The minutes of a meeting held on ``held_on``, one paragraph a line."""
    survey = held_on + timedelta(days=14)
    works = _month_end(held_on, 1)
    return [
        "邓州市人民政府",
        "市政府第12次常务会议纪要",
        f"〔{held_on.year}〕12号",
        f"{_day(held_on)}上午，钱市长主持召开市政府第12次常务会议，研究城区防汛、农村公路、秸秆禁烧和营商环境等工作。现将会议议定事项纪要如下：",
        "一、关于城区积水点排查整治问题",
        "会议听取了市住房和城乡建设局关于汛期城区积水情况的汇报。会议要求，由市住房和城乡建设局牵头，"
        f"市交通运输局、湍河街道办事处配合，于{_day(works)}前完成全部积水点整治。",
        f"（一）{survey.month}月{survey.day}日前完成积水点排查，逐点建立台账；",
        "（二）明确整改措施和完成时间，每周报送进展。",
        "二、关于农村公路养护工作",
        "会议同意交通局提出的养护方案，请交通运输局10个工作日内报送实施计划。",
        "三、关于秸秆禁烧工作",
        "穰东镇、构林镇负责，一个月内完成辖区秸秆离田和综合利用。",
        "四、关于耕地保护和土地整治",
        f"会议要求自然资源和规划局牵头，农业局配合，{works.month}月底前完成耕地“非粮化”排查整改。",
        "五、关于优化营商环境工作",
        f"会议要求市营商环境服务中心{works.month}月底前拿出工作方案。",
        "六、关于冬季校园安全工作",
        "会议要求教育局加强校园安全检查，确保师生安全。",
        "出席：钱市长、刘建国、孙丽华",
        "列席：市政府办公室、住建局、交通运输局、自然资源局、农业农村局、教育局",
    ]


def minutes_docx(held_on: date) -> bytes:
    """The minutes as a Word document, with fixed core properties and zip timestamps."""
    import docx  # python-docx, loaded only when the sample is asked for

    document = docx.Document()
    for text in paragraphs(held_on):
        document.add_paragraph(text)
    document.core_properties.author = "督办 Bot"
    document.core_properties.created = FIXED_TIME
    document.core_properties.modified = FIXED_TIME
    document.core_properties.last_modified_by = "督办 Bot"
    buffer = io.BytesIO()
    document.save(buffer)
    out = io.BytesIO()
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            fixed = zipfile.ZipInfo(item.filename, date_time=FIXED_TIME.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(fixed, source.read(item.filename))
    return out.getvalue()
