"""Reading a 会议纪要 or a leader's 批示 into draft 交办单 (notice, section 一).

The notice: 「市政府常务会议议定事项、市政府主要领导批示件、涉及全市的重要政务工作由市政府办公室政务监督室
依据相关文件、会议纪要建立工作台账进行专项交办」. This module reads the text of the minutes — the
meeting's name and date, the 议定事项 split by the numbering official minutes use (一、 / （一） /
1.) — and, for each item or 批示, the 责任单位 it names (by name or alias, with its 牵头/配合
wording) and the 期限 it states, counted from the meeting (or 批示) date by the rules of
:mod:`bot.domain.deadlines`.

What cannot be settled (no unit, an unknown or ambiguous unit name, no date, a date already
past) is returned as :class:`DraftProblem` on that item, so the office decides it before the
draft can be issued.

Pure functions: no storage, no Telegram; dates are parameters.
"""

from __future__ import annotations

import calendar as month_calendar
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum

from bot.domain.calendar import WorkCalendar
from bot.domain.dates import coming, day_of
from bot.domain.deadlines import DeadlineMode, deadline_after, next_workday_on_or_after
from bot.domain.errors import DomainError

TITLE_LIMIT = 30
"""A 工作事项 is a short title; the whole item stays in 工作要求."""

_CN_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_NUMBER = "[一二三四五六七八九十百两〇零]+"


class Numbering(StrEnum):
    """The numbering styles of official minutes, from the outermost level in."""

    CHINESE = "chinese"
    """一、二、三、"""

    PARENTHESISED = "parenthesised"
    """（一）（二）（三）"""

    ARABIC = "arabic"
    """1. 2. 3. (or 1、)"""


_NUMBERING = {
    Numbering.CHINESE: re.compile(rf"^({_CN_NUMBER})\s*、\s*"),
    Numbering.PARENTHESISED: re.compile(rf"^[(（]\s*({_CN_NUMBER})\s*[)）]\s*"),
    Numbering.ARABIC: re.compile(r"^(\d{1,3})\s*[.．、](?!\d)\s*"),
}

_END_OF_ITEMS = re.compile(r"^(出席|列席|请假|参加|参会|抄送|分送|主送|发送|记录|会议出席|附件)\s*[:：]?")
"""The lines after the last 议定事项: attendance, distribution, the clerk's name."""

