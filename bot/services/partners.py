"""牵头 + 配合: the 牵头单位 names a 配合单位 whose part has not come (setting ``sharing.chase``).

Under the default rule the 牵头单位 answers for the whole matter and alone is chased; a deployment
that sets ``sharing.chase = "named"`` lets it name the partner holding it up, whose copy is then
chased by the matter's deadline instead (bot/domain/sharing.py, :class:`ChaseRule`).
"""

from __future__ import annotations

from datetime import datetime

from bot.domain import tasks as lifecycle
from bot.domain.errors import DomainError
from bot.domain.org import Person
from bot.domain.sharing import ChaseRule, UnitRole
from bot.domain.tasks import Task
from bot.services.context import Office
from bot.services.notify import tell
from bot.domain.permissions import Deed, may
from bot.services.task_changes import issuer_and_section, load, save, unit_people
from bot.storage import history, org, tasks


async def name_late_partner(office: Office, person: Person, lead_id: int, unit_name: str, now: datetime) -> Task:
    """指明: the 牵头单位 names the 配合单位 that has not sent its part; returns that unit's copy.

    Raises:
        DomainError: ``chase_rule_lead`` when the deployment chases the 牵头单位 only;
            ``not_allowed`` unless the person acts for the 牵头单位; ``partner_unknown`` for a
            unit that is not one of the matter's 配合单位; ``part_already_sent`` when its part
            has come; ``partner_already_named``.
    """
    if office.settings.shared_chase is not ChaseRule.NAMED:
        raise DomainError("chase_rule_lead")
    async with office.db.transaction() as conn:
        lead = await load(conn, lead_id)
        if not may(person, Deed.NAME_LATE_PARTNER, task=lead):
            raise DomainError("not_allowed")
        partners = {}
        for task in await tasks.of_matter(conn, lead):
            unit = await org.unit(conn, task.unit_id)
            if task.unit_role is UnitRole.PARTNER and unit is not None:
                partners[unit.name] = task
        partner = partners.get(unit_name.strip())
        if partner is None:
            raise DomainError("partner_unknown", unit=unit_name.strip(), partners=list(partners))
        if await tasks.part_sent(conn, partner.id):
            raise DomainError("part_already_sent", unit=unit_name.strip())
        lead_after, partner_after = lifecycle.name_late_partner(lead, partner)
        await save(conn, lead, lead_after, now)
        await save(conn, partner, partner_after, now)
        await history.append(conn, "partner_named_late", now, task_id=partner.id, actor_id=person.id, lead=lead.number.full)
        await history.append(conn, "partner_named_late", now, task_id=lead.id, actor_id=person.id, unit=unit_name.strip())
        for member in await unit_people(conn, partner):
            await tell(conn, member, "partners/named_late", now, task=partner_after, lead=lead, deadline=partner_after.deadline)
        for reader in await issuer_and_section(conn, lead):
            await tell(conn, reader, "partners/named_late_issuer", now, task=partner_after, lead=lead, unit=unit_name.strip())
    return partner_after
