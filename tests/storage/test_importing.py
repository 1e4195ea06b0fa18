"""Importing 科室, 责任单位 and people from .xlsx, on a real SQLite file: all or nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from openpyxl import Workbook

from bot import cli
from bot.config import Settings
from bot.domain.errors import DomainError
from bot.edge import TELEGRAM, Account
from bot.domain.org import Role, UnitKind
from bot.services import onboarding
from bot.services.context import Office
from bot.services.importing import import_workbook
from bot.storage import org
from bot.texts import explain
from tests.file_bombs import many_parts, xlsx_bomb

SAMPLE = Path(__file__).parents[2] / "examples" / "org-sample.xlsx"
NOW = datetime(2026, 3, 2, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
TABLES = ("sections", "units", "people", "person_roles", "invites", "history")


@pytest.fixture
async def office(tmp_path: Path) -> AsyncIterator[Office]:
    """A blank office on a SQLite file."""
    office = await Office.open(Settings(db_path=tmp_path / "duban.db", bot_username="dengzhou_duban_bot"))
    try:
        yield office
    finally:
        await office.db.close()


def write_book(path: Path, sheets: dict[str, list[list[Any]]]) -> Path:
    """An .xlsx with the given sheets, rows as lists (the first row is the header)."""
    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


async def counts(office: Office) -> dict[str, int]:
    """Rows per table that an import writes to."""
    found = {}
    for table in TABLES:
        async with office.db.reader.execute(f"SELECT count(*) FROM {table}") as cur:
            row = await cur.fetchone()
        found[table] = row[0]
    return found


async def invite_codes(office: Office) -> dict[str, str]:
    """Each person's invite code, by name."""
    async with office.db.reader.execute(
        "SELECT p.name, i.code FROM invites i JOIN people p ON p.id = i.person_id"
    ) as cur:
        return {r[0]: r[1] async for r in cur}


async def test_sample_workbook_imports_the_whole_office(office: Office) -> None:
    report = await import_workbook(office, SAMPLE, NOW)

    conn = office.db.reader
    sections = {s.name: s for s in await org.sections(conn)}
    units = {u.name: u for u in await org.units(conn)}
    people = {p.name: p for p in await org.people(conn)}
    assert set(sections) == {"政务监督室", "综合一科", "综合二科", "秘书科"}
    assert len(units) == 8 and len(people) == 20
    assert [s.name for s in sections.values() if s.is_supervision_office] == ["政务监督室"]
    assert units["穰东镇"].kind is UnitKind.TOWN
    assert units["湍河街道"].kind is UnitKind.STREET
    assert units["住建局"].kind is UnitKind.DEPARTMENT

    # The 分管市领导 are people of the 「人员」 sheet, linked although their sheet comes last.
    by_id = {p.id: p.name for p in people.values()}
    assert {by_id[u.leader_id] for u in units.values() if u.leader_id} == {"王振华", "李春梅"}
    assert by_id[units["教育局"].leader_id] == "李春梅"
    assert by_id[units["住建局"].leader_id] == "王振华"
    assert by_id[sections["综合一科"].leader_id] == "王振华"
    assert sections["秘书科"].leader_id is None
    assert {p.name for p in await org.with_role(conn, Role.LEADER)} == {"王振华", "李春梅"}
    assert [p.name for p in await org.with_role(conn, Role.PRINCIPAL)] == ["张立新"]
    assert [p.name for p in await org.with_role(conn, Role.ADMIN)] == ["赵明"]

    assert people["陈静"].roles == {Role.SUPERVISOR, Role.CLERK}
    assert people["陈静"].section_id == sections["政务监督室"].id
    assert people["孙丽"].section_id == sections["综合一科"].id
    assert people["郭建军"].unit_id == units["住建局"].id
    assert people["张立新"].phone == "13903770001"
    for unit in units.values():
        assert 1 <= len(await org.unit_members(conn, unit.id)) <= 2

    codes = await invite_codes(office)
    assert set(codes) == set(people)
    assert "科室 4 个，责任单位 8 个，人员 20 人" in report
    for name, code in codes.items():
        assert name in report
        assert f"https://t.me/dengzhou_duban_bot?start={code}" in report
    assert "2026-03-05 09:30" in report  # 72 hours

    async with conn.execute("SELECT count(*) FROM history WHERE kind = 'imported'") as cur:
        assert (await cur.fetchone())[0] == 4 + 8 + 20


