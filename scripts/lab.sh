#!/usr/bin/env bash
# The instructor's JupyterLab in the course folder: formgrader, Validate, and the exchange students fetch from.
#   bash scripts/lab.sh [jupyter lab options]
# Creates the exchange folder (c.Exchange.root in student/nbgrader_config.py) writable by every user, sticky like
# /tmp, when it is missing; as root that needs no sudo, otherwise create it once as shown in the error.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exchange=$(.venv/bin/python -c "from autograde import course; print(course.load_config(course.find_root()).Exchange.root)")
if [ ! -d "$exchange" ]; then
  if ! { mkdir -p "$exchange" && chmod 1777 "$exchange"; } 2>/dev/null; then
    echo "lab: cannot create the exchange $exchange; once, as root: mkdir -p $exchange && chmod 1777 $exchange" >&2
    exit 1
  fi
  echo "lab: created the exchange $exchange"
fi
args=()
[ "$(id -u)" = 0 ] && args+=(--allow-root)
exec .venv/bin/jupyter lab "${args[@]}" "$@"
