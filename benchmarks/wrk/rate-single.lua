-- POST /users/{id}/ratings: one rating per request, a new user id per thread-connection slot and a movie from a fixed
-- list of ml-latest-small movies, so every request is a new (user, movie) row (nothing is an overwrite).
-- wrk -t2 -c32 -d20s --latency -s benchmarks/wrk/rate-single.lua http://127.0.0.1:5160
-- Set the write key with KEY=... in the environment when keys are configured.
local movies = { 1, 2, 3, 6, 32, 47, 50, 110, 260, 296, 318, 356, 480, 527, 589, 593, 1196, 1198, 2571, 2959 }
local counter = 0
local thread_id = 0
local key = os.getenv("KEY")

setup = function(thread)
  thread_id = thread_id + 1
  thread:set("tid", thread_id)
end

request = function()
  counter = counter + 1
  -- user ids from 1,000,000 up, distinct per thread; 20 movies per user
  local user = 1000000 + tid * 10000000 + math.floor(counter / #movies)
  local movie = movies[(counter % #movies) + 1]
  local headers = { ["Content-Type"] = "application/json" }
  if key then headers["X-Api-Key"] = key end
  return wrk.format("POST", "/users/" .. user .. "/ratings", headers, string.format('{"movieId":%d,"rating":%.1f}', movie, 0.5 * ((counter % 10) + 1)))
end

done = function(summary, latency, requests)
  io.write(string.format("requests: %d, non-2xx or socket errors: %d\n", summary.requests,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status + summary.errors.timeout))
  io.write(string.format("  (connect %d, read %d, write %d, non-2xx status %d, timeout %d)\n", summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.status, summary.errors.timeout))
end
