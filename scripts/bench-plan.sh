# Sourced by scripts/bench.sh (needs its `record`, `nanos`, `seconds_and_rss`, `min`, `meets`,
# `bin`, `bench`, `runs` and a started emulator): plans of stacks of N fine-tunes, each with
# its own dataset file and endpoint, at N = 1, 50 and 200, against the local emulator.
#   - the first plan (nothing in AWS yet, the bucket there): requests;
#   - after apply, the no-op plan: requests, wall time (best of RUNS, alternated between N)
#     and peak RSS. Targets: requests at N = 200 <= 12 and equal to N = 1's plus the listings'
#     extra pages (SageMaker lists and Search return 100 a page); time at N = 200 <= 2x N = 1's;
#     peak RSS at N = 200 <= 64 MiB.
export SAGETUNE_POLL_INTERVAL=200ms
plan_sizes="1 50 200"
stack_manifest() { # n name
  local i
  printf 'stack: %s\nregion: us-east-1\nartifacts: s3://%s/sagetune/\nrole:\n  arn: arn:aws:iam::123456789012:role/SageMakerExecution\ndatasets:\n' "$2" "$2"
  for i in $(seq "$1"); do printf '  d%d:\n    train: data/d%d.txt\n' "$i" "$i"; done
  printf 'fine_tunes:\n'
  for i in $(seq "$1"); do
    printf '  ft%d:\n    model: huggingface-textgeneration1-gpt-j-6b\n    model_version: "3.*"\n    dataset: d%d\n    instance_type: ml.g5.12xlarge\n    max_runtime: 2h\n' "$i" "$i"
  done
  printf 'endpoints:\n'
  for i in $(seq "$1"); do printf '  ft%d:\n    fine_tune: ft%d\n    instance_type: ml.g5.2xlarge\n' "$i" "$i"; done
}
requests_of() { # key
  curl -s "http://127.0.0.1:$port/_sagetune/requests" | jq --arg k "$1" '[.[] | select(.key == $k)] | length'
}
record
record "## 2. plans of N fine-tunes, each with its own dataset file and endpoint, against the local emulator"
record "# requests counted by the emulator (JumpStart spec reads included); time in ms, best of $runs alternated between N, with sagetune.lock (as CI runs it)"
declare -A plan_ms plan_requests first_requests plan_rss
for n in $plan_sizes; do
  name=bench-n$n
  dir=$bench/plan-$n
  rm -rf "$dir" && mkdir -p "$dir/data"
  for i in $(seq "$n"); do
    echo "Quarter $i: net interest income rose on higher rates; deposits fell." > "$dir/data/d$i.txt"
  done
  stack_manifest "$n" "$name" > "$dir/sagetune.yaml"
  curl -s -X POST "http://127.0.0.1:$port/_sagetune/bucket" -d "{\"name\": \"$name\"}" >/dev/null
  (use_emulator "$name" && cd "$dir" && "$bin" lock >/dev/null) || exit 1
  before=$(requests_of "$name")
  (use_emulator "$name" && cd "$dir" && "$bin" plan --locked >/dev/null) || exit 1
  first_requests[$n]=$(( $(requests_of "$name") - before ))
  (use_emulator "$name" && cd "$dir" && "$bin" apply --locked --auto-approve --quiet >/dev/null 2>"$dir/apply.log") ||
    { cat "$dir/apply.log" >&2; exit 1; }
done
for n in $plan_sizes; do plan_ms[$n]=""; done
for _ in $(seq "$runs"); do
  for n in $plan_sizes; do
    ns=$(use_emulator "bench-n$n" && cd "$bench/plan-$n" && nanos "$bin" plan --locked --detailed-exitcode)
    plan_ms[$n]="${plan_ms[$n]} $((ns / 1000000))"
  done
done
for n in $plan_sizes; do
  before=$(requests_of "bench-n$n")
  tmp=$(mktemp)
  (use_emulator "bench-n$n" && cd "$bench/plan-$n" && /usr/bin/time -o "$tmp" -f "%M %U %S" "$bin" plan --locked --detailed-exitcode >/dev/null 2>&1)
  read -r rss user sys < <(tail -1 "$tmp"); rm -f "$tmp"
  plan_requests[$n]=$(( $(requests_of "bench-n$n") - before ))
  plan_rss[$n]=$(awk "BEGIN{printf \"%.1f\", $rss / 1024}")
  cpu_ms=$(awk "BEGIN{printf \"%d\", ($user + $sys) * 1000}")
  record "plan_n$n no-op: requests ${plan_requests[$n]}, ms:${plan_ms[$n]} (sagetune's own CPU ${cpu_ms} ms), peak RSS ${plan_rss[$n]} MiB; first plan: requests ${first_requests[$n]}"
done
best1=$(echo ${plan_ms[1]} | min) best200=$(echo ${plan_ms[200]} | min)
ratio=$(awk "BEGIN{printf \"%.2f\", $best200 / $best1}")
verdict=met
meets "${plan_requests[200]} <= 12 && ${first_requests[200]} <= 12 && $ratio <= 2 && ${plan_rss[200]} <= 64" || { verdict=MISSED; status=1; }
record "plan_n200: no-op requests ${plan_requests[200]} (target <= 12), first plan ${first_requests[200]} (target <= 12), time ${ratio}x N=1's (target <= 2), peak RSS ${plan_rss[200]} MiB (target <= 64) $verdict"
