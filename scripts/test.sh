#!/usr/bin/env bash
# The whole test run: build, lint, then every mocha suite (unit, node, flow, race, fault,
# palette and browser tests) against real redis-servers that the run starts itself, once on
# each Node-RED line: 4.1 on this machine's Node.js, then 5 on Node.js 22.9 or later (this
# machine's, or Node.js 24 from the npm registry's `node` package, installed in test/node24).
#
# TEST_LINES="5" npm test runs one line only. TEST_NODE_CLOCK_AHEAD_DAYS=400 npm test runs
# the suites with every Node process's wall clock that many days ahead of Redis's
# (redis-server, openssl and chromium keep the real one): the product decides and ages by
# Redis's clock, so nothing may change. Arguments go to mocha.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v redis-server >/dev/null; then
    echo "redis-server is missing: install it with 'sudo apt-get install redis-server'" >&2
    exit 1
fi
[ -d node_modules ] || npm install --no-audit --no-fund
npm run build
npm run lint

# A Node.js that can run Node-RED 5: this machine's when it is new enough, else Node.js 24
# from the npm registry (none exists for 32-bit ARM: that line is then skipped, except in CI).
node_for_line_5() {
    if node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 22 || (a === 22 && b >= 9) ? 0 : 1)'; then
        command -v node
        return
    fi
    local bin=test/node24/node_modules/node/bin/node
    if [ ! -x "$bin" ] || ! "$bin" --version >/dev/null 2>&1; then
        echo "installing Node.js 24 from the npm registry into test/node24 for the Node-RED 5 line…" >&2
        npm ci --prefix test/node24 --no-audit --no-fund >&2 || return 1
    fi
    echo "$PWD/$bin"
}

if [ -n "${TEST_NODE_CLOCK_AHEAD_DAYS:-}" ]; then
    echo "Node's clock runs ${TEST_NODE_CLOCK_AHEAD_DAYS} days ahead of Redis's for this run"
    export NODE_OPTIONS="${NODE_OPTIONS:-} --require $PWD/dist/test/support/node-clock-ahead.js"
fi

for line in ${TEST_LINES:-4 5}; do
    case "$line" in
        4) node_bin=$(command -v node) ;;
        5) if ! node_bin=$(node_for_line_5); then
               if [ "${CI:-}" = true ]; then echo "no Node.js for Node-RED 5 on this machine" >&2; exit 1; fi
               echo "skipping the Node-RED 5 line: no Node.js 22.9 or later for this machine ($(uname -m))" >&2
               continue
           fi ;;
        *) echo "TEST_LINES holds '$line': the lines are 4 and 5" >&2; exit 1 ;;
    esac
    echo
    echo "=== Node-RED $line on Node.js $("$node_bin" --version) ==="
    TEST_NODE_RED_LINE=$line "$node_bin" node_modules/mocha/bin/mocha.js "$@"
done