async def test_an_invite_from_the_import_binds_the_account(office: Office) -> None:
    await import_workbook(office, SAMPLE, NOW)
    code = (await invite_codes(office))["马卫东"]

    person = await onboarding.redeem_invite(office, code, Account(TELEGRAM, "777001"), NOW)

    assert person.name == "马卫东" and person.account == Account(TELEGRAM, "777001")


async def test_columns_in_any_order_empty_rows_and_loose_cells(office: Office, tmp_path: Path) -> None:
    path = write_book(tmp_path / "org.xlsx", {
        "科室": [["分管市领导", "名称"], [None, "督查科"], [], ["钱副市长", "综合一科"]],
        "单位": [["类型", "名称", "分管市领导"], ["town", "穰东镇", "钱副市长"], [None, None, None],
                 ["街区办事处", "古城街道", ""], ["department", "交通运输局", None]],
        "人员": [["电话", "科室", "单位", "角色", "姓名"],
                 [13800000001, "综合一科", None, "clerk, admin", "孙丽"],
                 ["  ", None, None, None, None],
                 [None, None, "穰东镇", "责任单位责任人，分管市领导", "钱副市长"],
                 [None, None, "古城街道", "responsible", "  黄丽娟 "]],
    })

    report = await import_workbook(office, path, NOW)

    conn = office.db.reader
    assert "科室 2 个，责任单位 3 个，人员 3 人" in report
    people = {p.name: p for p in await org.people(conn)}
    assert people["孙丽"].roles == {Role.CLERK, Role.ADMIN} and people["孙丽"].phone == "13800000001"
    assert people["钱副市长"].roles == {Role.RESPONSIBLE, Role.LEADER}
    assert "黄丽娟" in people
    assert (await org.unit_by_name(conn, "古城街道")).kind is UnitKind.STREET
    assert (await org.unit_by_name(conn, "穰东镇")).leader_id == people["钱副市长"].id
    assert (await org.section_by_name(conn, "综合一科")).leader_id == people["钱副市长"].id
    assert not any(s.is_supervision_office for s in await org.sections(conn))


async def test_people_may_join_units_and_sections_already_in_the_database(office: Office, tmp_path: Path) -> None:
    await onboarding.add_person(office, "王振华", frozenset({Role.LEADER}), NOW)
    await onboarding.add_unit(office, "住建局", UnitKind.DEPARTMENT, "王振华", NOW)
    await onboarding.add_section(office, "综合一科", False, None, NOW)
    path = write_book(tmp_path / "more.xlsx", {
        "科室": [["名称"]],
        "单位": [["名称", "类型", "分管市领导"], ["教育局", "部门", "王振华"]],
        "人员": [["姓名", "角色", "单位", "科室"], ["林晓燕", "责任单位责任人", "住建局", None],
                 ["吴强", "科室工作人员", None, "综合一科"]],
    })

    await import_workbook(office, path, NOW)

    conn = office.db.reader
    leader = (await org.with_role(conn, Role.LEADER))[0]
    assert (await org.unit_by_name(conn, "教育局")).leader_id == leader.id
    zhujian = await org.unit_by_name(conn, "住建局")
    assert [p.name for p in await org.unit_members(conn, zhujian.id)] == ["林晓燕"]
    assert set(await invite_codes(office)) == {"林晓燕", "吴强"}


async def test_a_person_s_unit_may_be_written_by_an_alias(office: Office, tmp_path: Path) -> None:
    """住建局 is 市住房和城乡建设局's alias in the database, 交通局 交通运输局's in the workbook: people
    written with either join the unit it names."""
    from bot.storage import intake

    await onboarding.add_unit(office, "市住房和城乡建设局", UnitKind.DEPARTMENT, None, NOW)
    async with office.db.transaction() as conn:
        unit = await org.unit_by_name(conn, "市住房和城乡建设局")
        await intake.set_aliases(conn, unit.id, ["住建局"])
    path = write_book(tmp_path / "aliases.xlsx", {
        "科室": [["名称"]],
        "单位": [["名称", "类型", "别名"], ["交通运输局", "部门", "交通局"]],
        "人员": [["姓名", "角色", "单位"], ["林晓燕", "责任单位责任人", "住建局"], ["张强", "责任单位责任人", "交通局"]],
    })

    await import_workbook(office, path, NOW)

    conn = office.db.reader
    for unit_name, person in (("市住房和城乡建设局", "林晓燕"), ("交通运输局", "张强")):
        unit = await org.unit_by_name(conn, unit_name)
        assert [p.name for p in await org.unit_members(conn, unit.id)] == [person]


