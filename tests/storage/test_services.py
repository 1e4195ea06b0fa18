"""Use cases on a real SQLite file: issuing, 签收, 反馈, 审核, scores and invites.

SPEC §9 "Nothing lost": "A state change and the messages it causes are written in one
transaction (an outbox)". Each test reads back what a person would see: the task, its history,
and the messages queued for each chat.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from dataclasses import dataclass
from typing import Any

import pytest

from bot.channels.telegram import render
from bot.domain.errors import DomainError
from bot.domain.feedback import Attachment
from bot.domain.org import Person
from bot.domain.scores import ScoreCategory, ScoreRules, ranking
from bot.domain.scores import void as void_event
from bot.domain.slips import SlipType
from bot.domain.tasks import SourceType, Task, TaskStatus
from bot.edge import TELEGRAM, Account, Change, Download, Notice
from bot.services import corrections, handling, onboarding
from bot.services.context import Office
from bot.services.issuing import AssignmentDraft, IssuedAssignment, issue_assignment
from bot.storage import feedback as feedback_store
from bot.storage import history, outbox, scores, slips, tasks
from bot.storage import org as org_store
from bot.storage.feedback import FeedbackStatus
from bot.texts import plain
from tests.storage.conftest import NOW, Org

LATER = NOW + timedelta(hours=2)


def draft(org: Org, *unit_ids: int, title: str = "全市秋冬季大气污染防治专项检查") -> AssignmentDraft:
    return AssignmentDraft(
        title=title,
        requirements="逐村排查并形成书面报告",
        basis="市政府第35次常务会议纪要",
        source=SourceType.OTHER,
        unit_ids=unit_ids or (org.town.id, org.street.id),
        period_days=7,
        responsible={org.town.id: org.town_head.id},
    )


@dataclass(frozen=True)
class Queued:
    """A queued notice as Telegram will be sent it: the row, its Bot API method and parameters."""

    row: outbox.OutboxMessage
    method: str
    payload: dict[str, Any]

    def __getattr__(self, name: str) -> Any:
        return getattr(self.row, name)


async def messages(office: Office, person: Person | None = None) -> list[Queued]:
    """The messages queued (for ``person``), as Telegram calls; changes of them (new buttons after
    a 签收) aside."""
    queued = await outbox.due(office.db.reader, NOW + timedelta(days=365), limit=10_000)
    return [
        Queued(m, *render.call(m.notice, m.kind, m.values, int(m.address)))
        for m in queued
        if not isinstance(m.notice, Change)
        and (person is None or (person.account is not None and m.address == person.account.address))
    ]


def tg(user_id: int) -> Account:
    return Account(TELEGRAM, str(user_id))


async def bound_account(office: Office, person_id: int) -> Account | None:
    person = await org_store.person(office.db.reader, person_id)
    assert person is not None
    return person.account


async def count(office: Office, table: str) -> int:
    async with office.db.reader.execute(f"SELECT count(*) FROM {table}") as cur:
        row = await cur.fetchone()
    return int(row[0])


async def snapshot(office: Office) -> dict[str, int]:
    names = ("tasks", "slips", "history", "outbox", "feedback", "slip_sequences", "score_events")
    return {name: await count(office, name) for name in names}


def buttons(payload: dict[str, Any]) -> list[tuple[str, str]]:
    rows = payload.get("reply_markup", {}).get("inline_keyboard", [])
    return [(b["text"], b["callback_data"]) for row in rows for b in row]


async def issue_two(office: Office, org: Org) -> list[IssuedAssignment]:
    return await issue_assignment(office, draft(org), org.clerk, NOW)


# --- 交办 -------------------------------------------------------------------------------------


async def test_issuing_to_two_units_makes_two_tasks_and_two_slips(office: Office, org: Org) -> None:
    """SPEC §3: "Issuing the same matter to several units creates one task and one slip per unit"."""
    town, street = await issue_two(office, org)
    assert (town.unit_name, street.unit_name) == ("穰东镇人民政府", "古城街道办事处")
    assert [str(town.task.number), str(street.task.number)] == ["〔2026〕1号", "〔2026〕2号"]
    assert town.task.matter_id == street.task.matter_id is not None
    for item, unit in ((town, org.town), (street, org.street)):
        stored = await tasks.get(office.db.reader, item.task.id)
        assert stored == item.task
        assert stored.unit_id == unit.id
        assert stored.status is TaskStatus.ISSUED
        assert stored.deadline == date(2026, 12, 1)  # 11-24 + 7 days, day of issue not counted
        (slip,) = await slips.of_task(office.db.reader, item.task.id)
        assert slip.number.type is SlipType.ASSIGNMENT
        entries = await history.of_task(office.db.reader, item.task.id)
        assert [(e.kind, e.actor_id, e.actor_name) for e in entries] == [("assignment_issued", org.clerk.id, "张科员")]
        assert entries[0].details["number"] == f"交办单{item.task.number}"
        assert entries[0].details["unit"] == unit.name
    assert await count(office, "tasks") == 2
    assert await count(office, "slips") == 2


async def test_slip_goes_to_every_bound_member_with_its_buttons(office: Office, org: Org) -> None:
    """SPEC §8: "Every slip message carries buttons: 签收 · 反馈 · 申请延期"."""
    town, street = await issue_two(office, org)
    for member, item in ((org.town_head, town), (org.street_head, street)):
        assert member.account is not None
        (slip_message,) = [m for m in await messages(office, member) if m.purpose == "slip"]
        (slip,) = await slips.of_task(office.db.reader, item.task.id)
        assert slip_message.method == "sendMessage"
        assert slip_message.person_id == member.id
        assert (slip_message.task_id, slip_message.slip_id) == (item.task.id, slip.id)
        assert slip_message.payload["parse_mode"] == "HTML"
        assert slip_message.payload["text"] == await slips.text_of(office.db.reader, slip.id)
        text = plain(slip_message.payload["text"])
        assert text.startswith("《邓州市人民政府工作交办单》")
        assert str(item.task.number) in text
        assert f"{item.unit_name}：" in text
        assert "全市秋冬季大气污染防治专项检查交由你单位办理" in text
        assert buttons(slip_message.payload) == [
            ("签收", f"ack:{item.task.id}"),
            ("反馈", f"fb:{item.task.id}"),
            ("申请延期", f"ext:{item.task.id}"),
        ]
    assert "责 任 人：李镇长" in plain((await messages(office, org.town_head))[0].payload["text"])


async def test_unbound_people_get_nothing_and_the_issuer_is_told(office: Office, org: Org) -> None:
    """A 联络员 who has not bound Telegram yet cannot be reached; the clerk must phone instead."""
    town, street = await issue_two(office, org)
    assert town.delivered_to == ("李镇长",)
    assert town.unreachable == ("赵联络员",)
    assert street.delivered_to == ("孙主任",) and street.unreachable == ()
    async with office.db.reader.execute("SELECT count(*) FROM outbox WHERE person_id = ?", (org.town_liaison.id,)) as cur:
        assert (await cur.fetchone())[0] == 0
    (report,) = await messages(office, org.clerk)
    text = plain(report.payload["text"])
    assert "已签发2份交办单" in text
    assert "交办单〔2026〕1号 → 穰东镇人民政府" in text
    assert "暂无法送达（尚未绑定或已屏蔽本机器人，请电话通知）：穰东镇人民政府 赵联络员" in text
    assert "2026年12月1日" in text


async def test_unreachable_member_is_reported_to_the_issuer(office: Office, org: Org) -> None:
    """SPEC §9: "a user who blocked the bot is recorded and the issuer is told"."""
    async with office.db.transaction() as conn:
        await conn.execute("UPDATE people SET unreachable = 1 WHERE id = ?", (org.street_head.id,))
    (street,) = await issue_assignment(office, draft(org, org.street.id), org.clerk, NOW)
    assert street.unreachable == ("孙主任",)
    assert street.delivered_to == ()


async def test_failure_midway_leaves_nothing_behind(office: Office, org: Org) -> None:
    """SPEC §9: one transaction — an unknown second unit leaves no task, slip, history or message."""
    before = await snapshot(office)
    with pytest.raises(DomainError) as info:
        await issue_assignment(office, draft(org, org.town.id, 4242), org.clerk, NOW)
    assert info.value.code == "unit_unknown"
    assert await snapshot(office) == before
    assert await messages(office) == []
    (town,) = await issue_assignment(office, draft(org, org.town.id), org.clerk, NOW)
    assert str(town.task.number) == "〔2026〕1号"  # the number taken by the failed issue was not lost


async def test_bad_draft_is_refused_before_anything_is_written(office: Office, org: Org) -> None:
    before = await snapshot(office)
    cases = [
        (draft(org, org.town.id, title="  "), org.clerk, "field_missing"),
        (draft(org, org.town.id, org.town.id), org.clerk, "unit_repeated"),
        (draft(org, org.town.id), org.town_head, "not_allowed"),
    ]
    for bad, who, code in cases:
        with pytest.raises(DomainError) as info:
            await issue_assignment(office, bad, who, NOW)
        assert info.value.code == code
    special = AssignmentDraft("事项", "要求", "依据", SourceType.STANDING_MEETING, (org.town.id,), 7)
    with pytest.raises(DomainError) as info:
        await issue_assignment(office, special, org.clerk, NOW)
    assert info.value.code == "special_source_needs_supervision_office"
    assert await snapshot(office) == before


# --- 签收 -------------------------------------------------------------------------------------


async def test_acknowledge_records_and_tells_the_issuer(office: Office, org: Org) -> None:
    town, _ = await issue_two(office, org)
    after = await handling.acknowledge(office, org.town_head, town.task.id, LATER)
    assert after.status is TaskStatus.ACKNOWLEDGED
    assert await tasks.get(office.db.reader, town.task.id) == after
    entries = await history.of_task(office.db.reader, town.task.id)
    assert [(e.kind, e.actor_name) for e in entries][-1] == ("acknowledged", "李镇长")
    assert entries[-1].at == LATER
    told = [m for m in await messages(office, org.clerk) if m.payload["text"].startswith("📬")]
    assert len(told) == 1
    text = plain(told[0].payload["text"])
    assert "交办单〔2026〕1号" in text and "穰东镇人民政府 李镇长" in text and "签收" in text
    assert "2026年11月24日 11:30" in text


async def test_second_acknowledge_is_refused_and_changes_nothing(office: Office, org: Org) -> None:
    town, _ = await issue_two(office, org)
    await handling.acknowledge(office, org.town_head, town.task.id, LATER)
    before = await snapshot(office)
    stored = await tasks.get(office.db.reader, town.task.id)
    with pytest.raises(DomainError) as info:
        await handling.acknowledge(office, org.town_head, town.task.id, LATER + timedelta(minutes=1))
    assert info.value.code == "already_acknowledged"
    assert await snapshot(office) == before
    assert await tasks.get(office.db.reader, town.task.id) == stored


async def test_only_the_units_own_people_acknowledge(office: Office, org: Org) -> None:
    """SPEC §2: a responsible official "see[s] its own unit's tasks; acknowledge[s]"."""
    town, _ = await issue_two(office, org)
    before = await snapshot(office)
    for outsider in (org.street_head, org.clerk, org.supervisor):
        with pytest.raises(DomainError) as info:
            await handling.acknowledge(office, outsider, town.task.id, LATER)
        assert info.value.code == "not_allowed"
    assert await snapshot(office) == before


# --- 反馈 and review ---------------------------------------------------------------------------


async def submit(office: Office, org: Org, task: Task, text: str = "已完成排查，报告见附件") -> feedback_store.Feedback:
    receipt = await handling.submit_feedback(office, org.town_head, task.id, text, LATER)
    assert receipt.task.status is TaskStatus.FEEDBACK_PENDING
    return receipt.feedback


async def test_feedback_goes_to_the_issuer_for_review(office: Office, org: Org) -> None:
    """Section 三: "各科室既是工作任务交办主体，也是工作结果反馈主体"."""
    town, _ = await issue_two(office, org)
    item = await submit(office, org, town.task, "已完成 <b>排查</b> & 整改")
    assert (await tasks.get(office.db.reader, town.task.id)).status is TaskStatus.FEEDBACK_PENDING
    stored = await feedback_store.pending_of_task(office.db.reader, town.task.id)
    assert stored == item and stored.text == "已完成 <b>排查</b> & 整改"
    (review,) = [m for m in await messages(office, org.clerk) if m.purpose == "review"]
    assert buttons(review.payload) == [("通过(办结)", f"acc:{item.id}"), ("退回", f"ret:{item.id}")]
    assert "&lt;b&gt;排查&lt;/b&gt; &amp; 整改" in review.payload["text"]
    text = plain(review.payload["text"])
    assert "穰东镇人民政府 反馈" in text and "交办单〔2026〕1号" in text
    assert "已完成 <b>排查</b> & 整改" in text
    kinds = [e.kind for e in await history.of_task(office.db.reader, town.task.id)]
    assert kinds == ["assignment_issued", "feedback_submitted"]


async def test_a_file_sent_on_another_channel_is_fetched_through_that_channel(office: Office, org: Org) -> None:
    """A report sent on 钉钉 is kept by 钉钉's reference: the reviewer's copy of the file and
    the archive's download both ask 钉钉 for it, not Telegram."""
    town, _ = await issue_two(office, org)
    sent = Attachment("document", "dt-download-code", None, "排查报告.pdf", "application/pdf", 2048, channel="dingtalk")
    await handling.submit_feedback(office, org.town_head, town.task.id, "报告见附件", LATER, (sent,))
    stored = await feedback_store.pending_of_task(office.db.reader, town.task.id)
    assert stored is not None and stored.attachments == (sent,)
    queued = await outbox.due(office.db.reader, NOW + timedelta(days=365), limit=10_000)
    to_reviewer = [f for m in queued if isinstance(m.notice, Notice) for f in m.notice.files if f.received == "dt-download-code"]
    to_archive = [m for m in queued if isinstance(m.notice, Download)]
    assert to_reviewer and {f.channel for f in to_reviewer} == {"dingtalk"}
    assert to_archive and {(m.channel, m.notice.file.channel) for m in to_archive} == {("dingtalk", "dingtalk")}


