#!/usr/bin/env bash
# The whole test run: build, lint, then every mocha suite (unit, node, flow, race,
# fault and browser tests) against a real redis-server that the run starts itself.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v redis-server >/dev/null; then
    echo "redis-server is missing: install it with 'sudo apt-get install redis-server'" >&2
    exit 1
fi
[ -d node_modules ] || npm install --no-audit --no-fund
npm run build
npm run lint
npx mocha "$@"
