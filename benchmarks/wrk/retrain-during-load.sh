#!/usr/bin/env bash
# p99 of GET /recommend/user (default model, random user 1..610) idle (after a 15 s warm-up) and during a retrain:
# wrk runs from 5 s before POST /admin/retrain?wait=true until that answers (the swap included). Usage, from the repository root, after a Release build:
#   benchmarks/wrk/retrain-during-load.sh MODELS_FOLDER [PORT]
# The models folder gets the new bundle (keep a copy if it matters).
set -euo pipefail
models=${1:?models folder with a published bundle}
port=${2:-5160}
state=$(mktemp -d /tmp/movierec-retrain.XXXXXX)
api=src/MovieRec.Api/bin/Release/net10.0/MovieRec.Api.dll
key=bench-admin-key
MovieRec__ModelsPath=$models MovieRec__StatePath=$state MovieRec__TrainOnFirstStart=false MovieRec__AdminApiKey=$key \
  Serilog__MinimumLevel__Default=Warning dotnet "$api" --urls "http://127.0.0.1:$port" >"$state/api.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$state"' EXIT
until curl -fs "http://127.0.0.1:$port/health/ready" >/dev/null; do sleep 0.5; done
before=$(curl -s "http://127.0.0.1:$port/models" | python3 -c 'import json,sys; print(json.load(sys.stdin)["bundleId"])')
script=benchmarks/wrk/recommend-user-default.lua
echo "== warm-up: wrk -t2 -c16 -d15s (fills the recommendation cache)"
wrk -t2 -c16 -d15s -s "$script" "http://127.0.0.1:$port" >/dev/null
echo "== idle: wrk -t2 -c16 -d30s (bundle $before)"
wrk -t2 -c16 -d30s --latency -s "$script" "http://127.0.0.1:$port" | grep -E "99%|Requests/sec|errors"
echo "== during a retrain: wrk -t2 -c16 from 5 s before POST /admin/retrain?wait=true until it answers (stopped with SIGINT)"
wrk -t2 -c16 -d600s --latency -s "$script" "http://127.0.0.1:$port" >"$state/during.txt" 2>&1 &
wrk_pid=$!
sleep 5
curl -s -X POST -H "X-Api-Key: $key" "http://127.0.0.1:$port/admin/retrain?wait=true" >"$state/retrain.json"
kill -INT "$wrk_pid"
wait "$wrk_pid" || true
grep -E "99%|Requests/sec|requests in|errors|connect" "$state/during.txt"
echo "retrain: $(cat "$state/retrain.json")"
echo "/models bundleId now: $(curl -s "http://127.0.0.1:$port/models" | python3 -c 'import json,sys; print(json.load(sys.stdin)["bundleId"])') (was $before)"
