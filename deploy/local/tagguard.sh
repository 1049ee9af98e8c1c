#!/usr/bin/env bash
# TagGuard's entry point for a fresh machine. It brings Node.js 24 (from the npm registry) and the
# dependencies, then:
#   start        run the system (the five services) until Ctrl-C
#   test         typecheck, lint, and run every project's tests against real PostgreSQL and Kafka
#   infra ...    the local infrastructure CLI: up | down | status
#   <anything>   run it with Node 24 and the dependencies on PATH (e.g. `npx nx graph`)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
NODE_VERSION=$(tr -d '[:space:]' < .node-version)
CACHE=${TAGGUARD_CACHE_DIR:-$HOME/.cache/tagguard}
export KAFKAJS_NO_PARTITIONER_WARNING=1
# kafkajs 2.2.4 arms a timer with a negative delay when its request queue is idle (Node clamps it to 1 ms);
# Node 24 warns about it on every process. Harmless and unfixable from here, so silenced by its name only.
export NODE_OPTIONS="${NODE_OPTIONS:-} --disable-warning=TimeoutNegativeWarning"

say() { printf '[tagguard] %s\n' "$*" >&2; }

# Node 24 LTS: the one on PATH if it is 24, else the official binary shipped in the npm package "node".
ensure_node() {
  if command -v node >/dev/null && [[ "$(node -v)" == v24.* ]]; then return; fi
  local dir="$CACHE/node-$NODE_VERSION"
  if [[ ! -x "$dir/node_modules/node/bin/node" ]]; then
    command -v npm >/dev/null || { say "npm is needed once to fetch Node.js $NODE_VERSION; install nodejs/npm first"; exit 1; }
    say "installing Node.js $NODE_VERSION from the npm registry into $dir"
    mkdir -p "$dir"
    npm install --prefix "$dir" --no-save --no-package-lock --no-audit --no-fund --loglevel=error "node@$NODE_VERSION" >&2
  fi
  export PATH="$dir/node_modules/.bin:$PATH"
  [[ "$(node -v)" == v24.* ]] || { say "Node.js 24 did not install (node -v: $(node -v))"; exit 1; }
}

# npm ci when package-lock.json changed since the last install (or nothing is installed yet).
ensure_deps() {
  local stamp=node_modules/.tagguard-lock
  local want
  want="$(node -v) $(sha256sum package-lock.json | cut -d' ' -f1)"
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then return; fi
  say "installing dependencies (npm ci) with Node $(node -v)"
  npm ci --no-audit --no-fund --loglevel=error >&2
  echo "$want" > "$stamp"
}

ensure_node
ensure_deps
# TypeScript contracts are generated from proto/ (never committed); cheap enough to do every time.
npm run -s generate

command=${1:-start}
[[ $# -gt 0 ]] && shift
case "$command" in
  start)
    # One process: the five services, PostgreSQL 18 from npm as its child, the in-process transport (deploy/embedded).
    npx nx run embedded-host:build --outputStyle=static >&2
    exec node --enable-source-maps dist/embedded/deploy/embedded/src/main.js "$@"
    ;;
  test)
    say "proto lint and breaking-change check against main"
    npm run -s proto:lint
    if git rev-parse --verify -q main >/dev/null; then npm run -s proto:breaking; fi
    say "typecheck"
    npm run -s typecheck
    say "lint"
    npm run -s lint -- --outputStyle=static
    say "tests"
    exec npm test -- "$@"
    ;;
  infra)
    exec npm run -s infra -- "$@"
    ;;
  *)
    exec "$command" "$@"
    ;;
esac
