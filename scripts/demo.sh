#!/usr/bin/env bash
# The README's demo command: installs what is missing, then runs the demo.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec node dist/demo/capture-demo.js "$@"
