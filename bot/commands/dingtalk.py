"""``duban dingtalk-import``: the units and people of the 钉钉 organisation (通讯录), shown first
with ``--dry-run``, then imported in one transaction (see :mod:`bot.services.address_book`)."""

from __future__ import annotations

import argparse

from bot.channels.dingtalk.adapter import DINGTALK
from bot.channels.dingtalk.errors import DingTalkError
from bot.channels.dingtalk.openapi import DingTalkApi, DingTalkApp
from bot.commands import address_book
from bot.commands.address_book import Source, run_import
from bot.config import Settings
from bot.services.address_book import (
    ROOT, Directory, DirectoryDepartment, DirectoryMember, DirectoryPlan,
)

SOURCE = Source(
    "钉钉", "dingtalk", "client_id、client_secret 和 agent_id", "qyapi_get_member、qyapi_get_department_list",
    (DingTalkError,),
)


def add_to(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``dingtalk-import``."""
    p = sub.add_parser(
        "dingtalk-import", help="从钉钉通讯录导入责任单位和人员",
        description="读取钉钉组织的部门和成员：一级部门对应责任单位（与已有单位、科室同名的直接对应），"
        "成员建为人员并直接绑定其钉钉账号。不删除、不改动已有的单位和人员。先用 --dry-run 查看将做什么。",
    )
    p.add_argument("--dry-run", action="store_true", help="只列出将新建、对应和不处理的内容，不写入数据库")
    p.set_defaults(run=cmd_dingtalk_import)


async def read_directory(settings: Settings) -> Directory:
    """Every 部门 and every member of the organisation, through the OpenAPI."""
    async with DingTalkApi(DingTalkApp.from_settings(settings.dingtalk)) as api:
        departments = await api.department_tree()
        members: dict[str, DirectoryMember] = {}
        for dept_id in [ROOT, *(d.dept_id for d in departments)]:
            for m in await api.members(dept_id):
                known = members.get(m.userid)
                dept_ids = tuple(dict.fromkeys((known.dept_ids if known else ()) + (m.dept_ids or (dept_id,))))
                members[m.userid] = DirectoryMember(m.userid, m.name, m.title, dept_ids)
    return Directory(
        DINGTALK,
        tuple(DirectoryDepartment(d.dept_id, d.name, d.parent_id) for d in departments),
        tuple(members.values()),
    )


async def cmd_dingtalk_import(args: argparse.Namespace, settings: Settings) -> int:
    """Read the organisation, then show the plan (``--dry-run``) or apply it."""
    return await run_import(args, settings, SOURCE, settings.dingtalk.client_id is not None, read_directory)


def report(plan: DirectoryPlan, dry_run: bool) -> str:
    """The report the administrator reads."""
    return address_book.report(plan, dry_run, SOURCE.channel)
