#!/usr/bin/env bash
# Try sagetune on the quickstart example against a local AWS emulator (never real AWS):
# builds sagetune, prepares the emulator's venv, starts the emulator on a free loopback port
# with JumpStart's content seeded, creates the artifacts bucket, then runs validate, plan,
# apply, status, metrics, invoke and a second plan. The emulator is stopped by its PID on exit. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

step "Building sagetune (release; the first build takes several minutes)"
cargo build --release --locked --quiet
target_dir=${CARGO_TARGET_DIR:-target}
case "$target_dir" in /*) ;; *) target_dir="$PWD/$target_dir" ;; esac
bin="$target_dir/release/sagetune"

step "Preparing the emulator"
bash scripts/emulator-venv.sh
work=$(mktemp -d)
emulator_pid=""
cleanup() {
  if [ -n "$emulator_pid" ]; then kill "$emulator_pid" 2>/dev/null || true; wait "$emulator_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
.venv-emulator/bin/python tests/emulator/sagetune_emulator.py --port 0 --port-file "$work/port" \
  --seed-jumpstart tests/fixtures/jumpstart >"$work/emulator.log" 2>&1 &
emulator_pid=$!
for _ in $(seq 1 200); do [ -s "$work/port" ] && break; sleep 0.1; done
[ -s "$work/port" ] || { cat "$work/emulator.log" >&2; echo "the emulator did not start" >&2; exit 1; }
port=$(cat "$work/port")
echo "emulator (pid $emulator_pid) on http://127.0.0.1:$port"

# Only the emulator, with dummy credentials: a developer's own AWS profile is never used.
for v in $(env | grep -o '^AWS_[A-Z_]*' || true); do unset "$v"; done
export AWS_ENDPOINT_URL="http://127.0.0.1:$port" AWS_ACCESS_KEY_ID=try AWS_SECRET_ACCESS_KEY=try \
  AWS_REGION=us-east-1 AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null \
  SAGETUNE_POLL_INTERVAL=300ms
.venv-emulator/bin/python - "$port" <<'PY'
import json, sys, urllib.request
req = urllib.request.Request(f"http://127.0.0.1:{sys.argv[1]}/_sagetune/bucket",
                             data=json.dumps({"name": "sagetune-quickstart"}).encode(), method="POST")
urllib.request.urlopen(req).read()
PY

cd examples/quickstart
step "sagetune validate"
"$bin" validate
step "sagetune plan"
"$bin" plan
step "sagetune apply --auto-approve"
"$bin" apply --auto-approve
step "sagetune status"
"$bin" status
step "sagetune metrics gptj-economy (the curves in the training log)"
"$bin" metrics gptj-economy
step "sagetune invoke gptj-economy (a prompt to the fine-tuned model)"
"$bin" invoke gptj-economy "The economy of Iceland"
step "sagetune plan (again: nothing to do)"
"$bin" plan --detailed-exitcode
step "Done: the emulator is stopped and nothing was sent to AWS."