async def test_empty_feedback_is_refused(office: Office, org: Org) -> None:
    town, _ = await issue_two(office, org)
    before = await snapshot(office)
    with pytest.raises(DomainError) as info:
        await handling.submit_feedback(office, org.town_head, town.task.id, "   ", LATER)
    assert info.value.code == "feedback_empty"
    assert await snapshot(office) == before


async def test_accept_completes_the_task_and_tells_the_unit(office: Office, org: Org) -> None:
    town, _ = await issue_two(office, org)
    item = await submit(office, org, town.task)
    done = await handling.accept(office, org.clerk, item.id, LATER + timedelta(days=1))
    assert done.status is TaskStatus.COMPLETED
    assert done.completed_on == date(2026, 11, 25)
    assert await tasks.get(office.db.reader, town.task.id) == done
    assert (await feedback_store.get(office.db.reader, item.id)).status is FeedbackStatus.ACCEPTED
    told = [plain(m.payload["text"]) for m in await messages(office, org.town_head)]
    assert any("审核通过，任务办结" in t for t in told)
    assert [e.kind for e in await history.of_task(office.db.reader, town.task.id)][-1] == "feedback_accepted"
    with pytest.raises(DomainError) as info:
        await handling.submit_feedback(office, org.town_head, town.task.id, "补充材料", LATER + timedelta(days=2))
    assert info.value.code == "task_completed"
    with pytest.raises(DomainError) as info:
        await handling.accept(office, org.clerk, item.id, LATER + timedelta(days=2))
    assert info.value.code == "feedback_already_reviewed"


