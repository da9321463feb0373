-- wrk script for bench/api_load.sh: PATCH one preference with a JSON Merge Patch, alternating its rank
-- (between 0 and 1; the profile has two preferences) and its weight, so every other request moves it.
-- The Authorization header comes from wrk's -H.
local bodies = { '{"rank":1,"weight":0.25}', '{"rank":0,"weight":0.75}' }
local n = 0

wrk.method = "PATCH"
wrk.headers["Content-Type"] = "application/merge-patch+json"

request = function()
  n = n + 1
  return wrk.format(nil, nil, nil, bodies[n % 2 + 1])
end
