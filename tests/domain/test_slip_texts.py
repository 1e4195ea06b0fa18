"""The three slips' texts against the notice's 附件1, 附件2 and 附件3, read from the seed file.

SPEC §3: "word for word as the notice's 附件1, 附件2 and 附件3, with the blanks filled" — the seed
was scraped with ASCII ``, ( ) :``; official documents use ``，（）：``, so punctuation width is
folded before comparing.
"""

from __future__ import annotations

import os
import re
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from bot.config import Organisation
from bot.domain.slips import Slip, SlipNumber, SlipType
from bot.domain.tasks import SourceType, Task
from bot.views.slip_texts import assignment_text, reminder_text, supervision_text
from bot.texts import plain

SEED = Path(os.environ.get("DUBAN_SEED", "/work/shared/seed/dengzhou-2018-127-three-slips.txt"))
needs_seed = pytest.mark.skipif(not SEED.is_file(), reason=f"the notice's text is not at {SEED} (set DUBAN_SEED)")
FOLD = str.maketrans({",": "，", "(": "（", ")": "）", ":": "："})
# A blank of the form: a run of (no-break) spaces, "2018年  月  日", "〔2018〕 号", "(科、办)" or "XXX".
BLANK = re.compile(r"2018年[\s\xa0]*月[\s\xa0]*日|〔2018〕[\s\xa0]*号|（科、办）|XXX|[ \xa0\u3000]+")

ORG = Organisation()
ISSUED = date(2026, 11, 24)
REMINDED = date(2026, 12, 3)
SUPERVISED = date(2026, 12, 9)

TASK = Task(
    id=1,
    number=SlipNumber(SlipType.ASSIGNMENT, 2026, 12),
    title="全市秋冬季大气污染防治专项检查",
    requirements="逐乡镇排查并形成书面报告",
    basis="市政府第35次常务会议纪要",
    source=SourceType.STANDING_MEETING,
    unit_id=7,
    section_id=2,
    issued_by=3,
    issued_on=ISSUED,
    period_days=7,
    original_deadline=date(2026, 12, 1),
    deadline=date(2026, 12, 1),
    contact_name="张明",
    contact_phone="0377-62283198",
)
UNIT = "穰东镇人民政府"
SECTION = "综合一科"
REMINDER_NUMBER = SlipNumber(SlipType.REMINDER, 2026, 4)
SUPERVISION_NUMBER = SlipNumber(SlipType.SUPERVISION, 2026, 2)
REMINDER = Slip(9, TASK.id, REMINDER_NUMBER, REMINDED, window_days=3, overdue_days=2, issued_by=3)


def annex(n: int) -> list[str]:
    """The lines of 附件n in the seed file, ASCII punctuation folded to full width."""
    lines = [line.rstrip() for line in SEED.read_text(encoding="utf-8").splitlines()]
    heads = [line.strip() for line in lines]
    start = heads.index(f"附件{n}")
    end = heads.index(f"附件{n + 1}") if n < 3 else heads.index("相关信息")
    # Keep leading blanks: in 附件2 and 附件3 the line opens with the blank for the 工作事项.
    return [line.translate(FOLD) for line in lines[start + 1 : end] if line.strip("\xa0 ")]


def fill(template_line: str, *values: str) -> str:
    """The notice's line with its blanks filled by ``values``, in order of appearance."""
    supply = iter(values)

    def one(match: re.Match[str]) -> str:
        return next(supply)

    filled = BLANK.sub(one, template_line)
    assert next(supply, None) is None, "more values than blanks"
    return filled


def body(annex_lines: list[str]) -> str:
    (line,) = [line for line in annex_lines if "交由你单位办理" in line]
    return line


def shown(html: str) -> list[str]:
    """What a reader sees, line by line."""
    return [line.strip() for line in plain(html).splitlines() if line.strip()]


