# What the scripts share, sourced from the repository root: where cargo put the binary, and
# the local emulator (never real AWS), started in the background and stopped by its PID.

# sagetune_bin PROFILE: the built binary of PROFILE (`release`, `debug`), honouring
# CARGO_TARGET_DIR whether it is relative or absolute.
sagetune_bin() {
  local dir=${CARGO_TARGET_DIR:-target}
  case "$dir" in /*) ;; *) dir="$PWD/$dir" ;; esac
  echo "$dir/$1/sagetune"
}

# start_emulator [PORT]: starts the emulator with JumpStart's content seeded and waits for it;
# sets `emulator_pid`, `port` and `work` (a scratch folder). On exit it is stopped by its PID
# and `work` removed.
start_emulator() {
  work=$(mktemp -d)
  emulator_pid=""
  trap stop_emulator EXIT
  .venv-emulator/bin/python tests/emulator/sagetune_emulator.py --port "${1:-0}" --port-file "$work/port" \
    --seed-jumpstart tests/fixtures/jumpstart >"$work/emulator.log" 2>&1 &
  emulator_pid=$!
  for _ in $(seq 1 200); do [ -s "$work/port" ] && break; sleep 0.1; done
  [ -s "$work/port" ] || { cat "$work/emulator.log" >&2; echo "the emulator did not start" >&2; exit 1; }
  port=$(cat "$work/port")
}

stop_emulator() {
  if [ -n "${emulator_pid:-}" ]; then kill "$emulator_pid" 2>/dev/null || true; wait "$emulator_pid" 2>/dev/null || true; fi
  rm -rf "${work:-}"
}

# use_emulator KEY: only the emulator from here on, with dummy credentials (access key KEY),
# so a developer's own AWS profile is never used.
use_emulator() {
  for v in $(env | grep -o '^AWS_[A-Z_]*' || true); do unset "$v"; done
  export AWS_ENDPOINT_URL="http://127.0.0.1:$port" AWS_ACCESS_KEY_ID="$1" AWS_SECRET_ACCESS_KEY="$1" \
    AWS_REGION=us-east-1 AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
}
