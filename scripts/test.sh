#!/usr/bin/env bash
# Set up, then run every test: unit, pipeline, end-to-end, and nbval over source/ and solutions/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export AUTOGRADE_OFFLINE=${AUTOGRADE_OFFLINE:-1}
exec .venv/bin/python -m pytest -q -p no:cacheprovider tests source solutions --nbval-lax --nbval-cell-timeout=600 "$@"
