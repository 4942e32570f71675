#!/usr/bin/env bash
# Starts only the local AWS emulator (moto with SageMaker's lifecycles; never real AWS) with
# JumpStart's content seeded, prints the `export` lines that point sagetune (or the AWS CLI)
# at it, and keeps it running until Ctrl-C; it is then stopped by its PID.
#
#   scripts/emulator.sh [PORT]        # default: a free port
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/emulator-venv.sh >/dev/null
work=$(mktemp -d)
emulator_pid=""
cleanup() {
  if [ -n "$emulator_pid" ]; then kill "$emulator_pid" 2>/dev/null || true; wait "$emulator_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 0' INT TERM
.venv-emulator/bin/python tests/emulator/sagetune_emulator.py --port "${1:-0}" --port-file "$work/port" \
  --seed-jumpstart tests/fixtures/jumpstart >"$work/emulator.log" 2>&1 &
emulator_pid=$!
for _ in $(seq 1 200); do [ -s "$work/port" ] && break; sleep 0.1; done
[ -s "$work/port" ] || { cat "$work/emulator.log" >&2; echo "the emulator did not start" >&2; exit 1; }
url="http://127.0.0.1:$(cat "$work/port")"
cat <<EXPORTS
# The emulator (pid $emulator_pid) listens on $url. In another shell:
export AWS_ENDPOINT_URL=$url AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local AWS_REGION=us-east-1
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null SAGETUNE_POLL_INTERVAL=300ms
# An artifacts bucket for a manifest (here: s3://my-bucket/):
#   curl -s -X POST $url/_sagetune/bucket -d '{"name": "my-bucket"}'
# Ctrl-C here stops the emulator.
EXPORTS
wait "$emulator_pid"
