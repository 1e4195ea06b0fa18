"""The intake on a real SQLite file: the sample 会议纪要 read against the sample organisation
(its 别名 column imported from .xlsx), all drafts issued in one transaction with consecutive
numbers, and a failure in the middle leaving nothing issued."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, datetime, time
from pathlib import Path

import pytest

from bot.config import Settings
from bot.domain.errors import DomainError
from bot.domain.org import Role
from bot.services import intake
from bot.services.context import Office
from bot.services.importing import import_workbook
from bot.storage import intake as store
from bot.storage import org
from bot.domain.minutes import read_minutes
from tests.intake_files import MINUTES_SCANNED, docx_bytes, pdf_bytes, scanned_pdf_bytes

EXAMPLES = Path(__file__).parents[2] / "examples"


@pytest.fixture
async def office(tmp_path: Path) -> AsyncIterator[Office]:
    office = await Office.open(Settings(db_path=tmp_path / "duban.db", archive_dir=tmp_path / "archive", bot_username="duban_bot"))
    office.clock = lambda: datetime.combine(date(2026, 11, 30), time(10), office.settings.timezone)
    await import_workbook(office, EXAMPLES / "org-sample.xlsx", office.now())
    yield office
    await office.db.close()


async def person(office: Office, name: str):
    for p in await org.people(office.db.reader):
        if p.name == name:
            return p
    raise AssertionError(name)


async def test_the_sample_minutes_against_the_sample_city(office: Office) -> None:
    unit = await org.unit_by_name(office.db.reader, "住建局")
    assert unit is not None
    assert (await store.aliases(office.db.reader))[unit.id] == ["住房城乡建设局", "市住房和城乡建设局"]

    data = (EXAMPLES / "minutes-sample.docx").read_bytes()
    text = intake.text_of_file(data, "minutes-sample.docx").text
    supervisor = await person(office, "周海涛")
    review = await intake.receive_minutes(office, supervisor, text, office.now(), intake.ReceivedFile("document", "file-1", "minutes-sample.docx", data))
    names = review.unit_names
    rows = [
        (d.position, d.proposal.title, [names[u] for u in d.proposal.unit_ids],
         names.get(d.proposal.lead_unit_id or 0), d.proposal.deadline, [p.kind.value for p in d.proposal.problems])
        for d in review.drafts
    ]
    assert rows == [
        (1, "积水点排查工作", ["住建局", "交通运输局", "湍河街道"], "住建局", date(2026, 12, 4), []),
        (2, "明确整改措施和完成时间工作", ["住建局", "交通运输局", "湍河街道"], "住建局", date(2026, 12, 31), []),
        (3, "农村公路养护工作", ["交通运输局"], None, date(2026, 12, 4), []),
        (4, "秸秆禁烧工作", ["穰东镇", "构林镇"], None, date(2026, 12, 21), []),
        (5, "耕地保护和土地整治", ["自然资源局", "农业农村局"], "自然资源局", date(2026, 12, 31), []),
        (6, "优化营商环境工作", [], None, date(2026, 12, 31), ["unit_unknown"]),
        (7, "冬季校园安全工作", ["教育局"], None, None, ["no_deadline"]),
    ]
    assert review.drafts[0].proposal.basis == "市政府第12次常务会议纪要（〔2026〕12号）第一项（一）"
    assert review.document.archive_path and (office.settings.archive_dir / review.document.archive_path).read_bytes() == data

    issued = await intake.issue_all(office, supervisor, review.document.id, office.now())
    numbers = [i.task.number.seq for _, items in issued.issued for i in items]
    assert numbers == list(range(1, 12)) and issued.waiting == 2
    left = await intake.review(office, supervisor, review.document.id)
    assert [d.position for d in left.drafts] == [6, 7]


async def test_one_refused_draft_issues_none(office: Office) -> None:
    """All in one transaction: a slip that cannot be issued (here a 工作要求 too long for a
    交办单) leaves every draft waiting and no number taken."""
    supervisor = await person(office, "周海涛")
    long_item = "住建局12月31日前完成。" + "详" * 2100
    review = await intake.receive_minutes(office, supervisor, f"纪要\n一、交通局12月31日前完成。\n二、{long_item}", office.now())
    with pytest.raises(DomainError) as caught:
        await intake.issue_all(office, supervisor, review.document.id, office.now())
    assert caught.value.code == "field_too_long"
    async with office.db.reader.execute("SELECT count(*) FROM tasks") as cur:
        assert (await cur.fetchone())[0] == 0
    assert len((await intake.review(office, supervisor, review.document.id)).drafts) == 2


async def test_aliases_belong_to_one_unit(office: Office) -> None:
    admin = await person(office, "赵明")
    assert admin.has(Role.ADMIN)
    with pytest.raises(DomainError) as caught:
        await intake.set_unit_aliases(office, admin, "教育局", "交通局", office.now())
    assert caught.value.code == "alias_taken" and caught.value.details["unit"] == "交通运输局"
    changed = await intake.set_unit_aliases(office, admin, "教育局", "教体局、市教育体育局", office.now())
    assert changed.aliases == ("教体局", "市教育体育局")
    cleared = await intake.set_unit_aliases(office, admin, "教育局", "-", office.now())
    assert cleared.aliases == ()


def test_a_scanned_pdf_is_read_by_ocr() -> None:
    """No text layer: each page drawn and read by RapidOCR, whose models ship in the package."""
    read = intake.text_of_file(scanned_pdf_bytes(MINUTES_SCANNED), "扫描件.pdf")
    assert read.scanned
    minutes = read_minutes(read.text)
    assert minutes.name == "市政府第17次常务会议纪要" and minutes.held_on == date(2026, 11, 27)
    assert [i.number for i in minutes.items] == ["1", "2"]
    assert "住建局于2027年1月15日前完成老旧小区改造摸底" in minutes.items[0].text
    assert "交通运输局10个工作日内报送公交线网优化方案" in minutes.items[1].text


def test_a_text_pdf_and_a_docx_are_not_marked_scanned() -> None:
    assert not intake.text_of_file(docx_bytes(MINUTES_SCANNED), "m.docx").scanned
    assert not intake.text_of_file(pdf_bytes(MINUTES_SCANNED), "m.pdf").scanned
