"""A long file being read keeps nobody else waiting: other people are answered meanwhile, one
person's messages keep their order, and a file beyond the places for heavy work
(``files.at_once``) waits its turn with 「正在读取，请稍候」."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from tests.file_bombs import pdf_pages
from tests.intake_files import MINUTES_ARABIC, docx_bytes

LONG_PDF = pdf_pages(150, 12)
"""A hundred and fifty pages of text: seconds to read (about 2 s here), long enough to be answered around."""


def from_bot(member, since: int = 0) -> list[str]:  # type: ignore[no-untyped-def]
    """The bot's messages in the member's chat after the first ``since``."""
    return [m.content for m in member.messages() if m.from_bot][since:]


async def test_others_are_answered_while_a_long_pdf_is_read(city, office):
    supervisor, official, leader = city["supervisor"], city["zhujian"], city["leader"]
    before = len(from_bot(supervisor))
    await supervisor.send_document("市政府第20次常务会议纪要.pdf", LONG_PDF)
    await official.send("/help")
    await official.wait_for(text_contains="/feedback", timeout=30)
    await leader.send("/tasks")
    await leader.wait_for(text_contains="事项", timeout=30)
    assert from_bot(supervisor, before) == [], "the others were answered before the PDF was read"

    said = await supervisor.wait_for(text_contains="议定事项", timeout=120)
    assert "没有找到编号的议定事项" in said.text


async def test_one_persons_messages_keep_their_order_behind_a_long_read(city, office):
    supervisor = city["supervisor"]
    before = len(from_bot(supervisor))
    await supervisor.send_document("市政府第20次常务会议纪要.pdf", LONG_PDF)
    await supervisor.send("/help")
    await supervisor.wait_for(text_contains="/minutes", timeout=120)
    answers = from_bot(supervisor, before)
    assert "没有找到编号的议定事项" in answers[0] and "/minutes" in answers[1]


async def test_a_file_beyond_the_places_for_heavy_work_waits_its_turn(city, office):
    office.settings = replace(office.settings, files_at_once=1)
    clerk = city["clerk"]
    before = len(from_bot(clerk))
    async with office.heavy_work:  # the one place is taken, as by another person's long file being read
        await clerk.send_document("市政府第13次常务会议纪要.docx", docx_bytes(MINUTES_ARABIC))
        waiting = await clerk.wait_for(text_contains="正在读取，请稍候", timeout=30)
        await asyncio.sleep(1)
        assert from_bot(clerk, before) == [waiting.content], "read before the place for heavy work was free"

    review = await clerk.wait_for(text_contains="市政府第13次常务会议纪要", timeout=120)
    assert "拟交办" in review.text and review.message_id > waiting.message_id
