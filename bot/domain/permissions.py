"""Who may do what, and who sees what (SPEC section 2): one table.

The notice's people are the roles of ``bot.domain.org.Role``: the 科室 of the 市政府办公室
(``CLERK``), 政务监督室 (``SUPERVISOR``), the 责任单位's 责任人 / 联络员 (``RESPONSIBLE``), the
分管市领导 (``LEADER``), the 市政府主要领导 (``PRINCIPAL``) and the administrator (``ADMIN``).
Each deed (``Deed``) is one row of ``RULES``: the roles that may do it, and for each role how far
it reaches (``Reach``: any task, the 责任单位 of this task, the section that issued it, the units
in a leader's charge, …). Every command (``COMMANDS``) and every button of ``bot/actions.py``
(``BUTTONS``) names its deed. The menus, every service's check and the permission tests read
these tables; nothing else decides a role.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TypedDict, Unpack

from bot.domain.errors import DomainError
from bot.domain.org import Person, Role, Section, Unit
from bot.domain.sharing import UnitRole
from bot.domain.tasks import Task


class Reach(StrEnum):
    """How far a role's right goes: the object-level rule of a row."""

    ANY = "any"
    """Every task, unit and document (or a deed about none)."""
    FROM_A_SECTION = "from_a_section"
    """The person belongs to a 科室 (a 交办单 is issued in a section's name)."""
    OWN_UNIT = "own_unit"
    """The 责任单位 of this task (or this unit) is the person's own."""
    LEAD_OWN_UNIT = "lead_own_unit"
    """The person's own unit leads this shared matter (its 牵头单位's copy)."""
    ISSUING_SECTION = "issuing_section"
    """The task was issued by the person's 科室."""
    UNITS_IN_CHARGE = "units_in_charge"
    """The 责任单位 of this task (or this unit) is in the 分管市领导's charge."""
    SECTION_IN_CHARGE = "section_in_charge"
    """The 科室 is in the 分管市领导's charge (its monthly analysis)."""
    SENDER = "sender"
    """The person sent the document (the minutes read into drafts)."""


class Deed(StrEnum):
    """What a person does; each one row of ``RULES``."""

    USE = "use"
    """Ask the bot at all: /start, /help, /tasks, /board, 取消 (every bound person)."""
    ANYONE = "anyone"
    """Press a button that checks nothing of its own (a stale one, 换绑); strangers included."""
    SEE = "see"
    """Read a task, its slips and its Word file."""
    ISSUE = "issue"
    """交办: issue a 工作交办单 (/new, the drafts of 会议纪要)."""
    ISSUE_SPECIAL = "issue_special"
    """专项交办: the three sources the notice reserves for 政务监督室."""
    ACT_FOR_UNIT = "act_for_unit"
    """签收, 反馈, 阶段汇报 and 申请延期 of the unit's own task."""
    NAME_LATE_PARTNER = "name_late_partner"
    """指明: the 牵头单位 names the 配合单位 whose part has not come."""
    REVIEW = "review"
    """通过 / 退回 a feedback (the issuing section is "工作结果反馈主体")."""
    DECIDE_EXTENSION = "decide_extension"
    """"如确需延长办理时间的，需经分管市领导同意": 同意 / 不同意 / 改期同意."""
    REMIND = "remind"
    """工作催办单: drafted by the issuing section (or 政务监督室), by hand or signed from a draft."""
    SUPERVISE = "supervise"
    """督办通知单, 约谈 and 移交作风办: 政务监督室's."""
    PUT_RIGHT = "put_right"
    """撤回 and 更正 of a 交办单, 作废 of a 催办单 issued in error."""
    READ_ALL_UNITS = "read_all_units"
    """Every unit's figures: /ledger, /report and the whole /scores table."""
    READ_OWN_SCORES = "read_own_scores"
    """A unit's own 百分制 figures."""
    RECORD_OFFICE_SCORE = "record_office_score"
    """会议出勤 and 材料报送 (/meeting, /material)."""
    RECORD_NOTICE_SCORE = "record_notice_score"
    """通报表扬 and 通报批评, from the 通报 政务监督室 publishes."""
    VOID_SCORE = "void_score"
    """作废 a wrong 百分制 event."""
    PUBLISH = "publish"
    """发布 the monthly 通报."""
    REVIEW_ANALYSIS = "review_analysis"
    """已审阅 a section's monthly analysis: its 分管市领导."""
    READ_MINUTES = "read_minutes"
    """会议纪要 read into drafts (/minutes, a file)."""
    HANDLE_MINUTES_DRAFTS = "handle_minutes_drafts"
    """修改, 删除, 全部签发 the drafts read from a 会议纪要."""
    HANDLE_INSTRUCTION_DRAFTS = "handle_instruction_drafts"
    """The drafts read from a leader's 批示: 政务监督室 turns them into 交办单."""
    INSTRUCT = "instruct"
    """批示: a 分管市领导 or the principal hands work to 政务监督室."""
    ADMINISTER = "administer"
    """Units, people, invites and units' aliases."""


