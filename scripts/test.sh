#!/usr/bin/env bash
# The whole test suite: formatting, lints, unit tests and the end-to-end tests of the real
# binary. This is the command README.md gives and .ci/run calls.
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}
# Tests must never see a developer's AWS setup; they set what they need themselves.
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN \
  AWS_REGION AWS_DEFAULT_REGION AWS_ENDPOINT_URL

cargo fmt --check
cargo clippy --locked --all-targets -- -D warnings
cargo test --locked
