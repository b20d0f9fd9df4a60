#!/usr/bin/env bash
# POST /recommend/batch for all 610 ml-latest-small users (n=10) against a running service, per model: 3 warm-up calls,
# then RUNS timed calls (curl's time_total: request, scoring, the 1.1 MB answer); prints the sorted times, their median,
# the answer's size and the load average.
# Usage: benchmarks/wrk/batch-recommend.sh [PORT=5350] [RUNS=11] [MODELS="null svd implicit-als item-knn hybrid"]
set -euo pipefail
port=${1:-5350}; runs=${2:-11}; models=${3:-"null svd implicit-als item-knn hybrid"}
ids=$(seq -s, 1 610)
out=$(mktemp); trap 'rm -f "$out"' EXIT
for name in $models; do
  model=$([ "$name" = null ] && echo null || echo "\"$name\"")
  body="{\"userIds\":[$ids],\"n\":10,\"model\":$model}"
  for _ in 1 2 3; do curl -s -o /dev/null -X POST -H 'Content-Type: application/json' -d "$body" "http://127.0.0.1:$port/recommend/batch"; done
  times=()
  for _ in $(seq 1 "$runs"); do
    t=$(curl -s -o "$out" -w '%{http_code} %{time_total}' -X POST -H 'Content-Type: application/json' -d "$body" "http://127.0.0.1:$port/recommend/batch")
    [ "${t% *}" = 200 ] || echo "model $name: HTTP ${t% *}"
    times+=("${t#* }")
  done
  sorted=$(printf '%s\n' "${times[@]}" | sort -n)
  median=$(echo "$sorted" | sed -n "$(( (runs + 1) / 2 ))p")
  echo "model=$name median_ms=$(awk "BEGIN{printf \"%.1f\", $median*1000}") runs_ms=[$(echo "$sorted" | awk '{printf "%.1f ", $1*1000}')] bytes=$(stat -c %s "$out") load=\"$(cut -d' ' -f1-3 /proc/loadavg)\""
done
