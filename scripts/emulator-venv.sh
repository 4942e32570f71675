#!/usr/bin/env bash
# Creates (or checks) the emulator's Python venv in .venv-emulator from
# tests/emulator/requirements.txt. Idempotent: does nothing when the venv matches.
# VENV=path overrides the location.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${VENV:-.venv-emulator}
stamp="$venv/.requirements.sha256"
want=$(sha256sum tests/emulator/requirements.txt | cut -d' ' -f1)
if [ -x "$venv/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
  exit 0
fi
command -v python3 >/dev/null || { echo "the emulator needs python3 (3.9 or newer)" >&2; exit 1; }
echo "Preparing the emulator's Python venv in $venv (about a minute)…" >&2
python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r tests/emulator/requirements.txt
echo "$want" > "$stamp"
