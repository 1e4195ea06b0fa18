"""Write ``examples/org-sample.xlsx``: a fictional city office to import with ``duban import``.

Run ``python examples/make_org_sample.py`` after changing the rows below. The workbook shows the
format ``bot.services.importing`` reads: sheets 「科室」「单位」「人员」, header row first. Every
name and telephone number is made up.

The file is written byte for byte the same on every run (fixed timestamps), so regenerating it
does not show up as a change in version control.
"""

from __future__ import annotations

import io
import zipfile
from datetime import datetime
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.writer.excel import ExcelWriter

OUTPUT = Path(__file__).with_name("org-sample.xlsx")
FIXED_TIME = datetime(2026, 1, 1, 9, 0)

SECTIONS: list[tuple[str, ...]] = [
    ("名称", "政务监督室", "分管市领导"),
    ("政务监督室", "是", "王振华"),
    ("综合一科", "否", "王振华"),
    ("综合二科", "否", "李春梅"),
    ("秘书科", "否", ""),
]

UNITS: list[tuple[str, ...]] = [
    ("名称", "类型", "分管市领导", "别名"),
    ("穰东镇", "乡镇", "李春梅", ""),
    ("构林镇", "乡镇", "李春梅", ""),
    ("湍河街道", "街区", "王振华", "湍河街道办事处"),
    ("住建局", "部门", "王振华", "市住房和城乡建设局、住房城乡建设局"),
    ("交通运输局", "部门", "王振华", "交通局"),
    ("教育局", "部门", "李春梅", "市教育体育局"),
    ("自然资源局", "部门", "王振华", "自然资源和规划局"),
    ("农业农村局", "部门", "李春梅", "农业局"),
]

# Phones as numbers, the way a spreadsheet holds them when typed in; the import turns them to text.
PEOPLE: list[tuple[str | int, ...]] = [
    ("姓名", "角色", "单位", "科室", "电话"),
    ("张立新", "市政府主要领导", "", "", 13903770001),
    ("王振华", "分管市领导", "", "", 13903770002),
    ("李春梅", "分管市领导", "", "", 13903770003),
    ("赵明", "系统管理员", "", "秘书科", 13803770010),
    ("陈静", "政务监督室、科室工作人员", "", "政务监督室", 13803770011),
    ("周海涛", "政务监督室", "", "政务监督室", 13803770012),
    ("孙丽", "科室工作人员", "", "综合一科", 13803770021),
    ("吴强", "科室工作人员", "", "综合二科", 13803770022),
    ("郑雪", "科室工作人员", "", "秘书科", 13803770023),
    ("马卫东", "责任单位责任人", "穰东镇", "", 13703770101),
    ("刘芳", "责任单位责任人", "穰东镇", "", 13703770102),
    ("杨志刚", "责任单位责任人", "构林镇", "", 13703770103),
    ("黄丽娟", "责任单位责任人", "湍河街道", "", 13703770104),
    ("郭建军", "责任单位责任人", "住建局", "", 13703770105),
    ("林晓燕", "责任单位责任人", "住建局", "", 13703770106),
    ("罗伟", "责任单位责任人", "交通运输局", "", 13703770107),
    ("高红梅", "责任单位责任人", "教育局", "", 13703770108),
    ("梁永强", "责任单位责任人", "自然资源局", "", 13703770109),
    ("宋玉兰", "责任单位责任人", "农业农村局", "", 13703770110),
    ("谢晨", "责任单位责任人", "农业农村局", "", 13703770111),
]

WIDTHS = {"科室": (14, 12, 12), "单位": (14, 8, 12, 36), "人员": (10, 26, 12, 12, 14)}


def build() -> Workbook:
    """The sample workbook: 4 科室, 8 责任单位, 20 people."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, rows in (("科室", SECTIONS), ("单位", UNITS), ("人员", PEOPLE)):
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(list(row))
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
        for letter, width in zip("ABCDE", WIDTHS[title]):
            sheet.column_dimensions[letter].width = width
    workbook.properties.creator = "督办 Bot"
    workbook.properties.created = FIXED_TIME
    workbook.properties.modified = FIXED_TIME
    return workbook


def save_reproducibly(workbook: Workbook, path: Path) -> None:
    """Save with fixed timestamps inside the zip and in docProps, so the bytes never vary."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        # ExcelWriter, unlike save_workbook, keeps properties.modified as set above.
        ExcelWriter(workbook, archive).write_data()
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            fixed = zipfile.ZipInfo(item.filename, date_time=FIXED_TIME.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(fixed, source.read(item.filename))


if __name__ == "__main__":
    save_reproducibly(build(), OUTPUT)
    print(f"已生成 {OUTPUT}")
