#!/usr/bin/env bash
# Release build benchmark: how long a newcomer waits for `cargo build --release` on this
# machine (a fresh clone of REV, an empty target folder, `--timings`), and that binary's speed
# on what users run most: `validate` of a 256 MiB JSONL dataset (hash cache removed before
# each run) and a no-op `plan` of the quickstart stack against the local emulator; median of
# $RUNS each. Appends one block to benches/results/release-build.txt.
#
#   scripts/bench-release.sh [REV]            # REV: a commit (default HEAD); RUNS=5
#   BIN=path BUILD_SECONDS=n scripts/bench-release.sh REV
#       measures an already built binary of REV whose cold build took n seconds (same command)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
rev=$(git rev-parse --short=12 "${1:-HEAD}")
runs=${RUNS:-5}
bench=${BENCH_DIR:-/tmp/sagetune-bench}
out=benches/results/release-build.txt
mkdir -p "$bench" benches/results

if [ -n "${BIN:-}" ]; then
  bin=$BIN
  build_s=${BUILD_SECONDS:?BUILD_SECONDS is needed with BIN}
  timings="(measured separately)"
else
  tmp=$(mktemp -d)
  git clone -q . "$tmp/src"
  git -C "$tmp/src" checkout -q "$rev"
  echo "cold release build of $rev (fresh clone, empty target folder)…" >&2
  start=$(date +%s)
  (cd "$tmp/src" && CARGO_TARGET_DIR="$tmp/target" cargo build --release --locked --quiet --timings)
  build_s=$(($(date +%s) - start))
  bin="$tmp/target/release/sagetune"
  report=$(ls "$tmp"/target/cargo-timings/cargo-timing-*.html 2>/dev/null | head -1)
  # The five longest units, from the timings report's data.
  timings=$(python3 - "$report" <<'PY'
import json, re, sys
data = json.loads(re.search(r"const UNIT_DATA = (\[.*?\]);\n", open(sys.argv[1]).read(), re.S).group(1))
data.sort(key=lambda u: -u["duration"])
print(", ".join(f'{u["name"]} {u["duration"]:.0f} s' for u in data[:5]))
PY
)
  cp "$bin" "$bench/sagetune-$rev"
  bin="$bench/sagetune-$rev"
fi

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# validate: a 256 MiB JSONL dataset, cold (the hash cache removed before each run).
data="$bench/release-bench"
mkdir -p "$data/data"
if [ ! -s "$data/data/train.jsonl" ]; then
  python3 - "$data/data/train.jsonl" <<'PY'
import json, random, sys
random.seed(7)
words = "revenue income margin quarter fiscal growth liquidity capital dividend segment".split()
rows = "".join(json.dumps({"text": " ".join(random.choice(words) for _ in range(90))}) + "\n" for _ in range(4000))
with open(sys.argv[1], "w") as f:
    for _ in range((256 << 20) // len(rows) + 1):
        f.write(rows)
PY
fi
cat > "$data/sagetune.yaml" <<'EOF'
stack: bench
region: us-east-1
artifacts: s3://bench-bucket/sagetune/
role: {create: true}
datasets:
  d: {train: data/train.jsonl}
EOF
validate=$(for _ in $(seq "$runs"); do
  rm -rf "$data/.sagetune"
  /usr/bin/time -f "%e" "$bin" validate -f "$data/sagetune.yaml" 2>&1 >/dev/null | tail -1
done | median)

# plan: the quickstart stack applied once, then a no-op plan against the emulator.
start_emulator
use_emulator bench
export SAGETUNE_POLL_INTERVAL=20ms
cp -r examples/quickstart "$work/stack"
rm -rf "$work/stack/.sagetune"
curl -s -X POST "http://127.0.0.1:$port/_sagetune/bucket" -d '{"name": "sagetune-quickstart"}' >/dev/null
(cd "$work/stack" && "$bin" apply --auto-approve --quiet >/dev/null 2>&1)
plan=$(for _ in $(seq "$runs"); do
  (cd "$work/stack" && /usr/bin/time -f "%e" "$bin" plan --detailed-exitcode 2>&1 >/dev/null | tail -1)
done | median)

{
  echo "## $rev  $(date -u +%Y-%m-%dT%H:%MZ)  $(nproc) cores"
  echo "cold release build: ${build_s} s  (longest units: $timings)"
  echo "validate 256 MiB JSONL, median of $runs: ${validate} s"
  echo "no-op plan of the quickstart stack (emulator), median of $runs: ${plan} s"
  echo
} | tee -a "$out"
