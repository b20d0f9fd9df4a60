-- GET /recommend/user with the default model (MovieRec:DefaultModel), n=10, for a random ml-latest-small user id (1..610).
-- wrk -t2 -c16 -d30s --latency -s benchmarks/wrk/recommend-user-default.lua http://127.0.0.1:5160
math.randomseed(42)
request = function()
  return wrk.format("GET", "/recommend/user?userId=" .. math.random(1, 610) .. "&n=10")
end

done = function(summary, latency, requests)
  io.write(string.format("non-2xx or socket errors: %d\n",
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status + summary.errors.timeout))
  io.write(string.format("  (connect %d, read %d, write %d, non-2xx status %d, timeout %d)\n", summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.status, summary.errors.timeout))
end
