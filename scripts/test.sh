#!/usr/bin/env bash
# `npm test`: everything CI checks, in the order a failure is cheapest to read.
set -euo pipefail
cd "$(dirname "$0")/.."

# The tests use a real redis-server and a real browser (Debian's chromium), never mocks of them.
missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
[ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ] || missing+=(chromium)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "== installing ${missing[*]} with apt-get"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "The tests need ${missing[*]}. Install, e.g.: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi

echo "== generated code is fresh (npm run check:codegen)"
npm run -s check:codegen
echo "== types (npm run check:types)"
npm run -s check:types
echo "== web client builds (npm run build:client)"
npm run -s build:client >/dev/null
echo "== tests (vitest)"
npx vitest run "$@"
