"""`duban calendar`: holidays of a year the official calendar package does not know yet (2027)
are entered by the office and then move deadlines like any statutory holiday (民法典 第二百零三条)."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path

import pytest

from bot.cli import main
from bot.config import Settings
from bot.services.context import Office


def test_entering_new_year_2027_moves_a_deadline(tmp_path: Path, capsys) -> None:
    db = str(tmp_path / "duban.db")
    assert main(["--db", db, "calendar", "rest", "2027-01-01", "--note", "元旦"]) == 0
    assert "已登记 2027-01-01 为休息日（元旦）" in capsys.readouterr().out
    assert main(["--db", db, "calendar", "list", "--year", "2027"]) == 0
    listing = capsys.readouterr().out
    assert "2027-01-01  休息  元旦" in listing and "调休未知" in listing

    async def deadline() -> date:
        office = await Office.open(Settings(db_path=Path(db)))
        try:
            # Issued Thursday 2026-12-31 with 1 day: the last day, Friday 2027-01-01, is 元旦 → Monday.
            return office.deadline_after(date(2026, 12, 31), 1)
        finally:
            await office.db.close()

    assert asyncio.run(deadline()) == date(2027, 1, 4)


def test_bad_date_and_unknown_entry_are_refused(tmp_path: Path, capsys) -> None:
    db = str(tmp_path / "duban.db")
    with pytest.raises(SystemExit) as exit_:
        main(["--db", db, "calendar", "rest", "2027-13-01"])
    assert exit_.value.code == 2
    assert "日期格式应为 YYYY-MM-DD" in capsys.readouterr().err
    assert main(["--db", db, "calendar", "remove", "2027-05-01"]) == 2
    assert "没有 2027-05-01 的登记" in capsys.readouterr().err
