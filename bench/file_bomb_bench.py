"""Peak memory of the minutes reader refusing file bombs, each read in a fresh process.

Each file is made here (nothing stored): a .docx whose body unzips to 1 GB, one of 10,000
parts, a PDF of 5,000 pages, an .xlsx that unzips to 1 GB, and PDF-looking garbage. A child
process imports the reader, reads the file with ``intake.text_of_file`` (the organisation
import's ``check_zip`` for the .xlsx) and prints its answer, the time and its peak RSS
(``ru_maxrss``); the baseline is the same child reading a one-page .docx.

    .venv/bin/python bench/file_bomb_bench.py          # --gigabytes 1
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.file_bombs import docx_bomb, garbage_pdf, many_parts, pdf_pages, xlsx_bomb  # noqa: E402
from tests.intake_files import docx_bytes  # noqa: E402

CHILD = """
import json, resource, sys, time
from pathlib import Path
from bot.domain.errors import DomainError
from bot.readers import file_limits
from bot.services import intake
from bot.texts import explain
import docx, pdfplumber  # loaded before the clock: the reader imports them on first use
path = Path(sys.argv[1])
started = time.perf_counter()
try:
    if path.suffix == ".xlsx":
        file_limits.check_zip(path)
        answer = "read"
    else:
        answer = "read %d characters" % len(intake.text_of_file(path.read_bytes(), path.name).text)
except DomainError as exc:
    answer = explain(exc)
seconds = time.perf_counter() - started
print(json.dumps({"answer": answer, "seconds": seconds, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def measure(path: Path) -> dict[str, object]:
    out = subprocess.run([sys.executable, "-c", CHILD, str(path)], cwd=ROOT, capture_output=True, text=True, check=True)
    result: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--gigabytes", type=float, default=1.0, help="unzipped size of the .docx and .xlsx bombs")
    args = parser.parse_args()
    unzipped = int(args.gigabytes * 2**30)
    with tempfile.TemporaryDirectory() as tmp:
        files = {
            "one-page .docx (baseline)": ("baseline.docx", lambda: docx_bytes(["市政府第12次常务会议纪要", "一、住建局抓紧落实。"])),
            f".docx unzipping to {args.gigabytes:g} GB": ("bomb.docx", lambda: docx_bomb(unzipped)),
            ".docx of 10,000 parts": ("parts.docx", lambda: many_parts(10_000)),
            "PDF of 5,000 pages": ("pages.pdf", lambda: pdf_pages(5_000)),
            "garbage after %PDF-": ("garbage.pdf", lambda: garbage_pdf(7)),
            f".xlsx unzipping to {args.gigabytes:g} GB (org import)": ("bomb.xlsx", lambda: xlsx_bomb(unzipped)),
        }
        print(f"{'file':44} {'sent':>9} {'peak RSS':>9} {'time':>7}  answer")
        for title, (name, make) in files.items():
            started = time.perf_counter()
            data = make()
            made = time.perf_counter() - started
            path = Path(tmp) / name
            path.write_bytes(data)
            result = measure(path)
            print(
                f"{title:44} {len(data) / 1024:7.0f}KB {result['peak_mb']:7.0f}MB {result['seconds']:6.2f}s  "
                f"{str(result['answer'])[:60]}  (made in {made:.1f} s)"
            )


if __name__ == "__main__":
    main()
