"""Bulk import of 科室, 责任单位 and people from an .xlsx workbook, with an invite for each person.

The workbook has three sheets, each with a header row first; columns are found by their header,
in any order (see ``examples/org-sample.xlsx``):

* 「科室」: 名称, 政务监督室 (是/否, optional), 分管市领导 (optional);
* 「单位」: 名称, 类型 (乡镇/街区/部门, or town/street/department), 分管市领导 (optional), 别名
  (optional: the forms minutes use, 住建局、市住房和城乡建设局, separated by 、 or ，);
* 「人员」: 姓名, 角色 (one or several, separated by 、 or , or ，), 单位, 科室, 电话.

Import is all or nothing. Every row is checked first, against the rest of the workbook and the
database; when any row is wrong, every problem is reported (sheet, row, what is wrong) and nothing
is written. Re-import is not an update: a name that already exists is refused.

Reading the workbook and checking it is pure (``read_workbook``, ``plan_import``); only
``import_workbook`` touches the database, in one transaction.
"""

from __future__ import annotations

import asyncio
import re
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import ParseError

import aiosqlite
from markupsafe import Markup
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from bot.domain.errors import DomainError
from bot.domain.org import Person, Role, Section, Unit, UnitKind
from bot.readers import file_limits
from bot.services.context import Office
from bot.storage import history, intake, invites, org
from bot.texts import label, plain, render

SECTIONS_SHEET = "科室"
UNITS_SHEET = "单位"
PEOPLE_SHEET = "人员"
SHEETS = (SECTIONS_SHEET, UNITS_SHEET, PEOPLE_SHEET)
"""The sheets, in the order their errors are reported."""

NAME = "名称"
PERSON_NAME = "姓名"
SUPERVISION_OFFICE = "政务监督室"
LEADER = "分管市领导"
KIND = "类型"
ROLES = "角色"
UNIT = "单位"
SECTION = "科室"
PHONE = "电话"
ALIASES = "别名"

REQUIRED_COLUMNS: Mapping[str, tuple[str, ...]] = {
    SECTIONS_SHEET: (NAME,),
    UNITS_SHEET: (NAME, KIND),
    PEOPLE_SHEET: (PERSON_NAME, ROLES),
}
"""Columns a sheet must have; the others may be left out (their cells then count as empty)."""

ROLE_SEPARATORS = re.compile(r"[、,，]")

# The kind labels of labels.toml say 街区办事处; offices write the shorter 街区 (or 街道) just as often.
_KIND_ALIASES: Mapping[str, UnitKind] = {"街区": UnitKind.STREET, "街道": UnitKind.STREET}
_TRUE_WORDS = frozenset({"true", "1", "y", "yes"})
_FALSE_WORDS = frozenset({"false", "0", "n", "no"})

_NOT_A_WORKBOOK = (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, ParseError)
"""What openpyxl raises for a file that is not an .xlsx workbook (an .xls, a renamed .docx, text)."""


