#!/usr/bin/env bash
# The main job: set up, build the release, grade the example submissions, show the grades.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/autograde demo "$@"
