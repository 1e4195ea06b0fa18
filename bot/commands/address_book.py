"""What ``duban dingtalk-import`` and ``duban wecom-import`` share: read the channel's 通讯录
into a :class:`~bot.services.address_book.Directory`, then show the plan (``--dry-run``) or
apply it, and print the report. Each channel's module says only how its client reads the
departments and members."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.config import Settings
from bot.services.address_book import Directory, DirectoryPlan, import_directory, preview_directory
from bot.services.context import Office
from bot.texts import plain, render

EXIT_USAGE = 2
EXIT_FAILED = 1


@dataclass(frozen=True)
class Source:
    """One channel's 通讯录 as the administrator reads of it."""

    channel: str
    """钉钉 or 企业微信, as the report names it."""
    section: str
    """The configuration section: ``dingtalk`` or ``wecom``."""
    keys: str
    """What that section needs, for the message when it is missing."""
    permissions: str
    """The application's read permissions, for the message when reading fails."""
    errors: tuple[type[Exception], ...]
    """What reading may raise and the administrator should be told about."""

    @property
    def history_source(self) -> str:
        """How the history names the import: 钉钉通讯录, 企业微信通讯录."""
        return f"{self.channel}通讯录"


async def run_import(
    args: argparse.Namespace, settings: Settings, source: Source, configured: bool,
    read: Callable[[Settings], Awaitable[Directory]],
) -> int:
    """Read the organisation, then show the plan (``--dry-run``) or apply it."""
    if not configured:
        print(plain(render("address_book/not_configured", channel=source.channel, section=source.section,
                           keys=source.keys)), file=sys.stderr)
        return EXIT_USAGE
    failures: tuple[type[Exception], ...] = (ValueError, OSError, *source.errors)
    try:
        directory = await read(settings)
    except failures as exc:
        print(plain(render("address_book/unreadable", error=exc, channel=source.channel, section=source.section,
                           permissions=source.permissions)), file=sys.stderr)
        return EXIT_FAILED
    office = await Office.open(settings)
    try:
        if args.dry_run:
            plan = await preview_directory(office, directory)
        else:
            plan = await import_directory(office, directory, office.now(), source.history_source)
    finally:
        await office.db.close()
    print(report(plan, args.dry_run, source.channel))
    return 0


def report(plan: DirectoryPlan, dry_run: bool, channel: str) -> str:
    """The report the administrator reads."""
    return plain(render("address_book/report", plan=plan, dry_run=dry_run, channel=channel))
