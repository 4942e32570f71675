#!/usr/bin/env bash
# Validate throughput on text shapes unlike the main bench's (UTF-8-heavy TXT, quoted CSV,
# nested and small JSON Lines, compact and pretty JSON arrays): for each, the best of 3 alternated runs of `openssl dgst -sha256` (the
# anchor) and `sagetune validate` (its hash cache cleared before every run), page cache warm.
# Ratio = openssl time / sagetune time (1.0 = hashing speed). With OLD=path/to/sagetune an
# older binary is measured beside it. Writes benches/results/shapes.txt.
# Usage: scripts/bench-shapes.sh [SIZE_MIB]   (default 256)
set -euo pipefail
cd "$(dirname "$0")/.."
size_mib=${1:-256}
work=${BENCH_DIR:-$(mktemp -d)}
cargo build --release --locked --quiet
new=target/release/sagetune
python3 scripts/bench-shapes.py "$work" $((size_mib * 1024 * 1024))
seconds() { local s e; s=$(date +%s.%N); "$@" >/dev/null 2>&1; e=$(date +%s.%N); echo "$e - $s" | bc; }
best() { if (( $(echo "$1 < $2" | bc) )); then echo "$1"; else echo "$2"; fi; }
out=benches/results/shapes.txt
{
  echo "# scripts/bench-shapes.sh ${size_mib} MiB per shape, $(date -u +%FT%TZ), commit $(git rev-parse --short HEAD)"
  echo "# load before: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores; generated text (scripts/bench-shapes.py)"
  for dir in "$work"/*/; do
    name=$(basename "$dir")
    file=$(ls "$dir"data/train.*)
    cat "$file" >/dev/null
    bo=999; bn=999; bold=999
    for _ in 1 2 3; do
      bo=$(best "$(seconds openssl dgst -sha256 "$file")" "$bo")
      rm -rf "$dir.sagetune"; bn=$(best "$(seconds "$new" validate -f "$dir/sagetune.yaml")" "$bn")
      if [ -n "${OLD:-}" ]; then
        rm -rf "$dir.sagetune"; bold=$(best "$(seconds "$OLD" validate -f "$dir/sagetune.yaml")" "$bold")
      fi
    done
    line=$(printf '%-14s openssl %.3fs  sagetune %.3fs  ratio %.2f' "$name" "$bo" "$bn" "$(echo "$bo / $bn" | bc -l)")
    if [ -n "${OLD:-}" ]; then
      line="$line$(printf '  (older binary %.3fs, ratio %.2f)' "$bold" "$(echo "$bo / $bold" | bc -l)")"
    fi
    echo "$line"
  done
  echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$out"
