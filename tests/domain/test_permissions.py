"""The table of who may do what (bot/domain/permissions.py) held to the notice: each row as
SPEC section 2 and 邓政办〔2018〕127号 give it, the object-level rules on a task of one's own and
of another, and every button and command with a row."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from bot.actions import ACTIONS
from bot.domain.errors import DomainError
from bot.domain.org import Person, Role, Section, Unit, UnitKind
from bot.domain.permissions import BUTTONS, COMMANDS, RULES, Deed, can_see, check, may, may_at_all, sees_everything
from bot.domain.sharing import UnitRole
from bot.domain.slips import SlipNumber, SlipType
from bot.domain.tasks import SourceType, Task

ZHUJIAN = Unit(1, "住建局", UnitKind.DEPARTMENT, leader_id=30)
JIAOTONG = Unit(2, "交通运输局", UnitKind.DEPARTMENT, leader_id=31)

CLERK = Person(10, "王科员", frozenset({Role.CLERK}), section_id=5)
SUPERVISOR = Person(11, "赵督查", frozenset({Role.SUPERVISOR}), section_id=6)
RESPONSIBLE = Person(12, "李住建", frozenset({Role.RESPONSIBLE}), unit_id=ZHUJIAN.id)
LEADER = Person(30, "刘副市长", frozenset({Role.LEADER}))
PRINCIPAL = Person(40, "周市长", frozenset({Role.PRINCIPAL}))
ADMIN = Person(50, "孙管理", frozenset({Role.ADMIN}))
EVERYONE = (CLERK, SUPERVISOR, RESPONSIBLE, LEADER, PRINCIPAL, ADMIN)


def _task(unit: Unit, section_id: int, role: UnitRole = UnitRole.SOLE) -> Task:
    return Task(
        id=unit.id, number=SlipNumber(SlipType.ASSIGNMENT, 2026, unit.id), title="事项", requirements="按要求",
        basis="纪要", source=SourceType.OTHER, unit_id=unit.id, section_id=section_id, issued_by=CLERK.id,
        issued_on=date(2026, 1, 5), period_days=7, original_deadline=date(2026, 1, 12), deadline=date(2026, 1, 12), unit_role=role,
    )


OWN = _task(ZHUJIAN, section_id=5)
"""住建局's task, issued by 王科员's 综合一科, the unit in 刘副市长's charge."""
OTHER = _task(JIAOTONG, section_id=6)
"""交通运输局's task, issued by 政务监督室, the unit in another leader's charge."""


def allowed(deed: Deed, task: Task, unit: Unit) -> set[str]:
    return {p.name for p in EVERYONE if may(p, deed, task=task, unit=unit)}


@pytest.mark.parametrize(
    ("deed", "on_own", "on_other"),
    [
        (Deed.SEE, {"王科员", "赵督查", "李住建", "刘副市长", "周市长", "孙管理"}, {"赵督查", "周市长", "孙管理"}),
        (Deed.ACT_FOR_UNIT, {"李住建"}, set()),
        (Deed.REVIEW, {"王科员", "赵督查"}, {"赵督查"}),
        (Deed.REMIND, {"王科员", "赵督查"}, {"赵督查"}),
        (Deed.PUT_RIGHT, {"王科员", "赵督查"}, {"赵督查"}),
        (Deed.SUPERVISE, {"赵督查"}, {"赵督查"}),
        (Deed.DECIDE_EXTENSION, {"刘副市长"}, set()),
    ],
)
def test_who_may_act_on_a_task(deed: Deed, on_own: set[str], on_other: set[str]) -> None:
    """"工作结果反馈主体" is the issuing 科室; 督办通知单, 约谈, 移交 are 政务监督室's; 延期 needs the
    unit's own 分管市领导; 签收 and 反馈 are the 责任单位's."""
    assert allowed(deed, OWN, ZHUJIAN) == on_own
    assert allowed(deed, OTHER, JIAOTONG) == on_other


def test_only_the_lead_names_a_late_partner() -> None:
    lead, partner = replace(OWN, unit_role=UnitRole.LEAD), replace(OWN, unit_role=UnitRole.PARTNER)
    assert may(RESPONSIBLE, Deed.NAME_LATE_PARTNER, task=lead)
    assert not may(RESPONSIBLE, Deed.NAME_LATE_PARTNER, task=partner)
    assert not may(RESPONSIBLE, Deed.NAME_LATE_PARTNER, task=replace(OTHER, unit_role=UnitRole.LEAD))


