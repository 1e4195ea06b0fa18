"""``duban wecom-import``: the units and people of the 企业微信 organisation (通讯录), shown first
with ``--dry-run``, then imported in one transaction (see :mod:`bot.services.address_book`)."""

from __future__ import annotations

import argparse

from bot.channels.wecom.adapter import WECOM
from bot.channels.wecom.api import WecomApi, WecomError
from bot.commands.address_book import Source, run_import
from bot.config import Settings
from bot.services.address_book import ROOT, Directory, DirectoryDepartment, DirectoryMember

SOURCE = Source("企业微信", "wecom", "corp_id、agent_id 和 secret", "通讯录只读：获取部门列表、获取部门成员详情",
                (WecomError,))


def add_to(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``wecom-import``."""
    p = sub.add_parser(
        "wecom-import", help="从企业微信通讯录导入责任单位和人员",
        description="读取企业微信组织的部门和成员：一级部门对应责任单位（与已有单位、科室同名的直接对应），"
        "成员建为人员并直接绑定其企业微信账号。不删除、不改动已有的单位和人员。先用 --dry-run 查看将做什么。",
    )
    p.add_argument("--dry-run", action="store_true", help="只列出将新建、对应和不处理的内容，不写入数据库")
    p.set_defaults(run=cmd_wecom_import)


async def read_directory(settings: Settings) -> Directory:
    """Every 部门 and every member (with their 职务) of the corporation, through the server API."""
    s = settings.wecom
    assert s.corp_id is not None and s.agent_id is not None and s.secret is not None
    async with WecomApi(s.corp_id, s.agent_id, s.secret.reveal(), api_url=s.api_url) as api:
        departments = await api.departments()
        members = await api.member_details(ROOT, fetch_child=True)
    return Directory(
        WECOM,
        tuple(DirectoryDepartment(d.id, d.name, d.parent_id or None) for d in departments),
        tuple(DirectoryMember(m.userid, m.name, m.position, m.departments) for m in members),
    )


async def cmd_wecom_import(args: argparse.Namespace, settings: Settings) -> int:
    """Read the organisation, then show the plan (``--dry-run``) or apply it."""
    s = settings.wecom
    configured = s.corp_id is not None and s.agent_id is not None and s.secret is not None
    return await run_import(args, settings, SOURCE, configured, read_directory)
