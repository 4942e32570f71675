#!/usr/bin/env bash
# The cost of streaming training logs during `apply`, in API calls: applies the same stack
# twice against the local emulator (never real AWS), once streaming the log and once with
# --quiet, each job paced to take $PACE status reads per step, and counts the requests of each
# run from the emulator's log. Target: at most one GetLogEvents per poll per stream (a poll is
# one DescribeTrainingJob), plus one DescribeLogStreams until the job's stream exists.
# Writes benches/results/training-logs.txt.
#
#   scripts/bench-logs.sh            # PACE=5
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
pace=${PACE:-5}
mkdir -p benches/results
cargo build --locked --quiet
bin=$(sagetune_bin debug)
bash scripts/emulator-venv.sh >/dev/null
start_emulator
use_emulator bench
export SAGETUNE_POLL_INTERVAL=10ms

control() { # method path json
  .venv-emulator/bin/python - "$port" "$1" "$2" "${3:-}" <<'PY'
import sys, urllib.request
port, method, path, body = sys.argv[1:]
req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=body.encode() or None, method=method)
print(urllib.request.urlopen(req).read().decode())
PY
}

run() { # stack extra-args…
  local stack=$1; shift
  mkdir -p "$work/$stack/data"
  cp -r examples/quickstart/data/. "$work/$stack/data/"
  sed -e "s/stack: factbook-llm/stack: $stack/" -e "s#s3://sagetune-quickstart/#s3://$stack/#" \
    examples/quickstart/sagetune.yaml >"$work/$stack/sagetune.yaml"
  control POST /_sagetune/bucket "{\"name\": \"$stack\"}" >/dev/null
  control POST /_sagetune/pace "{\"prefix\": \"$stack-\", \"describes_per_step\": $pace}" >/dev/null
  (cd "$work/$stack" && AWS_ACCESS_KEY_ID=$stack "$bin" apply --auto-approve "$@" >/dev/null 2>&1)
}

run bench-stream
run bench-quiet --quiet
control GET /_sagetune/requests "" >"$work/requests.json"
.venv-emulator/bin/python - "$work/requests.json" "$pace" <<'PY' | tee benches/results/training-logs.txt
import collections, json, sys
log, pace = json.load(open(sys.argv[1])), sys.argv[2]
def count(key, op):
    return sum(1 for r in log if r["key"] == key and r["op"].endswith(op))
print(f"# API calls of one apply of the quickstart stack (1 training job, 1 stream), the job paced to")
print(f"# {pace} status reads per step; requests counted by the emulator. scripts/bench-logs.sh")
print(f"{'run':<14}{'polls':>7}{'GetLogEvents':>14}{'DescribeLogStreams':>20}{'all requests':>14}")
rows = {}
for key, name in (("bench-stream", "streaming"), ("bench-quiet", "--quiet")):
    rows[name] = [count(key, "DescribeTrainingJob"), count(key, "GetLogEvents"),
                  count(key, "DescribeLogStreams"), sum(1 for r in log if r["key"] == key)]
    print(f"{name:<14}{rows[name][0]:>7}{rows[name][1]:>14}{rows[name][2]:>20}{rows[name][3]:>14}")
polls, reads, lists, _ = rows["streaming"]
per_poll = reads / polls
print(f"\nlog reads per poll per stream: {per_poll:.2f} (target <= 1, +1 page at the end: {reads} <= {polls} + 1)")
print(f"streaming adds {rows['streaming'][3] - rows['--quiet'][3]} requests to the run")
print("met" if reads <= polls + 1 and lists <= 1 else "NOT MET")
PY
