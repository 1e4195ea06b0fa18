"""Write ``examples/minutes-sample.docx``: a fictional 会议纪要 to send to the bot (``/minutes``,
or the file on its own) after importing ``org-sample.xlsx``.

The text is :mod:`bot.demo.minutes_sample`'s, for a meeting held on 2026-11-20 (the demo hands out
the same minutes dated a few days before the demo's date: its 「纪要示例」 button). Run
``python examples/make_minutes_sample.py`` after changing them; the file's timestamps are fixed,
so regenerating it does not show up as a change.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from bot.demo.minutes_sample import minutes_docx

OUTPUT = Path(__file__).with_name("minutes-sample.docx")
HELD_ON = date(2026, 11, 20)

if __name__ == "__main__":
    OUTPUT.write_bytes(minutes_docx(HELD_ON))
    print(f"已生成 {OUTPUT}")
