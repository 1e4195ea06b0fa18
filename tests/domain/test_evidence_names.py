"""The names feedback files are archived under, and the 20 MB rule (Bot API ``getFile``: "files
of up to 20MB in size"); and which accounts are asked before an invite moves them."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.domain.feedback import MAX_KEPT_BYTES, Attachment, archive_name, too_big_to_keep
from bot.edge import TELEGRAM, Account
from bot.domain.org import Person, Role, has_bound_official, rebinding_asks_first


def test_a_sender_s_path_is_cut_down_to_its_last_plain_name():
    assert archive_name(7, "../../../etc/passwd", "document") == "7-passwd"
    assert archive_name(7, "..\\..\\Windows\\win.ini", "document") == "7-win.ini"
    assert archive_name(7, "/abs/整改报告.pdf", "document") == "7-整改报告.pdf"
    assert archive_name(7, "..", "document") == "7-file"
    assert archive_name(7, ".hidden", "document") == "7-hidden"
    assert archive_name(7, None, "photo") == "7-photo.jpg"
    assert archive_name(7, "a\x00b\nc.pdf", "document") == "7-abc.pdf"


def test_a_long_name_keeps_its_extension():
    name = archive_name(12, "很长的文件名" * 40 + ".docx", "document")
    assert name.endswith(".docx") and len(name) <= 3 + 120


@given(st.integers(min_value=1, max_value=10**9), st.one_of(st.none(), st.text(max_size=300)), st.sampled_from(["document", "photo"]))
def test_any_name_is_one_plain_file_name_in_the_folder(attachment_id, file_name, kind):
    name = archive_name(attachment_id, file_name, kind)
    assert name.startswith(f"{attachment_id}-") and len(name) > len(f"{attachment_id}-")
    assert "/" not in name and "\\" not in name and "\x00" not in name
    assert name not in (".", "..") and not name[len(f"{attachment_id}-"):].startswith(".")


def test_twenty_megabytes_is_kept_one_byte_more_is_not():
    assert not too_big_to_keep(Attachment("document", "f", size=MAX_KEPT_BYTES))
    assert too_big_to_keep(Attachment("document", "f", size=MAX_KEPT_BYTES + 1))
    assert not too_big_to_keep(Attachment("photo", "f", size=None))


def test_only_a_bound_account_opening_someone_else_s_invite_is_asked():
    official = Person(1, "李住建", frozenset({Role.RESPONSIBLE}), unit_id=1, account=Account(TELEGRAM, str(100)))
    assert rebinding_asks_first(official, 2)
    assert not rebinding_asks_first(official, 1)
    assert not rebinding_asks_first(None, 2)


def test_a_unit_needs_a_responsible_official_with_a_bound_account():
    liaison = Person(2, "联络员", frozenset({Role.CLERK}), unit_id=1, account=Account(TELEGRAM, str(200)))
    unbound = Person(1, "李住建", frozenset({Role.RESPONSIBLE}), unit_id=1)
    assert not has_bound_official([liaison, unbound])
    assert has_bound_official([liaison, Person(1, "李住建", frozenset({Role.RESPONSIBLE}), unit_id=1, account=Account(TELEGRAM, str(100)))])
