"""The administrator's /units, /people and /invite (SPEC sections 2 and 8), in chat.

An administrator sees who has bound their account and who has not, and sends a new one-time link
to whoever still needs one; the invited person opens it and is bound.
"""

from __future__ import annotations

import re
from datetime import datetime

from bot.domain.org import Role, UnitKind
from bot.edge import TELEGRAM, Account
from bot.emulators.telegram.client import SimulatedUser, wait_idle
from bot.message_size import MESSAGE_LIMIT, message_length
from bot.storage import org
from bot.texts import chinese_date

LINK = re.compile(r"https://t\.me/(\w+)\?start=([\w-]+)")


async def _admin(organisation):
    return await organisation.join("孙管理", Role.ADMIN)


async def _invite_count(office, person_id: int | None = None) -> int:
    sql, args = "SELECT count(*) FROM invites", ()
    if person_id is not None:
        sql, args = sql + " WHERE person_id = ?", (person_id,)
    async with office.db.reader.execute(sql, args) as cur:
        row = await cur.fetchone()
    return int(row[0])


async def _all_answers(user: SimulatedUser, command: str, last: str) -> list[str]:
    """Every message the bot sends for ``command``, up to the one that contains ``last``."""
    await user.send(command)
    texts = [(await user.wait_for(timeout=5)).text]
    while last not in texts[-1]:
        texts.append((await user.wait_for(timeout=5)).text)
    return texts


def _line(text: str, name: str) -> str:
    """The line of a list that starts with ``• name ``."""
    (line,) = [line for line in text.splitlines() if line.startswith(f"• {name} ")]
    return line


async def test_units_show_each_units_leader_and_who_has_not_bound(city, organisation, office):
    admin = await _admin(organisation)
    invited = await organisation.person("钱未绑", Role.RESPONSIBLE, unit="住建局")
    await admin.send(f"/invite {invited.id}")  # invited, but the link is never opened
    await admin.wait_for(text_contains="生成邀请链接")
    await organisation.unit("城关街区办事处", UnitKind.STREET)

    await admin.send("/units")
    text = (await admin.wait_for(text_contains="责任单位一览")).text

    zhujian = _line(text, "住建局")
    assert "分管：刘副市长" in zhujian and "已绑定1/2人" in zhujian and "未绑定：钱未绑" in zhujian
    jiaotong = _line(text, "交通运输局")
    assert "已绑定1/1人" in jiaotong and "未绑定" not in jiaotong
    assert "尚无人员" in _line(text, "城关街区办事处") and "未设分管市领导" in _line(text, "城关街区办事处")
    assert "已绑定1/1人" in _line(text, "政务监督室") and "已绑定1/1人" in _line(text, "综合一科")
    order = ["乡镇", "穰东镇", "街区办事处", "城关街区办事处", "部门", "住建局", "科室", "政务监督室", "综合一科"]
    positions = [text.index(f"\n{word}") if word in ("乡镇", "街区办事处", "部门", "科室") else text.index(f"• {word} ") for word in order]
    assert positions == sorted(positions), text
    assert "未绑定1人" in text.splitlines()[1]


async def test_people_of_one_unit_with_roles_phone_and_binding(city, organisation, office):
    admin = await _admin(organisation)
    waiting = await organisation.person("钱未绑", Role.RESPONSIBLE, unit="住建局", phone="13800000000")
    async with office.db.transaction() as conn:
        await org.mark_unreachable(conn, Account(TELEGRAM, str(city["zhujian"].user.id)))  # Telegram answered 403

    await admin.send("/people 住建")  # a unique part of the name will do
    text = (await admin.wait_for(text_contains="人员名单")).text

    assert "人员名单 · 住建局" in text
    bound = _line(text, "李住建")
    assert f"编号 {city['zhujian'].person.id}" in bound and "责任单位责任人" in bound and "0377-6228" in bound
    assert "⚠️ 已屏蔽本机器人" in bound
    pending = _line(text, "钱未绑")
    assert f"编号 {waiting.id}" in pending and "13800000000" in pending and "⏳ 未绑定" in pending
    for elsewhere in ("张交通", "陈镇长", "赵督查", "刘副市长", "孙管理"):
        assert elsewhere not in text

    await admin.send("/people")
    everyone = (await admin.wait_for(text_contains="人员名单")).text
    assert "✅ 已绑定" in _line(everyone, "张交通") and "⏳ 未绑定" in _line(everyone, "钱未绑")
    assert "分管市领导" in _line(everyone, "刘副市长") and "系统管理员" in _line(everyone, "孙管理")
    assert everyone.index("交通运输局") < everyone.index("张交通") < everyone.index("其他人员") < everyone.index("孙管理")


async def test_people_of_an_unknown_unit_is_refused_with_the_names(city, organisation, simulator):
    admin = await _admin(organisation)
    await admin.send("/people 不存在局")
    answer = (await admin.wait_for(text_contains="没有名为")).text
    assert "「不存在局」" in answer and "住建局" in answer and "综合一科" in answer
    await wait_idle(simulator.state, quiet=0.3)
    later = [m for m in admin.messages() if m.from_bot and ("人员名单" in m.text or "李住建" in m.text)]
    assert later == [], "a refused filter lists no one"

    await admin.send("/people 局")  # 住建局 and 交通运输局
    answer = (await admin.wait_for(text_contains="多个单位或科室")).text
    assert "住建局" in answer and "交通运输局" in answer and "李住建" not in answer


