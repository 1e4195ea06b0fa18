"""Reading a 交办单 written in one message, and the 时限 people type (SPEC section 8)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.calendar import WeekdayCalendar
from bot.domain.deadlines import DeadlineMode
from bot.domain.errors import DomainError
from bot.domain.tasks import SourceType
from bot.readers.issue_form import (
    FormProblem,
    IssueForm,
    after_command,
    parse_flag,
    parse_time_limit,
    read_form,
    split_names,
)

TODAY = date(2026, 11, 24)
CALENDAR = WeekdayCalendar()

FORM = """/new
事项: 全市城区积水点排查整治
要求: 逐点建立台账，明确整改措施
依据: 市政府第12次常务会议纪要
单位: 住建局, 交通运输局
期限: 7天
专项: 是"""


def problems(text: str) -> list[FormProblem]:
    _, found = read_form(text, TODAY, CALENDAR, DeadlineMode.CALENDAR)
    assert found
    return found


def form(text: str) -> IssueForm:
    read, found = read_form(text, TODAY, CALENDAR, DeadlineMode.CALENDAR)
    assert not found, found
    return read


def test_the_example_of_the_spec():
    read = form(FORM)
    assert read.title == "全市城区积水点排查整治"
    assert read.requirements == "逐点建立台账，明确整改措施"
    assert read.basis == "市政府第12次常务会议纪要"
    assert read.unit_names == ("住建局", "交通运输局")
    assert read.period_days == 7
    assert read.special_ledger is True
    assert read.source is None and read.responsible_names == ()
    assert read.lines["units"] == (5, "单位: 住建局, 交通运输局")


def test_synonyms_and_full_width_colons():
    read = form(
        "/new 事项：积水点排查\n要求：建台账\n根据：常务会议纪要\n责任单位：住建局、交通运输局 穰东镇\n"
        "时限：２０２６年１２月１日\n类型：主要领导批示件\n责任人：李住建，张交通"
    )
    assert read.title == "积水点排查" and read.basis == "常务会议纪要"
    assert read.unit_names == ("住建局", "交通运输局", "穰东镇")
    assert read.period_days == 7
    assert read.source is SourceType.PRINCIPAL_INSTRUCTION
    assert read.special_ledger is False
    assert read.responsible_names == ("李住建", "张交通")
    assert read.lines["title"] == (1, "事项：积水点排查")


@pytest.mark.parametrize(
    ("written", "source"),
    [("其他口线工作", SourceType.OTHER), ("市领导交办任务", SourceType.LEADER_ASSIGNMENT),
     ("市政府常务会议议定事项", SourceType.STANDING_MEETING), ("常务会议议定事项", SourceType.STANDING_MEETING),
     ("重要政务工作", SourceType.MAJOR_AFFAIR)],
)
def test_source_by_its_name(written, source):
    assert form(FORM + f"\n来源：{written}").source is source


def test_requirements_may_run_over_several_lines():
    read = form(FORM.replace("要求: 逐点建立台账，明确整改措施", "要求: 逐点建立台账：\n1. 时间：月底前完成\n2. 报送 http://example.org"))
    assert read.requirements == "逐点建立台账：\n1. 时间：月底前完成\n2. 报送 http://example.org"


def test_an_unknown_key_is_named_with_its_line():
    found = problems(FORM + "\n级别：高")
    assert found == [FormProblem("form_unknown_key", {"key": "级别"}, 8, "级别：高")]


def test_every_missing_key_is_named():
    found = problems("/new\n事项：积水点排查")
    assert [p.code for p in found] == ["form_key_missing"] * 4
    assert [p.details["key"] for p in found] == ["要求", "依据", "单位", "期限"]
    assert all(p.line is None for p in found)


def test_a_key_without_colon_is_named_once():
    found = problems(FORM.replace("期限: 7天", "期限 7天"))
    assert found == [FormProblem("form_colon_missing", {"key": "期限"}, 6, "期限 7天")]


def test_a_line_before_any_key():
    found = problems(FORM.replace("/new", "/new\n请办理"))
    assert found[0] == FormProblem("form_line_outside", {}, 2, "请办理")


def test_a_repeated_key():
    found = problems(FORM + "\n单位：穰东镇")
    assert found == [FormProblem("form_key_repeated", {"key": "单位"}, 8, "单位：穰东镇")]


@pytest.mark.parametrize(
    ("period", "code"),
    [("昨天", "period_invalid"), ("2026-11-24", "date_not_future"), ("2026-11-01", "date_not_future"),
     ("0天", "deadline_days_invalid"), ("400", "deadline_days_invalid"), ("2026-02-30", "date_no_such_day")],
)
def test_a_bad_period_names_its_line(period, code):
    found = problems(FORM.replace("期限: 7天", f"期限: {period}"))
    assert [(p.code, p.line) for p in found] == [(code, 6)]


def test_bad_flag_and_unknown_source():
    found = problems(FORM.replace("专项: 是", "专项: 也许") + "\n类型：随便")
    assert [(p.code, p.line) for p in found] == [("form_flag_invalid", 7), ("source_unknown", 8)]


def test_length_limits():
    found = problems(FORM.replace("全市城区积水点排查整治", "事" * 501))
    assert found == [FormProblem("text_too_long", {"field": "事项", "length": 501, "limit": 500}, 2, found[0].text)]
    assert form(FORM.replace("全市城区积水点排查整治", "事" * 500)).title == "事" * 500


def test_problems_come_in_line_order_missing_keys_last():
    found = problems("/new\n事项：x\n级别：高\n期限：abc")
    assert [(p.code, p.line) for p in found] == [
        ("form_unknown_key", 3), ("period_invalid", 4),
        ("form_key_missing", None), ("form_key_missing", None), ("form_key_missing", None),
    ]


@pytest.mark.parametrize(
    ("text", "days"),
    [("7", 7), ("7天", 7), ("７天", 7), ("15日", 15), (" 30 天内 ", 30), ("2026-12-31", 37), ("2026/12/1", 7),
     ("2026.12.01", 7), ("2026年12月1日", 7), ("12月1日", 7), ("12月1号", 7), ("12月1日前", 7), ("2027-01-01", 38)],
)
def test_period_as_typed(text, days):
    assert parse_time_limit(text, TODAY, CALENDAR, DeadlineMode.CALENDAR) == days


@pytest.mark.parametrize("text", ["", "abc", "七天", "12/1"])
def test_unreadable_period(text):
    with pytest.raises(DomainError) as raised:
        parse_time_limit(text, TODAY, CALENDAR, DeadlineMode.CALENDAR)
    assert raised.value.code == "period_invalid"


@pytest.mark.parametrize("text", ["2026-11-24", "11月24日", "2025-12-31", "11月1日"])
def test_today_or_a_past_date_is_refused(text):
    with pytest.raises(DomainError) as raised:
        parse_time_limit(text, TODAY, CALENDAR, DeadlineMode.CALENDAR)
    assert raised.value.code == "date_not_future"


@given(st.integers(min_value=1, max_value=365))
def test_a_future_date_is_that_many_days(days):
    deadline = TODAY + timedelta(days=days)
    assert parse_time_limit(deadline.isoformat(), TODAY, CALENDAR, DeadlineMode.CALENDAR) == days
    assert parse_time_limit(f"{deadline.year}年{deadline.month}月{deadline.day}日", TODAY, CALENDAR, DeadlineMode.CALENDAR) == days
    assert parse_time_limit(f"{days}天", TODAY, CALENDAR, DeadlineMode.CALENDAR) == days


@given(st.integers(min_value=-3650, max_value=0))
def test_no_date_up_to_today_is_accepted(offset):
    with pytest.raises(DomainError):
        parse_time_limit((TODAY + timedelta(days=offset)).isoformat(), TODAY, CALENDAR, DeadlineMode.CALENDAR)


@given(st.text(max_size=60))
def test_the_parser_never_crashes(text):
    read, found = read_form("/new\n" + text, TODAY, CALENDAR, DeadlineMode.CALENDAR)
    assert isinstance(read, IssueForm) and isinstance(found, list)
    try:
        parse_time_limit(text, TODAY, CALENDAR, DeadlineMode.CALENDAR)
    except DomainError:
        pass


names = st.lists(st.text(alphabet=st.characters(whitelist_categories=("Lo",)), min_size=1, max_size=8), min_size=1, max_size=6, unique=True)


@given(names, st.sampled_from([",", "，", "、", " ", ", ", "、 ", ";"]))
def test_unit_names_any_separator(units, separator):
    assert split_names(separator.join(units)) == tuple(units)


def test_flags_and_dates():
    assert parse_flag("是") is True and parse_flag("否") is False and parse_flag("也许") is None


def test_after_command():
    assert after_command("/new") == ""
    assert after_command("/new@duban_bot  ") == ""
    assert after_command("/new\n事项：x") == "事项：x"
    assert after_command("/new 事项：x") == "事项：x"


def test_a_date_without_a_year_typed_in_december_is_the_coming_one() -> None:
    """「期限：1月15日」 typed on 12月20日 is the coming 15 January, as a 会议纪要's 「1月15日前」 is."""
    december = date(2026, 12, 20)
    days = parse_time_limit("1月15日", december, CALENDAR, DeadlineMode.CALENDAR)
    assert days == (date(2027, 1, 15) - december).days


@pytest.mark.parametrize("text", ["2026-02-30", "2026-13-01", "2月30日"])
def test_a_date_that_does_not_exist_is_refused_as_such(text) -> None:
    with pytest.raises(DomainError) as raised:
        parse_time_limit(text, TODAY, CALENDAR, DeadlineMode.CALENDAR)
    assert raised.value.code == "date_no_such_day" and raised.value.may_answer_again
