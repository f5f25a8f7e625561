#!/usr/bin/env bash
# The whole test run: build, lint, then every mocha suite (unit, node, flow, race,
# fault and browser tests) against a real redis-server that the run starts itself.
#
# TEST_NODE_CLOCK_AHEAD_DAYS=400 npm test runs the suites with every Node process's wall
# clock that many days ahead of Redis's (redis-server, openssl and chromium keep the real
# one): the product decides and ages by Redis's clock, so nothing may change.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v redis-server >/dev/null; then
    echo "redis-server is missing: install it with 'sudo apt-get install redis-server'" >&2
    exit 1
fi
[ -d node_modules ] || npm install --no-audit --no-fund
npm run build
npm run lint
if [ -n "${TEST_NODE_CLOCK_AHEAD_DAYS:-}" ]; then
    echo "Node's clock runs ${TEST_NODE_CLOCK_AHEAD_DAYS} days ahead of Redis's for this run"
    export NODE_OPTIONS="${NODE_OPTIONS:-} --require $PWD/dist/test/support/node-clock-ahead.js"
fi
npx mocha "$@"