@dataclass(frozen=True)
class RowError:
    """One thing wrong with one row of the workbook.

    ``code`` names the template ``messages/importing/row_<code>.j2``; ``details`` fills it.
    """

    sheet: str
    row: int
    code: str
    details: Mapping[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> Markup:
        """What is wrong, in Chinese (already escaped HTML, safe to embed in another template)."""
        return Markup(render(f"importing/row_{self.code}", **self.details))


@dataclass(frozen=True)
class SheetRow:
    """A non-empty row of a sheet: its 1-based row number and its cells as text, by header."""

    row: int
    cells: Mapping[str, str]

    def get(self, column: str) -> str:
        """The cell under ``column``, stripped; empty when the column or the cell is absent."""
        return self.cells.get(column, "")


@dataclass(frozen=True)
class OrgWorkbook:
    """The three sheets as read from the file, not yet checked."""

    sections: list[SheetRow]
    units: list[SheetRow]
    people: list[SheetRow]


@dataclass(frozen=True)
class SectionRow:
    """A 科室 to create."""

    row: int
    name: str
    is_supervision_office: bool
    leader: str
    """Name of its 分管市领导, or empty."""


@dataclass(frozen=True)
class UnitRow:
    """A 责任单位 to create."""

    row: int
    name: str
    kind: UnitKind
    leader: str
    """Name of its 分管市领导, or empty."""
    aliases: tuple[str, ...] = ()
    """Other names the unit goes by in 会议纪要 and 批示 (别名)."""


@dataclass(frozen=True)
class PersonRow:
    """A person to create, with the names of their unit and section (empty when none)."""

    row: int
    name: str
    roles: frozenset[Role]
    unit: str
    section: str
    phone: str


@dataclass(frozen=True)
class ImportPlan:
    """A checked workbook: everything in it may be created as it stands."""

    sections: list[SectionRow]
    units: list[UnitRow]
    people: list[PersonRow]


@dataclass(frozen=True)
class ExistingOrg:
    """What the database already holds, by name, to check the workbook against."""

    sections: Mapping[str, Section]
    units: Mapping[str, Unit]
    people: Mapping[str, Person]
    aliases: Mapping[str, str] = field(default_factory=dict)
    """Each unit's other names (住建局), to the unit's own name (市住房和城乡建设局)."""

    @classmethod
    async def load(cls, conn: aiosqlite.Connection) -> ExistingOrg:
        """Read every section, unit and person (the first of each name wins)."""
        people: dict[str, Person] = {}
        for person in await org.people(conn):
            people.setdefault(person.name, person)
        units = {u.id: u for u in await org.units(conn)}
        return cls(
            sections={s.name: s for s in await org.sections(conn)},
            units={u.name: u for u in units.values()},
            people=people,
            aliases={a: units[i].name for i, names in (await intake.aliases(conn)).items() for a in names if i in units},
        )


@dataclass(frozen=True)
class ImportedPerson:
    """A line of the report: who was added, and the invite link to send them."""

    name: str
    roles: list[str]
    """Role labels, as the bot shows them."""
    unit: str
    section: str
    link: str


async def import_workbook(office: Office, path: Path, now: datetime) -> str:
    """Import the workbook at ``path`` and return the report for the administrator.

    Either the whole workbook is imported, in one transaction, or nothing is.

    Args:
        office: The database and settings (invite lifetime, bot username for the links).
        path: An .xlsx file with the sheets 「科室」「单位」「人员」.
        now: The time of the import: people's creation, history entries, invite expiry.

    Returns:
        The report as plain text: how many sections, units and people were imported, and each
        person's one-time invite link (``https://t.me/<bot>?start=<code>``).

    Raises:
        DomainError: ``import_not_xlsx`` when the file is not a workbook;
            ``import_sheet_missing`` or ``import_columns_missing`` when its layout is wrong;
            ``import_empty`` when it has no rows; ``import_invalid`` with ``errors`` (a list of
            ``RowError``) when any row is wrong.
    """
    book = await asyncio.to_thread(read_workbook, path)
    ttl = timedelta(hours=office.settings.invite_ttl_hours)
    imported: list[ImportedPerson] = []
    async with office.db.transaction() as conn:
        existing = await ExistingOrg.load(conn)
        plan = plan_import(book, existing)
        source = path.name
        section_ids = {name: s.id for name, s in existing.sections.items()}
        unit_ids = {name: u.id for name, u in existing.units.items()}
        for s in plan.sections:
            section = await org.add_section(conn, s.name, s.is_supervision_office)
            section_ids[s.name] = section.id
            await history.append(conn, "imported", now, source=source, section=s.name)
        for u in plan.units:
            unit = await org.add_unit(conn, u.name, u.kind)
            unit_ids[u.name] = unit.id
            if u.aliases:
                await intake.set_aliases(conn, unit.id, u.aliases)
            await history.append(conn, "imported", now, source=source, unit=u.name, unit_kind=u.kind.value)
        # Leaders are linked only once every person exists, so a 分管市领导 listed anywhere in
        # 「人员」 can lead a section or unit created above.
        leader_ids = {name: p.id for name, p in existing.people.items() if p.has(Role.LEADER)}
        for p in plan.people:
            person = await org.add_person(
                conn, p.name, p.roles, now,
                unit_ids[p.unit] if p.unit else None,
                section_ids[p.section] if p.section else None,
                p.phone,
            )
            if Role.LEADER in p.roles:
                leader_ids[p.name] = person.id
            await history.append(
                conn, "imported", now, source=source, person=p.name, roles=sorted(r.value for r in p.roles)
            )
            invite = await invites.create(conn, person.id, now, ttl)
            await history.append(
                conn, "invite_created", now, person_id=person.id, expires_at=invite.expires_at.isoformat()
            )
            imported.append(ImportedPerson(
                name=p.name,
                roles=[label("roles", r.value) for r in Role if r in p.roles],
                unit=p.unit,
                section=p.section,
                link=f"https://t.me/{office.settings.bot_username}?start={invite.code}",
            ))
        for s in plan.sections:
            if s.leader:
                await org.set_section_leader(conn, section_ids[s.name], leader_ids[s.leader])
        for u in plan.units:
            if u.leader:
                await org.set_unit_leader(conn, unit_ids[u.name], leader_ids[u.leader])
    return plain(render(
        "importing/report",
        sections=len(plan.sections),
        units=len(plan.units),
        people=imported,
        expires_at=f"{now + ttl:%Y-%m-%d %H:%M}",
    ))


def read_workbook(path: Path) -> OrgWorkbook:
    """Read the three sheets' non-empty rows as text, keyed by header.

    Raises:
        DomainError: ``import_not_xlsx``, ``import_sheet_missing`` or ``import_columns_missing``;
            ``file_too_many_parts`` or ``file_unzipped_too_large`` before it is parsed.
    """
    try:
        file_limits.check_zip(path)
    except DomainError as exc:
        if exc.code == "file_unreadable":
            raise DomainError("import_not_xlsx", file=path.name) from exc
        raise
    try:
        workbook = load_workbook(path, data_only=True)
    except _NOT_A_WORKBOOK as exc:
        raise DomainError("import_not_xlsx", file=path.name) from exc
    try:
        missing = [name for name in SHEETS if name not in workbook.sheetnames]
        if missing:
            raise DomainError("import_sheet_missing", file=path.name, sheets=missing)
        sheets: dict[str, list[SheetRow]] = {}
        missing_columns: list[dict[str, Any]] = []
        for name in SHEETS:
            rows = workbook[name].iter_rows(values_only=True)
            header = [cell_text(v) for v in next(rows, ())]
            absent = [c for c in REQUIRED_COLUMNS[name] if c not in header]
            if absent:
                missing_columns.append({"sheet": name, "columns": absent})
                continue
            sheets[name] = _sheet_rows(header, rows)
        if missing_columns:
            raise DomainError("import_columns_missing", file=path.name, sheets=missing_columns)
    finally:
        workbook.close()
    return OrgWorkbook(sections=sheets[SECTIONS_SHEET], units=sheets[UNITS_SHEET], people=sheets[PEOPLE_SHEET])


def _sheet_rows(header: list[str], rows: Iterator[tuple[object, ...]]) -> list[SheetRow]:
    """The rows below the header that have any text, each cell keyed by its column's header."""
    found: list[SheetRow] = []
    for number, values in enumerate(rows, start=2):
        cells: dict[str, str] = {}
        for column, value in zip(header, values):
            # The first column of a repeated header wins; unnamed columns are notes, ignored.
            if column and column not in cells:
                cells[column] = cell_text(value)
        if any(cells.values()):
            found.append(SheetRow(number, cells))
    return found


def cell_text(value: object) -> str:
    """A cell as text: empty for None, ``13800000000`` for a phone typed as a number."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def plan_import(book: OrgWorkbook, existing: ExistingOrg) -> ImportPlan:
    """Check every row against the workbook and the database; the rows to create, in order.

    Raises:
        DomainError: ``import_empty`` when there is nothing to import; ``import_invalid`` with
            every ``RowError`` found, sorted by sheet and row.
    """
    if not (book.sections or book.units or book.people):
        raise DomainError("import_empty")
    # Names are looked up among all the workbook's rows, even wrong ones, so one mistake is
    # reported once and not again on every row that names it.
    leaders = {name: p.has(Role.LEADER) for name, p in existing.people.items()}
    for row in book.people:
        if row.get(PERSON_NAME):
            leaders.setdefault(row.get(PERSON_NAME), Role.LEADER in parse_roles(row.get(ROLES))[0])
    section_names = set(existing.sections) | {r.get(NAME) for r in book.sections}
    # a person's 单位 may be written as the unit goes by (an alias, 住建局): it is the unit named
    unit_names = {name: name for name in existing.units} | dict(existing.aliases) | {r.get(NAME): r.get(NAME) for r in book.units}
    for r in book.units:
        unit_names |= {a: r.get(NAME) for a in re.split(r"[,，、;；\s]+", r.get(ALIASES)) if a and a not in unit_names}
    errors: list[RowError] = []
    sections = _check_sections(book.sections, errors, existing, leaders)
    units = _check_units(book.units, errors, existing, leaders)
    people = _check_people(book.people, errors, existing, unit_names, section_names)
    if errors:
        errors.sort(key=lambda e: (SHEETS.index(e.sheet), e.row))
        raise DomainError("import_invalid", errors=errors)
    return ImportPlan(sections, units, people)


def _check_leader(sheet: str, row: int, name: str, leaders: Mapping[str, bool], errors: list[RowError]) -> None:
    """A 分管市领导 cell must name a person (in the workbook or the database) with the leader role."""
    if not name:
        return
    if name not in leaders:
        errors.append(RowError(sheet, row, "leader_unknown", {"name": name}))
    elif not leaders[name]:
        errors.append(RowError(sheet, row, "leader_without_role", {"name": name}))


def _check_name(
    sheet: str, row: SheetRow, column: str, seen: dict[str, int], taken: Mapping[str, object], errors: list[RowError]
) -> str:
    """The row's name, or empty after recording why it cannot be used."""
    name = row.get(column)
    if not name:
        errors.append(RowError(sheet, row.row, "name_missing", {"column": column}))
        return ""
    if name in seen:
        errors.append(RowError(sheet, row.row, "name_repeated", {"name": name, "first_row": seen[name]}))
        return ""
    seen[name] = row.row
    if name in taken:
        errors.append(RowError(sheet, row.row, _EXISTS_CODE[sheet], {"name": name}))
        return ""
    return name


_EXISTS_CODE = {SECTIONS_SHEET: "section_exists", UNITS_SHEET: "unit_exists", PEOPLE_SHEET: "person_exists"}


def _check_sections(
    rows: list[SheetRow], errors: list[RowError], existing: ExistingOrg, leaders: Mapping[str, bool]
) -> list[SectionRow]:
    """The 「科室」 rows that are right; at most one may be the 政务监督室."""
    checked: list[SectionRow] = []
    seen: dict[str, int] = {}
    office = next((s.name for s in existing.sections.values() if s.is_supervision_office), None)
    for row in rows:
        count = len(errors)
        name = _check_name(SECTIONS_SHEET, row, NAME, seen, existing.sections, errors)
        flag = _yes_no(row.get(SUPERVISION_OFFICE))
        if flag is None:
            errors.append(RowError(SECTIONS_SHEET, row.row, "flag_invalid", {
                "column": SUPERVISION_OFFICE, "value": row.get(SUPERVISION_OFFICE),
                "yes": label("buttons", "yes"), "no": label("buttons", "no"),
            }))
        elif flag and name:
            if office is not None:
                errors.append(RowError(SECTIONS_SHEET, row.row, "supervision_office_twice", {"other": office}))
            else:
                office = name
        _check_leader(SECTIONS_SHEET, row.row, row.get(LEADER), leaders, errors)
        if len(errors) == count:
            checked.append(SectionRow(row.row, name, bool(flag), row.get(LEADER)))
    return checked


def _check_units(
    rows: list[SheetRow], errors: list[RowError], existing: ExistingOrg, leaders: Mapping[str, bool]
) -> list[UnitRow]:
    """The 「单位」 rows that are right."""
    checked: list[UnitRow] = []
    seen: dict[str, int] = {}
    for row in rows:
        count = len(errors)
        name = _check_name(UNITS_SHEET, row, NAME, seen, existing.units, errors)
        kind = _unit_kind(row.get(KIND))
        if kind is None:
            code = "kind_invalid" if row.get(KIND) else "kind_missing"
            errors.append(RowError(UNITS_SHEET, row.row, code, {
                "value": row.get(KIND), "allowed": [label("unit_kind", k.value) for k in UnitKind],
            }))
        _check_leader(UNITS_SHEET, row.row, row.get(LEADER), leaders, errors)
        if len(errors) == count and kind is not None:
            aliases = tuple(a for a in re.split(r"[,，、;；\s]+", row.get(ALIASES)) if a and a != name)
            checked.append(UnitRow(row.row, name, kind, row.get(LEADER), aliases))
    return checked


def _check_people(
    rows: list[SheetRow],
    errors: list[RowError],
    existing: ExistingOrg,
    unit_names: Mapping[str, str],
    section_names: set[str],
) -> list[PersonRow]:
    """The 「人员」 rows that are right: 责任人 with a unit, 科室工作人员 with a section, both known."""
    checked: list[PersonRow] = []
    seen: dict[str, int] = {}
    for row in rows:
        count = len(errors)
        name = _check_name(PEOPLE_SHEET, row, PERSON_NAME, seen, existing.people, errors)
        roles, unknown = parse_roles(row.get(ROLES))
        if unknown:
            errors.append(RowError(PEOPLE_SHEET, row.row, "role_unknown", {
                "values": unknown, "allowed": [label("roles", r.value) for r in Role],
            }))
        elif not roles:
            errors.append(RowError(PEOPLE_SHEET, row.row, "roles_missing", {
                "allowed": [label("roles", r.value) for r in Role],
            }))
        unit, section, who = row.get(UNIT), row.get(SECTION), row.get(PERSON_NAME)
        if Role.RESPONSIBLE in roles and not unit:
            errors.append(RowError(PEOPLE_SHEET, row.row, "responsible_needs_unit", {"name": who}))
        if Role.CLERK in roles and not section:
            errors.append(RowError(PEOPLE_SHEET, row.row, "clerk_needs_section", {"name": who}))
        if unit and unit not in unit_names:
            errors.append(RowError(PEOPLE_SHEET, row.row, "unit_unknown", {"unit": unit}))
        if section and section not in section_names:
            errors.append(RowError(PEOPLE_SHEET, row.row, "section_unknown", {"section": section}))
        if len(errors) == count:
            checked.append(PersonRow(row.row, name, roles, unit_names.get(unit, unit), section, row.get(PHONE)))
    return checked


def parse_roles(text: str) -> tuple[frozenset[Role], list[str]]:
    """Roles named by label (分管市领导) or value (leader), split on 、 , ，; and the words not understood."""
    by_word = {label("roles", r.value): r for r in Role} | {r.value: r for r in Role}
    roles: set[Role] = set()
    unknown: list[str] = []
    for word in (w.strip() for w in ROLE_SEPARATORS.split(text)):
        if not word:
            continue
        role = by_word.get(word) or by_word.get(word.lower())
        if role is None:
            unknown.append(word)
        else:
            roles.add(role)
    return frozenset(roles), unknown


def _unit_kind(text: str) -> UnitKind | None:
    """乡镇/街区办事处/部门 (labels.toml), town/street/department, or the short 街区/街道."""
    by_word = {label("unit_kind", k.value): k for k in UnitKind} | {k.value: k for k in UnitKind} | dict(_KIND_ALIASES)
    return by_word.get(text) or by_word.get(text.lower())


def _yes_no(text: str) -> bool | None:
    """是/否 (or true/false, 1/0); empty is 否; None when it is neither."""
    word = text.lower()
    if word == label("buttons", "yes") or word in _TRUE_WORDS:
        return True
    if not word or word == label("buttons", "no") or word in _FALSE_WORDS:
        return False
    return None
