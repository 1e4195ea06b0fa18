"""The repositories of the newer tables, on SQLite and (``make test-pg``) PostgreSQL: what the
daily check, the weekly digests, the monthly cycle, confirm mode's drafts and 延期申请 write,
read back as the services rely on (a run found done is not run again; one pending draft per
task and slip type)."""

from __future__ import annotations

from datetime import date, timedelta

from bot.domain.slips import SlipType
from bot.domain.tasks import ExtensionStatus
from bot.services.context import Office
from bot.services.issuing import issue_assignment
from bot.storage import drafts, extensions, runs
from bot.storage.drafts import DraftStatus
from tests.storage.conftest import NOW, Org
from tests.storage.test_services import draft

DAY = NOW.date()


async def test_a_days_check_is_started_then_finished_and_a_rest_day_both_at_once(office: Office) -> None:
    rest_day = DAY + timedelta(days=5)
    async with office.db.transaction() as conn:
        assert await runs.daily_run(conn, DAY) == (False, False)
        await runs.daily_started(conn, DAY, NOW)
        assert await runs.daily_run(conn, DAY) == (True, False)
        await runs.daily_rest_day(conn, rest_day, NOW)
    assert await runs.daily_run(office.db.reader, rest_day) == (True, True)
    async with office.db.transaction() as conn:
        await runs.daily_finished(conn, DAY, NOW)
    assert await runs.daily_run(office.db.reader, DAY) == (True, True)


async def test_a_started_check_found_on_a_rest_day_is_finished_by_it(office: Office) -> None:
    """A calendar entry made after the check began turns the day into a rest day: the row is replaced."""
    async with office.db.transaction() as conn:
        await runs.daily_started(conn, DAY, NOW)
        await runs.daily_rest_day(conn, DAY, NOW + timedelta(minutes=1))
    assert await runs.daily_run(office.db.reader, DAY) == (True, True)


async def test_a_weeks_digests_and_a_years_warning_are_recorded_once(office: Office) -> None:
    async with office.db.transaction() as conn:
        assert not await runs.weekly_sent(conn, "2026-W48")
        await runs.mark_weekly_sent(conn, "2026-W48", NOW)
        assert await runs.weekly_sent(conn, "2026-W48")
        assert not await runs.weekly_sent(conn, "2026-W49")
        assert await runs.warn_year_once(conn, 2027, NOW)
        assert not await runs.warn_year_once(conn, 2027, NOW + timedelta(days=1))
        assert await runs.warn_year_once(conn, 2028, NOW)


async def test_a_months_cycle_goes_from_analyses_to_review_to_report_to_publication(office: Office, org: Org) -> None:
    later = NOW + timedelta(days=2)
    async with office.db.transaction() as conn:
        assert await runs.monthly_run(conn, "2026-10") is None
        await runs.monthly_started(conn, "2026-10", NOW)
        await runs.add_review(conn, "2026-10", org.section.id, org.leader.id, NOW)
        await runs.add_review(conn, "2026-10", org.supervision.id, None, NOW)
    run = await runs.monthly_run(office.db.reader, "2026-10")
    assert run is not None and run.started_at == NOW and run.consolidated_at is None and run.published_at is None
    assert await runs.reviews_waiting(office.db.reader, "2026-10") == 1
    waiting = await runs.review(office.db.reader, "2026-10", org.section.id)
    assert waiting is not None and waiting.leader_id == org.leader.id and waiting.reviewed_at is None
    without_leader = await runs.review(office.db.reader, "2026-10", org.supervision.id)
    assert without_leader is not None and without_leader.reviewed_at == NOW
    async with office.db.transaction() as conn:
        await runs.mark_reviewed(conn, "2026-10", org.section.id, later)
        await runs.mark_consolidated(conn, "2026-10", later)
        await runs.mark_published(conn, "2026-10", org.supervisor.id, later)
    assert await runs.reviews_waiting(office.db.reader, "2026-10") == 0
    run = await runs.monthly_run(office.db.reader, "2026-10")
    assert run is not None and run.consolidated_at == later and run.published_at == later
    assert await runs.review(office.db.reader, "2026-09", org.section.id) is None


async def test_the_years_ranking_is_started_consolidated_and_published_at_once(office: Office) -> None:
    async with office.db.transaction() as conn:
        await runs.annual_sent(conn, "2026", NOW)
    run = await runs.monthly_run(office.db.reader, "2026")
    assert run is not None and run.started_at == run.consolidated_at == run.published_at == NOW


async def test_one_draft_waits_per_task_and_slip_type_until_decided(office: Office, org: Org) -> None:
    task = (await issue_assignment(office, draft(org, org.town.id), org.clerk, NOW))[0].task
    async with office.db.transaction() as conn:
        first = await drafts.add(conn, task.id, SlipType.REMINDER, DAY)
        assert first is not None
        assert await drafts.add(conn, task.id, SlipType.REMINDER, DAY) is None
        notice = await drafts.add(conn, task.id, SlipType.SUPERVISION, DAY)
        assert notice is not None
    assert await drafts.pending_by_section(office.db.reader) == {org.section.id: {"reminder": 1, "supervision": 1}}
    async with office.db.transaction() as conn:
        await drafts.decide(conn, first, DraftStatus.HELD, org.clerk.id, NOW)
        await drafts.decide(conn, first, DraftStatus.ISSUED, org.clerk.id, NOW)  # decided already: stays 暂缓
        await drafts.lapse(conn, notice, NOW)
    held, lapsed = await drafts.get(office.db.reader, first), await drafts.get(office.db.reader, notice)
    assert held is not None and held.status is DraftStatus.HELD and held.type is SlipType.REMINDER
    assert lapsed is not None and lapsed.status is DraftStatus.LAPSED
    assert await drafts.pending(office.db.reader) == []
    async with office.db.transaction() as conn:
        again = await drafts.add(conn, task.id, SlipType.REMINDER, DAY + timedelta(days=1))
    assert again is not None and again != first
    assert [d.id for d in await drafts.pending(office.db.reader)] == [again]
    assert await drafts.get(office.db.reader, again + 100) is None


async def test_an_extension_request_is_read_back_and_decided(office: Office, org: Org) -> None:
    task = (await issue_assignment(office, draft(org, org.town.id), org.clerk, NOW))[0].task
    wanted = date(2026, 12, 15)
    async with office.db.transaction() as conn:
        request = await extensions.add(conn, task.id, org.town_head.id, wanted, "需协调用地", NOW)
    assert request.status is ExtensionStatus.PENDING
    assert await extensions.get(office.db.reader, request.id) == request
    async with office.db.transaction() as conn:
        await extensions.decide(conn, request.id, ExtensionStatus.APPROVED, org.leader.id, NOW, date(2026, 12, 18))
    decided = await extensions.get(office.db.reader, request.id)
    assert decided is not None and decided.status is ExtensionStatus.APPROVED and decided.requested_until == wanted
    assert await extensions.get(office.db.reader, request.id + 1) is None