_MEETING_NAME = re.compile(r"([^\s，。：:]{2,40}?纪要)")
_DATE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_DAY_IN_YEAR = re.compile(r"(?<![\d年])(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_HELD = re.compile(r"召开|主持|举行")
"""A sentence saying the meeting was held: its date is the meeting's, which periods count from."""
_MEETING_ORDINAL = re.compile(rf"第\s*(\d{{1,3}}|{_CN_NUMBER})\s*次\s*([^\s，。、：:；]{{0,10}}?(?:会议|例会))")
_ORGAN_CUT = re.compile(r"^.*(?:召开|主持|举行|出席|参加|在|的|了|，|。|：|\s)")
_DOC_NUMBER = re.compile(r"([\u4e00-\u9fff]{0,6}?)\s*[〔\[【]\s*(\d{4})\s*[〕\]】]\s*(\d{1,4})\s*号")
_SENTENCE_END = "。；！？;!?:："
_FULL_LINE = 20
"""Characters a line of a PDF page holds at least when the text was broken by the width."""


@dataclass(frozen=True)
class MinutesItem:
    """One 议定事项: its number as printed (``一``, ``（二）``, ``3``) and its whole text.

    A sub-item (the （二） under an 一、, :func:`matters`) has ``sub`` = ``二`` and ``lead``, the
    words of its item before the first sub-item: the units and the 期限 they state hold for every
    sub-item that states none of its own."""

    number: str
    text: str
    sub: str = ""
    lead: str = ""


@dataclass(frozen=True)
class Minutes:
    """A 会议纪要 as read: the meeting's name (「市政府第12次常务会议纪要」), the day the meeting was
    held (None when not stated), the 议定事项, and the minutes' number (「〔2026〕12号」, "" when
    not printed)."""

    name: str
    held_on: date | None
    items: tuple[MinutesItem, ...]
    number: str = ""
    numbering: Numbering = Numbering.CHINESE
    """The numbering that splits the items."""


_FOLD = str.maketrans("０１２３４５６７８９．\u3000", "0123456789. ")


def fold(text: str) -> str:
    """Full-width digits folded to ASCII; the Chinese punctuation (，；：（）) is kept, since the
    item's text becomes the 工作要求 as written."""
    return text.translate(_FOLD)


def normalise(text: str) -> str:
    """Digits folded, lines trimmed, blank lines dropped."""
    lines = (fold(line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def chinese_number(text: str) -> int | None:
    """一 → 1, 十二 → 12, 二十 → 20, 两 → 2, 12 → 12; None when it is not a number."""
    text = text.strip()
    if text.isdigit():
        return int(text)
    if not text or any(ch not in _CN_DIGITS and ch not in "十百" for ch in text):
        return None
    total, current = 0, 0
    for ch in text:
        if ch == "百":
            total += (current or 1) * 100
            current = 0
        elif ch == "十":
            total += (current or 1) * 10
            current = 0
        else:
            current = current * 10 + _CN_DIGITS[ch]
    return total + current


def read_minutes(text: str) -> Minutes:
    """The meeting, its date and its 议定事项, from the plain text of a 会议纪要.

    The outermost numbering style found at the start of a line after the title splits the items;
    deeper numbering (the （一） under an 一、) stays inside its item's text.

    Raises:
        DomainError: ``minutes_empty`` when there is no text; ``minutes_no_items`` when no line
            starts with a number of any of the three styles.
    """
    clean = normalise(text)
    if not clean:
        raise DomainError("minutes_empty")
    lines = clean.splitlines()
    name = meeting_name(clean)
    held_on = meeting_day(lines)

    style = next(
        (s for line in lines for s in Numbering if _NUMBERING[s].match(line)),
        None,
    )
    if style is None:
        raise DomainError("minutes_no_items")
    pattern = _NUMBERING[style]
    items: list[tuple[str, list[str]]] = []
    for line in lines:
        if _END_OF_ITEMS.match(line):
            if items:
                break
            continue
        match = pattern.match(line)
        if match:
            items.append((match.group(1), [line[match.end():]]))
        elif items:
            items[-1][1].append(line)
    return Minutes(
        name=name,
        held_on=held_on,
        items=tuple(MinutesItem(number, _join(parts)) for number, parts in items if _join(parts)),
        number=minutes_number(lines),
        numbering=style,
    )


def meeting_name(text: str) -> str:
    """Which meeting: 「市政府第12次常务会议纪要」.

    The title when it says which one; otherwise the title's generic 「邓州市人民政府常务会议纪要」 is
    completed from the text (「…主持召开市政府第12次常务会议」), so 依据 names the meeting.
    """
    match = _MEETING_NAME.search(text)
    title = match.group(1) if match else ""
    if _MEETING_ORDINAL.search(title):
        return title
    held = _MEETING_ORDINAL.search(text)
    if held is None:
        return title
    before = text[max(0, held.start() - 16):held.start()].split("\n")[-1]
    organ = _ORGAN_CUT.sub("", before)
    if not organ:
        # 「召开第3次工作例会」 under the title 「综合一科工作例会纪要」: whose meeting, from the title
        kind = held.group(2)
        named = title.removesuffix("纪要")
        if named.endswith(kind) and named != kind:
            organ = named.removesuffix(kind)
        elif "政府" in before or "政府" in title or not title:
            organ = "市政府"
    if organ.endswith("人民政府"):
        organ = "市政府"
    return f"{organ}第{held.group(1)}次{held.group(2)}纪要"


def minutes_number(lines: Sequence[str]) -> str:
    """The minutes' number as printed, 「〔2026〕12号」 (with its prefix, 「邓政纪〔2026〕12号」, when
    it stands on a line of its own); "" when none is printed."""
    for line in lines:
        match = _DOC_NUMBER.fullmatch(line.strip())
        if match:
            return f"{match.group(1)}〔{match.group(2)}〕{match.group(3)}号"
    for line in lines:
        match = _DOC_NUMBER.search(line)
        if match:
            return f"〔{match.group(2)}〕{match.group(3)}号"
    return ""


def meeting_day(lines: Sequence[str]) -> date | None:
    """The day the meeting was held, as the text states it (「2026年11月20日上午，…召开…」, or
    「11月20日」 in a year the minutes date elsewhere); else the first full date printed."""
    years = [int(m.group(1)) for line in lines for m in _DATE.finditer(line)]
    for line in lines:
        if not _HELD.search(line):
            continue
        full = _DATE.search(line)
        if full:
            return day_of(*(int(g) for g in full.groups()))
        short = _DAY_IN_YEAR.search(line)
        if short and years:
            return day_of(years[0], int(short.group(1)), int(short.group(2)))
    first = next((m for line in lines for m in [_DATE.search(line)] if m), None)
    return day_of(*(int(g) for g in first.groups())) if first else None


def matters(minutes: Minutes) -> tuple[MinutesItem, ...]:
    """What is to be drafted, one 交办单 draft each: every 议定事项, and in place of an item with
    sub-items 「（一）…（二）…」 each sub-item, carrying the item's own words as its ``lead``."""
    out: list[MinutesItem] = []
    pattern = _NUMBERING[Numbering.PARENTHESISED]
    for item in minutes.items:
        lead: list[str] = []
        subs: list[tuple[str, list[str]]] = []
        for line in item.text.split("\n"):
            match = pattern.match(line) if minutes.numbering is Numbering.CHINESE else None
            if match:
                subs.append((match.group(1), [line[match.end():]]))
            elif subs:
                subs[-1][1].append(line)
            else:
                lead.append(line)
        if not subs:
            out.append(item)
            continue
        for sub, parts in subs:
            text = "\n".join(parts).strip()
            if text:
                out.append(MinutesItem(item.number, text, sub=sub, lead="\n".join(lead).strip()))
    return tuple(out)


def _join(lines: Sequence[str]) -> str:
    """Lines of one item: after a line that ends a sentence, or a short one (a heading), and
    before a sub-item's number, a new paragraph; a long line broken by the page width (PDF) runs
    on without a break."""
    out = ""
    previous = ""
    for line in lines:
        if out and (out[-1] in _SENTENCE_END or len(previous) < _FULL_LINE or _NUMBERING[Numbering.PARENTHESISED].match(line)):
            out += "\n"
        out += line
        previous = line
    return out.strip()


def item_ordinal(item: MinutesItem) -> str:
    """The item's number in Chinese (``三`` for 三、, （三） and 3.), as 依据 cites it."""
    number = chinese_number(item.number)
    return _chinese(number) if number is not None else item.number


def _chinese(n: int) -> str:
    digits = "零一二三四五六七八九"
    if n < 10:
        return digits[n]
    if n < 20:
        return "十" + (digits[n % 10] if n % 10 else "")
    if n < 100:
        return digits[n // 10] + "十" + (digits[n % 10] if n % 10 else "")
    return str(n)


# ------------------------------------------------------------------------------------ title

_TITLE_PREFIX = re.compile(r"^(关于|会议(?:听取|研究|审议|同意|原则同意|议定|决定|要求|指出|明确)了?)")
_TITLE_SUFFIX = re.compile(r"(的)?(有关)?(问题|事项|事宜|情况|汇报)?$")
_A_PROBLEM = re.compile(r"[难乱差慢堵脏]问题$")
"""「停车难问题」 names its matter only with 问题."""


def short_title(item_text: str, names: Sequence[str] = ()) -> str:
    """工作事项: the item's first phrase that says what is to be done, without 「关于」 and 「的问题」,
    the unit ``names`` and the 期限 (they have fields of their own); at most :data:`TITLE_LIMIT`.

    「一、关于城区积水点排查整治问题」 → 城区积水点排查整治; 「住建局于2027年1月15日前完成老旧小区改造摸底。」
    → 完成老旧小区改造摸底.
    """
    clauses = [c for c in re.split(r"[。；，：;,:\n]", item_text.strip()) if c.strip()]
    for clause in clauses:
        # A heading (「关于穰东镇污水处理厂建设」) names the matter, unit and all.
        heading = clause.strip().startswith("关于")
        title = _TITLE_PREFIX.sub("", clause.strip())
        for name in sorted(names, key=len, reverse=True) if not heading else ():
            title = title.replace(name, "")
        title = _DEADLINE_WORDS.sub("", title).strip(_CONNECTORS)
        trimmed = _TITLE_SUFFIX.sub("", title).strip()
        if len(trimmed) >= 4 and not _A_PROBLEM.search(title):
            title = trimmed
        if len(title) >= 4:
            title = as_matter(title)
            return title if len(title) <= TITLE_LIMIT else title[: TITLE_LIMIT - 1] + "…"
    first = item_text.strip().split("\n")[0]
    return first if len(first) <= TITLE_LIMIT else first[: TITLE_LIMIT - 1] + "…"


_CONNECTORS = " 、，,于由在和与及会同牵头配合负责要请并"

_ORDERS = (
    (re.compile(r"^(?:研究)?(?:拿出|提出|制定|制订|拟定|起草|形成|编制)(.{2,})$"), "{}制定工作"),
    (re.compile(r"^(?:报送|上报|提交|呈报)(.{2,})$"), "{}报送工作"),
    (re.compile(r"^(?:抓紧|加快|全力|认真|切实)?(?:完成|做好|抓好|落实|开展|推进|加强|组织|推动|实施)(.{2,})$"), "{}工作"),
    (re.compile(r"^((?:明确|建立|健全|整治|排查|研究|解决|督促|加大|强化|确保|优化|规范|完善|清理|摸清|召开).{2,})$"), "{}工作"),
)
"""An order (「拿出整治方案」) and the matter it makes (「整治方案制定工作」)."""


def as_matter(title: str) -> str:
    """工作事项 is what the 交办单 hands over — 「现将{事项}交由你单位办理」 — so an order becomes its
    matter: 「拿出城区停车难问题整治方案」 → 城区停车难问题整治方案制定工作, 「完成老旧小区改造摸底」 →
    老旧小区改造摸底工作; a title that already names a matter stays."""
    for pattern, matter in _ORDERS:
        match = pattern.match(title)
        if match:
            object_ = match.group(1)
            if object_.endswith(("工作", "事项")):
                return object_
            if object_.endswith(("方案", "计划", "意见", "办法", "规划")):
                return f"{object_}制定工作"
            return matter.format(object_)
    return title


_HEADING = re.compile(r"^关于[^。；！？]*$")
_DECIDED = re.compile(r"(?:会议|会上)(?:要求|强调|明确|议定|决定|指出|责成)[，,：:]?")
_BACKGROUND = re.compile(r"^(?:会议|会上)(?:听取|研究|审议|通报|学习)[^。]*。")


def instruction(text: str) -> str:
    """工作要求: what the item orders, as the minutes word it, without its heading
    (「关于城区积水点排查整治问题」), the report the meeting heard, or the 「会议要求，」 that leads in."""
    lines = text.strip().split("\n")
    if len(lines) > 1 and _HEADING.match(lines[0].strip()):
        lines = lines[1:]
    body = "\n".join(lines).strip()
    decided = _DECIDED.search(body)
    if decided:
        body = _DECIDED.sub("", body[decided.end():])
    else:
        while (background := _BACKGROUND.match(body)) is not None:
            body = body[background.end():].lstrip()
    return body.strip() or text.strip()


# ------------------------------------------------------------------------------------ units


class UnitRole(StrEnum):
    """How an item names a unit."""

    LEAD = "lead"
    """牵头."""

    SUPPORT = "support"
    """配合 / 协助."""

    NAMED = "named"
    """Named without either word (负责, or simply listed)."""


@dataclass(frozen=True)
class UnitDirectory:
    """Every form a 责任单位's name takes in the minutes, mapped to the units it may mean.

    Built from each unit's name and its aliases (the unit's data, imported by .xlsx or set by the
    administrator); 「市」 before a name is always allowed (住建局 → 市住建局 and back).
    """

    forms: Mapping[str, frozenset[int]]
    names: Mapping[int, str]

    @classmethod
    def build(cls, units: Mapping[int, str], aliases: Mapping[int, Sequence[str]]) -> UnitDirectory:
        """The directory of ``units`` (id → name) with their ``aliases`` (id → aliases)."""
        forms: dict[str, set[int]] = {}
        for unit_id, name in units.items():
            for written in (name, *aliases.get(unit_id, ())):
                written = fold(written).strip()
                if not written:
                    continue
                for form in {written, "市" + written, written.removeprefix("市")}:
                    if len(form) >= 2:
                        forms.setdefault(form, set()).add(unit_id)
        return cls({k: frozenset(v) for k, v in forms.items()}, dict(units))

    def unit_for(self, written: str | None) -> int | None:
        """The one unit a name written on its own means (its name or an alias, with or without
        「市」); None for a name that means no unit or more than one."""
        units = self.forms.get(fold(written or "").strip(), frozenset())
        return next(iter(units)) if len(units) == 1 else None


@dataclass(frozen=True)
class UnitMention:
    """A unit an item names, with its role; ``unit_ids`` has two or more ids when ambiguous."""

    written: str
    unit_ids: frozenset[int]
    role: UnitRole
    also_support: bool = False
    """Marked 牵头 in one clause and 配合 in another."""


_ORG_NAME = re.compile(
    r"^(.{1,10}?(?:局|委员会|办公室|办事处|管委会|中心|公司|集团))(?=$|\d|[在于要负提拿完制做报抓加进开落对按将把尽立全])"
    r"|^(.{1,10}(?:镇|乡|街道|街区))$"
)
"""A name that reads as a 责任单位's (ends like one, stands where a unit stands)."""
_FRAGMENT_SPLIT = re.compile(r"[，。；、,;:：\s（）()“”\"]|会议|由|和|与|及|向|会同|牵头|配合|协助|负责|要求|明确|请|督促|抓紧|共同")
_PLACEHOLDER = "\u0000"
_NOT_A_UNIT_START = ("各", "有关", "相关")
_THE_OFFICE = ("政府办公室", "政务监督室", "督查室")
"""The office that issues the 交办单 is named in minutes as where reports go, never as a 责任单位."""


def find_units(text: str, directory: UnitDirectory) -> tuple[list[UnitMention], list[str]]:
    """The units an item names, in order of first mention, and the unit-like names it uses that
    match no unit.

    Longer forms win (市住房和城乡建设局 before 住建局), so one mention never counts twice. The role
    comes from the clause the unit sits in: 「市住建局牵头，市交通运输局配合」.
    """
    text = fold(text)
    spans: list[tuple[int, int, str]] = []
    taken = [False] * len(text)
    for form in sorted(directory.forms, key=len, reverse=True):
        start = text.find(form)
        while start != -1:
            end = start + len(form)
            if not any(taken[start:end]):
                spans.append((start, end, form))
                for i in range(start, end):
                    taken[i] = True
            start = text.find(form, end)
    spans.sort()
    mentions: dict[frozenset[int], UnitMention] = {}
    for start, end, form in spans:
        ids = directory.forms[form]
        role = _role_after(text, end, start)
        known = mentions.get(ids)
        if known is None or (known.role is UnitRole.NAMED and role is not UnitRole.NAMED):
            mentions[ids] = UnitMention(form, ids, role)
        elif {known.role, role} == {UnitRole.LEAD, UnitRole.SUPPORT}:
            mentions[ids] = replace(known, role=UnitRole.LEAD, also_support=True)
    masked = "".join(_PLACEHOLDER if taken[i] else ch for i, ch in enumerate(text))
    unknown: list[str] = []
    for fragment in _FRAGMENT_SPLIT.split(masked):
        for piece in fragment.split(_PLACEHOLDER):
            match = _ORG_NAME.match(piece.strip())
            name = (match.group(1) or match.group(2)) if match else ""
            if len(name) > 2 and not name.startswith(_NOT_A_UNIT_START) and not name.endswith(_THE_OFFICE) and name not in unknown:
                unknown.append(name)
    return list(mentions.values()), unknown


def _role_after(text: str, end: int, start: int) -> UnitRole:
    """The clause around a mention: 牵头 or 配合 there decides its role."""
    clause_start = max((text.rfind(p, 0, start) for p in "，。；,;\n"), default=-1) + 1
    ends = [i for i in (text.find(p, end) for p in "，。；,;\n") if i != -1]
    clause = text[clause_start: min(ends) if ends else len(text)]
    if "牵头" in clause:
        return UnitRole.LEAD
    if "配合" in clause or "协助" in clause or "参与" in clause:
        return UnitRole.SUPPORT
    return UnitRole.NAMED


# ------------------------------------------------------------------------------------ 期限

_N = r"(\d{1,3}|[一二三四五六七八九十两]{1,3})"
_FULL_DATE = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日(?:前|之前|以前)")
_MONTH_DAY = re.compile(r"(?<![\d年])(\d{1,2})月(\d{1,2})日(?:前|之前|以前)")
_MONTH_END = re.compile(r"(?:(\d{4})年)?(\d{1,2})月(?:底|末|份)(?:前|之前|以前)?")
_YEAR_END = re.compile(r"(?:(\d{4})年|本年|今年|年)(?:底|末)(?:前|之前|以前)?")
_WITHIN = re.compile(_N + r"\s*个?(工作日|月|周|星期|天|日)(?:之内|以内|内)")
_DEADLINE_WORDS = re.compile(
    "|".join(p.pattern for p in (_FULL_DATE, _MONTH_DAY, _MONTH_END, _YEAR_END, _WITHIN)).replace("(?<![\\d年])", "")
)
"""Any 期限 phrase, to keep it out of a title."""


def stated_deadline(
    text: str, start: date, calendar: WorkCalendar
) -> date | None:
    """The 期限 an item (or 批示) states, counted from ``start`` (the meeting or the 批示's day).

    「于2026年12月31日前」 and 「12月20日前」 are that day; 「12月底前」 the month's last day;
    「年底前」 the year's; 「10个工作日内」 counts working days; 「3日内」 / 「一个月内」 /
    「两周内」 count calendar time. The start day is not counted and a last day on a rest day
    moves to the next working day (:func:`bot.domain.deadlines.deadline_after`). An item that
    states several dates (排查 by one, 整治 by another) is due at the last of them.
    """
    text = fold(text)
    found: list[date] = []
    for m in _FULL_DATE.finditer(text):
        day = day_of(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        if day:
            found.append(day)
    for m in _MONTH_DAY.finditer(text):
        day = coming(int(m.group(1)), int(m.group(2)), start)
        if day:
            found.append(day)
    for m in _MONTH_END.finditer(text):
        month = int(m.group(2))
        if not 1 <= month <= 12:
            continue
        year = int(m.group(1)) if m.group(1) else (start.year if month >= start.month else start.year + 1)
        found.append(date(year, month, month_calendar.monthrange(year, month)[1]))
    for m in _YEAR_END.finditer(text):
        found.append(date(int(m.group(1)) if m.group(1) else start.year, 12, 31))
    found += [day for _, _, day in periods(text, start, calendar)]
    if not found:
        return None
    return next_workday_on_or_after(max(found), calendar)


def periods(text: str, start: date, calendar: WorkCalendar) -> list[tuple[int, int, date]]:
    """Where ``text`` states a period (「10个工作日内」「一个月内」), and the last day each gives
    counted from ``start``: (begin, end, day)."""
    out: list[tuple[int, int, date]] = []
    for m in _WITHIN.finditer(text):
        n = chinese_number(m.group(1))
        if not n:
            continue
        unit = m.group(2)
        try:
            if unit == "工作日":
                day = deadline_after(start, n, calendar, DeadlineMode.WORKING)
            elif unit in ("天", "日"):
                day = deadline_after(start, n, calendar)
            elif unit in ("周", "星期"):
                day = deadline_after(start, 7 * n, calendar)
            else:
                day = deadline_after(start, (_add_months(start, n) - start).days, calendar)
        except DomainError:
            continue
        out.append((m.start(), m.end(), day))
    return out


def with_dates(text: str, start: date, calendar: WorkCalendar, by: Callable[[date], str]) -> str:
    """``text`` with every period it states written as its last day, ``by(day)`` (「于2026年12月4日前」):
    the 交办单 reaches the unit days after the meeting, and 「10个工作日内」 beside its 时限
    「在收件之日起N天内」 would count from two days at once."""
    folded = fold(text)
    out, at = "", 0
    for begin, end, day in periods(folded, start, calendar):
        out += folded[at:begin] + by(day)
        at = end
    return out + folded[at:] if at else text


def _add_months(day: date, months: int) -> date:
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, month_calendar.monthrange(year, month)[1]))


# ------------------------------------------------------------------------------------ drafts


class ProblemKind(StrEnum):
    """What keeps a draft from being issued until the office decides it."""

    NO_UNIT = "no_unit"
    """No 责任单位 found."""

    UNIT_UNKNOWN = "unit_unknown"
    """A unit-like name that matches no unit."""

    UNIT_AMBIGUOUS = "unit_ambiguous"
    """A name that two or more units go by."""

    NO_DEADLINE = "no_deadline"
    """The item states no 期限."""

    DEADLINE_PASSED = "deadline_passed"
    """The stated 期限 is today or already past."""

    LEAD_ALSO_PARTNER = "lead_also_partner"
    """A unit written as 牵头 and again as 配合 (「住建局牵头，住建局、城管局配合」): a unit is one or
    the other, and the office decides which."""


@dataclass(frozen=True)
class DraftProblem:
    """One decision a draft needs; ``name`` is the unit name concerned, ``candidates`` its units."""

    kind: ProblemKind
    name: str = ""
    candidates: tuple[str, ...] = ()


@dataclass(frozen=True)
class ProposedAssignment:
    """A draft 交办单 proposed from one 议定事项 or 批示: one 交办单 per unit once issued."""

    title: str
    requirements: str
    basis: str
    unit_ids: tuple[int, ...]
    lead_unit_id: int | None
    deadline: date | None
    problems: tuple[DraftProblem, ...] = field(default_factory=tuple)

    @property
    def complete(self) -> bool:
        """Nothing left to decide: it can be issued."""
        return not self.problems


def propose(
    title: str, requirements: str, basis: str, start: date, today: date,
    directory: UnitDirectory, calendar: WorkCalendar, lead: str = "",
    dated: Callable[[date], str] | None = None,
) -> ProposedAssignment:
    """A draft from one item's text: its title (taken from ``title``), units (牵头 first), 期限,
    and what is left to decide. A sub-item that names no unit or states no 期限 takes those of
    its item's ``lead``. With ``dated``, the periods in 工作要求 are written as their last days."""
    mentions, unknown = find_units(requirements, directory)
    if lead and not mentions and not unknown:
        mentions, unknown = find_units(lead, directory)
    title = short_title(title, [m.written for m in mentions] + unknown)
    unit_ids: list[int] = []
    lead_unit: int | None = None
    problems: list[DraftProblem] = []
    for mention in mentions:
        if len(mention.unit_ids) > 1:
            names = tuple(sorted(directory.names[i] for i in mention.unit_ids))
            problems.append(DraftProblem(ProblemKind.UNIT_AMBIGUOUS, mention.written, names))
            continue
        (unit_id,) = mention.unit_ids
        if mention.also_support:
            problems.append(DraftProblem(ProblemKind.LEAD_ALSO_PARTNER, directory.names[unit_id]))
        if mention.role is UnitRole.LEAD and lead_unit is None:
            lead_unit = unit_id
            unit_ids.insert(0, unit_id)
        else:
            unit_ids.append(unit_id)
    for name in unknown:
        problems.append(DraftProblem(ProblemKind.UNIT_UNKNOWN, name))
    if not mentions and not unknown:
        problems.append(DraftProblem(ProblemKind.NO_UNIT))
    deadline = stated_deadline(requirements, start, calendar)
    if deadline is None and lead:
        deadline = stated_deadline(lead, start, calendar)
    problems.extend(deadline_problems(deadline, today))
    if dated is not None:
        requirements = with_dates(requirements, start, calendar, dated)
    return ProposedAssignment(title, requirements, basis, tuple(unit_ids), lead_unit, deadline, tuple(problems))


def deadline_problems(deadline: date | None, today: date) -> list[DraftProblem]:
    """A draft needs a 期限 after the day it is issued."""
    if deadline is None:
        return [DraftProblem(ProblemKind.NO_DEADLINE)]
    if deadline <= today:
        return [DraftProblem(ProblemKind.DEADLINE_PASSED, deadline.isoformat())]
    return []


def propose_from_minutes(
    minutes: Minutes, bases: Sequence[str], today: date, directory: UnitDirectory, calendar: WorkCalendar,
    dated: Callable[[date], str] | None = None,
) -> list[ProposedAssignment]:
    """One draft per matter (:func:`matters`: each 议定事项, or each of its sub-items), with its
    依据 from ``bases`` (one per matter) and the order alone as 工作要求 (:func:`instruction`);
    deadlines count from the meeting's date (today when the minutes state none)."""
    start = minutes.held_on or today
    return [
        propose(
            item.text, instruction(item.text), basis, start, today, directory, calendar,
            lead=instruction(item.lead) if item.lead else "", dated=dated,
        )
        for item, basis in zip(matters(minutes), bases, strict=True)
    ]


class IntakeKind(StrEnum):
    """What was received."""

    MINUTES = "minutes"
    """会议纪要."""

    INSTRUCTION = "instruction"
    """领导批示 (批示件)."""


class DraftStatus(StrEnum):
    """A draft 交办单 of the intake."""

    DRAFT = "draft"
    ISSUED = "issued"
    DELETED = "deleted"


@dataclass(frozen=True)
class IntakeDocument:
    """A 会议纪要 or a 批示 as received: who sent it, its text and the original file."""

    id: int
    kind: IntakeKind
    name: str
    held_on: date | None
    sent_by: int
    text: str
    file_kind: str | None = None
    """``document`` or ``photo``."""
    file_id: str | None = None
    file_name: str | None = None
    archive_path: str | None = None
    scanned: bool = False
    """Read by OCR from a scan or a photo: names and dates are to be checked."""
    file_channel: str = "telegram"
    """The channel the file came on (``bot.edge``): only it can fetch the file again by ``file_id``."""


@dataclass(frozen=True)
class IntakeDraft:
    """A proposed 交办单 waiting in the review list: its place, its fields, its state."""

    id: int
    document_id: int
    position: int
    """1-based, as the review list numbers it."""
    proposal: ProposedAssignment
    source: str
    """The :class:`bot.domain.tasks.SourceType` value it will be issued with."""
    status: DraftStatus = DraftStatus.DRAFT
