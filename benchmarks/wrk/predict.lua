-- POST /predict with svd for a random ml-latest-small user id (1..610) and a movie from a fixed list of rated movies.
-- wrk -t2 -c64 -d30s --latency -s benchmarks/wrk/predict.lua http://127.0.0.1:5080
math.randomseed(42)
local movies = { 1, 2, 3, 6, 32, 47, 50, 110, 260, 296, 318, 356, 480, 527, 589, 593, 1196, 1198, 2571, 2959 }
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
  local body = string.format('{"userId":%d,"movieId":%d,"model":"svd"}', math.random(1, 610), movies[math.random(1, #movies)])
  return wrk.format("POST", "/predict", nil, body)
end

done = function(summary, latency, requests)
  io.write(string.format("non-2xx or socket errors: %d\n",
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status + summary.errors.timeout))
end