Rule = dict[Role, Reach]

EVERY_ROLE: Rule = dict.fromkeys(Role, Reach.ANY)
OFFICE: Rule = {Role.CLERK: Reach.ANY, Role.SUPERVISOR: Reach.ANY}
ISSUER_OR_SUPERVISION: Rule = {Role.CLERK: Reach.ISSUING_SECTION, Role.SUPERVISOR: Reach.ANY}
SUPERVISION: Rule = {Role.SUPERVISOR: Reach.ANY}

RULES: dict[Deed, Rule] = {
    Deed.USE: EVERY_ROLE,
    Deed.ANYONE: EVERY_ROLE,
    Deed.SEE: {
        Role.SUPERVISOR: Reach.ANY, Role.PRINCIPAL: Reach.ANY, Role.ADMIN: Reach.ANY,
        Role.CLERK: Reach.ISSUING_SECTION, Role.RESPONSIBLE: Reach.OWN_UNIT, Role.LEADER: Reach.UNITS_IN_CHARGE,
    },
    Deed.ISSUE: {Role.CLERK: Reach.FROM_A_SECTION, Role.SUPERVISOR: Reach.FROM_A_SECTION},
    Deed.ISSUE_SPECIAL: {Role.SUPERVISOR: Reach.FROM_A_SECTION},
    Deed.ACT_FOR_UNIT: {Role.RESPONSIBLE: Reach.OWN_UNIT},
    Deed.NAME_LATE_PARTNER: {Role.RESPONSIBLE: Reach.LEAD_OWN_UNIT},
    Deed.REVIEW: ISSUER_OR_SUPERVISION,
    Deed.DECIDE_EXTENSION: {Role.LEADER: Reach.UNITS_IN_CHARGE},
    Deed.REMIND: ISSUER_OR_SUPERVISION,
    Deed.SUPERVISE: SUPERVISION,
    Deed.PUT_RIGHT: ISSUER_OR_SUPERVISION,
    Deed.READ_ALL_UNITS: {role: Reach.ANY for role in Role if role is not Role.RESPONSIBLE},
    Deed.READ_OWN_SCORES: {Role.RESPONSIBLE: Reach.OWN_UNIT},
    Deed.RECORD_OFFICE_SCORE: OFFICE,
    Deed.RECORD_NOTICE_SCORE: SUPERVISION,
    Deed.VOID_SCORE: SUPERVISION,
    Deed.PUBLISH: SUPERVISION,
    Deed.REVIEW_ANALYSIS: {Role.LEADER: Reach.SECTION_IN_CHARGE},
    Deed.READ_MINUTES: {Role.CLERK: Reach.FROM_A_SECTION, Role.SUPERVISOR: Reach.FROM_A_SECTION},
    Deed.HANDLE_MINUTES_DRAFTS: {Role.CLERK: Reach.SENDER, Role.SUPERVISOR: Reach.ANY},
    Deed.HANDLE_INSTRUCTION_DRAFTS: SUPERVISION,
    Deed.INSTRUCT: {Role.LEADER: Reach.ANY, Role.PRINCIPAL: Reach.ANY},
    Deed.ADMINISTER: {Role.ADMIN: Reach.ANY},
}
"""The table: each deed, the roles that may do it, and how far each reaches."""