async def test_return_with_a_reason_tells_the_unit(office: Office, org: Org) -> None:
    town, _ = await issue_two(office, org)
    item = await submit(office, org, town.task)
    returned = await handling.return_feedback(office, org.clerk, item.id, "缺少整改台账", LATER)
    assert returned.status is TaskStatus.ACKNOWLEDGED
    assert returned.deadline == date(2026, 12, 1)
    reviewed = await feedback_store.get(office.db.reader, item.id)
    assert (reviewed.status, reviewed.review_note) == (FeedbackStatus.RETURNED, "缺少整改台账")
    (told,) = [m for m in await messages(office, org.town_head) if "退回" in m.payload["text"]]
    text = plain(told.payload["text"])
    assert "退回理由：缺少整改台账" in text
    assert "办结期限：2026年12月1日" in text
    entries = await history.of_task(office.db.reader, town.task.id)
    assert (entries[-1].kind, entries[-1].details["reason"]) == ("feedback_returned", "缺少整改台账")


async def test_return_needs_a_reason(office: Office, org: Org) -> None:
    town, _ = await issue_two(office, org)
    item = await submit(office, org, town.task)
    before = await snapshot(office)
    with pytest.raises(DomainError) as info:
        await handling.return_feedback(office, org.clerk, item.id, "  ", LATER)
    assert info.value.code == "reason_missing"
    assert await snapshot(office) == before


