"""Onboarding: /start with an invite binds the account; strangers see nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.domain.org import Role
from bot.edge import TELEGRAM, Account
from bot.conversation.menu import commands_for
from bot.services import onboarding
from bot.storage import invites, org


async def test_unknown_user_is_refused_politely(simulator, bot):
    stranger = await simulator.create_user("路人")
    await stranger.send("/start")
    reply = await stranger.wait_for(text_contains="邀请链接")
    assert "仅供已登记的工作人员使用" in reply.text
    await stranger.send("/tasks")
    assert "邀请链接" in (await stranger.wait_for(text_contains="邀请")).text


async def test_invite_binds_once_and_sets_the_menu(organisation, simulator, emulator, office):
    await organisation.unit("住建局")
    person = await organisation.person("李住建", Role.RESPONSIBLE, unit="住建局")
    invite = await onboarding.create_invite(office, person.id, office.now())
    official = await simulator.create_user("李住建")
    await official.send(f"/start {invite.code}")
    greeting = await official.wait_for(text_contains="绑定成功")
    assert "李住建" in greeting.text and "责任单位责任人" in greeting.text
    assert "/feedback" in greeting.text and "/new" not in greeting.text

    other = await simulator.create_user("冒用者")
    await other.send(f"/start {invite.code}")
    assert "已经使用过" in (await other.wait_for(text_contains="邀请链接")).text

    await official.send("/start")
    assert "李住建，您好" in (await official.wait_for(text_contains="您好")).text


async def test_expired_invite_is_refused(organisation, simulator, office):
    await organisation.unit("住建局")
    person = await organisation.person("李住建", Role.RESPONSIBLE, unit="住建局")
    async with office.db.transaction() as conn:
        invite = await invites.create(conn, person.id, office.now() - timedelta(hours=100), timedelta(hours=72))
    user = await simulator.create_user("李住建")
    await user.send(f"/start {invite.code}")
    assert "已过期" in (await user.wait_for(text_contains="邀请链接")).text


async def test_someone_recorded_as_blocking_the_bot_who_writes_again_gets_slips_again(city, office):
    official = city["zhujian"]
    async with office.db.transaction() as conn:
        await org.mark_unreachable(conn, Account(TELEGRAM, str(official.user.id)))  # Telegram once answered 403
    await official.send("/start")
    await official.wait_for(text_contains="您好")
    person = await org.person(office.db.reader, official.person.id)
    assert person is not None and not person.unreachable, "writing to the bot means it is unblocked"


PLACES = {
    Role.SUPERVISOR: {"section": "政务监督室"}, Role.CLERK: {"section": "综合一科"}, Role.RESPONSIBLE: {"unit": "住建局"},
}


@pytest.mark.parametrize("role", list(Role))
async def test_help_explains_every_command_of_the_menu_with_an_example(organisation, bot, role):
    await organisation.section("政务监督室", supervision_office=True)
    await organisation.section("综合一科")
    await organisation.unit("住建局")
    member = await organisation.join("测试人员", role, **PLACES.get(role, {}))
    await member.send("/help")
    text = (await member.wait_for(text_contains="使用说明")).text
    explained = {line.split()[0].lstrip("/") for line in text.splitlines() if line.startswith("/")}
    menu = set(commands_for(member.person, bot.bot_data["commands"])) - {"start", "help"}
    assert menu and menu <= explained, f"/help leaves out {sorted(menu - explained)}"
