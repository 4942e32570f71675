#!/usr/bin/env bash
# Try sagetune on the quickstart example against a local AWS emulator (never real AWS):
# builds sagetune, prepares the emulator's venv, starts the emulator on a free loopback port
# with JumpStart's content seeded, creates the artifacts bucket, then runs validate, plan,
# apply, status, metrics, invoke and a second plan. The emulator is stopped by its PID on exit. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

step "Building sagetune (release; the first build takes several minutes)"
cargo build --release --locked --quiet
bin=$(sagetune_bin release)

step "Preparing the emulator"
bash scripts/emulator-venv.sh
start_emulator
echo "emulator (pid $emulator_pid) on http://127.0.0.1:$port"
use_emulator try
export SAGETUNE_POLL_INTERVAL=300ms
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
