#!/usr/bin/env bash
# Performance benchmarks (issue 15). Every figure is a ratio to an anchor measured in the same
# run, on this machine, with runs alternated (anchor, sagetune, anchor, …):
#   1. validate of 1 GiB TXT, CSV, JSONL and JSON-array datasets vs `openssl dgst -sha256` of
#      the same file (cache removed before each validate), and validate's peak RSS;
#   2. plans against the local emulator at N = 1, 50 and 200 fine-tunes, each with its own
#      dataset file and endpoint (scripts/bench-plan.sh): the first plan's and the no-op plan's
#      requests, the no-op plan's time as a multiple of N = 1's, and its peak RSS;
#   3. the upload of a 1 GiB file by sagetune's upload path (benches/upload.rs) vs `aws s3 cp`,
#      both to the same local S3 server (the s3s-fs crate, started on 127.0.0.1);
#   4. `sagetune requests` (offline, JumpStart fixtures) wall time vs `sagetune --version`, and
#      its peak RSS.
# Only 127.0.0.1 is ever called, with dummy credentials. Writes benches/results/bench.txt with
# every run listed; exits 1 when a target is missed.
#
#   scripts/bench.sh            # BENCH_DIR=/tmp/sagetune-bench RUNS=3 BENCH_SECTIONS=1234
# Needs: openssl, the AWS CLI (`aws`), and s3s-fs (installed once under $BENCH_DIR/tools with
# cargo when missing; the first run spends a few minutes building it).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
bench=${BENCH_DIR:-/tmp/sagetune-bench}
runs=${RUNS:-3}
sections=${BENCH_SECTIONS:-1234}
size=$((1 << 30))
out=benches/results/bench.txt
mkdir -p "$bench" benches/results
for tool in openssl aws curl jq; do
  command -v "$tool" >/dev/null || { echo "$tool is needed" >&2; exit 1; }
done
bash scripts/emulator-venv.sh >/dev/null
s3s=$bench/tools/bin/s3s-fs
if [ ! -x "$s3s" ]; then
  echo "building s3s-fs (once) into $bench/tools" >&2
  cargo install s3s-fs@0.14.1 --features binary --locked --root "$bench/tools" --quiet
fi
cargo build --release --locked --quiet
cargo bench --locked --bench upload --no-run --quiet 2>/dev/null
upload_bench=$(ls -t "${CARGO_TARGET_DIR:-target}"/release/deps/upload-* | grep -v '\.d$' | head -1)
bin=$(sagetune_bin release)
status=0
started=$(date +%s)

# seconds_and_rss CMD...: "<wall seconds> <peak RSS KiB>" of one run (output discarded).
seconds_and_rss() {
  local tmp
  tmp=$(mktemp)
  /usr/bin/time -o "$tmp" -f "%e %M" "$@" >/dev/null 2>&1 || { cat "$tmp" >&2; rm -f "$tmp"; return 1; }
  tail -1 "$tmp"
  rm -f "$tmp"
}
# nanos CMD...: wall nanoseconds of one run (output discarded).
nanos() {
  local t0 t1
  t0=$(date +%s%N)
  "$@" >/dev/null 2>&1
  t1=$(date +%s%N)
  echo $((t1 - t0))
}
min() { tr ' ' '\n' | sort -g | head -1; }
meets() { awk "BEGIN{exit !($1)}"; }
record() { echo "$*" | tee -a "$out.tmp"; }

echo "# sagetune benchmarks, $(date -u +%Y-%m-%dT%H:%MZ), commit $(git rev-parse --short HEAD)" > "$out.tmp"
echo "# $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores; $(openssl version | cut -d' ' -f1-2)" >> "$out.tmp"