async def test_invite_by_name_and_the_person_binds_with_the_link(city, organisation, simulator, office):
    admin = await _admin(organisation)
    person = await organisation.person("钱未绑", Role.RESPONSIBLE, unit="住建局")

    await admin.send("/invite 钱未绑")
    answer = (await admin.wait_for(text_contains="生成邀请链接")).text
    bot_name, code = LINK.search(answer).groups()  # type: ignore[union-attr]
    assert bot_name == simulator.bot_username
    assert "钱未绑" in answer and "住建局" in answer and "72小时" in answer and "已经绑定" not in answer
    async with office.db.reader.execute("SELECT expires_at FROM invites WHERE code = ?", (code,)) as cur:
        row = await cur.fetchone()
    expires = datetime.fromisoformat(row[0]).astimezone(office.settings.timezone)
    assert f"{chinese_date(expires)} {expires:%H:%M}" in answer

    # The first link went astray: a second one replaces it.
    stray = code
    await admin.send("/invite 钱未绑")
    assert "尚未使用的链接随即作废" in (answer := (await admin.wait_for(text_contains="生成邀请链接")).text)
    code = LINK.search(answer).groups()[1]  # type: ignore[union-attr]
    finder = await simulator.create_user("路人")
    await finder.send(f"/start {stray}")
    assert "已作废" in (await finder.wait_for(text_contains="邀请链接")).text

    newcomer = await simulator.create_user("钱未绑")
    await newcomer.send(f"/start {code}")
    assert "钱未绑" in (await newcomer.wait_for(text_contains="绑定成功")).text
    await admin.send("/people 住建局")
    assert "✅ 已绑定" in _line((await admin.wait_for(text_contains="人员名单")).text, "钱未绑")
    stored = await org.person(office.db.reader, person.id)
    assert stored is not None and stored.account == Account(TELEGRAM, str(newcomer.id))


async def test_invite_for_someone_already_bound_moves_the_binding(city, organisation, simulator):
    admin = await _admin(organisation)
    old = city["zhujian"]
    await admin.send("/invite 李住建")
    answer = (await admin.wait_for(text_contains="生成邀请链接")).text
    assert "已经绑定" in answer and "原来的账号随即解除绑定" in answer
    _, code = LINK.search(answer).groups()  # type: ignore[union-attr]

    new_phone = await simulator.create_user("李住建新号")
    await new_phone.send(f"/start {code}")
    await new_phone.wait_for(text_contains="绑定成功")
    await old.send("/tasks")
    assert "邀请链接" in (await old.wait_for(text_contains="邀请")).text, "what the admin was told happens"


async def test_a_shared_name_lists_the_ids_and_invite_by_id_works(city, organisation, office):
    admin = await _admin(organisation)
    first = await organisation.person("王伟", Role.RESPONSIBLE, unit="住建局")
    second = await organisation.person("王伟", Role.RESPONSIBLE, unit="交通运输局")

    await admin.send("/invite 王伟")
    answer = (await admin.wait_for(text_contains="王伟")).text
    assert "2位人员名叫「王伟」" in answer
    assert f"/invite {first.id}" in _line(answer, f"编号 {first.id}") and "住建局" in _line(answer, f"编号 {first.id}")
    assert f"/invite {second.id}" in _line(answer, f"编号 {second.id}") and "交通运输局" in _line(answer, f"编号 {second.id}")
    assert "t.me/" not in answer and await _invite_count(office, first.id) == 0 == await _invite_count(office, second.id)

    await admin.send(f"/invite {second.id}")
    answer = (await admin.wait_for(text_contains="生成邀请链接")).text
    assert f"王伟（编号 {second.id} · 交通运输局）" in answer and LINK.search(answer)
    assert await _invite_count(office, second.id) == 1 and await _invite_count(office, first.id) == 0


async def test_unknown_person_and_bare_invite(city, organisation, office):
    admin = await _admin(organisation)
    before = await _invite_count(office)

    await admin.send("/invite 查无此人")
    answer = (await admin.wait_for(text_contains="查无此人")).text
    assert "没有找到名为「查无此人」的人员" in answer and "/people" in answer
    await admin.send("/invite 99999")
    answer = (await admin.wait_for(text_contains="99999")).text
    assert "没有编号为 99999 的人员" in answer and "/people" in answer
    await admin.send("/invite")
    answer = (await admin.wait_for(text_contains="/invite")).text
    assert "/invite 李住建" in answer and "/invite 12" in answer
    assert await _invite_count(office) == before


async def test_a_long_list_arrives_in_several_messages(organisation, office):
    admin = await _admin(organisation)
    await organisation.unit("人员很多的综合行政执法局")
    names = [f"第{i:03d}位同名很长的综合行政执法局执法队员同志" for i in range(150)]
    for name in names:
        await organisation.person(name, Role.RESPONSIBLE, unit="人员很多的综合行政执法局", phone="0377-62281234")

    for command in ("/people 人员很多的综合行政执法局", "/people"):
        parts = await _all_answers(admin, command, "生成邀请链接")
        assert len(parts) > 1, command
        assert all(message_length(p) <= MESSAGE_LIMIT for p in parts), [message_length(p) for p in parts]
        joined = "\n".join(parts)
        missing = [n for n in names if n not in joined]
        assert not missing, (command, missing[:3])
        lines = [line for line in joined.splitlines() if line.startswith("• ")]
        assert sum("⏳ 未绑定" in line for line in lines) == 150, command

    # /units names the first of those not yet bound and points to /people for the rest.
    (text,) = await _all_answers(admin, "/units", "查看人员和编号")
    line = _line(text, "人员很多的综合行政执法局")
    assert "已绑定0/150人" in line and names[0] in line and names[-1] not in line
    assert "等150人" in line and "/people 人员很多的综合行政执法局" in line
