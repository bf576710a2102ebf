#!/usr/bin/env bash
# Installs what the tests need (Debian's chromium for the browser tests, the Python packages
# in .venv) and runs the whole suite: lint, formatting, types, tests (browser tests included).
set -euo pipefail
cd "$(dirname "$0")/.."

# chromium drives the browser tests; openssl makes the certificates of the SMTP TLS tests.
if ! command -v chromium >/dev/null 2>&1 || ! command -v openssl >/dev/null 2>&1; then
  as_root=""
  if [ "$(id -u)" -ne 0 ]; then as_root="sudo"; fi
  $as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $as_root apt-get install -y -qq chromium openssl
fi

python3 -m venv .venv
. .venv/bin/activate
pip install -q -e '.[test]'
ruff check .
ruff format --check .
mypy
pytest
