#!/usr/bin/env bash
# System packages the tests and the product use beyond Python: each line says what for.
# Installs what is missing when run as root with apt-get; otherwise says what to install.
set -euo pipefail
need=()
# (packages are added here as features need them)
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
else
  echo "Missing system packages (install them, e.g. with apt-get): ${need[*]}" >&2
fi
