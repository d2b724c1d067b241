#!/usr/bin/env bash
# The test command of the README: installs what is missing, type-checks, runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npx --no-install tsc -p tsconfig.check.json

# Network namespaces left by an interrupted earlier run (tests name theirs "ortest-*").
for ns in $(ip netns list 2>/dev/null | awk '/^ortest-/ {print $1}'); do ip netns del "$ns" 2>/dev/null || true; done

if [ $# -gt 0 ]; then files=("$@"); else mapfile -t files < <(find test -name '*.test.ts' | sort); fi
exec node --import tsx --test --test-timeout=120000 "${files[@]}"
