#!/usr/bin/env bash
# GET /recommend/user throughput and latency per model, with the recommendation cache off and on (issue 12's command):
# the service over a bundle (default logging), then per model a 5 s warm-up and RUNS x `wrk -t2 -c64 -d20s --latency`,
# random users 1..610, n=10; prints each run and the median req/s and p99. wrk shares the machine's cores.
# Usage, from the repository root, after a Release build:
#   benchmarks/wrk/serving.sh MODELS_FOLDER [PORT] [RUNS] [MODELS] [CACHE]
#   e.g. benchmarks/wrk/serving.sh models 5170 3 "svd implicit-als item-knn hybrid" "off on"
set -euo pipefail
models=${1:?models folder with a published bundle}
port=${2:-5170}
runs=${3:-3}
names=${4:-svd implicit-als item-knn hybrid}
caches=${5:-off on}
api=src/MovieRec.Api/bin/Release/net10.0/MovieRec.Api.dll
script=benchmarks/wrk/recommend-user-model.lua
for cache in $caches; do
  size=0; [ "$cache" = on ] && size=100000
  state=$(mktemp -d /tmp/movierec-serving.XXXXXX)
  MovieRec__ModelsPath=$models MovieRec__StatePath=$state MovieRec__TrainOnFirstStart=false MovieRec__RecommendationCacheSize=$size \
    dotnet "$api" --urls "http://127.0.0.1:$port" >"$state/api.log" 2>&1 &
  pid=$!
  until curl -fs "http://127.0.0.1:$port/health/ready" >/dev/null; do sleep 0.5; done
  for model in $names; do
    MODEL=$model wrk -t2 -c64 -d5s -s "$script" "http://127.0.0.1:$port" >/dev/null
    rates=(); p99s=()
    for run in $(seq "$runs"); do
      out=$(MODEL=$model wrk -t2 -c64 -d20s --latency -s "$script" "http://127.0.0.1:$port")
      rate=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
      p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
      errors=$(awk '/non-2xx or socket errors/ {print $NF}' <<<"$out")
      echo "cache $cache, $model, run $run: $rate req/s, p50 $(awk '$1 == "50%" {print $2}' <<<"$out"), p99 $p99, errors $errors"
      rates+=("$rate"); p99s+=("$p99")
    done
    median_rate=$(printf '%s\n' "${rates[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
    median_p99=$(printf '%s\n' "${p99s[@]}" | awk '{v=$1; if (v ~ /us$/) {sub(/us$/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms$/,"",v)} else if (v ~ /s$/) {sub(/s$/,"",v); v*=1000} print v}' | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
    echo "== cache $cache, $model: median $median_rate req/s, median p99 ${median_p99} ms (of $runs runs)"
  done
  kill "$pid"; wait "$pid" 2>/dev/null || true; rm -rf "$state"
done
