"""Slip numbers as people type them (SPEC §3), and as they cite them in feedback
("请在反馈材料中注明交办单编号")."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from bot.domain.errors import DomainError
from bot.domain.slip_numbers import (
    find_slip_reference,
    parse_slip_reference,
)
from bot.domain.slips import SlipReference, SlipType

YEAR = 2026
J, C, D = SlipType.ASSIGNMENT, SlipType.REMINDER, SlipType.SUPERVISION


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("〔2026〕12号", SlipReference(None, 2026, 12)),
        ("[2026]12号", SlipReference(None, 2026, 12)),
        ("(2026)12", SlipReference(None, 2026, 12)),
        ("（2026）12号", SlipReference(None, 2026, 12)),
        ("【2026】12号", SlipReference(None, 2026, 12)),
        ("2026-12", SlipReference(None, 2026, 12)),
        ("2026/12", SlipReference(None, 2026, 12)),
        ("2026年12号", SlipReference(None, 2026, 12)),
        ("2026年第12号", SlipReference(None, 2026, 12)),
        ("〔2025〕第3号", SlipReference(None, 2025, 3)),
        ("12号", SlipReference(None, YEAR, 12)),
        ("12", SlipReference(None, YEAR, 12)),
        ("2026号", SlipReference(None, YEAR, 2026)),
        ("〔２０２６〕１２号", SlipReference(None, 2026, 12)),
        ("２０２６－１２", SlipReference(None, 2026, 12)),
        ("  〔2026〕12号\u3000", SlipReference(None, 2026, 12)),
        ("〔 2026 〕 12 号", SlipReference(None, 2026, 12)),
        ("交办〔2026〕12号", SlipReference(J, 2026, 12)),
        ("交办单〔2026〕12号", SlipReference(J, 2026, 12)),
        ("催办 2026-3", SlipReference(C, 2026, 3)),
        ("催办单12号", SlipReference(C, YEAR, 12)),
        ("督办7", SlipReference(D, YEAR, 7)),
        ("督办单〔2026〕7号", SlipReference(D, 2026, 7)),
        ("督办通知单〔2026〕7号", SlipReference(D, 2026, 7)),
        ("督办通知 2026/7", SlipReference(D, 2026, 7)),
        ("邓州市人民政府工作交办单〔2026〕12号", SlipReference(J, 2026, 12)),
        ("《邓州市人民政府工作催办单》〔2018〕5号", SlipReference(C, 2018, 5)),
        ("交办单编号：〔2026〕12号", SlipReference(J, 2026, 12)),
        ("J2026-12", SlipReference(J, 2026, 12)),
        ("j 2026/12", SlipReference(J, 2026, 12)),
        ("c-2026-3", SlipReference(C, 2026, 3)),
        ("D12", SlipReference(D, YEAR, 12)),
        ("ｄ１２", SlipReference(D, YEAR, 12)),
        ("J〔2026〕1号", SlipReference(J, 2026, 1)),
        ("〔2100〕99999号", SlipReference(None, 2100, 99999)),
        ("〔2000〕1号", SlipReference(None, 2000, 1)),
        ("007号", SlipReference(None, YEAR, 7)),
    ],
)
def test_accepted_forms(text: str, expected: SlipReference) -> None:
    assert parse_slip_reference(text, YEAR) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "2026",  # a year without its 序号
        "J2026",
        "〔2026〕",
        "〔2026〕号",
        "abc",
        "0号",
        "〔2026〕0号",
        "〔2026〕100000号",
        "〔1999〕3号",
        "〔2101〕3号",
        "〔26〕3号",
        "12号12",
        "12-5",
        "2026-12-01",
        "2026.12",
        "X2026-12",
        "交办单",
        "交办单 abc",
        "١٢",  # Arabic-Indic digits are not what the notice's numbers use
        "12" * 5000,
        "〔2026〕" + "1" * 9990,
    ],
)
def test_rejected_inputs(text: str) -> None:
    with pytest.raises(DomainError) as caught:
        parse_slip_reference(text, YEAR)
    assert caught.value.code == "slip_number_invalid"
    assert caught.value.details == {"text": text}


# --- every rendering parses back ------------------------------------------------------------

_BRACKETS = [("〔", "〕"), ("[", "]"), ("(", ")"), ("（", "）"), ("【", "】"), ("［", "］")]
_WORDS = {
    J: ["交办", "交办单", "工作交办单", "邓州市人民政府工作交办单"],
    C: ["催办", "催办单", "工作催办单", "邓州市人民政府工作催办单"],
    D: ["督办", "督办单", "督办通知", "督办通知单", "邓州市人民政府督办通知单"],
}
_FULL_WIDTH = {str(i): chr(0xFF10 + i) for i in range(10)}

spaces = st.sampled_from(["", "", " ", "  ", "\u3000"])


@st.composite
def digits(draw: st.DrawFn, number: int) -> str:
    """``number`` with each digit ASCII or full-width at random."""
    return "".join(draw(st.sampled_from([d, _FULL_WIDTH[d]])) for d in str(number))


@st.composite
def renderings(draw: st.DrawFn) -> tuple[str, SlipReference, bool]:
    """A way of writing a slip number, what it means, and whether it names its year."""
    slip_type = draw(st.none() | st.sampled_from(SlipType))
    year = draw(st.integers(2000, 2100))
    seq = draw(st.integers(1, 99999))
    sp = lambda: draw(spaces)  # noqa: E731 - a fresh random gap at each call
    y, n = draw(digits(year)), draw(digits(seq))
    form = draw(st.sampled_from(["bracket", "dash", "slash", "nian", "hao", "bare"]))
    if form == "bracket":
        opening, closing = draw(st.sampled_from(_BRACKETS))
        hao = draw(st.sampled_from(["号", ""]))
        body = f"{opening}{sp()}{y}{sp()}{closing}{sp()}{n}{sp()}{hao}"
    elif form in ("dash", "slash"):
        sep = "-" if form == "dash" else draw(st.sampled_from(["/", "／"]))
        body = f"{y}{sp()}{sep}{sp()}{n}{draw(st.sampled_from(['号', '']))}"
    elif form == "nian":
        body = f"{y}年{sp()}{draw(st.sampled_from(['第', '']))}{n}{sp()}号"
    elif form == "hao":
        year = YEAR
        body = f"{n}{sp()}号"
    else:
        year = YEAR
        assume(not 2000 <= seq <= 2100)  # a bare 2026 reads as a year: refused as ambiguous
        body = n
    prefix = ""
    if slip_type is not None:
        if draw(st.booleans()):
            prefix = draw(st.sampled_from(_WORDS[slip_type])) + sp()
        else:
            letter = draw(st.sampled_from([slip_type.letter, slip_type.letter.lower()]))
            prefix = letter + draw(st.sampled_from(["", "-", " "]))
    text = f"{sp()}{prefix}{body}{sp()}"
    return text, SlipReference(slip_type, year, seq), form not in ("hao", "bare")


@given(rendering=renderings())
def test_every_rendering_parses_back(rendering: tuple[str, SlipReference, bool]) -> None:
    text, expected, _ = rendering
    assert parse_slip_reference(text, YEAR) == expected


@given(text=st.text(max_size=300), current_year=st.integers(2000, 2100))
def test_garbage_parses_or_raises_domain_error(text: str, current_year: int) -> None:
    try:
        reference = parse_slip_reference(text, current_year)
    except DomainError as error:
        assert error.code == "slip_number_invalid"
    else:
        assert 2000 <= reference.year <= 2100 and 1 <= reference.seq <= 99999


@given(text=st.text(alphabet="〔〕[]()（）年号第-/ 0123456789０１２交办催督单JCDjcd", max_size=40))
def test_number_like_garbage_parses_or_raises_domain_error(text: str) -> None:
    try:
        reference = parse_slip_reference(text, YEAR)
    except DomainError:
        pass
    else:
        assert 2000 <= reference.year <= 2100 and 1 <= reference.seq <= 99999


# --- citations inside free text -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("已完成交办单〔2026〕12号的各项任务。", SlipReference(J, 2026, 12)),
        ("关于〔2026〕7号的办理情况", SlipReference(None, 2026, 7)),
        ("〔2026〕7号已办结", SlipReference(None, 2026, 7)),
        ("请审核：催办单（２０２６）３号。", SlipReference(C, 2026, 3)),
        ("交办单编号：〔2026〕9号，已办结", SlipReference(J, 2026, 9)),
        ("《邓州市人民政府督办通知单》〔2026〕2号收悉", SlipReference(D, 2026, 2)),
        ("交办单12号已完成", SlipReference(J, YEAR, 12)),
        ("按催办 2026-4 要求", SlipReference(C, 2026, 4)),
        ("回复J2026-12：已完成", SlipReference(J, 2026, 12)),
        ("D12已办结", SlipReference(D, YEAR, 12)),
        ("根据邓政办〔2018〕127号文件，交办单2026-5已办结", SlipReference(J, 2026, 5)),
        ("交办单〔2026〕3号和〔2026〕4号", SlipReference(J, 2026, 3)),
        ("已完成〔2026〕12号", SlipReference(None, 2026, 12)),
    ],
)
def test_finds_the_first_citation(text: str, expected: SlipReference) -> None:
    assert find_slip_reference(text, YEAR) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "完成了3项工作，投入12人",
        "督办3项已完成",
        "2026-12 已完成",
        "12号完成",
        "交办单2026-12-01下发",
        "于2026年12月3日完成",
        "根据邓政办〔2018〕127号文件办理",
        "按国办发〔2020〕1号执行",
        "COVID-19 防控",
        "ABCD12",
        "交办单已办结",
    ],
)
def test_ignores_numbers_that_are_not_citations(text: str) -> None:
    assert find_slip_reference(text, YEAR) is None


@given(
    rendering=renderings(),
    before=st.sampled_from(["", "已完成", "根据", "回复：", "（", "Re: "]),
    after=st.sampled_from(["", "。", "，已办结", " 已完成", "）"]),
)
def test_finds_typed_or_bracketed_renderings_inside_a_sentence(
    rendering: tuple[str, SlipReference, bool], before: str, after: str
) -> None:
    text, expected, names_year = rendering
    # In free text a bare "12" is not a citation, a letter must touch its number ("D12", not
    # "D 12"), and without a type word or letter only a bracketed year counts.
    bare = "号" not in text and not names_year
    head = text.strip()[:2]
    letter_with_space = expected.type is not None and head[:1].isascii() and " " in head
    bracketed = any(opening in text for opening, _ in _BRACKETS)
    assume(not bare and not letter_with_space and (expected.type is not None or bracketed))
    assert find_slip_reference(f"{before}{text}{after}", YEAR) == expected


@given(text=st.text(max_size=300))
def test_find_never_raises(text: str) -> None:
    reference = find_slip_reference(text, YEAR)
    assert reference is None or (2000 <= reference.year <= 2100 and 1 <= reference.seq <= 99999)


def test_find_on_a_long_text_is_quick() -> None:
    text = "完成了3项，" * 2000 + "交办单〔2026〕12号"
    assert find_slip_reference(text, YEAR) == SlipReference(J, 2026, 12)
    for filler in (" ", "1", "交办 ", "〔2026〕", "第 "):
        assert find_slip_reference(filler * 5000 + "。", YEAR) is None