async def test_a_workbook_with_bad_rows_is_refused_whole_listing_every_error(office: Office, tmp_path: Path) -> None:
    await onboarding.add_unit(office, "教育局", UnitKind.DEPARTMENT, None, NOW)
    await onboarding.add_person(office, "高红梅", frozenset({Role.RESPONSIBLE}), NOW, "教育局")
    path = write_book(tmp_path / "bad.xlsx", {
        "科室": [["名称", "政务监督室", "分管市领导"],
                 ["政务监督室", "是", None],
                 ["综合一科", "否", "孙丽"],          # 孙丽 is a clerk, not a leader
                 ["综合二科", "也许", None],          # neither 是 nor 否
                 ["督查室", "是", None],              # a second 政务监督室
                 ["综合一科", "否", None]],           # repeated
        "单位": [["名称", "类型", "分管市领导"],
                 ["穰东镇", "乡镇", "周市长"],        # unknown leader
                 ["教育局", "部门", None],            # already in the database
                 ["构林镇", "村", None],              # unknown kind
                 [None, "部门", None],                # no name
                 ["住建局", None, None]],             # no kind
        "人员": [["姓名", "角色", "单位", "科室", "电话"],
                 ["孙丽", "科室工作人员", None, "综合一科", 13800000001],
                 ["马卫东", "责任单位责任人", None, None, None],      # responsible without unit
                 ["吴强", "科室工作人员", None, None, None],          # clerk without section
                 ["郭建军", "局长", "住建局", None, None],            # unknown role
                 ["罗伟", "责任单位责任人", "交通局", None, None],    # unknown unit
                 ["郑雪", "科室工作人员", None, "信息科", None],      # unknown section
                 [None, "分管市领导", None, None, None],              # no name
                 ["孙丽", "系统管理员", None, None, None],            # repeated
                 ["高红梅", "责任单位责任人", "教育局", None, None],  # already in the database
                 ["杨志刚", None, "构林镇", None, None]],             # no role
    })
    before = await counts(office)

    with pytest.raises(DomainError) as caught:
        await import_workbook(office, path, NOW)

    error = caught.value
    assert error.code == "import_invalid"
    found = [(e.sheet, e.row, e.code) for e in error.details["errors"]]
    assert found == [
        ("科室", 3, "leader_without_role"),
        ("科室", 4, "flag_invalid"),
        ("科室", 5, "supervision_office_twice"),
        ("科室", 6, "name_repeated"),
        ("单位", 2, "leader_unknown"),
        ("单位", 3, "unit_exists"),
        ("单位", 4, "kind_invalid"),
        ("单位", 5, "name_missing"),
        ("单位", 6, "kind_missing"),
        ("人员", 3, "responsible_needs_unit"),
        ("人员", 4, "clerk_needs_section"),
        ("人员", 5, "role_unknown"),
        ("人员", 6, "unit_unknown"),
        ("人员", 7, "section_unknown"),
        ("人员", 8, "name_missing"),
        ("人员", 9, "name_repeated"),
        ("人员", 10, "person_exists"),
        ("人员", 11, "roles_missing"),
    ]
    text = explain(error)
    assert "18 处错误，未导入任何内容" in text
    for line in (
        "「科室」第3行：「孙丽」没有分管市领导角色",
        "「科室」第4行：政务监督室一栏只能填“是”或“否”（您填的是“也许”）",
        "「科室」第5行：政务监督室只能有一个，已有「政务监督室」",
        "「科室」第6行：「综合一科」与第3行重名",
        "「单位」第2行：没有名为「周市长」的分管市领导",
        "「单位」第3行：系统中已有名为「教育局」的责任单位",
        "「单位」第4行：类型“村”无法识别，请填写：乡镇、街区办事处、部门",
        "「单位」第5行：缺少名称",
        "「人员」第3行：「马卫东」是责任单位责任人，须填写所属单位",
        "「人员」第4行：「吴强」是科室工作人员，须填写所属科室",
        "「人员」第5行：角色“局长”无法识别",
        "「人员」第6行：没有名为「交通局」的责任单位",
        "「人员」第7行：没有名为「信息科」的科室",
        "「人员」第8行：缺少姓名",
        "「人员」第9行：「孙丽」与第2行重名",
        "「人员」第10行：系统中已有名为「高红梅」的人员",
        "「人员」第11行：缺少角色",
    ):
        assert line in text
    assert await counts(office) == before


