"""Invites that ask first: an account already bound to one person that opens someone else's
invite is told what it would lose and asked; only 确认改绑 moves it, and then the unbinding is in
the history, the administrator is told, and the unit left without a bound 责任人 is flagged in
/units and in 政务监督室's daily summary."""

from __future__ import annotations

from bot.domain.deadlines import next_workday_on_or_after
from bot.domain.org import Role
from bot.services import onboarding
from bot.edge import TELEGRAM, Account
from bot.services.daily import run_daily
from bot.storage import org
from tests.e2e.test_slip_actions import buttons, forge_press


async def bindings(office) -> list[tuple[object, ...]]:
    return [(p.id, int(p.account.address) if p.account else None) for p in await org.people(office.db.reader)]


async def unbound_history(office) -> list[tuple[object, ...]]:
    async with office.db.reader.execute("SELECT actor_id, details FROM history WHERE kind = 'account_unbound'") as cur:
        return [tuple(r) async for r in cur]


async def test_opening_someone_elses_invite_asks_first_and_the_move_is_recorded_and_told(city, organisation, office, bot):
    admin = await organisation.join("孙管理", Role.ADMIN)
    official = city["zhujian"]  # the only bound 责任人 of 住建局
    clerk = await organisation.person("周科员", Role.CLERK, section="综合一科")
    invite = await onboarding.create_invite(office, clerk.id, office.now())
    before = await bindings(office)

    await official.send(f"/start {invite.code}")
    question = await official.wait_for(text_contains="确认改绑后")
    assert "李住建" in question.text and "周科员" in question.text and "综合一科" in question.text
    assert "住建局将没有已绑定账号的责任人" in question.text
    assert buttons(question) == ["确认改绑", "取消"]
    assert await bindings(office) == before, "asking changes nothing"

    await official.press("取消", message=question)
    assert "仍绑定为 李住建" in (await official.wait_for(text_contains="已取消")).text
    assert await bindings(office) == before and await unbound_history(office) == []
    assert official.private_chat.messages[question.message_id].inline_keyboard == []

    # Asked again, and this time confirmed.
    await official.send(f"/start {invite.code}")
    question = await official.wait_for(text_contains="确认改绑后")
    press = await official.press("确认改绑", message=question)
    await official.wait_for_answer(press)
    greeting = await official.wait_for(text_contains="绑定成功")
    assert "周科员" in greeting.text
    assert (await org.person(office.db.reader, clerk.id)).account == Account(TELEGRAM, str(official.id))  # type: ignore[union-attr]
    assert (await org.person(office.db.reader, official.person.id)).account is None  # type: ignore[union-attr]
    [(actor, details)] = await unbound_history(office)
    assert actor == official.person.id and str(clerk.id) in str(details)

    told = await admin.wait_for(text_contains="账号改绑")
    assert "李住建" in told.text and "周科员" in told.text and "住建局现在没有已绑定账号的责任人" in told.text

    await admin.send("/units")
    units = await admin.wait_for(text_contains="责任单位一览")
    [line] = [x for x in units.text.splitlines() if x.startswith("• 住建局")]
    assert "无已绑定账号的责任人" in line
    [line] = [x for x in units.text.splitlines() if x.startswith("• 交通运输局")]
    assert "无已绑定账号的责任人" not in line

    # The stale button, pressed again: the invite is used, nothing changes.
    after = await bindings(office)
    again = forge_press(official, f"rb:{invite.code}", "确认改绑", message=question)
    assert "已经使用过" in (await official.wait_for_answer(again)).answer_text
    assert await bindings(office) == after and len(await unbound_history(office)) == 1

    # the daily check runs on working days (the machine's today may be a Sunday)
    await run_daily(office, next_workday_on_or_after(office.now().date(), office.calendar))
    bot.bot_data["sender"].wake()
    summary = await city["supervisor"].wait_for(text_contains="督办日报")
    [line] = [x for x in summary.text.splitlines() if "无已绑定账号责任人的单位" in x]
    assert "住建局" in line and "交通运输局" not in line


async def test_a_fresh_account_or_the_same_person_is_not_asked(city, organisation, office):
    official = city["zhujian"]
    again = await onboarding.create_invite(office, official.person.id, office.now())
    await official.send(f"/start {again.code}")
    assert "李住建" in (await official.wait_for(text_contains="绑定成功")).text
    assert await unbound_history(office) == []
