#!/usr/bin/env bash
# `npm test`: everything CI checks, in the order a failure is cheapest to read.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v redis-server >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "redis-server is missing: installing it with apt-get (the tests start real Redis servers)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
  else
    echo "The tests need redis-server on PATH. Install it, e.g.: sudo apt-get install -y redis-server" >&2
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