async def test_only_the_issuing_section_or_supervision_office_reviews(office: Office, org: Org) -> None:
    town, _ = await issue_two(office, org)
    item = await submit(office, org, town.task)
    with pytest.raises(DomainError) as info:
        await handling.accept(office, org.town_head, item.id, LATER)
    assert info.value.code == "not_allowed"
    assert (await handling.accept(office, org.supervisor, item.id, LATER)).status is TaskStatus.COMPLETED


# --- scores in the ledger -----------------------------------------------------------------------


async def test_stored_scores_stay_exact_and_voided_events_stay_visible(office: Office, org: Org) -> None:
    """SPEC §6 "0.1 + 0.2 must be 0.3" after a round trip through SQLite; a voided event is kept."""
    day = date(2026, 11, 24)
    async with office.db.transaction() as conn:
        await scores.book(conn, org.town.id, ScoreCategory.PRAISE, Decimal("0.1"), day, NOW)
        await scores.book(conn, org.town.id, ScoreCategory.PRAISE, Decimal("0.2"), day, NOW)
        wrong = await scores.book(conn, org.town.id, ScoreCategory.CRITICISM, Decimal("-1"), day, NOW, recorded_by=org.clerk.id)
    async with office.db.transaction() as conn:
        await scores.void(conn, void_event(wrong, "误录"), org.supervisor.id, NOW)
    stored = await scores.between(office.db.reader, date(2026, 1, 1), date(2026, 12, 31))
    assert len(stored) == 3
    assert [e.void_reason for e in stored] == [None, None, "误录"]
    rows = {r.unit_id: r for r in ranking(stored, [org.town.id, org.street.id], 2026, ScoreRules())}
    assert rows[org.town.id].score == Decimal("100.3")
    assert (rows[org.town.id].rank, rows[org.street.id].rank) == (1, 2)
    with pytest.raises(DomainError) as info:
        async with office.db.transaction() as conn:
            await scores.void(conn, void_event(wrong, "再次"), org.supervisor.id, NOW)
    assert info.value.code == "already_voided"


