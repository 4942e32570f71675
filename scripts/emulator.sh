#!/usr/bin/env bash
# Starts only the local AWS emulator (moto with SageMaker's lifecycles; never real AWS) with
# JumpStart's content seeded, prints the `export` lines that point sagetune (or the AWS CLI)
# at it, and keeps it running until Ctrl-C; it is then stopped by its PID.
#
#   scripts/emulator.sh [PORT]        # default: a free port
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
bash scripts/emulator-venv.sh >/dev/null
start_emulator "${1:-0}"
trap 'exit 0' INT TERM
url="http://127.0.0.1:$port"
cat <<EXPORTS
# The emulator (pid $emulator_pid) listens on $url. In another shell:
export AWS_ENDPOINT_URL=$url AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local AWS_REGION=us-east-1
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null SAGETUNE_POLL_INTERVAL=300ms
# An artifacts bucket for a manifest (here: s3://my-bucket/):
#   curl -s -X POST $url/_sagetune/bucket -d '{"name": "my-bucket"}'
# Ctrl-C here stops the emulator.
EXPORTS
wait "$emulator_pid"