# 1. validate vs openssl, every text shape ---------------------------------------------------
if [[ $sections == *1* ]]; then
record
record "## 1. validate of 1 GiB datasets of many shapes (scripts/bench-shapes.py) vs openssl dgst -sha256 of the same file (page cache warm)"
record "# runs (s): openssl / sagetune, alternated, hash cache removed before each validate; ratio = best openssl / best sagetune"
record "# targets: ratio >= 0.90 (>= 0.80 for a CSV with text_column, whose derived text is hashed too), peak RSS <= 32 MiB"
shapes=$bench/shapes
if [ ! -f "$shapes/.size-$size" ]; then
  echo "generating the shapes (once) into $shapes" >&2
  rm -rf "$shapes" && python3 scripts/bench-shapes.py "$shapes" "$size" && touch "$shapes/.size-$size"
fi
for dir in "$shapes"/*/; do
  shape=$(basename "$dir")
  file=$(ls "$dir"data/train.*)
  cat "$file" > /dev/null
  ssl_all="" st_all="" rss=0
  load=$(cut -d' ' -f1 /proc/loadavg)
  for _ in $(seq "$runs"); do
    read -r t _ < <(seconds_and_rss openssl dgst -sha256 "$file")
    ssl_all="$ssl_all $t"
    rm -rf "$dir.sagetune"
    read -r t m < <(seconds_and_rss "$bin" validate -f "$dir/sagetune.yaml")
    st_all="$st_all $t"
    [ "$m" -gt "$rss" ] && rss=$m
  done
  ssl=$(echo $ssl_all | min) st=$(echo $st_all | min)
  ratio=$(awk "BEGIN{printf \"%.2f\", $ssl / $st}")
  case $shape in csv-body*) target=0.80 ;; *) target=0.90 ;; esac
  rss_mib=$(awk "BEGIN{printf \"%.1f\", $rss / 1024}")
  verdict=met
  meets "$ratio >= $target && $rss_mib <= 32" || { verdict=MISSED; status=1; }
  record "validate_$shape ratio $ratio (target >= $target) rss_MiB $rss_mib (target <= 32) $verdict; load $load; openssl:$ssl_all; sagetune:$st_all"
done
fi

# 2. plans at N = 1, 50, 200 (scripts/bench-plan.sh) ----------------------------------------
if [[ $sections == *2* ]]; then
  start_emulator
  . scripts/bench-plan.sh
fi

# 3. upload of 1 GiB: sagetune apply vs aws s3 cp, same local S3 server ----------------------
if [[ $sections == *3* ]]; then
record
record "## 3. upload of a 1 GiB file to a local S3 server (s3s-fs 0.14.1 on 127.0.0.1), whole commands timed"
record "# runs (s), alternated; ratio = best aws s3 cp / best sagetune (>= 1: sagetune is faster)"
record "# apply: a manifest of one dataset, hash cache removed before each run (it hashes the file to plan,"
record "# then uploads it: process start, plan reads and state lock included); SageMaker, IAM and"
record "# CloudWatch reads go to the emulator. upload path: benches/upload.rs, the upload alone"
[ -n "${emulator_pid:-}" ] || start_emulator
s3root=$bench/s3s-root
rm -rf "$s3root" && mkdir -p "$s3root/bench-upload"
s3port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$s3s" --host 127.0.0.1 --port "$s3port" --access-key bench --secret-key benchsecret "$s3root" >"$bench/s3s.log" 2>&1 &
s3s_pid=$!
trap 'kill $s3s_pid 2>/dev/null || true; stop_emulator' EXIT
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$s3port/" && break; sleep 0.1; done
ws=$bench/upload
mkdir -p "$ws/data"
file=$ws/data/train.txt
[ -f "$file" ] && [ "$(stat -c %s "$file")" -ge "$size" ] || python3 scripts/make-dataset.py txt "$file" "$size"
printf 'stack: up\nregion: us-east-1\nartifacts: s3://bench-upload/sagetune/\nrole:\n  arn: arn:aws:iam::123456789012:role/SageMakerExecution\ndatasets:\n  d:\n    train: data/train.txt\n' > "$ws/sagetune.yaml"
local_s3() { env -i PATH="$PATH" HOME="$bench" AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=benchsecret AWS_REGION=us-east-1 \
  AWS_DEFAULT_REGION=us-east-1 AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null "$@"; }
cli_all="" st_all="" path_all=""
load=$(cut -d' ' -f1 /proc/loadavg)
for i in $(seq "$runs"); do
  ns=$(nanos local_s3 aws --endpoint-url "http://127.0.0.1:$s3port" s3 cp --only-show-errors "$file" "s3://bench-upload/cli-$i.txt")
  cli_all="$cli_all $(awk "BEGIN{printf \"%.2f\", $ns / 1e9}")"
  rm -rf "$s3root"/bench-upload/* "$ws/.sagetune"
  ns=$(cd "$ws" && nanos local_s3 AWS_ENDPOINT_URL="http://127.0.0.1:$port" AWS_ENDPOINT_URL_S3="http://127.0.0.1:$s3port" \
    "$bin" apply --auto-approve --quiet)
  [ -n "$(ls -A "$s3root/bench-upload")" ] || { echo "apply uploaded nothing" >&2; exit 1; }
  st_all="$st_all $(awk "BEGIN{printf \"%.2f\", $ns / 1e9}")"
  rm -rf "$s3root"/bench-upload/*
  t=$(local_s3 AWS_ENDPOINT_URL_S3="http://127.0.0.1:$s3port" "$upload_bench" "$file" "s3://bench-upload/sagetune-$i.txt")
  path_all="$path_all $(awk "BEGIN{printf \"%.2f\", $t}")"
  rm -rf "$s3root"/bench-upload/*
done
cli=$(echo $cli_all | min) st=$(echo $st_all | min) path=$(echo $path_all | min)
ratio=$(awk "BEGIN{printf \"%.2f\", $cli / $st}") path_ratio=$(awk "BEGIN{printf \"%.2f\", $cli / $path}")
verdict=met; meets "$ratio >= 1.0" || { verdict=MISSED; status=1; }
record "upload_1GiB apply ratio $ratio (target >= 1.0) $verdict; upload path alone ratio $path_ratio; load $load; aws s3 cp:$cli_all; sagetune apply:$st_all; upload path:$path_all"
fi

# 4. requests start-up -----------------------------------------------------------------------
if [[ $sections == *4* ]]; then
record
record "## 4. sagetune requests (offline, JumpStart fixtures) vs sagetune --version (process start)"
ws=$bench/requests
rm -rf "$ws" && cp -r tests/fixtures/requests/gpt-j-public-model-channel "$ws"
export AWS_JUMPSTART_MANIFEST_LOCAL_ROOT_DIR_OVERRIDE=$PWD/tests/fixtures/jumpstart/manifest
export AWS_JUMPSTART_SPECS_LOCAL_ROOT_DIR_OVERRIDE=$PWD/tests/fixtures/jumpstart/specs
ver_all="" req_all="" rss=0
for _ in $(seq 10); do
  ver_all="$ver_all $(( $(nanos "$bin" --version) / 1000 ))"
  req_all="$req_all $(( $(cd "$ws" && nanos "$bin" requests) / 1000 ))"
done
read -r _ rss < <(cd "$ws" && seconds_and_rss "$bin" requests)
ver=$(echo $ver_all | min) req=$(echo $req_all | min)
record "requests_startup_us best $req vs --version $ver = $(awk "BEGIN{printf \"%.1f\", $req / $ver}")x; peak RSS $(awk "BEGIN{printf \"%.1f\", $rss / 1024}") MiB; requests:$req_all; --version:$ver_all"
fi


record
record "# took $(( $(date +%s) - started )) s (target < 600)"
mv "$out.tmp" "$out"
[ "$status" = 0 ] || echo "a target was missed: see $out" >&2
exit "$status"
