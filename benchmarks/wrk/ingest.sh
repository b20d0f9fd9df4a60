#!/usr/bin/env bash
# Ingest benchmark (loopback, SQLite): runs the service over a bundle with a fresh state folder, drives
# POST /users/{id}/ratings and POST /ratings/batch with wrk, then counts the stored rows with sqlite3 and compares
# them with the requests wrk saw answered (nothing lost). Usage, from the repository root, after a Release build:
#   benchmarks/wrk/ingest.sh MODELS_FOLDER [PORT] [SECONDS]
set -euo pipefail
models=${1:?models folder with a published bundle}
port=${2:-5160}
seconds=${3:-20}
state=$(mktemp -d /tmp/movierec-ingest.XXXXXX)
api=src/MovieRec.Api/bin/Release/net10.0/MovieRec.Api.dll
MovieRec__ModelsPath=$models MovieRec__StatePath=$state MovieRec__TrainOnFirstStart=false \
  Serilog__MinimumLevel__Default=Warning dotnet "$api" --urls "http://127.0.0.1:$port" >"$state/api.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$state"' EXIT
until curl -fs "http://127.0.0.1:$port/health/ready" >/dev/null; do sleep 0.5; done
count() { sqlite3 "$state/feedback.db" "select count(*) from ratings where rating is not null"; }

echo "== single: POST /users/{id}/ratings, wrk -t2 -c32 -d${seconds}s"
wrk -t2 -c32 -d"${seconds}s" --latency -s benchmarks/wrk/rate-single.lua "http://127.0.0.1:$port" | tee "$state/single.txt"
single_rows=$(count)
echo "rows stored after single: $single_rows"

echo "== batch: POST /ratings/batch (1000 rows), wrk -t2 -c4 -d${seconds}s"
ROWS=1000 wrk -t2 -c4 -d"${seconds}s" --latency -s benchmarks/wrk/rate-batch.lua "http://127.0.0.1:$port" | tee "$state/batch.txt"
total_rows=$(count)
echo "rows stored after batch: $total_rows (batch rows: $((total_rows - single_rows)))"
single_requests=$(awk '/^requests:/ {gsub(",", "", $2); print $2}' "$state/single.txt")
batch_requests=$(awk '/^requests:/ {gsub(",", "", $2); print $2}' "$state/batch.txt")
echo "single: $single_requests answered, $single_rows stored; batch: $batch_requests x 1000 = $((batch_requests * 1000)) answered, $((total_rows - single_rows)) stored"