# --- invites --------------------------------------------------------------------------------


async def test_invite_binds_once(office: Office, org: Org) -> None:
    """SPEC §2: "a one-time, expiring deep link … that binds the Telegram account to that person"."""
    invite = await onboarding.create_invite(office, org.town_liaison.id, NOW)
    assert onboarding.deep_link("duban_bot", invite) == f"https://t.me/duban_bot?start={invite.code}"
    assert len(invite.code) <= 64
    person = await onboarding.redeem_invite(office, invite.code, tg(2002), NOW + timedelta(hours=1))
    assert (person.id, person.account) == (org.town_liaison.id, tg(2002))
    with pytest.raises(DomainError) as info:
        await onboarding.redeem_invite(office, invite.code, tg(9999), NOW + timedelta(hours=2))
    assert info.value.code == "invite_used"
    assert (await bound_account(office, org.town_liaison.id)) == tg(2002)
    # now bound, the 联络员 receives the next slip
    (town,) = await issue_assignment(office, draft(org, org.town.id), org.clerk, NOW + timedelta(hours=3))
    assert set(town.delivered_to) == {"李镇长", "赵联络员"} and town.unreachable == ()


async def test_expired_and_unknown_invites_are_refused(office: Office, org: Org) -> None:
    """Invites expire after settings.invite_ttl_hours (72 by default)."""
    invite = await onboarding.create_invite(office, org.town_liaison.id, NOW)
    assert invite.expires_at == NOW + timedelta(hours=72)
    with pytest.raises(DomainError) as info:
        await onboarding.redeem_invite(office, invite.code, tg(2002), NOW + timedelta(hours=72))
    assert info.value.code == "invite_expired"
    with pytest.raises(DomainError) as info:
        await onboarding.redeem_invite(office, "no-such-code", tg(2002), NOW)
    assert info.value.code == "invite_unknown"
    assert (await bound_account(office, org.town_liaison.id)) is None


