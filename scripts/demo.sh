#!/usr/bin/env bash
# `npm start`: the transit demo on this machine, from a fresh clone. Checks Node.js,
# installs the npm packages when needed, builds, makes sure redis-server is there, then
# hands over to dist/scripts/demo/main.js (private Redis + Node-RED with the demo flows).
# Environment: REDIS_URL=redis://[user:pass@]host:port/db uses that Redis instead of a
# private one; PORT=1880 picks Node-RED's port; HOST=0.0.0.0 opens it to the network, behind a
# login (AUTH=off: without one).
set -euo pipefail
cd "$(dirname "$0")/.."

say() { echo "[demo] $*"; }
die() { echo "[demo] $*" >&2; exit 1; }

NODE_HINT="install Node.js 20 or newer (https://nodejs.org/en/download, or on Raspberry Pi OS: curl -fsSL https://deb.nodesource.com/setup_22.x | sudo -E bash - && sudo apt-get install -y nodejs), then run 'npm start' again"
command -v node >/dev/null 2>&1 || die "Node.js is not installed: $NODE_HINT"
node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" -ge 20 ] || die "Node.js $(node --version) is too old: $NODE_HINT"
command -v npm >/dev/null 2>&1 || die "npm is not installed: install it with 'sudo apt-get install npm' (or $NODE_HINT)"

# Install the npm packages when node_modules is missing or package-lock.json changed since
# the last install. `npm ci` installs exactly what the lock file says and, unlike
# `npm install`, never rewrites it (so a clone stays clean whatever npm version runs here).
mkdir -p .demo
lock_hash() { node -e 'process.stdout.write(require("crypto").createHash("sha256").update(require("fs").readFileSync("package-lock.json")).digest("hex"))'; }
if [ ! -d node_modules ] || [ "$(cat .demo/package-lock.sha256 2>/dev/null || true)" != "$(lock_hash)" ]; then
    say "installing npm packages…"
    npm ci --no-audit --no-fund
    lock_hash > .demo/package-lock.sha256
fi

say "building…"
npm run --silent build

if [ -z "${REDIS_URL:-}" ] && ! command -v redis-server >/dev/null 2>&1; then
    say "redis-server is not installed; installing Debian's redis-server package with apt-get…"
    if [ "$(id -u)" -eq 0 ]; then sudo_cmd=(); elif command -v sudo >/dev/null 2>&1; then sudo_cmd=(sudo); else sudo_cmd=(none); fi
    installed=no
    if command -v apt-get >/dev/null 2>&1 && [ "${sudo_cmd[0]:-}" != none ]; then
        # A fresh image may have stale package lists: update once if the first try fails.
        if "${sudo_cmd[@]}" apt-get install -y redis-server || { "${sudo_cmd[@]}" apt-get update && "${sudo_cmd[@]}" apt-get install -y redis-server; }; then
            installed=yes
        fi
    fi
    if [ "$installed" != yes ] || ! command -v redis-server >/dev/null 2>&1; then
        die "could not install redis-server: run 'sudo apt-get install redis-server' (or set REDIS_URL=redis://host:6379 to use an existing Redis), then 'npm start' again"
    fi
fi

exec node dist/scripts/demo/main.js
