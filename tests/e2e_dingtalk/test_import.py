"""``duban dingtalk-import`` as an administrator runs it, against the 钉钉 emulator's organisation:
the dry run says what would be created, matched and left alone and changes nothing; the import
creates the units and people in one go and binds their 钉钉 accounts, so a 交办单 reaches an
imported official's 钉钉 at once; run again, it changes nothing."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from bot.domain.org import Role, UnitKind
from bot.domain.tasks import SourceType
from bot.emulators.dingtalk import DingTalkEmulator, DingTalkPeople
from bot.services.context import Office
from bot.services.issuing import AssignmentDraft, issue_assignment
from bot.storage import org

from tests.e2e_dingtalk.conftest import Organisation


async def duban(office: Office, dingtalk: DingTalkEmulator, tmp_path: Path, *args: str) -> str:
    """Run ``duban <args>`` in a subprocess on the office's database and 钉钉; its output."""
    world = dingtalk.world
    config = tmp_path / "import.toml"
    config.write_text(
        f'[dingtalk]\nclient_id = "{world.client_id}"\nclient_secret = "{world.client_secret}"\n'
        f'agent_id = {world.agent_id}\nendpoint = "{dingtalk.url}"\noapi_endpoint = "{dingtalk.url}"\n',
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


async def city_on_dingtalk(people: DingTalkPeople) -> None:
    """The 钉钉 organisation: leaders at the top, departments with their staff."""
    zhujian = (await people.add_department("住建局"))["dept_id"]
    chengjian = (await people.add_department("城建科", zhujian))["dept_id"]
    jiaotong = (await people.add_department("交通运输局"))["dept_id"]
    rangdong = (await people.add_department("穰东镇"))["dept_id"]
    tuanhe = (await people.add_department("湍河街道办事处"))["dept_id"]
    zonghe = (await people.add_department("综合一科"))["dept_id"]
    await people.add_person("刘建国", "liujianguo", title="副市长")
    await people.add_person("钱市长", "qianshizhang", title="市长")
    await people.add_person("赵秘书", "zhaomishu", title="秘书")
    await people.add_person("李住建", "lizhujian", [zhujian], title="科长")
    await people.add_person("杨联络", "yanglianluo", [chengjian])
    await people.add_person("张交通", "zhangjiaotong", [jiaotong])
    await people.add_person("陈志强", "chenzhiqiang", [rangdong])
    await people.add_person("黄磊", "huanglei1", [tuanhe])
    await people.add_person("黄磊", "huanglei2", [tuanhe])
    await people.add_person("王晓燕", "wangxiaoyan", [zonghe])


async def test_dry_run_then_import_binds_the_organisation(
    organisation: Organisation, office: Office, dingtalk: DingTalkEmulator, people: DingTalkPeople, tmp_path: Path,
) -> None:
    await organisation.section("综合一科")
    await organisation.unit("住建局")
    await organisation.unit("交通运输局")
    clerk = await organisation.join_telegram("王科员", Role.CLERK, section="综合一科")
    await organisation.invited("李住建", Role.RESPONSIBLE, unit="住建局")
    await organisation.join_telegram("张交通", Role.RESPONSIBLE, unit="交通运输局")
    await city_on_dingtalk(people)
    before = await org.people(office.db.reader)

    shown = await duban(office, dingtalk, tmp_path, "dingtalk-import", "--dry-run")

    assert "试运行" in shown
    assert "住建局：对应已有责任单位「住建局」" in shown
    assert "综合一科：对应已有科室「综合一科」" in shown
    assert "将新建责任单位「穰东镇」（乡镇）" in shown
    assert "将新建责任单位「湍河街道办事处」（街区办事处）" in shown
    assert "杨联络（责任单位责任人，住建局）钉钉 yanglianluo" in shown
    assert "刘建国（分管市领导）钉钉 liujianguo" in shown
    assert "钱市长（市政府主要领导）钉钉 qianshizhang" in shown
    assert "王晓燕（科室工作人员，综合一科）钉钉 wangxiaoyan" in shown
    assert "李住建（责任单位责任人）钉钉 lizhujian" in shown.split("已有人员")[1]
    left = shown.split("不处理")[1]
    assert "赵秘书" in left and "无法判断角色" in left
    assert left.count("黄磊") == 2 and "同名" in left
    assert "张交通" in left and "已绑定其他账号" in left
    assert await org.people(office.db.reader) == before
    assert await org.unit_by_name(office.db.reader, "穰东镇") is None

    done = await duban(office, dingtalk, tmp_path, "dingtalk-import")

    assert "导入完成" in done
    rangdong = await org.unit_by_name(office.db.reader, "穰东镇")
    assert rangdong is not None and rangdong.kind is UnitKind.TOWN
    after = {p.name: p for p in await org.people(office.db.reader)}
    assert str(after["陈志强"].account) == "dingtalk:chenzhiqiang"
    assert str(after["李住建"].account) == "dingtalk:lizhujian"
    assert str(after["张交通"].account).startswith("telegram:")  # left where they bound
    assert "赵秘书" not in after and "黄磊" not in after

    # The imported official is reached on 钉钉 without typing any code.
    await issue_assignment(
        office, AssignmentDraft("防汛物资清点", "清点并上报", "市政府安排", SourceType.OTHER, [rangdong.id], 7),
        clerk.person, office.now(),
    )
    chen = people.person("chenzhiqiang", "陈志强")
    card = await chen.wait_for(card_with="防汛物资清点", timeout=10)
    assert "签收" in [b["text"] for b in card["card"]["buttons"]]

    again = await duban(office, dingtalk, tmp_path, "dingtalk-import")
    assert "已新建并绑定钉钉账号（0 人）" in again
    assert "已绑定、无需改动：6 人" in again
    assert len(await org.people(office.db.reader)) == len(after)