COMMANDS: dict[str, Deed] = {
    "start": Deed.USE,
    "help": Deed.USE,
    "new": Deed.ISSUE,
    "withdraw": Deed.PUT_RIGHT,
    "correct": Deed.PUT_RIGHT,
    "tasks": Deed.USE,
    "task": Deed.USE,
    "feedback": Deed.ACT_FOR_UNIT,
    "extend": Deed.ACT_FOR_UNIT,
    "late": Deed.NAME_LATE_PARTNER,
    "overdue": Deed.USE,
    "board": Deed.USE,
    "scores": Deed.USE,
    "ledger": Deed.READ_ALL_UNITS,
    "report": Deed.READ_ALL_UNITS,
    "meeting": Deed.RECORD_OFFICE_SCORE,
    "material": Deed.RECORD_OFFICE_SCORE,
    "praise": Deed.RECORD_NOTICE_SCORE,
    "criticize": Deed.RECORD_NOTICE_SCORE,
    "void": Deed.VOID_SCORE,
    "interview": Deed.SUPERVISE,
    "transfer": Deed.SUPERVISE,
    "units": Deed.ADMINISTER,
    "people": Deed.ADMINISTER,
    "invite": Deed.ADMINISTER,
    "minutes": Deed.READ_MINUTES,
    "instruct": Deed.INSTRUCT,
    "aliases": Deed.ADMINISTER,
    "cancel": Deed.USE,
}
"""Each command and its deed; the order is the menu's order. A command shows in a person's menu
when one of their roles has a row of its deed."""

BUTTONS: dict[str, tuple[Deed, ...]] = {
    "acknowledge": (Deed.ACT_FOR_UNIT,),
    "feedback": (Deed.ACT_FOR_UNIT,),
    "progress": (Deed.ACT_FOR_UNIT,),
    "submit_feedback": (Deed.ACT_FOR_UNIT,),
    "feedback_for": (Deed.ACT_FOR_UNIT,),
    "request_extension": (Deed.ACT_FOR_UNIT,),
    "accept": (Deed.REVIEW,),
    "return": (Deed.REVIEW,),
    "return_no_date": (Deed.REVIEW,),
    "approve_extension": (Deed.DECIDE_EXTENSION,),
    "reject_extension": (Deed.DECIDE_EXTENSION,),
    "other_date": (Deed.DECIDE_EXTENSION,),
    "remind": (Deed.REMIND,),
    "issue_draft": (Deed.REMIND, Deed.SUPERVISE),
    "hold_draft": (Deed.REMIND, Deed.SUPERVISE),
    "interview": (Deed.SUPERVISE,),
    "interview_no_note": (Deed.SUPERVISE,),
    "interview_default_day": (Deed.SUPERVISE,),
    "transfer": (Deed.SUPERVISE,),
    "transfer_no_note": (Deed.SUPERVISE,),
    "choose_task": (Deed.SEE,),
    "turn_task_list": (Deed.USE,),
    "word_file": (Deed.SEE,),
    "withdraw": (Deed.PUT_RIGHT,),
    "correct": (Deed.PUT_RIGHT,),
    "put_right_field": (Deed.PUT_RIGHT,),
    "put_right_confirm": (Deed.PUT_RIGHT,),
    "put_right_other": (Deed.ANYONE,),
    "new_unit": (Deed.ISSUE,),
    "new_units_page": (Deed.ISSUE,),
    "new_confirm": (Deed.ISSUE,),
    "new_edit": (Deed.ISSUE,),
    "new_answer": (Deed.ISSUE,),
    "new_other": (Deed.ANYONE,),
    "score_unit": (Deed.RECORD_OFFICE_SCORE, Deed.RECORD_NOTICE_SCORE),
    "score_page": (Deed.RECORD_OFFICE_SCORE, Deed.RECORD_NOTICE_SCORE),
    "score_done": (Deed.RECORD_OFFICE_SCORE, Deed.RECORD_NOTICE_SCORE),
    "score_other": (Deed.ANYONE,),
    "turn_score_table": (Deed.USE,),
    "edit_draft": (Deed.HANDLE_MINUTES_DRAFTS, Deed.HANDLE_INSTRUCTION_DRAFTS),
    "delete_draft": (Deed.HANDLE_MINUTES_DRAFTS, Deed.HANDLE_INSTRUCTION_DRAFTS),
    "issue_all": (Deed.HANDLE_MINUTES_DRAFTS, Deed.HANDLE_INSTRUCTION_DRAFTS),
    "turn_drafts": (Deed.HANDLE_MINUTES_DRAFTS, Deed.HANDLE_INSTRUCTION_DRAFTS),
    "reviewed": (Deed.REVIEW_ANALYSIS,),
    "publish": (Deed.PUBLISH,),
    "report_file": (Deed.READ_ALL_UNITS,),
    "rebind": (Deed.ANYONE,),
    "keep_binding": (Deed.ANYONE,),
    "cancel": (Deed.USE,),
}
"""Each button of ``bot/actions.py`` (by its name) and the deed pressing it is; with two, the
one its object asks (a 催办单 draft is the issuing section's, a 督办通知单 draft 政务监督室's)."""