async def test_one_bad_row_keeps_the_good_rows_out_too(office: Office, tmp_path: Path) -> None:
    path = write_book(tmp_path / "almost.xlsx", {
        "科室": [["名称"], ["综合一科"]],
        "单位": [["名称", "类型"], ["住建局", "部门"]],
        "人员": [["姓名", "角色", "单位"], ["郭建军", "责任单位责任人", "住建局"], ["罗伟", "责任单位责任人", "交通局"]],
    })
    before = await counts(office)

    with pytest.raises(DomainError, match="import_invalid"):
        await import_workbook(office, path, NOW)

    assert await counts(office) == before
    assert await org.unit_by_name(office.db.reader, "住建局") is None


@pytest.mark.parametrize("name, content", [
    ("org.xlsx", b"name,role\nsunli,clerk\n"),
    ("org.csv", b"name,role\nsunli,clerk\n"),
    ("org.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(64)),
])
async def test_a_file_that_is_not_a_workbook_is_refused_clearly(
    office: Office, tmp_path: Path, name: str, content: bytes
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    before = await counts(office)

    with pytest.raises(DomainError) as caught:
        await import_workbook(office, path, NOW)

    assert caught.value.code == "import_not_xlsx"
    assert explain(caught.value).startswith(f"「{name}」不是 Excel 工作簿（.xlsx），无法导入")
    assert await counts(office) == before


async def test_a_workbook_that_unzips_to_too_much_is_refused_before_it_is_parsed(office: Office, tmp_path: Path) -> None:
    bomb = tmp_path / "org.xlsx"
    bomb.write_bytes(xlsx_bomb(200 * 2**20))
    crowded = tmp_path / "crowded.xlsx"
    crowded.write_bytes(many_parts(2500))
    before = await counts(office)

    with pytest.raises(DomainError) as caught:
        await import_workbook(office, bomb, NOW)
    assert explain(caught.value).startswith("文件无法读取：解压后有 200 MB，超过 64 MB 的上限")
    with pytest.raises(DomainError) as caught:
        await import_workbook(office, crowded, NOW)
    assert explain(caught.value).startswith("文件无法读取：文件由 2503 个部件组成，超过 2000 个的上限")
    assert await counts(office) == before


async def test_missing_sheets_and_columns_are_named(office: Office, tmp_path: Path) -> None:
    no_units = write_book(tmp_path / "two.xlsx", {"科室": [["名称"]], "Sheet1": [["名称"]], "人员": [["姓名", "角色"]]})
    with pytest.raises(DomainError) as caught:
        await import_workbook(office, no_units, NOW)
    assert caught.value.code == "import_sheet_missing"
    assert "缺少工作表：「单位」" in explain(caught.value)

    no_columns = write_book(tmp_path / "cols.xlsx", {
        "科室": [["名称"]], "单位": [["名称"], ["住建局"]], "人员": [["名字", "角色"], ["孙丽", "clerk"]],
    })
    with pytest.raises(DomainError) as caught:
        await import_workbook(office, no_columns, NOW)
    assert caught.value.code == "import_columns_missing"
    text = explain(caught.value)
    assert "工作表「单位」缺少：类型" in text and "工作表「人员」缺少：姓名" in text


async def test_a_workbook_with_only_headers_is_refused(office: Office, tmp_path: Path) -> None:
    path = write_book(tmp_path / "empty.xlsx", {"科室": [["名称"]], "单位": [["名称", "类型"]], "人员": [["姓名", "角色"]]})
    with pytest.raises(DomainError) as caught:
        await import_workbook(office, path, NOW)
    assert caught.value.code == "import_empty"
    assert "没有可导入的内容" in explain(caught.value)


def test_cli_import_prints_the_invite_links(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "duban.db"

    assert cli.main(["--db", str(db), "import", str(SAMPLE)]) == 0

    out = capsys.readouterr().out
    assert "科室 4 个，责任单位 8 个，人员 20 人" in out
    assert out.count("https://t.me/") == 20
    assert "马卫东（责任单位责任人，穰东镇）" in out


def test_cli_import_of_a_bad_file_fails_with_the_reason(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "duban.db"
    bad = write_book(tmp_path / "bad.xlsx", {
        "科室": [["名称"]], "单位": [["名称", "类型"]], "人员": [["姓名", "角色", "单位"], ["罗伟", "责任单位责任人", "交通局"]],
    })
    text = tmp_path / "notes.xlsx"
    text.write_text("这不是工作簿", encoding="utf-8")

    assert cli.main(["--db", str(db), "import", str(bad)]) == 2
    captured = capsys.readouterr()
    assert "「人员」第2行：没有名为「交通局」的责任单位" in captured.err
    assert "https://t.me/" not in captured.out

    assert cli.main(["--db", str(db), "import", str(text)]) == 2
    assert "「notes.xlsx」不是 Excel 工作簿" in capsys.readouterr().err
