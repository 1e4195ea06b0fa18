"""``duban wecom-import`` as an administrator runs it, against the 企业微信 emulator's
organisation: the dry run says what would be created, matched and left alone and changes nothing;
the import creates the units and people in one go and binds their 企业微信 accounts, so a 交办单
reaches an imported official's 企业微信 at once; run again, it changes nothing."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from bot.domain.org import Role, UnitKind
from bot.domain.tasks import SourceType
from bot.emulators.wecom import WecomEmulator, WecomPerson
from bot.services.context import Office
from bot.services.issuing import AssignmentDraft, issue_assignment
from bot.storage import org

from tests.e2e_wecom.conftest import Organisation


async def duban(office: Office, wecom: WecomEmulator, tmp_path: Path, *args: str) -> str:
    """Run ``duban <args>`` in a subprocess on the office's database and 企业微信; its output."""
    config = tmp_path / "import.toml"
    config.write_text(
        f'[wecom]\ncorp_id = "{wecom.corp_id}"\nagent_id = {wecom.agent_id}\nsecret = "{wecom.secret}"\n'
        f'api_url = "{wecom.url}"\n',
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("DUBAN_")}
    if office.settings.database_url:
        env["DUBAN_DATABASE_URL"] = office.settings.database_url
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "--config", str(config), "--db", str(office.settings.db_path), *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env,
    )
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    return out.decode()


def city_on_wecom(wecom: WecomEmulator) -> None:
    """The 企业微信 organisation: leaders at the top, departments with their staff."""
    wecom.add_department(2, "住建局")
    wecom.add_department(3, "城建科", 2)
    wecom.add_department(4, "交通运输局")
    wecom.add_department(5, "穰东镇")
    wecom.add_department(6, "湍河街道办事处")
    wecom.add_department(7, "综合一科")
    wecom.add_member("liujianguo", "刘建国", position="副市长")
    wecom.add_member("qianshizhang", "钱市长", position="市长")
    wecom.add_member("zhaomishu", "赵秘书", position="秘书")
    wecom.add_member("lizhujian", "李住建", [2], position="科长")
    wecom.add_member("yanglianluo", "杨联络", [3])
    wecom.add_member("zhangjiaotong", "张交通", [4])
    wecom.add_member("chenzhiqiang", "陈志强", [5])
    wecom.add_member("huanglei1", "黄磊", [6])
    wecom.add_member("huanglei2", "黄磊", [6])
    wecom.add_member("wangxiaoyan", "王晓燕", [7])


async def test_dry_run_then_import_binds_the_organisation(
    organisation: Organisation, office: Office, wecom: WecomEmulator, tmp_path: Path,
) -> None:
    await organisation.section("综合一科")
    await organisation.unit("住建局")
    await organisation.unit("交通运输局")
    clerk = await organisation.join_telegram("王科员", Role.CLERK, section="综合一科")
    await organisation.invited("李住建", Role.RESPONSIBLE, unit="住建局")
    await organisation.join_telegram("张交通", Role.RESPONSIBLE, unit="交通运输局")
    city_on_wecom(wecom)
    before = await org.people(office.db.reader)

    shown = await duban(office, wecom, tmp_path, "wecom-import", "--dry-run")

    assert "试运行" in shown
    assert "住建局：对应已有责任单位「住建局」" in shown
    assert "综合一科：对应已有科室「综合一科」" in shown
    assert "将新建责任单位「穰东镇」（乡镇）" in shown
    assert "将新建责任单位「湍河街道办事处」（街区办事处）" in shown
    assert "杨联络（责任单位责任人，住建局）企业微信 yanglianluo" in shown
    assert "刘建国（分管市领导）企业微信 liujianguo" in shown
    assert "钱市长（市政府主要领导）企业微信 qianshizhang" in shown
    assert "王晓燕（科室工作人员，综合一科）企业微信 wangxiaoyan" in shown
    assert "李住建（责任单位责任人）企业微信 lizhujian" in shown.split("已有人员")[1]
    left = shown.split("不处理")[1]
    assert "赵秘书" in left and "无法判断角色" in left
    assert left.count("黄磊") == 2 and "同名" in left
    assert "张交通" in left and "已绑定其他账号" in left
    assert "钉钉" not in shown
    assert await org.people(office.db.reader) == before
    assert await org.unit_by_name(office.db.reader, "穰东镇") is None

    done = await duban(office, wecom, tmp_path, "wecom-import")

    assert "企业微信通讯录导入完成" in done
    rangdong = await org.unit_by_name(office.db.reader, "穰东镇")
    assert rangdong is not None and rangdong.kind is UnitKind.TOWN
    after = {p.name: p for p in await org.people(office.db.reader)}
    assert str(after["陈志强"].account) == "wecom:chenzhiqiang"
    assert str(after["李住建"].account) == "wecom:lizhujian"
    assert str(after["张交通"].account).startswith("telegram:")  # left where they bound
    assert "赵秘书" not in after and "黄磊" not in after

    # The imported official is reached on 企业微信 without typing any code.
    await issue_assignment(
        office, AssignmentDraft("防汛物资清点", "清点并上报", "市政府安排", SourceType.OTHER, [rangdong.id], 7),
        clerk.person, office.now(),
    )
    chen = WecomPerson(wecom, "chenzhiqiang")
    card = await chen.wait_for("[签收]", timeout=10)
    assert card.card is not None and "防汛物资清点" in str(card.card.template_card)

    again = await duban(office, wecom, tmp_path, "wecom-import")
    assert "已新建并绑定企业微信账号（0 人）" in again
    assert "已绑定、无需改动：6 人" in again
    assert len(await org.people(office.db.reader)) == len(after)
