-- wrk script: POST native batches of 40 mixed events with unique ids to /api/v1/collect
-- (or to $FOOTFALL_BENCH_PATH, e.g. /bench/null for the baseline run with the same bodies).
-- Each wrk thread numbers its own requests; ids stay unique across threads and runs; 500
-- visitors and sessions per thread. At the end it prints one JSON line for scripts/bench.sh.
local path = os.getenv("FOOTFALL_BENCH_PATH") or "/api/v1/collect"
local counter = 0
local next_thread = 0
local run = os.time()

-- Runs in the main Lua state; `tid` becomes a global of each thread's own state.
function setup(thread)
  thread:set("tid", next_thread)
  next_thread = next_thread + 1
end

local kinds = {
  '"type":"pageview","url":"http://localhost/p/%d"',
  '"type":"click","x":10,"y":20,"selector":"#buy","text":"Buy"',
  '"type":"scroll","x":0,"y":300,"depth":40',
  '"type":"move","x":5,"y":6',
  '"type":"key","class":"letter"',
}

request = function()
  counter = counter + 1
  local now = os.time() * 1000
  local prefix = string.format("r%d-t%d-b%d", run, tid, counter)
  local events = {}
  for i = 1, 40 do
    local k = kinds[(i % #kinds) + 1]
    if i % #kinds == 0 then k = string.format(k, i) end
    events[i] = string.format('{"id":"%s-%d","ts":%d,%s}', prefix, i, now + i, k)
  end
  local body = string.format(
    '{"site":"demo","visitor_id":"v%d-%d","session_id":"s%d-%d","sent_at":%d,"page":{"url":"http://localhost/","referrer":"https://www.google.com/"},"events":[%s]}',
    tid, counter % 500, tid, counter % 500, now, table.concat(events, ","))
  return wrk.format("POST", path, {["Content-Type"] = "application/json", ["User-Agent"] = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36"}, body)
end

-- `done` comes from the summary script next to this one.
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "wrk-summary.lua")