async def test_a_new_invite_replaces_the_unused_ones_sent_before(office: Office, org: Org) -> None:
    """A link that went to the wrong chat stops working once the right one is sent."""
    first = await onboarding.create_invite(office, org.town_liaison.id, NOW)
    other = await onboarding.create_invite(office, org.street_head.id, NOW)
    second = await onboarding.create_invite(office, org.town_liaison.id, NOW + timedelta(minutes=5))
    with pytest.raises(DomainError) as info:
        await onboarding.redeem_invite(office, first.code, tg(6666), NOW + timedelta(minutes=6))
    assert info.value.code == "invite_replaced"
    assert (await bound_account(office, org.town_liaison.id)) is None, "the replaced link bound no one"
    person = await onboarding.redeem_invite(office, second.code, tg(2002), NOW + timedelta(minutes=7))
    assert person.account == tg(2002)
    assert (await onboarding.redeem_invite(office, other.code, tg(3003), NOW)).id == org.street_head.id, "others' links stand"
    still_valid = await onboarding.create_invite(office, org.town_liaison.id, NOW)
    bound = await onboarding.redeem_invite(office, still_valid.code, tg(2002), NOW + timedelta(hours=71))
    assert bound.account == tg(2002)


async def test_a_slip_still_on_its_way_follows_a_correction_of_the_unit(office: Office, org: Org) -> None:
    """A 更正 of the unit made before the first unit's slip went out: its copy is no slip of the
    task any more, the change taking its buttons off queued behind it, and the new unit's 签收
    gives it none back (the first unit never holds live buttons of a task not its own)."""
    [town] = await issue_assignment(office, draft(org, org.town.id), org.clerk, NOW)
    # nothing is sent here: the slip is still on its way (due, not sent)
    [first] = [m for m in await outbox.due(office.db.reader, NOW, 1000) if m.task_id == town.task.id and m.purpose == "slip"]

    await corrections.correct(office, org.clerk, town.task.id, corrections.Field.UNIT, "古城街道办事处", "单位选错", NOW)
    queued = await outbox.due(office.db.reader, NOW, 1000)
    behind = [m for m in queued if isinstance(m.notice, Change) and m.notice.notice_id == first.id]
    assert [(m.notice.buttons, m.address) for m in behind] == [((), first.address)]  # type: ignore[union-attr]
    assert behind[0].id > first.id, "the change follows the slip in its chat's queue"
    assert (await outbox.message(office.db.reader, first.id)).purpose == "slip_replaced"  # type: ignore[union-attr]

    await handling.acknowledge(office, org.street_head, town.task.id, NOW)
    again = [m for m in await outbox.due(office.db.reader, NOW, 1000) if isinstance(m.notice, Change) and m.notice.notice_id == first.id]
    assert again == behind, "the new unit's 签收 gave the first unit's copy its buttons back"
