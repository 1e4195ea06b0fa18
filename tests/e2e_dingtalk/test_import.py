"""``duban dingtalk-import`` as an administrator runs it, against the 钉钉 emulator's organisation:
the dry run says what would be created, matched and left alone and changes nothing; the import
creates the units and people in one go and binds their 钉钉 accounts, so a 交办单 reaches an
imported official's 钉钉 at once; run again, it changes nothing."""

from __future__ import annotations

from pathlib import Path

from bot.domain.org import UnitKind
from bot.domain.tasks import SourceType
from bot.emulators.dingtalk import DingTalkEmulator, DingTalkPeople
from bot.services.context import Office
from bot.services.issuing import AssignmentDraft, issue_assignment
from bot.storage import org

from tests.e2e_dingtalk.conftest import Organisation
from tests.imports import check_dry_run, check_imported, known_before
from tests.imports import duban as run_duban


async def duban(office: Office, dingtalk: DingTalkEmulator, tmp_path: Path, *args: str) -> str:
    """Run ``duban <args>`` in a subprocess on the office's database and 钉钉; its output."""
    world = dingtalk.world
    return await run_duban(
        office,
        f'[dingtalk]\nclient_id = "{world.client_id}"\nclient_secret = "{world.client_secret}"\n'
        f'agent_id = {world.agent_id}\nendpoint = "{dingtalk.url}"\noapi_endpoint = "{dingtalk.url}"\n',
        tmp_path, *args,
    )


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
    clerk = await known_before(organisation)
    await city_on_dingtalk(people)
    before = await org.people(office.db.reader)

    shown = await duban(office, dingtalk, tmp_path, "dingtalk-import", "--dry-run")

    check_dry_run(shown, "钉钉")
    assert await org.people(office.db.reader) == before
    assert await org.unit_by_name(office.db.reader, "穰东镇") is None

    done = await duban(office, dingtalk, tmp_path, "dingtalk-import")

    assert "导入完成" in done
    rangdong = await org.unit_by_name(office.db.reader, "穰东镇")
    assert rangdong is not None and rangdong.kind is UnitKind.TOWN
    after = await check_imported(office, "dingtalk")

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
