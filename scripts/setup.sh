#!/usr/bin/env bash
# Create .venv with the kit and its pinned dependencies; does nothing when it is up to date.
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python3}
stamp=.venv/.kit-installed
# The grading sandbox (autograde/sandbox.py) needs bubblewrap; install it when missing and root.
if ! command -v bwrap >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "setup: installing bubblewrap (grading sandbox)"; apt-get update -qq && apt-get install -y -qq bubblewrap >/dev/null
fi
# A PostgreSQL gradebook (--db) is tested against a throwaway server (initdb + pg_ctl): Debian's package.
if ! command -v initdb >/dev/null && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 \
   && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "setup: installing postgresql (gradebook server for the tests)"; apt-get update -qq && apt-get install -y -qq postgresql >/dev/null
fi
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv with $($python --version)"
  "$python" -m venv .venv
fi
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "setup: installing the kit and its pinned dependencies (a few minutes the first time)"
  .venv/bin/python -m pip install -q --upgrade pip 2> >(grep -v "^WARNING: Location" >&2)
  .venv/bin/python -m pip install -q -e ".[test,lab,postgres]" 2> >(grep -v "^WARNING: Location" >&2)
  .venv/bin/python -c "import torch, torchvision, fastai.vision.all, nbgrader, nbval, distributed, psycopg" 2> >(grep -v "FutureWarning\|warnings.warn" >&2)
  touch "$stamp"
fi

# --- Browser tests (tests/browser, issue 11): Debian's Chromium, driven by Playwright; no browser is downloaded. ---
if ! command -v chromium >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "setup: installing chromium (browser tests)"; apt-get update -qq && apt-get install -y -qq chromium >/dev/null
fi
