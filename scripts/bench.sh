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

# 1. validate vs openssl --------------------------------------------------------------------
if [[ $sections == *1* ]]; then
make_data() { # format file
  [ -f "$2" ] && [ "$(stat -c %s "$2")" -ge "$size" ] && return
  echo "generating $2" >&2
  python3 scripts/make-dataset.py "$1" "$2" "$size"
}
record
record "## 1. validate of a 1 GiB dataset vs openssl dgst -sha256 of the same file (page cache warm)"
record "# runs (s): openssl / sagetune, alternated; ratio = best openssl / best sagetune"
for format in txt csv jsonl json; do
  dir=$bench/$format
  mkdir -p "$dir/data"
  make_data "$format" "$dir/data/train.$format"
  printf 'stack: bench\nartifacts: s3://bench-bucket/x/\nrole: {create: true}\ndatasets:\n  d:\n    train: data/train.%s\n' "$format" > "$dir/sagetune.yaml"
  cat "$dir/data/train.$format" > /dev/null
  ssl_all="" st_all="" rss=0
  for _ in $(seq "$runs"); do
    read -r t _ < <(seconds_and_rss openssl dgst -sha256 "$dir/data/train.$format")
    ssl_all="$ssl_all $t"
    rm -rf "$dir/.sagetune"
    read -r t m < <(seconds_and_rss "$bin" validate -f "$dir/sagetune.yaml")
    st_all="$st_all $t"
    [ "$m" -gt "$rss" ] && rss=$m
  done
  ssl=$(echo $ssl_all | min) st=$(echo $st_all | min)
  ratio=$(awk "BEGIN{printf \"%.2f\", $ssl / $st}")
  case $format in txt | jsonl) target=0.80 ;; csv) target=0.70 ;; json) target=0.50 ;; esac
  rss_mib=$(awk "BEGIN{printf \"%.1f\", $rss / 1024}")
  verdict=met
  meets "$ratio >= $target && $rss_mib < 64" || { verdict=MISSED; status=1; }
  record "validate_$format ratio $ratio (target >= $target) rss_MiB $rss_mib (target < 64) $verdict; openssl:$ssl_all; sagetune:$st_all"
done
fi

# 2. plans at N = 1, 50, 200 (scripts/bench-plan.sh) ----------------------------------------
if [[ $sections == *2* ]]; then
  start_emulator
  . scripts/bench-plan.sh
fi

# 3. upload of 1 GiB: sagetune vs aws s3 cp, same local S3 server -----------------------------
if [[ $sections == *3* ]]; then
record
record "## 3. upload of a 1 GiB file to a local S3 server (s3s-fs 0.14.1 on 127.0.0.1)"
record "# runs (s), alternated; ratio = best aws s3 cp / best sagetune (>= 1: sagetune is faster)"
s3root=$bench/s3s-root
rm -rf "$s3root" && mkdir -p "$s3root/bench-upload"
s3port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$s3s" --host 127.0.0.1 --port "$s3port" --access-key bench --secret-key benchsecret "$s3root" >"$bench/s3s.log" 2>&1 &
s3s_pid=$!
trap 'kill $s3s_pid 2>/dev/null || true; stop_emulator' EXIT
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$s3port/" && break; sleep 0.1; done
file=$bench/txt/data/train.txt
cli_all="" st_all=""
for i in $(seq "$runs"); do
  t=$(env -i PATH="$PATH" HOME="$bench" AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=benchsecret AWS_DEFAULT_REGION=us-east-1 \
    AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null \
    bash -c "t0=\$(date +%s%N); aws --endpoint-url http://127.0.0.1:$s3port s3 cp --only-show-errors '$file' s3://bench-upload/cli-$i.txt && echo \$(( (\$(date +%s%N) - t0) / 1000000 ))")
  cli_all="$cli_all $(awk "BEGIN{printf \"%.2f\", $t / 1000}")"
  t=$(env -i PATH="$PATH" HOME="$bench" AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=benchsecret AWS_REGION=us-east-1 \
    AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_ENDPOINT_URL_S3="http://127.0.0.1:$s3port" \
    "$upload_bench" "$file" "s3://bench-upload/sagetune-$i.txt")
  st_all="$st_all $(awk "BEGIN{printf \"%.2f\", $t}")"
  rm -f "$s3root"/bench-upload/*
done
cli=$(echo $cli_all | min) st=$(echo $st_all | min)
ratio=$(awk "BEGIN{printf \"%.2f\", $cli / $st}")
record "upload_1GiB ratio $ratio; aws s3 cp:$cli_all; sagetune:$st_all"
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
