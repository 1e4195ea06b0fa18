"""``duban wecom-import`` as an administrator runs it, against the 企业微信 emulator's
organisation: the dry run says what would be created, matched and left alone and changes nothing;
the import creates the units and people in one go and binds their 企业微信 accounts, so a 交办单
reaches an imported official's 企业微信 at once; run again, it changes nothing."""

from __future__ import annotations

from pathlib import Path

from bot.domain.org import UnitKind
from bot.domain.tasks import SourceType
from bot.emulators.wecom import WecomEmulator, WecomPerson
from bot.services.context import Office
from bot.services.issuing import AssignmentDraft, issue_assignment
from bot.storage import org

from tests.e2e_wecom.conftest import Organisation
from tests.imports import check_dry_run, check_imported, known_before
from tests.imports import duban as run_duban


async def duban(office: Office, wecom: WecomEmulator, tmp_path: Path, *args: str) -> str:
    """Run ``duban <args>`` in a subprocess on the office's database and 企业微信; its output."""
    return await run_duban(
        office,
        f'[wecom]\ncorp_id = "{wecom.corp_id}"\nagent_id = {wecom.agent_id}\nsecret = "{wecom.secret}"\n'
        f'api_url = "{wecom.url}"\n',
        tmp_path, *args,
    )


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
    clerk = await known_before(organisation)
    city_on_wecom(wecom)
    before = await org.people(office.db.reader)

    shown = await duban(office, wecom, tmp_path, "wecom-import", "--dry-run")

    check_dry_run(shown, "企业微信")
    assert "钉钉" not in shown
    assert await org.people(office.db.reader) == before
    assert await org.unit_by_name(office.db.reader, "穰东镇") is None

    done = await duban(office, wecom, tmp_path, "wecom-import")

    assert "企业微信通讯录导入完成" in done
    rangdong = await org.unit_by_name(office.db.reader, "穰东镇")
    assert rangdong is not None and rangdong.kind is UnitKind.TOWN
    after = await check_imported(office, "wecom")

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
