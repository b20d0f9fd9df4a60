-- GET /recommend/user, n=10, for a random ml-latest-small user id (1..610) on every request; the model from $MODEL
-- (absent: the service's default model). MODEL=svd wrk -t2 -c64 -d20s --latency -s benchmarks/wrk/recommend-user-model.lua URL
local model = os.getenv("MODEL")
local suffix = (model and model ~= "") and ("&model=" .. model) or ""
math.randomseed(42)
request = function()
  return wrk.format("GET", "/recommend/user?userId=" .. math.random(1, 610) .. "&n=10" .. suffix)
end

done = function(summary, latency, requests)
  io.write(string.format("non-2xx or socket errors: %d\n",
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status + summary.errors.timeout))
end
