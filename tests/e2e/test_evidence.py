"""The evidence archive: a unit's 书面反馈 files are downloaded into ``archive_dir`` once the
feedback is committed, under names that cannot leave the folder, with their SHA-256; listed in
/task and the 台账, carried by backup and restore; a file over Telegram's 20 MB download limit
is refused when it is sent."""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
from pathlib import Path

import openpyxl

from bot.backup import restore_backup, take_backup
from tests import postgres_server
from bot.channels.telegram.files import fetcher
from bot.config import Settings
from bot.edge import File
from bot.domain.feedback import Attachment
from bot.services import evidence
from bot.services.handling import submit_feedback
from bot.storage import feedback as feedback_store
from tests.e2e.test_slip_actions import PNG, issue, slip_message

PDF = b"%PDF-1.4\n" + "排查台账：32处积水点".encode() * 200 + b"\n%%EOF"


async def kept(office, task_id: int, count: int = 1, timeout: float = 10.0):
    """The task's attachments once ``count`` of them are in the archive."""
    for _ in range(int(timeout / 0.05)):
        found = await feedback_store.of_task(office.db.reader, task_id)
        if sum(1 for a in found if a.local_path) >= count:
            return found
        await asyncio.sleep(0.05)
    raise AssertionError(f"not archived: {await feedback_store.of_task(office.db.reader, task_id)}")


async def test_a_feedback_file_is_archived_listed_and_backed_up(city, office, tmp_path: Path):
    clerk, official = city["clerk"], city["zhujian"]
    task = await issue(office, clerk)
    slip = await slip_message(office, official, task)
    await official.send_document("../../../etc/passwd.pdf", PDF, caption="已完成排查。", mime_type="application/pdf", reply_to=slip)
    await official.wait_for(text_contains="已提交")

    [attachment] = await kept(office, task.id)
    archive = office.settings.archive_dir.resolve()
    path = (archive / attachment.local_path).resolve()
    assert path.is_relative_to(archive) and path.name == f"{attachment.id}-passwd.pdf"
    assert path.read_bytes() == PDF
    assert attachment.sha256 == hashlib.sha256(PDF).hexdigest() and attachment.size == len(PDF)
    assert [p for p in archive.rglob("*") if p.is_file()] == [path], "nothing else written, nothing outside"

    await clerk.send(f"/task {task.number.full}")
    shown = await clerk.wait_for(text_contains="附件")
    assert "passwd.pdf" in shown.text and "已存档" in shown.text

    await clerk.send("/ledger")
    ledger = await clerk.wait_for(predicate=lambda m: m.document is not None, timeout=20)
    book = openpyxl.load_workbook(io.BytesIO(clerk.file_bytes(ledger)))
    cells = [str(c.value) for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value]
    assert any("passwd.pdf" in c for c in cells), "the 台账 lists the archived file"

    # A backup restored on another machine holds the file where its row says.
    copy = await asyncio.to_thread(take_backup, office.settings, tmp_path / "backup")
    assert copy.archive_files == 1
    elsewhere = Settings(
        db_path=tmp_path / "elsewhere" / "duban.db", archive_dir=tmp_path / "elsewhere" / "archive",
        database_url=postgres_server.another_database(office.settings.database_url),
    )
    await asyncio.to_thread(restore_backup, elsewhere, tmp_path / "backup", office.now())
    restored = elsewhere.archive_dir / attachment.local_path
    assert hashlib.sha256(restored.read_bytes()).hexdigest() == attachment.sha256


async def test_an_album_of_photos_is_archived_photo_by_photo(city, office):
    clerk, official = city["clerk"], city["zhujian"]
    task = await issue(office, clerk)
    slip = await slip_message(office, official, task)
    state = official.user.state
    for n in range(3):
        stored_file = state.store_file("photo", PNG + bytes([n]), None, None, (1, 1))
        message = state.add_message(
            official.private_chat, official.user.user, photo=stored_file, caption="整改前后对比" if n == 0 else None, reply_to=slip
        )
        update = message.to_api()
        update["media_group_id"] = "album-1"
        official.user._acted()
        state.push_update("message", update)
    await official.wait_for(text_contains="附件3个")
    photos = await kept(office, task.id, count=3)
    archive = office.settings.archive_dir
    assert [(archive / p.local_path).read_bytes() for p in photos] == [PNG + bytes([n]) for n in range(3)]
    assert [Path(p.local_path).name for p in photos] == [f"{p.id}-photo.jpg" for p in photos]


async def test_a_file_over_20_mb_is_refused_at_once_and_nothing_recorded(city, office):
    clerk, official = city["clerk"], city["zhujian"]
    task = await issue(office, clerk)
    slip = await slip_message(office, official, task)
    big = b"0" * (20 * 1024 * 1024 + 1)
    await official.send_document("全部影像资料.zip", big, mime_type="application/zip", reply_to=slip)
    refusal = await official.wait_for(text_contains="20 MB")
    assert "全部影像资料.zip" in refusal.text and "未提交" in refusal.text
    async with office.db.reader.execute("SELECT count(*) FROM feedback WHERE task_id = ?", (task.id,)) as cur:
        assert (await cur.fetchone())[0] == 0
    assert not office.settings.archive_dir.exists() or not any(office.settings.archive_dir.rglob("*.zip"))


async def test_a_crash_between_download_and_record_keeps_one_file(city, office, bot):
    """The file was written but the bot died before recording it: the download is taken again,
    the same name written again, and the archive holds one file, recorded once."""
    clerk, official = city["clerk"], city["zhujian"]
    task = await issue(office, clerk)
    slip = await slip_message(office, official, task)
    sender = bot.bot_data["sender"]
    await sender.stop()  # nothing is downloaded until the "restart"
    await official.send_document("整改报告.pdf", PDF, reply_to=slip)
    await official.wait_for(text_contains="已提交")
    async with office.db.reader.execute("SELECT notice FROM outbox WHERE kind = 'download'") as cur:
        [payload] = [json.loads(r[0]) async for r in cur]
    # What the crashed process did before it died: the file, and no record of it.
    file = File(**payload["file"])
    await evidence.download(fetcher(bot.bot), file, office.settings.archive_dir, payload["folder"], payload["name"])

    restarted = type(sender)(office, bot.bot, sender.pacer)
    bot.bot_data["sender"] = restarted
    restarted.start()
    [attachment] = await kept(office, task.id)
    files = [p for p in office.settings.archive_dir.rglob("*") if p.is_file()]
    assert [p.name for p in files] == [f"{attachment.id}-整改报告.pdf"]
    assert files[0].read_bytes() == PDF and attachment.sha256 == hashlib.sha256(PDF).hexdigest()


async def test_a_file_telegram_will_not_serve_is_shown_as_not_archived(city, office, bot):
    clerk, official = city["clerk"], city["zhujian"]
    task = await issue(office, clerk)
    gone = Attachment("document", "no-such-file-id", file_name="丢失的附件.pdf", size=1024)
    await submit_feedback(office, official.person, task.id, "附件见文件", office.now(), (gone,))
    bot.bot_data["sender"].wake()
    for _ in range(200):
        async with office.db.reader.execute("SELECT status FROM outbox WHERE purpose = 'archive'") as cur:
            if (await cur.fetchone())[0] == "failed":
                break
        await asyncio.sleep(0.05)
    await clerk.send(f"/task {task.number.full}")
    shown = await clerk.wait_for(text_contains="附件")
    assert "丢失的附件.pdf" in shown.text and "未能存档" in shown.text
