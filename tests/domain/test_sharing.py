"""牵头 + 配合: who leads, who sends parts, what closes the matter, who is chased when late."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain import clock
from bot.domain import tasks as lifecycle
from bot.domain.errors import DomainError
from bot.domain.escalation import Escalation, escalation_due
from bot.domain.reporting import ReportSchedule, ScheduleKind
from bot.domain.sharing import (
    UnitRole,
    UnitsLine,
    check_shared,
    closes_matter,
    is_chased_alone,
    part_goes_to_lead,
    reports_progress,
    parse_units,
    part_due,
    part_reminded,
    role_of,
)
from bot.domain.calendar import ChineseWorkCalendar
from bot.domain.tasks import TaskStatus
from tests.domain.test_lifecycle import DEADLINE, make_task


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("住建局（牵头）、交通局、城管局", UnitsLine(("住建局", "交通局", "城管局"), "住建局")),
        ("住建局(牵头), 交通局, 城管局", UnitsLine(("住建局", "交通局", "城管局"), "住建局")),
        ("住建局牵头，交通局、城管局配合", UnitsLine(("住建局", "交通局", "城管局"), "住建局")),
        ("交通局（配合）、住建局（牵头）", UnitsLine(("交通局", "住建局"), "住建局")),
        ("住建局、交通局", UnitsLine(("住建局", "交通局"), None)),
    ],
)
def test_units_line_as_an_office_writes_it(text: str, expected: UnitsLine) -> None:
    assert parse_units(text) == expected


def test_partners_are_every_unit_but_the_lead() -> None:
    assert parse_units("住建局（牵头）、交通局、城管局").partners == ("交通局", "城管局")
    assert parse_units("住建局、交通局").partners == ()


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("住建局（牵头）、住建局（配合）", "partner_is_lead"),
        ("住建局牵头，住建局、城管局配合", "partner_is_lead"),
        ("住建局（牵头）、住建局", "partner_is_lead"),
        ("住建局牵头，交通局牵头", "lead_repeated"),
        ("交通局（配合）、城管局", "lead_missing"),
        ("住建局（牵头）", "lead_alone"),
    ],
)
def test_bad_units_lines(text: str, code: str) -> None:
    with pytest.raises(DomainError) as exc:
        parse_units(text)
    assert exc.value.code == code


def test_check_shared_refuses_a_lead_listed_twice_or_alone() -> None:
    check_shared(None, [1])
    check_shared(1, [1, 2, 3])
    with pytest.raises(DomainError, match="partner_is_lead"):
        check_shared(1, [1, 1, 2])
    with pytest.raises(DomainError, match="lead_alone"):
        check_shared(1, [1])


def test_roles_and_what_each_feedback_does() -> None:
    assert [role_of(u, 2) for u in (1, 2, 3)] == [UnitRole.PARTNER, UnitRole.LEAD, UnitRole.PARTNER]
    assert role_of(1, None) is UnitRole.SOLE
    # the 牵头单位's consolidated 办理结果 closes the matter; a 配合单位's part goes to the 牵头单位
    assert closes_matter(UnitRole.LEAD) and not closes_matter(UnitRole.PARTNER)
    # the 牵头单位 reports the matter's progress, not each 配合单位
    assert reports_progress(UnitRole.LEAD) and reports_progress(UnitRole.SOLE) and not reports_progress(UnitRole.PARTNER)
    assert part_goes_to_lead(UnitRole.PARTNER) and not part_goes_to_lead(UnitRole.LEAD)
    # the matter is chased on the 牵头单位's task, not on each copy
    assert is_chased_alone(UnitRole.LEAD) and is_chased_alone(UnitRole.SOLE)
    assert not is_chased_alone(UnitRole.PARTNER)


# --- the 牵头/配合 and 阶段汇报 transitions of a task -------------------------------------------


def test_a_partner_copy_has_no_clock_of_its_own() -> None:
    """Past the deadline the 牵头单位's task is 逾期 and chased; the 配合单位's copy is neither."""
    after = DEADLINE + timedelta(days=1)
    lead, partner = make_task(unit_role=UnitRole.LEAD), make_task(unit_role=UnitRole.PARTNER)
    assert clock.is_overdue(lead, after) and escalation_due(lead, after) is Escalation.REMINDER_SLIP
    assert not clock.is_overdue(partner, after) and escalation_due(partner, after) is Escalation.NOTHING


def test_a_part_keeps_the_copy_open_until_the_matter_closes() -> None:
    partner = make_task(unit_role=UnitRole.PARTNER, status=TaskStatus.ACKNOWLEDGED)
    sent = lifecycle.send_part(partner)
    assert sent.status is TaskStatus.ACKNOWLEDGED and sent.is_open
    closed = lifecycle.close_with_matter(sent, date(2026, 11, 30))
    assert closed.status is TaskStatus.COMPLETED and closed.completed_on == date(2026, 11, 30)
    with pytest.raises(DomainError, match="not_a_partner"):
        lifecycle.send_part(make_task(unit_role=UnitRole.LEAD))
    with pytest.raises(DomainError, match="task_completed"):
        lifecycle.send_part(closed)


def test_a_progress_report_closes_nothing() -> None:
    scheduled = make_task(report_schedule=ReportSchedule(ScheduleKind.WEEKLY, weekday=4))
    reported = lifecycle.record_progress(scheduled, date(2026, 11, 27))
    assert reported.status is scheduled.status and reported.last_report_on == date(2026, 11, 27)
    assert reported.deadline == scheduled.deadline
    with pytest.raises(DomainError, match="no_report_schedule"):
        lifecycle.record_progress(make_task(), date(2026, 11, 27))


def test_a_named_partner_is_chased_and_the_lead_waits_until_its_part_arrives() -> None:
    """ChaseRule.NAMED: the 配合单位 the 牵头单位 named is 逾期 and gets the 催办单; the 牵头单位's
    task, still 逾期 (the matter is late), gets no slip while it waits."""
    after = DEADLINE + timedelta(days=1)
    lead = make_task(id=1, unit_role=UnitRole.LEAD, matter_id=5)
    partner = make_task(id=2, unit_id=8, unit_role=UnitRole.PARTNER, matter_id=5)
    lead, partner = lifecycle.name_late_partner(lead, partner)
    assert clock.is_overdue(partner, after) and escalation_due(partner, after) is Escalation.REMINDER_SLIP
    assert clock.is_overdue(lead, after) and escalation_due(lead, after) is Escalation.OVERDUE
    with pytest.raises(DomainError, match="partner_already_named"):
        lifecycle.name_late_partner(lead, partner)
    sent = lifecycle.send_part(partner)
    assert not clock.is_overdue(sent, after)
    resumed = lifecycle.partner_part_arrived(lead)
    assert escalation_due(resumed, after) is Escalation.REMINDER_SLIP
    with pytest.raises(DomainError, match="not_a_partner"):
        lifecycle.name_late_partner(lead, make_task(id=3, unit_role=UnitRole.PARTNER, matter_id=6))


def test_a_part_is_due_working_days_before_the_matter_s_deadline() -> None:
    """Two working days before a Thursday deadline is the Tuesday; before a Monday one, the
    Thursday (the weekend does not count); never before the day after issue."""
    cal = ChineseWorkCalendar()
    assert part_due(date(2026, 12, 10), 2, date(2026, 11, 30), cal) == date(2026, 12, 8)
    assert part_due(date(2026, 12, 14), 2, date(2026, 11, 30), cal) == date(2026, 12, 10)
    assert part_due(date(2026, 12, 3), 5, date(2026, 12, 1), cal) == date(2026, 12, 2)


@given(st.dates(min_value=date(2026, 1, 1), max_value=date(2027, 12, 1)), st.integers(1, 60), st.integers(1, 10))
def test_a_part_s_date_is_a_working_day_between_issue_and_deadline(issued: date, days: int, lead_days: int) -> None:
    cal = ChineseWorkCalendar()
    deadline = issued + timedelta(days=days)
    while not cal.is_workday(deadline):
        deadline += timedelta(days=1)
    due = part_due(deadline, lead_days, issued, cal)
    assert issued < due <= deadline and cal.is_workday(due)


def test_a_partner_is_reminded_the_check_before_its_part_s_date_and_on_it() -> None:
    due = date(2026, 12, 8)
    assert part_reminded(due, date(2026, 12, 7), date(2026, 12, 8))
    assert part_reminded(due, date(2026, 12, 8), date(2026, 12, 9))
    assert not part_reminded(due, date(2026, 12, 4), date(2026, 12, 7))
    assert not part_reminded(due, date(2026, 12, 9), date(2026, 12, 10))


def test_a_partner_s_copy_shows_the_lead_s_clock_unless_named_late() -> None:
    lead = make_task(id=1, unit_role=UnitRole.LEAD)
    partner = make_task(id=2, unit_role=UnitRole.PARTNER)
    assert clock.shown_clock(partner, lead) is lead
    assert clock.shown_clock(lead, lead) is lead
    assert clock.shown_clock(partner, None) is partner
    named = make_task(id=3, unit_role=UnitRole.PARTNER, named_late=True)
    assert clock.shown_clock(named, lead) is named
