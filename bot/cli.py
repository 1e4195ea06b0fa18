"""``duban``: run the bot and administer its database from the command line."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

from bot import logs
from bot.commands import calendar as calendar_commands
from bot.commands import dingtalk as dingtalk_commands
from bot.commands import ops as ops_commands
from bot.commands import export as export_commands
from bot.commands import wecom as wecom_commands
from bot.config import ConfigError, Settings, load_settings
from bot.domain.errors import DomainError
from bot.domain.org import Role, UnitKind
from bot.services import onboarding
from bot.services.context import Office
from bot.texts import explain, plain, render

Command = Callable[[argparse.Namespace, Settings], Awaitable[int]]
EXTENSIONS: tuple = (calendar_commands, ops_commands, export_commands, dingtalk_commands, wecom_commands)
"""Modules of ``bot/commands/`` that add subcommands (see that package's docstring)."""
EXIT_USAGE = 2
DEMO_ON_DINGTALK = ("陈志强", "马红梅")
"""Who is on 钉钉 in ``duban demo`` unless ``--dingtalk`` says otherwise: the officials of the two
towns, so that a 交办单 to 穰东镇 and 构林镇 shows both messengers side by side."""
DEMO_ON_WECOM = ("黄磊",)
"""Who is on 企业微信 in ``duban demo`` unless ``--wecom`` says otherwise: the official of 湍河街道,
so that a 交办单 to the towns and the street office reaches all three messengers."""


def say(template: str, /, *, err: bool = False, **context: object) -> None:
    """Print ``messages/<template>.j2`` as plain text (to stderr when ``err``)."""
    print(plain(render(template, **context)), file=sys.stderr if err else sys.stdout)


def _roles(text: str) -> frozenset[Role]:
    try:
        return frozenset(Role(r.strip()) for r in text.split(",") if r.strip())
    except ValueError as exc:
        allowed = ", ".join(r.value for r in Role)
        raise argparse.ArgumentTypeError(f"角色只能是 {allowed} 中的一个或几个（用逗号分隔）") from exc


async def _with_office(settings: Settings, work: Callable[[Office], Awaitable[int]]) -> int:
    office = await Office.open(settings)
    try:
        return await work(office)
    finally:
        await office.db.close()


async def cmd_init_db(args: argparse.Namespace, settings: Settings) -> int:
    """Create or migrate the database."""
    async def work(office: Office) -> int:
        say("cli/db_ready", path=settings.db_path)
        return 0
    return await _with_office(settings, work)


async def cmd_unit_add(args: argparse.Namespace, settings: Settings) -> int:
    """Add a 责任单位."""
    async def work(office: Office) -> int:
        unit = await onboarding.add_unit(office, args.name, UnitKind(args.kind), args.leader, office.now())
        say("cli/unit_added", unit=unit)
        return 0
    return await _with_office(settings, work)


async def cmd_section_add(args: argparse.Namespace, settings: Settings) -> int:
    """Add a 科室."""
    async def work(office: Office) -> int:
        section = await onboarding.add_section(office, args.name, args.supervision_office, args.leader, office.now())
        say("cli/section_added", section=section)
        return 0
    return await _with_office(settings, work)


async def cmd_person_add(args: argparse.Namespace, settings: Settings) -> int:
    """Add a person, and print an invite link unless --no-invite."""
    async def work(office: Office) -> int:
        now = office.now()
        person = await onboarding.add_person(office, args.name, args.roles, now, args.unit, args.section, args.phone or "")
        say("cli/person_added", person=person)
        if not args.no_invite:
            invite = await onboarding.create_invite(office, person.id, now)
            say("cli/invite", invite=invite, link=onboarding.deep_link(settings.bot_username, invite))
        return 0
    return await _with_office(settings, work)


async def cmd_invite(args: argparse.Namespace, settings: Settings) -> int:
    """Print a new one-time invite link for a person."""
    async def work(office: Office) -> int:
        invite = await onboarding.create_invite(office, args.person_id, office.now())
        say("cli/invite", invite=invite, link=onboarding.deep_link(settings.bot_username, invite))
        return 0
    return await _with_office(settings, work)


async def cmd_import(args: argparse.Namespace, settings: Settings) -> int:
    """Import sections, units and people from an .xlsx workbook."""
    from bot.services.importing import import_workbook

    path = Path(args.path)
    if not path.is_file():
        say("cli/file_missing", path=path, err=True)
        return EXIT_USAGE

    async def work(office: Office) -> int:
        report = await import_workbook(office, path, office.now())
        print(report)
        return 0
    return await _with_office(settings, work)


async def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    """Run the bot (long polling, or a webhook behind a reverse proxy) until SIGTERM or Ctrl+C."""
    from bot.running import StartupError, serve, stop_on_signals

    if settings.token is None and settings.dingtalk.client_id is None and settings.wecom.corp_id is None:
        say("cli/token_missing", err=True)
        return EXIT_USAGE
    if args.webhook and settings.token is not None and not settings.webhook_url:
        say("ops/webhook_url_missing", err=True)
        return EXIT_USAGE

    async def work(office: Office) -> int:
        try:
            await serve(office, stop_on_signals(), webhook=args.webhook)
        except StartupError as exc:
            print(plain(str(exc)), file=sys.stderr)
            return 1
        return 0
    return await _with_office(settings, work)


def _names(text: str) -> frozenset[str]:
    """Names as ``--dingtalk`` and ``--wecom`` take them: comma-separated (either comma)."""
    return frozenset(name.strip() for name in text.replace("，", ",").split(",") if name.strip())


async def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    """Run the token-free demo on the built-in emulator."""
    from bot.demo.run import run_demo
    from bot.running import stop_on_signals

    dingtalk = _names(args.dingtalk)
    await run_demo(settings, args.host, args.port, Path(args.demo_db), stop_on_signals(), dingtalk, _names(args.wecom))
    return 0


async def cmd_daily(args: argparse.Namespace, settings: Settings) -> int:
    """Run the daily check for a date; the running bot's sender delivers what it queues."""
    from datetime import date

    from bot.services.daily import run_daily

    try:
        day = date.fromisoformat(args.date) if args.date else None
    except ValueError:
        say("cli/bad_date", text=args.date, err=True)
        return EXIT_USAGE

    async def work(office: Office) -> int:
        async with office.db.job_lock("daily-check"):  # not beside a bot instance's own run
            outcome = await run_daily(office, day or office.now().date())
        say("daily/cli", outcome=outcome)
        return 0
    return await _with_office(settings, work)


def parser() -> argparse.ArgumentParser:
    """The command line, with ``--help`` on every subcommand."""
    top = argparse.ArgumentParser(prog="duban", description="督办 Bot：工作交办单、工作催办单、督办通知单管理")
    top.add_argument("--config", help="TOML 配置文件（也可用环境变量 DUBAN_CONFIG）")
    top.add_argument("--db", help="SQLite 数据库文件（也可用环境变量 DUBAN_DB）")
    top.add_argument("-v", "--verbose", action="store_true", help="输出调试日志")
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser(
        "run", help="运行机器人（长轮询或 webhook）",
        description="运行机器人，直到收到 SIGTERM 或 Ctrl+C（先发完正在发送的消息再退出）。需要 DUBAN_TELEGRAM_TOKEN。"
        "启动时自动应用数据库迁移。",
    )
    p.add_argument(
        "--webhook", action="store_true",
        help="用 webhook 接收更新（在反向代理之后；地址、端口和密钥见配置 [webhook]），默认长轮询",
    )
    p.set_defaults(run=cmd_run)

    p = sub.add_parser("demo", help="无需令牌的演示", description="在一个进程里启动本地 Bot API 模拟器、真实的机器人和演示数据。")
    p.add_argument("--host", default="127.0.0.1", help="监听地址（默认 127.0.0.1）")
    p.add_argument("--port", type=int, default=8080, help="端口（默认 8080）")
    p.add_argument("--demo-db", default="demo.db", help="演示数据库文件，每次启动重新生成（默认 demo.db）")
    p.add_argument(
        "--dingtalk", default=",".join(DEMO_ON_DINGTALK), metavar="姓名,姓名",
        help=f"在钉钉上的人员（逗号分隔，其余人在 Telegram 上；空字符串：都在 Telegram 上；默认 {'、'.join(DEMO_ON_DINGTALK)}）",
    )
    p.add_argument(
        "--wecom", default=",".join(DEMO_ON_WECOM), metavar="姓名,姓名",
        help=f"在企业微信上的人员（逗号分隔；空字符串：无人在企业微信上；默认 {'、'.join(DEMO_ON_WECOM)}）",
    )
    p.set_defaults(run=cmd_demo)

    p = sub.add_parser("daily", help="执行每日督办检查", description="执行某一天的每日检查（到期提醒、催办、督办、约谈和移交建议）；同一天只执行一次。")
    p.add_argument("--date", help="日期 YYYY-MM-DD（默认今天）")
    p.set_defaults(run=cmd_daily)

    p = sub.add_parser("init-db", help="创建或升级数据库", description="创建数据库，或应用尚未执行的迁移。")
    p.set_defaults(run=cmd_init_db)

    unit = sub.add_parser("unit", help="责任单位", description="管理责任单位。")
    unit_sub = unit.add_subparsers(dest="action", required=True, metavar="ACTION")
    p = unit_sub.add_parser("add", help="添加责任单位", description="添加一个责任单位（乡镇、街区或部门）。")
    p.add_argument("name", help="单位名称，如 住建局")
    p.add_argument("--kind", choices=[k.value for k in UnitKind], default=UnitKind.DEPARTMENT.value, help="town 乡镇 / street 街区 / department 部门")
    p.add_argument("--leader", help="分管市领导姓名（须已添加，角色 leader）")
    p.set_defaults(run=cmd_unit_add)

    section = sub.add_parser("section", help="科室", description="管理市政府办公室科室。")
    section_sub = section.add_subparsers(dest="action", required=True, metavar="ACTION")
    p = section_sub.add_parser("add", help="添加科室", description="添加一个科室；政务监督室加 --supervision-office。")
    p.add_argument("name", help="科室名称，如 综合一科")
    p.add_argument("--supervision-office", action="store_true", help="这是政务监督室")
    p.add_argument("--leader", help="分管市领导姓名（审阅本科室月度分析）")
    p.set_defaults(run=cmd_section_add)

    person = sub.add_parser("person", help="人员", description="管理人员。")
    person_sub = person.add_subparsers(dest="action", required=True, metavar="ACTION")
    p = person_sub.add_parser("add", help="添加人员并生成邀请链接", description="添加一个人员；默认同时输出一次性邀请链接。")
    p.add_argument("name", help="姓名")
    p.add_argument("--roles", type=_roles, required=True, help="角色，逗号分隔：admin,supervisor,clerk,leader,principal,responsible")
    p.add_argument("--unit", help="所属责任单位（责任单位责任人必填）")
    p.add_argument("--section", help="所属科室（科室工作人员必填）")
    p.add_argument("--phone", help="联系电话")
    p.add_argument("--no-invite", action="store_true", help="不生成邀请链接")
    p.set_defaults(run=cmd_person_add)

    p = sub.add_parser("invite", help="生成邀请链接", description="为人员生成一次性邀请链接（默认72小时内有效）。")
    p.add_argument("person_id", type=int, help="人员编号")
    p.set_defaults(run=cmd_invite)

    for extension in EXTENSIONS:
        extension.add_to(sub)

    p = sub.add_parser("import", help="从 .xlsx 导入科室、单位和人员", description="从工作簿导入：工作表「科室」「单位」「人员」（见 examples/org-sample.xlsx）。")
    p.add_argument("path", help=".xlsx 文件")
    p.set_defaults(run=cmd_import)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``duban`` command."""
    args = parser().parse_args(argv)
    logs.configure(args.verbose)
    try:
        settings = load_settings(args.config)
    except ConfigError as exc:
        say("cli/config_error", error=exc, err=True)
        return EXIT_USAGE
    if args.db:
        from dataclasses import replace

        settings = replace(settings, db_path=Path(args.db))
    try:
        return asyncio.run(args.run(args, settings))
    except DomainError as exc:
        print(plain(explain(exc)), file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
