"""Reading a 会议纪要 into draft 交办单 (notice, section 一: 「依据相关文件、会议纪要建立工作台账进行
专项交办」): the meeting, the 议定事项 by their numbering, the 责任单位 by name or alias with their
牵头/配合 wording, and the 期限 stated, counted from the meeting by the deadline rules."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.calendar import ChineseWorkCalendar
from bot.domain.errors import DomainError
from bot.domain.minutes import (
    DraftProblem, ProblemKind, ProposedAssignment, UnitDirectory, UnitRole, chinese_number, find_units,
    as_matter, instruction, item_ordinal, matters, propose, propose_from_minutes, read_minutes, short_title,
    stated_deadline,
)
from tests.intake_files import MINUTES_12, MINUTES_18, MINUTES_ARABIC, MINUTES_PARENTHESISED

OFFICIAL = ChineseWorkCalendar()
ZHUJIAN, JIAOTONG, RANGDONG, JIAOYU = 1, 2, 3, 4
DIRECTORY = UnitDirectory.build(
    {ZHUJIAN: "住建局", JIAOTONG: "交通运输局", RANGDONG: "穰东镇", JIAOYU: "教育局"},
    {ZHUJIAN: ["市住房和城乡建设局"], JIAOTONG: ["交通局"]},
)
TODAY = date(2026, 11, 30)


def dated(day: date) -> str:
    return f"于{day.year}年{day.month}月{day.day}日前"


def drafts(lines: list[str]) -> list[ProposedAssignment]:
    minutes = read_minutes("\n".join(lines))
    bases = [f"{minutes.name}第{item_ordinal(i)}项{i.sub}" for i in matters(minutes)]
    return propose_from_minutes(minutes, bases, TODAY, DIRECTORY, OFFICIAL, dated=dated)


def test_standing_meeting_minutes_give_one_draft_per_matter_exactly() -> None:
    minutes = read_minutes("\n".join(MINUTES_12))
    assert (minutes.name, minutes.number) == ("市政府第12次常务会议纪要", "〔2026〕12号")
    assert minutes.held_on == date(2026, 11, 20)
    assert [i.number for i in minutes.items] == ["一", "二", "三", "四", "五"]
    # 出席/列席 after the last item are not part of it.
    assert "出席" not in minutes.items[-1].text

    # Item 一's sub-items （一）（二） are drafts of their own, under the units the item names.
    first, second, third, fourth, fifth, sixth = drafts(MINUTES_12)
    assert first == ProposedAssignment(
        title="积水点排查工作",
        requirements="11月底前完成积水点排查，逐点建立台账；",
        basis="市政府第12次常务会议纪要第一项一",
        unit_ids=(ZHUJIAN, JIAOTONG),
        lead_unit_id=ZHUJIAN,
        deadline=date(2026, 11, 30),
        problems=(DraftProblem(ProblemKind.DEADLINE_PASSED, "2026-11-30"),),
    )
    # （二） states no date: the item's 「于2026年12月31日前完成全部积水点整治」 holds.
    assert (second.title, second.requirements, second.unit_ids, second.lead_unit_id, second.deadline, second.basis) == (
        "明确整改措施和完成时间工作", "明确整改措施和完成时间。", (ZHUJIAN, JIAOTONG), ZHUJIAN, date(2026, 12, 31),
        "市政府第12次常务会议纪要第一项二",
    )
    # 交通局 is an alias of 交通运输局; 10个工作日 from Fri 11-20 is Fri 12-04, and 工作要求 says so.
    assert (third.title, third.unit_ids, third.lead_unit_id, third.deadline, third.problems) == (
        "农村公路养护工作", (JIAOTONG,), None, date(2026, 12, 4), ()
    )
    assert third.requirements == "会议同意交通局提出的养护方案，请交通运输局于2026年12月4日前报送实施计划。"
    # 一个月内 from 11-20 is Sun 12-20, which moves to Mon 12-21.
    assert (fourth.title, fourth.unit_ids, fourth.deadline, fourth.problems) == (
        "穰东镇污水处理厂建设", (RANGDONG,), date(2026, 12, 21), ()
    )
    assert fourth.requirements == "穰东镇负责，于2026年12月21日前完成选址和用地报批。"
    assert fifth.unit_ids == () and fifth.deadline == date(2026, 12, 31)
    assert fifth.problems == (DraftProblem(ProblemKind.UNIT_UNKNOWN, "市营商环境服务中心"),)
    # 工作要求 is the order: no heading, no 「会议要求」.
    assert fifth.requirements == "市营商环境服务中心12月底前拿出工作方案。"
    assert sixth.unit_ids == (JIAOYU,) and sixth.deadline is None
    assert sixth.problems == (DraftProblem(ProblemKind.NO_DEADLINE),)
    assert [d.complete for d in (first, second, third, fourth, fifth, sixth)] == [False, True, True, True, False, False]


def test_minutes_named_generically_are_cited_by_the_meeting_and_their_number() -> None:
    minutes = read_minutes("\n".join(MINUTES_18))
    assert (minutes.name, minutes.number) == ("市政府第18次常务会议纪要", "邓政纪〔2026〕18号")
    # The meeting's day, stated without a year, not the day of printing at the end.
    assert minutes.held_on == date(2026, 11, 23)
    first, second, third = drafts(MINUTES_18)
    # 10个工作日 from Mon 11-23 is Mon 12-07.
    assert (first.title, first.requirements, first.unit_ids, first.deadline) == (
        "城区停车难问题", "交通运输局于2026年12月7日前拿出城区停车难问题整治方案。",
        (JIAOTONG,), date(2026, 12, 7),
    )
    # Sub-items naming units and periods of their own: each its own units and deadline.
    assert (second.title, second.unit_ids, second.deadline, second.basis) == (
        "改造摸底工作", (ZHUJIAN,), date(2026, 12, 21), "市政府第18次常务会议纪要第二项一",
    )
    assert (third.unit_ids, third.deadline) == ((JIAOTONG, RANGDONG), date(2026, 12, 23))


@pytest.mark.parametrize("text, name", [
    ("邓州市人民政府常务会议纪要\n钱市长主持召开第18次常务会议。\n一、住建局年底前完成。", "市政府第18次常务会议纪要"),
    ("常务会议纪要\n市政府召开第18次常务会议。\n一、住建局年底前完成。", "市政府第18次常务会议纪要"),
    ("综合一科工作例会纪要\n11月26日，召开第3次工作例会。\n一、住建局年底前完成。", "综合一科第3次工作例会纪要"),
    ("市政府第12次常务会议纪要\n一、住建局年底前完成。", "市政府第12次常务会议纪要"),
    ("会议纪要\n一、住建局年底前完成。", "会议纪要"),
])
def test_the_minutes_name_which_meeting(text: str, name: str) -> None:
    assert read_minutes(text).name == name


@pytest.mark.parametrize("text, order", [
    ("关于城区积水点排查整治问题\n会议听取了住建局的汇报。会议要求，由住建局牵头，年底前完成。", "由住建局牵头，年底前完成。"),
    ("会议研究了秸秆禁烧工作。穰东镇一个月内完成。", "穰东镇一个月内完成。"),
    ("会议要求市营商环境服务中心12月底前拿出工作方案。", "市营商环境服务中心12月底前拿出工作方案。"),
    ("穰东镇负责，一个月内完成选址。", "穰东镇负责，一个月内完成选址。"),
    ("关于冬季校园安全工作", "关于冬季校园安全工作"),
])
def test_the_requirement_is_the_order_without_its_lead(text: str, order: str) -> None:
    assert instruction(text) == order


@pytest.mark.parametrize("title, matter", [
    ("拿出城区停车难问题整治方案", "城区停车难问题整治方案制定工作"),
    ("完成老旧小区改造摸底", "老旧小区改造摸底工作"),
    ("报送秸秆禁烧工作总结", "秸秆禁烧工作总结报送工作"),
    ("做好冬季校园安全工作", "冬季校园安全工作"),
    ("城区积水点排查整治", "城区积水点排查整治"),
    ("城区内涝治理的请示", "城区内涝治理的请示"),
])
def test_a_title_names_the_matter_the_slip_hands_over(title: str, matter: str) -> None:
    assert as_matter(title) == matter


def test_arabic_numbering_and_an_item_for_two_units() -> None:
    first, second = drafts(MINUTES_ARABIC)
    assert (first.title, first.unit_ids, first.deadline, first.basis) == (
        "老旧小区改造摸底工作", (ZHUJIAN,), date(2027, 1, 15), "市政府第13次常务会议纪要第一项"
    )
    # 两周内 from Fri 11-27 is Fri 12-11; two units, no 牵头: one 交办单 each, in the order named.
    assert (second.title, second.unit_ids, second.lead_unit_id, second.deadline) == (
        "客运站周边交通组织方案制定工作", (JIAOTONG, RANGDONG), None, date(2026, 12, 11)
    )


def test_parenthesised_numbering_of_a_section_meeting() -> None:
    minutes = read_minutes("\n".join(MINUTES_PARENTHESISED))
    assert minutes.name == "综合一科第3次工作例会纪要" and minutes.held_on == date(2026, 11, 26)
    first, second = drafts(MINUTES_PARENTHESISED)
    assert (first.title, first.unit_ids, first.deadline) == ("秸秆禁烧工作总结报送工作", (RANGDONG,), date(2026, 12, 15))
    # 年底前: 12-31.
    assert (second.title, second.unit_ids, second.deadline) == ("城区停车位普查工作", (JIAOTONG, ZHUJIAN), date(2026, 12, 31))


def test_outer_numbering_splits_and_inner_numbering_stays_in_its_item() -> None:
    minutes = read_minutes("纪要\n一、住建局月底前排查。\n（一）排查；\n（二）整改。\n二、交通局年底前完成。")
    assert [i.number for i in minutes.items] == ["一", "二"]
    assert minutes.items[0].text == "住建局月底前排查。\n（一）排查；\n（二）整改。"


def test_a_line_broken_by_the_page_width_runs_on() -> None:
    minutes = read_minutes("一、会议要求，由市住房和城乡建设局牵头，市交通运输\n局配合，年底前完成。")
    assert minutes.items[0].text == "会议要求，由市住房和城乡建设局牵头，市交通运输局配合，年底前完成。"


@pytest.mark.parametrize("text, code", [("", "minutes_empty"), ("  \n ", "minutes_empty"), ("会议纪要\n会议要求各单位抓紧落实。", "minutes_no_items")])
def test_minutes_without_numbered_items_are_refused(text: str, code: str) -> None:
    with pytest.raises(DomainError) as caught:
        read_minutes(text)
    assert caught.value.code == code


@pytest.mark.parametrize("phrase, start, due", [
    ("于2026年12月31日前完成", date(2026, 11, 20), date(2026, 12, 31)),
    ("12月底前完成", date(2026, 11, 20), date(2026, 12, 31)),
    ("11月底前完成", date(2026, 11, 20), date(2026, 11, 30)),
    ("2月底前完成", date(2026, 11, 20), date(2027, 3, 1)),  # 2027-02-28 is a Sunday
    ("年底前完成", date(2026, 11, 20), date(2026, 12, 31)),
    ("12月20日前", date(2026, 11, 20), date(2026, 12, 21)),  # a Sunday moves to Monday
    ("一个月内", date(2026, 11, 20), date(2026, 12, 21)),
    ("10个工作日内", date(2026, 11, 20), date(2026, 12, 4)),
    ("3日内拿出方案", date(2026, 11, 30), date(2026, 12, 3)),
    ("两周内", date(2026, 11, 27), date(2026, 12, 11)),
    ("15天内", date(2026, 9, 16), date(2026, 10, 8)),  # 10-01 falls in the National Day break
    ("抓紧落实", date(2026, 11, 20), None),
])
def test_stated_deadlines_count_from_the_meeting(phrase: str, start: date, due: date | None) -> None:
    assert stated_deadline(phrase, start, OFFICIAL) == due


def test_several_dates_in_one_item_give_the_last() -> None:
    assert stated_deadline("11月底前完成排查，12月底前完成整治", date(2026, 11, 20), OFFICIAL) == date(2026, 12, 31)


def test_longer_names_win_and_roles_follow_the_wording() -> None:
    mentions, unknown = find_units("由市住房和城乡建设局牵头，市交通运输局、穰东镇配合，住建局每周报告进展。", DIRECTORY)
    assert [(m.written, set(m.unit_ids), m.role) for m in mentions] == [
        ("市住房和城乡建设局", {ZHUJIAN}, UnitRole.LEAD),
        ("市交通运输局", {JIAOTONG}, UnitRole.SUPPORT),
        ("穰东镇", {RANGDONG}, UnitRole.SUPPORT),
    ]
    assert unknown == []


def test_a_name_two_units_go_by_is_marked_with_both() -> None:
    directory = UnitDirectory.build({1: "城管局", 2: "城市管理执法局"}, {1: ["城管"], 2: ["城管"]})
    proposal = propose("城管年底前完成", "城管年底前完成", "b", TODAY, TODAY, directory, OFFICIAL)
    assert proposal.unit_ids == ()
    assert proposal.problems == (DraftProblem(ProblemKind.UNIT_AMBIGUOUS, "城管", ("城市管理执法局", "城管局")),)


def test_a_deadline_already_past_is_marked() -> None:
    proposal = propose("住建局11月25日前完成", "住建局11月25日前完成", "b", date(2026, 11, 20), TODAY, DIRECTORY, OFFICIAL)
    assert proposal.problems == (DraftProblem(ProblemKind.DEADLINE_PASSED, "2026-11-25"),)


def test_an_instruction_of_a_leader_is_read_like_an_item() -> None:
    text = "请住建局牵头，交通局配合，3日内拿出方案。"
    proposal = propose(text, text, "刘建国2026年11月30日批示", TODAY, TODAY, DIRECTORY, OFFICIAL)
    assert (proposal.unit_ids, proposal.lead_unit_id, proposal.deadline, proposal.problems) == (
        (ZHUJIAN, JIAOTONG), ZHUJIAN, date(2026, 12, 3), ()
    )


def test_title_drops_guan_yu_and_the_question() -> None:
    assert short_title("关于城区积水点排查整治问题\n会议要求…") == "城区积水点排查整治"
    assert len(short_title("会议要求" + "很长的事项" * 20)) == 30


@given(st.integers(min_value=1, max_value=99))
def test_chinese_numbers_read_back(n: int) -> None:
    digits = "零一二三四五六七八九"
    written = digits[n] if n < 10 else (("" if n < 20 else digits[n // 10]) + "十" + (digits[n % 10] if n % 10 else ""))
    assert chinese_number(written) == n
    assert chinese_number(str(n)) == n


@given(st.text(alphabet="一二三、（）1.．住建局交通运输镇月底前年日内，。\n ", max_size=80))
def test_reading_never_fails_other_than_by_its_refusals(text: str) -> None:
    try:
        minutes = read_minutes(text)
    except DomainError as exc:
        assert exc.code in ("minutes_empty", "minutes_no_items")
        return
    for item in minutes.items:
        propose(item.text, item.text, "b", TODAY, TODAY, DIRECTORY, OFFICIAL)


def test_the_office_reports_go_to_is_not_an_unknown_unit() -> None:
    mentions, unknown = find_units("住建局牵头，每周向市政府办公室报告进展，抄报市政府督查室。", DIRECTORY)
    assert [m.written for m in mentions] == ["住建局"] and unknown == []