def render_assignment(org: Organisation = ORG, task: Task = TASK, unit: str = UNIT, working_days: bool = False) -> str:
    return assignment_text(org, task, unit, SECTION, "李红", "工作任务分解台账.xlsx", working_days=working_days)


def render_reminder(org: Organisation = ORG, task: Task = TASK, working_days: bool = False) -> str:
    return reminder_text(org, task, UNIT, REMINDER_NUMBER, 2, 3, REMINDED, "王政", "0377-62283100", working_days=working_days)


def render_supervision(org: Organisation = ORG, task: Task = TASK, working_days: bool = False) -> str:
    return supervision_text(
        org, task, UNIT, SUPERVISION_NUMBER, REMINDER, 3, SUPERVISED, "王政", "0377-62283100", working_days=working_days
    )


@needs_seed
def test_seed_annexes_are_found() -> None:
    for n in (1, 2, 3):
        assert "交由你单位办理" in body(annex(n))


@needs_seed
def test_assignment_slip_body_is_annex_1() -> None:
    """附件1: "根据 ，现将 交由你单位办理，请抓紧落实，在收件之日起 天内办结并将办理结果情况书面反馈
    市政府办公室（科、办）（请在反馈材料中注明交办单编号）。"."""
    expected = fill(body(annex(1)), TASK.basis, TASK.title, "7", f"（{SECTION}）")
    assert expected in shown(render_assignment())


@needs_seed
def test_reminder_slip_body_is_annex_2() -> None:
    """附件2: " 已于2018年 月 日交由你单位办理（邓州市人民政府工作交办单〔2018〕 号），期限 天。现已逾期
    天，请在本催办单下发后 日内向市政府办公室政务监督室上报办理结果情况（请在反馈材料中注明催办单编号）。"."""
    expected = fill(body(annex(2)), TASK.title, "2026年11月24日", "〔2026〕12号", "7", "2", "3")
    assert expected in shown(render_reminder())


@needs_seed
def test_supervision_notice_body_is_annex_3() -> None:
    """附件3: " 已于2018年 月 日交由你单位办理，期限 天〔逾期 天后发出催办通知（邓州市人民政府工作催办单
    〔2018〕 号）〕，但至今你单位未按要求完成工作任务，责令你单位在收到本督办通知单后 日内向
    市政府办公室政务监督室上报办理结果情况（请在反馈材料中注明督办单编号）。"."""
    expected = fill(body(annex(3)), TASK.title, "2026年11月24日", "7", "2", "〔2026〕4号", "3")
    assert expected in shown(render_supervision())


@needs_seed
@pytest.mark.parametrize(
    ("n", "render", "number", "contact", "phone", "issued"),
    [
        (1, render_assignment, "〔2026〕12号", "张明", "0377-62283198", "2026年11月24日"),
        (2, render_reminder, "〔2026〕4号", "王政", "0377-62283100", "2026年12月3日"),
        (3, render_supervision, "〔2026〕2号", "王政", "0377-62283100", "2026年12月9日"),
    ],
)
def test_number_addressee_contacts_and_date_follow_the_annex(
    n: int, render: object, number: str, contact: str, phone: str, issued: str
) -> None:
    """Each 附件 has "〔2018〕 号", "XXX:", "联 系 人:", "联系电话:" and "2018年  月  日" lines."""
    lines = annex(n)
    seen = shown(render())  # type: ignore[operator]
    number_line = next(line for line in lines if line.startswith("〔2018〕"))
    addressee = next(line for line in lines if line.startswith("XXX"))
    contact_line = next(line for line in lines if line.startswith("联 系 人"))
    phone_line = next(line for line in lines if line.startswith("联系电话"))
    date_line = lines[-1]
    assert re.fullmatch(r"2018年[\s\xa0]*月[\s\xa0]*日", date_line)
    assert fill(number_line, number) in seen
    assert fill(addressee, UNIT) in seen
    assert contact_line + contact in seen
    assert phone_line + phone in seen
    assert seen[-1] == fill(date_line, issued)


