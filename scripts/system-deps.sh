#!/usr/bin/env bash
# System packages the tests and the product use beyond Python: each line says what for.
# Installs what is missing when run as root with apt-get; otherwise says what to install.
set -euo pipefail
need=()
lean=()  # installed without Debian's recommended extras
# (packages are added here as features need them)
# chromium: the headless browser that tests/e2e/test_demo_page.py drives the demo page with
command -v chromium >/dev/null || need+=(chromium)
# fonts-wqy-microhei: a CJK font for the PNG pictures (/board, the 通报 bar chart); matplotlib finds it
command -v fc-list >/dev/null && fc-list | grep -qi 'wqy\|noto.*cjk' || need+=(fonts-wqy-microhei)
# libreoffice-writer-nogui, libreoffice-calc-nogui: tests/e2e/test_printed.py prints every export
# (台账, 通报, slips) to PDF as an office would; poppler-utils (pdftotext, pdfinfo, pdftoppm) reads
# the pages back. About 40 s to install without recommends.
command -v soffice >/dev/null || lean+=(libreoffice-writer-nogui libreoffice-calc-nogui)
command -v pdftotext >/dev/null || lean+=(poppler-utils)
# fonts-noto-color-emoji: the bot's 📋 🟢 🟡 🔴 in the demo page's browser (and its screenshots)
command -v fc-list >/dev/null && fc-list | grep -qi 'color emoji' || lean+=(fonts-noto-color-emoji)
# libgl1, libglib2.0-0: OpenCV (under RapidOCR, which reads scanned 会议纪要) loads these at import
ldconfig -p 2>/dev/null | grep -q 'libGL.so.1' || need+=(libgl1)
ldconfig -p 2>/dev/null | grep -q 'libglib-2.0.so.0' || need+=(libglib2.0-0)
# postgresql: `make test-pg` runs the storage and e2e suites again on a throw-away PostgreSQL
# server (tests/postgres_server.py starts it with initdb/pg_ctl as the postgres user)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || lean+=(postgresql)
if [ ${#need[@]} -eq 0 ] && [ ${#lean[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  apt-get update -qq
  if [ ${#need[@]} -gt 0 ]; then DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null; fi
  if [ ${#lean[@]} -gt 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${lean[@]}" >/dev/null
  fi
else
  echo "Missing system packages (install them, e.g. with apt-get): ${need[*]} ${lean[*]}" >&2
fi
