-- POST /ratings/batch with ROWS (default 1000) new ratings per request: distinct (user, movie) pairs across all requests.
-- wrk -t2 -c4 -d20s --latency -s benchmarks/wrk/rate-batch.lua http://127.0.0.1:5160
-- ratings/s = requests/s x ROWS. Set KEY=... when keys are configured.
local movies = { 1, 2, 3, 6, 32, 47, 50, 110, 260, 296, 318, 356, 480, 527, 589, 593, 1196, 1198, 2571, 2959 }
local rows = tonumber(os.getenv("ROWS") or "1000")
local key = os.getenv("KEY")
local counter = 0
local thread_id = 0

setup = function(thread)
  thread_id = thread_id + 1
  thread:set("tid", thread_id)
end

request = function()
  counter = counter + 1
  local parts = {}
  for r = 0, rows - 1 do
    -- one user per 20 rows, users numbered per thread and request
    local user = 50000000 + tid * 100000000 + counter * (rows / #movies + 1) + math.floor(r / #movies)
    parts[#parts + 1] = string.format('{"userId":%d,"movieId":%d,"rating":%.1f}', user, movies[(r % #movies) + 1], 0.5 * ((r % 10) + 1))
  end
  local headers = { ["Content-Type"] = "application/json" }
  if key then headers["X-Api-Key"] = key end
  return wrk.format("POST", "/ratings/batch", headers, '{"ratings":[' .. table.concat(parts, ",") .. ']}')
end

done = function(summary, latency, requests)
  io.write(string.format("requests: %d (%d rows each), non-2xx or socket errors: %d\n", summary.requests, rows,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status + summary.errors.timeout))
  io.write(string.format("  (connect %d, read %d, write %d, non-2xx status %d, timeout %d)\n", summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.status, summary.errors.timeout))
end
