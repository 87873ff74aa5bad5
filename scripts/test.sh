#!/usr/bin/env bash
# `npm test`: everything CI checks, in the order a failure is cheapest to read.
set -euo pipefail
cd "$(dirname "$0")/.."

# The tests use a real redis-server (also as Sentinel), a real nginx and a real browser (Debian's
# chromium), never mocks of them.
missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
[ -x /usr/sbin/nginx ] || missing+=(nginx)
[ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ] || missing+=(chromium)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "== installing ${missing[*]} with apt-get"
    apt-get update -qq
    # The tests run their own nginx and redis-server on free ports: keep the packages' services from
    # starting (nginx would take port 80) unless a policy already decides.
    policy=
    if [ ! -e /usr/sbin/policy-rc.d ]; then
      policy=/usr/sbin/policy-rc.d
      printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy"
    fi
    status=0
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null || status=$?
    if [ -n "$policy" ]; then rm -f "$policy"; fi
    [ "$status" = 0 ] || exit "$status"
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