def roles_for(deed: Deed) -> frozenset[Role]:
    """The roles with a row of ``deed``."""
    return frozenset(RULES[deed])


def may_at_all(person: Person, deed: Deed) -> bool:
    """Whether one of ``person``'s roles has a row of ``deed`` (what a menu shows); the object
    is checked by :func:`may`."""
    return deed is Deed.ANYONE or bool(person.roles & RULES[deed].keys())


class About(TypedDict, total=False):
    """The object of a deed, as far as its rule needs one."""

    task: Task
    unit: Unit | None
    """The task's 责任单位 (for a 分管市领导), or a unit on its own (its scores)."""
    section: Section
    sent_by: int
    """Who sent a document (the minutes read into drafts)."""


def may(person: Person, deed: Deed, **about: Unpack[About]) -> bool:
    """Whether ``person`` may do ``deed`` on its object (``task``, its ``unit``, a ``section``,
    a document ``sent_by`` someone): one of their roles reaches it."""
    if deed is Deed.ANYONE:
        return True
    return any(_reaches(reach, person, about) for role, reach in RULES[deed].items() if role in person.roles)


def check(person: Person, deed: Deed, **about: Unpack[About]) -> None:
    """:func:`may`, or the refusal.

    Raises:
        DomainError: ``not_allowed``.
    """
    if not may(person, deed, **about):
        raise DomainError("not_allowed")


def _reaches(reach: Reach, person: Person, about: About) -> bool:
    task, unit = about.get("task"), about.get("unit")
    if reach is Reach.ANY:
        return True
    if reach is Reach.FROM_A_SECTION:
        return person.section_id is not None
    if reach is Reach.SENDER:
        return about.get("sent_by") == person.id
    if reach is Reach.SECTION_IN_CHARGE:
        section = about.get("section")
        assert section is not None, "the section is the object of this rule"
        return section.leader_id == person.id
    if reach is Reach.ISSUING_SECTION:
        assert task is not None, "the task is the object of this rule"
        return person.section_id is not None and task.section_id == person.section_id
    if reach is Reach.UNITS_IN_CHARGE:
        return unit is not None and unit.leader_id == person.id and (task is None or task.unit_id == unit.id)
    unit_id = task.unit_id if task is not None else unit.id if unit is not None else None
    assert unit_id is not None, "the task or the unit is the object of this rule"
    own = person.unit_id == unit_id
    if reach is Reach.LEAD_OWN_UNIT:
        return own and task is not None and task.unit_role is UnitRole.LEAD
    return own  # Reach.OWN_UNIT


# ------------------------------------------------------------------------------ who sees what


def sees_everything(person: Person) -> bool:
    """政务监督室, the principal and the administrator read every task."""
    return any(RULES[Deed.SEE].get(role) is Reach.ANY for role in person.roles)


def can_see(person: Person, task: Task, unit: Unit | None = None) -> bool:
    """Whether ``person`` reads ``task`` (``unit``: its 责任单位, for a 分管市领导)."""
    return may(person, Deed.SEE, task=task, unit=unit)


def sight(person: Person) -> tuple[Reach, ...]:
    """How far ``person`` sees, one reach per role (the lists of /tasks, the 台账 and the board
    select by these, ``bot.services.queries.scope_of``, as :func:`can_see` checks one task)."""
    reaches = [RULES[Deed.SEE][role] for role in sorted(person.roles) if role in RULES[Deed.SEE]]
    return tuple(dict.fromkeys(reaches))