@needs_seed
@pytest.mark.parametrize(
    ("render", "title"),
    [(render_assignment, "工作交办单"), (render_reminder, "工作催办单"), (render_supervision, "督办通知单")],
)
def test_title_is_the_notices_document_name(render: object, title: str) -> None:
    """"附件:1.邓州市人民政府工作交办单 2.邓州市人民政府工作催办单 3.邓州市人民政府督办通知单"."""
    text = SEED.read_text(encoding="utf-8")
    assert f"邓州市人民政府{title}" in text
    assert shown(render())[0] == f"《邓州市人民政府{title}》"  # type: ignore[operator]


def test_assignment_lists_requirements_and_attachment() -> None:
    """Section 一: a 交办单 has "工作事项、工作要求、责任单位、责任人、时限要求、交办单编号"; 附件1:
    "附件:XX工作任务分解台账"."""
    seen = shown(render_assignment())
    assert f"工作要求：{TASK.requirements}" in seen
    assert "责 任 人：李红" in seen
    assert "附件：工作任务分解台账.xlsx" in seen


def test_organisation_names_come_from_configuration() -> None:
    """SPEC §1: "The organisation's names are configuration … so any city or county can deploy it"."""
    org = Organisation(
        government="南阳市人民政府",
        office="南阳市政府办公室",
        supervision_office="南阳市政府办公室督查室",
        conduct_office="南阳市作风办",
    )
    for html in (render_assignment(org), render_reminder(org), render_supervision(org)):
        text = plain(html)
        assert "邓州" not in text
        assert "《南阳市人民政府" in text
    assert f"书面反馈南阳市政府办公室（{SECTION}）" in plain(render_assignment(org))
    assert "（南阳市人民政府工作交办单〔2026〕12号）" in plain(render_reminder(org))
    assert "向南阳市政府办公室督查室上报" in plain(render_reminder(org))
    assert "（南阳市人民政府工作催办单〔2026〕4号）" in plain(render_supervision(org))
    assert "向南阳市政府办公室督查室上报" in plain(render_supervision(org))


def test_user_text_is_escaped_in_html() -> None:
    """SPEC §9: "user text is escaped in HTML messages"."""
    task = replace(TASK, title="<script>alert(1)</script> & 清理", basis="A&B <i>纪要</i>")
    for html in (render_assignment(task=task), render_reminder(task=task), render_supervision(task=task)):
        assert "<script>" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; 清理" in html
        assert "<script>alert(1)</script> & 清理" in plain(html)
    html = render_assignment(task=task, unit="甲&乙<单位>")
    assert "<i>" not in html and "A&amp;B &lt;i&gt;纪要&lt;/i&gt;" in html
    assert "甲&amp;乙&lt;单位&gt;：" in html
    # the only markup is the template's own bold title
    assert set(re.findall(r"</?([a-z]+)", html)) == {"b"}


def test_dates_are_written_the_official_way() -> None:
    """2026年11月24日: no zero padding."""
    assert "2026年11月24日" in plain(render_reminder())
    early = replace(TASK, issued_on=date(2026, 3, 5))
    assert shown(render_assignment(task=early))[-1] == "2026年3月5日"


def test_where_periods_count_working_days_each_slip_says_so() -> None:
    """deadline_mode = "working": a unit reading 「7天内」 would count calendar days and finish
    earlier than the bot's deadline; each slip says 「7个工作日」 instead, and only then."""
    assert "在收件之日起7个工作日内办结" in plain(render_assignment(working_days=True))
    assert "期限7个工作日" in plain(render_reminder(working_days=True))
    assert "期限7个工作日" in plain(render_supervision(working_days=True))
    for calendar_days in (render_assignment(), render_reminder(), render_supervision()):
        assert "工作日" not in plain(calendar_days)
