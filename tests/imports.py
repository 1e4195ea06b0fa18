"""What the 钉钉 and 企业微信 import tests share: ``duban <platform>-import`` run as an
administrator runs it, the organisation the bot knows before, and what the dry run and the
import must show whichever platform's address book they read."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from bot.domain.org import Person, Role
from bot.services.context import Office
from bot.storage import org
from tests.organisation import Member, Organisation


async def duban(office: Office, config: str, tmp_path: Path, *args: str) -> str:
    """Run ``duban <args>`` in a subprocess on the office's database, with ``config`` (the
    platform's section of the settings file); its output."""
    path = tmp_path / "import.toml"
    path.write_text(config, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("DUBAN_")}
    if office.settings.database_url:
        env["DUBAN_DATABASE_URL"] = office.settings.database_url
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "--config", str(path), "--db", str(office.settings.db_path), *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env,
    )
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    return out.decode()


async def known_before(organisation: Organisation) -> Member:
    """What the bot knows before the import: a 科室 and two units, a clerk and 张交通 bound on
    Telegram, 李住建 invited but not bound. The clerk."""
    await organisation.section("综合一科")
    await organisation.unit("住建局")
    await organisation.unit("交通运输局")
    clerk = await organisation.join_telegram("王科员", Role.CLERK, section="综合一科")
    await organisation.invited("李住建", Role.RESPONSIBLE, unit="住建局")
    await organisation.join_telegram("张交通", Role.RESPONSIBLE, unit="交通运输局")
    return clerk


def check_dry_run(shown: str, platform: str) -> None:
    """The dry run's report of the address book of ``platform`` (钉钉, 企业微信)."""
    assert "试运行" in shown
    assert "住建局：对应已有责任单位「住建局」" in shown
    assert "综合一科：对应已有科室「综合一科」" in shown
    assert "将新建责任单位「穰东镇」（乡镇）" in shown
    assert "将新建责任单位「湍河街道办事处」（街区办事处）" in shown
    assert f"杨联络（责任单位责任人，住建局）{platform} yanglianluo" in shown
    assert f"刘建国（分管市领导）{platform} liujianguo" in shown
    assert f"钱市长（市政府主要领导）{platform} qianshizhang" in shown
    assert f"王晓燕（科室工作人员，综合一科）{platform} wangxiaoyan" in shown
    assert f"李住建（责任单位责任人）{platform} lizhujian" in shown.split("已有人员")[1]
    left = shown.split("不处理")[1]
    assert "赵秘书" in left and "无法判断角色" in left
    assert left.count("黄磊") == 2 and "同名" in left
    assert "张交通" in left and "已绑定其他账号" in left


async def check_imported(office: Office, channel: str) -> dict[str, Person]:
    """The people after the import, by name: the new and the invited bound on ``channel``, who
    had bound elsewhere left there, who could not be placed not created."""
    after = {p.name: p for p in await org.people(office.db.reader)}
    assert str(after["陈志强"].account) == f"{channel}:chenzhiqiang"
    assert str(after["李住建"].account) == f"{channel}:lizhujian"
    assert str(after["张交通"].account).startswith("telegram:")  # left where they bound
    assert "赵秘书" not in after and "黄磊" not in after
    return after
