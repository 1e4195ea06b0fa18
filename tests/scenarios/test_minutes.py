"""From a 会议纪要 to 交办单 on each channel (notice, section 一: 「依据相关文件、会议纪要建立工作台账
进行专项交办」): 政务监督室 sends the minutes as a Word file, reviews the drafts the bot reads from
them and signs them all (全部签发); each unit receives its slip and a copy of the minutes."""

from __future__ import annotations

from datetime import date

from bot.storage import tasks
from tests.intake_files import docx_bytes
from tests.scenarios.conftest import on

MINUTES = [
    "市政府第13次常务会议纪要",
    "2026年11月27日，市政府召开第13次常务会议。会议议定：",
    "1. 住建局于12月25日前完成老旧小区改造摸底。",
    "2. 交通运输局12月31日前报送公交线网优化方案。",
]
NAME = "市政府第13次常务会议纪要.docx"


async def test_minutes_to_drafts_to_all_signed(city, office, channel):  # type: ignore[no-untyped-def]
    supervisor, zhujian, jiaotong = city["supervisor"], city["zhujian"], city["jiaotong"]
    on(office, date(2026, 11, 30))
    minutes = docx_bytes(MINUTES)
    await supervisor.send_file(NAME, minutes)
    review = await supervisor.wait_for("市政府第13次常务会议纪要", where=lambda s: bool(s.buttons))
    assert "拟交办2项，其中2项可签发" in review.text
    assert "1. 老旧小区改造摸底工作\n单位：住建局\n期限：2026年12月25日前" in review.text
    assert "2. 公交线网优化方案制定工作\n单位：交通运输局\n期限：2026年12月31日前" in review.text
    assert review.buttons == ("修改1", "删除1", "修改2", "删除2", "全部签发（2项）")
    assert not await tasks.in_scope(office.db.reader)

    await supervisor.press("全部签发（2项）", on=review)
    done = await supervisor.wait_for("已签发2项，共2份交办单")
    assert "交办单〔2026〕1号 → 住建局" in done.text and "交办单〔2026〕2号 → 交通运输局" in done.text
    drawn = await supervisor.wait_for(on=review, where=lambda s: "草稿都已处理" in s.text)
    assert drawn.buttons == ()

    for unit, member, number in (("住建局", zhujian, 1), ("交通运输局", jiaotong, 2)):
        slip = await member.wait_for(f"〔2026〕{number}号", where=lambda s: bool(s.buttons))
        assert f"{unit}：" in slip.text and "根据市政府第13次常务会议纪要" in slip.text
        assert slip.buttons == ("签收", "反馈", "申请延期")
        copy = await member.wait_for(file=NAME)
        assert await member.chat.file_bytes(copy) == minutes
    shown = await tasks.in_scope(office.db.reader)
    assert [(t.title, t.deadline) for t in shown] == [
        ("老旧小区改造摸底工作", date(2026, 12, 25)), ("公交线网优化方案制定工作", date(2026, 12, 31)),
    ]
    assert [p.read_bytes() for p in (office.settings.archive_dir / "intake").rglob("*.docx")] == [minutes]