@pytest.mark.parametrize(
    ("deed", "who"),
    [
        (Deed.ISSUE, {"王科员", "赵督查"}),
        (Deed.ISSUE_SPECIAL, {"赵督查"}),
        (Deed.RECORD_OFFICE_SCORE, {"王科员", "赵督查"}),
        (Deed.RECORD_NOTICE_SCORE, {"赵督查"}),
        (Deed.VOID_SCORE, {"赵督查"}),
        (Deed.PUBLISH, {"赵督查"}),
        (Deed.READ_MINUTES, {"王科员", "赵督查"}),
        (Deed.INSTRUCT, {"刘副市长", "周市长"}),
        (Deed.ADMINISTER, {"孙管理"}),
        (Deed.READ_ALL_UNITS, {"王科员", "赵督查", "刘副市长", "周市长", "孙管理"}),
    ],
)
def test_who_may_do_what_concerns_no_one_task(deed: Deed, who: set[str]) -> None:
    """专项交办 of the three special sources is 政务监督室's (section 一); a 科室 issues the others."""
    assert {p.name for p in EVERYONE if may(p, deed)} == who


def test_an_issuer_without_a_section_issues_nothing() -> None:
    assert not may(replace(SUPERVISOR, section_id=None), Deed.ISSUE)
    assert may_at_all(replace(SUPERVISOR, section_id=None), Deed.ISSUE)


def test_a_unit_reads_its_own_scores_only() -> None:
    assert may(RESPONSIBLE, Deed.READ_OWN_SCORES, unit=ZHUJIAN)
    assert not may(RESPONSIBLE, Deed.READ_OWN_SCORES, unit=JIAOTONG)


def test_the_drafts_of_minutes_are_their_senders_and_supervisions() -> None:
    assert may(CLERK, Deed.HANDLE_MINUTES_DRAFTS, sent_by=CLERK.id)
    assert not may(CLERK, Deed.HANDLE_MINUTES_DRAFTS, sent_by=SUPERVISOR.id)
    assert may(SUPERVISOR, Deed.HANDLE_MINUTES_DRAFTS, sent_by=CLERK.id)
    assert not may(CLERK, Deed.HANDLE_INSTRUCTION_DRAFTS)


def test_a_section_analysis_is_reviewed_by_its_leader() -> None:
    assert may(LEADER, Deed.REVIEW_ANALYSIS, section=Section(5, "综合一科", leader_id=LEADER.id))
    assert not may(LEADER, Deed.REVIEW_ANALYSIS, section=Section(5, "综合一科", leader_id=31))


def test_who_sees_what_is_one_row() -> None:
    assert {p.name for p in EVERYONE if sees_everything(p)} == {"赵督查", "周市长", "孙管理"}
    assert can_see(LEADER, OWN, ZHUJIAN) and not can_see(LEADER, OWN, None)
    assert not can_see(Person(99, "路人甲"), OWN, ZHUJIAN)


def test_a_refusal_is_not_allowed() -> None:
    with pytest.raises(DomainError) as refused:
        check(CLERK, Deed.SUPERVISE)
    assert refused.value.code == "not_allowed"


def test_every_button_and_every_deed_has_its_row() -> None:
    assert set(BUTTONS) == {a.name for a in ACTIONS}
    assert set(RULES) == set(Deed)
    assert {d for ds in BUTTONS.values() for d in ds} | set(COMMANDS.values()) <= set(Deed)


def test_the_menu_keeps_its_roles() -> None:
    """The menus as they were before the table: the same roles for every command."""
    roles = {c: frozenset(RULES[d]) for c, d in COMMANDS.items()}
    office, supervision = frozenset({Role.CLERK, Role.SUPERVISOR}), frozenset({Role.SUPERVISOR})
    assert roles["new"] == roles["withdraw"] == roles["meeting"] == roles["minutes"] == office
    assert roles["praise"] == roles["void"] == roles["interview"] == roles["transfer"] == supervision
    assert roles["feedback"] == roles["extend"] == roles["late"] == frozenset({Role.RESPONSIBLE})
    assert roles["ledger"] == roles["report"] == frozenset(Role) - {Role.RESPONSIBLE}
    assert roles["units"] == roles["aliases"] == frozenset({Role.ADMIN})
    assert roles["instruct"] == frozenset({Role.LEADER, Role.PRINCIPAL})
    assert all(roles[c] == frozenset(Role) for c in ("start", "help", "tasks", "task", "overdue", "board", "scores", "cancel"))
