"""What a dialog offers to choose from: the office's units, their people, its sections.

Handlers ask here rather than the repositories, so they read no table themselves.
"""

from __future__ import annotations

import re

import aiosqlite

from bot.domain.errors import DomainError
from bot.domain.minutes import UnitDirectory
from bot.domain.org import Person, Section, Unit
from bot.services.context import Office
from bot.storage import intake as intake_store
from bot.storage import org


async def units(office: Office) -> list[Unit]:
    """Every 责任单位, in the order lists show them."""
    return await org.units(office.db.reader)


async def unit_names(office: Office) -> UnitDirectory:
    """Every name a unit goes by — its own and its aliases (住建局 for 市住房和城乡建设局) — so that a
    unit typed anywhere (/new, /task, /tasks, /ledger, the import) is found as the minutes find it."""
    return await unit_names_on(office.db.reader)


async def unit_names_on(conn: aiosqlite.Connection) -> UnitDirectory:
    """:func:`unit_names`, read on ``conn`` (a transaction, or a read in one hop)."""
    return UnitDirectory.build({u.id: u.name for u in await org.units(conn)}, await intake_store.aliases(conn))


async def units_named(office: Office, text: str) -> list[Unit]:
    """The units a person typed (「住建局、交通局」), each by its name or an alias, in order.

    Raises:
        DomainError: ``form_unit_unknown`` naming what matched no unit, with the units there are.
    """
    names = await unit_names(office)
    units = {u.id: u for u in await org.units(office.db.reader)}
    written = [w for w in re.split(r"[,，、;；\s]+", text.strip()) if w]
    unknown = [w for w in written if names.unit_for(w) is None]
    if unknown or not written:
        raise DomainError("form_unit_unknown", units=unknown or [text.strip()], known=[u.name for u in units.values()])
    return list({u.id: u for w in written if (u := units.get(names.unit_for(w) or 0))}.values())


async def unit(office: Office, unit_id: int) -> Unit | None:
    """One unit, or None for an id that names none (a stale button)."""
    return await org.unit(office.db.reader, unit_id)


async def units_of(office: Office, unit_ids: list[int]) -> list[Unit]:
    """The units of ``unit_ids`` still in the directory, in that order."""
    found = [await org.unit(office.db.reader, unit_id) for unit_id in unit_ids]
    return [unit for unit in found if unit is not None]


async def unit_members(office: Office, unit_id: int) -> list[Person]:
    """The people of a unit, for choosing its 责任人."""
    return await org.unit_members(office.db.reader, unit_id)


async def section(office: Office, section_id: int) -> Section | None:
    """One 科室 (or 政务监督室)."""
    return await org.section(office.db.reader, section_id)


async def person(office: Office, person_id: int) -> Person | None:
    """One person."""
    return await org.person(office.db.reader, person_id)
