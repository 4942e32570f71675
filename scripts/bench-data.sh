#!/usr/bin/env bash
# Data-check benchmarks.
#
# 1. Throughput: makes 1 GiB TXT, CSV and JSONL datasets (once, under $BENCH_DIR), then times,
#    for each, `openssl dgst -sha256` (this CPU's SHA-256 limit) and a cold `sagetune validate`
#    (release build, hash cache removed before every run), best of $RUNS, with peak memory.
# 2. Hash cache: the second `validate` of an unchanged 1 GiB dataset (target < 50 ms).
# Writes benches/results/data-throughput.txt.
#
#   scripts/bench-data.sh            # BENCH_DIR=/tmp/sagetune-bench RUNS=3
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
bench=${BENCH_DIR:-/tmp/sagetune-bench}
runs=${RUNS:-3}
size=$((1 << 30))
mkdir -p "$bench" benches/results
command -v openssl >/dev/null || { echo "openssl is needed for the reference figure" >&2; exit 1; }

cargo build --release --quiet
bin=$(sagetune_bin release)

make_data() { # format file
  local format=$1 file=$2
  [ -f "$file" ] && [ "$(stat -c %s "$file")" -ge "$size" ] && return
  echo "generating $file" >&2
  python3 scripts/make-dataset.py "$format" "$file" "$size"
}

best() { # prints the best wall time (s) and peak RSS (KiB) of "$@" over $runs runs
  local t best_t="" best_m=0 tmp
  tmp=$(mktemp)
  for _ in $(seq "$runs"); do
    /usr/bin/time -o "$tmp" -f "%e %M" "$@" >/dev/null 2>&1
    t=$(tail -1 "$tmp")
    local wall=${t% *} mem=${t#* }
    if [ -z "$best_t" ] || awk "BEGIN{exit !($wall < $best_t)}"; then best_t=$wall; fi
    [ "$mem" -gt "$best_m" ] && best_m=$mem
  done
  rm -f "$tmp"
  echo "$best_t $best_m"
}

out=benches/results/data-throughput.txt
{
  echo "# sagetune data-check throughput, $(date -u +%Y-%m-%dT%H:%MZ)"
  echo "# $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores; $(openssl version)"
  echo "# 1 GiB files, page cache warm, best of $runs runs; MiB/s = 1024 / seconds"
  printf "%-6s %10s %10s %10s %10s %8s %8s %10s\n" format openssl_s MiB/s sagetune_s MiB/s ratio target rss_MiB
} > "$out"
status=0
for format in txt csv jsonl; do
  dir=$bench/$format
  mkdir -p "$dir/data"
  make_data "$format" "$dir/data/train.$format"
  printf 'stack: bench\nartifacts: s3://bench-bucket/x/\nrole: {create: true}\ndatasets:\n  d:\n    train: data/train.%s\n' "$format" > "$dir/sagetune.yaml"
  cat "$dir/data/train.$format" > /dev/null # warm the page cache
  "$bin" validate -f "$dir/sagetune.yaml" > /dev/null
  read -r ssl_t _ < <(best openssl dgst -sha256 "$dir/data/train.$format")
  read -r st_t st_m < <(best sh -c "rm -rf '$dir/.sagetune' && '$bin' validate -f '$dir/sagetune.yaml'")
  target=0.80; [ "$format" = txt ] || target=0.50
  ratio=$(awk "BEGIN{printf \"%.2f\", $ssl_t / $st_t}")
  awk "BEGIN{exit !($ratio >= $target)}" || status=1
  printf "%-6s %10s %10.0f %10s %10.0f %8s %8s %10.1f\n" "$format" "$ssl_t" "$(awk "BEGIN{print 1024 / $ssl_t}")" \
    "$st_t" "$(awk "BEGIN{print 1024 / $st_t}")" "$ratio" "$target" "$(awk "BEGIN{print $st_m / 1024}")" >> "$out"
done
# Hash cache: prime it, then time validate on the unchanged file (whole process, ms).
dir=$bench/txt
rm -rf "$dir/.sagetune"
"$bin" validate -f "$dir/sagetune.yaml" > /dev/null
best_ns=""
for _ in $(seq 10); do # GNU time has 10 ms resolution; use nanoseconds here
  t0=$(date +%s%N)
  "$bin" validate -f "$dir/sagetune.yaml" > /dev/null
  t1=$(date +%s%N)
  ns=$((t1 - t0))
  if [ -z "$best_ns" ] || [ "$ns" -lt "$best_ns" ]; then best_ns=$ns; fi
done
cached_ms=$(awk "BEGIN{printf \"%.1f\", $best_ns / 1000000}")
awk "BEGIN{exit !($cached_ms < 50)}" || status=1
{
  echo
  echo "# second validate of the unchanged 1 GiB txt dataset (hash cache hit), whole process, best of 10"
  printf "cached_validate_ms %s (target < 50)\n" "$cached_ms"
} >> "$out"
cat "$out"
[ "$status" = 0 ] || echo "below target: see ratio vs target above" >&2
exit "$status"
