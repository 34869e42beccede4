-- wrk script: POST userBehaviour.js-shaped batches of 40 events to /api/track-behavior/ (or
-- to $FOOTFALL_BENCH_PATH for the baseline run), with the fields and array shapes of the
-- library's real payloads (../shared/fixtures/userbehaviour/). The library sends no ids, so
-- footfall de-duplicates on content: every request shifts its times to stay unique. Site
-- `demo` is found from the Origin header. Prints one JSON line at the end.
local path = os.getenv("FOOTFALL_BENCH_PATH") or "/api/track-behavior/"
local counter = 0
local next_thread = 0

function setup(thread)
  thread:set("tid", next_thread)
  next_thread = next_thread + 1
end

local function list(n, make)
  local out = {}
  for i = 1, n do out[i] = make(i) end
  return "[" .. table.concat(out, ",") .. "]"
end

request = function()
  counter = counter + 1
  -- Past times, distinct per thread and request: 40 events within 500 ms per request. The
  -- base is fixed per thread, so requests in different seconds never share times.
  base = base or (os.time() * 1000 - 3600000 - tid * 100000000)
  local t = base - counter * 500
  local clicks = list(10, function(i)
    return string.format('[%d,%d,"html>body>div.shop#main>button.buy#b%d",%d]', 10 + i, 20 + i, i % 3, t + i * 10)
  end)
  local moves = list(10, function(i) return string.format('[%d,%d,%d]', 100 + i, 200 + i, t + 100 + i * 10) end)
  local scrolls = list(5, function(i) return string.format('[0,%d,%d]', i * 200, t + 200 + i * 10) end)
  local keys = list(12, function(i) return string.format('["%s",%d]', string.char(96 + i), t + 300 + i * 10) end)
  local body = string.format(
    '{"userInfo":{"windowSize":[1280,720],"appCodeName":"Mozilla","appName":"Netscape","vendor":"Google Inc.","platform":"Linux x86_64","userAgent":"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36"},'
    .. '"time":{"startTime":%d,"currentTime":%d,"stopTime":0},'
    .. '"clicks":{"clickCount":10,"clickDetails":%s},"mouseMovements":%s,"mouseScroll":%s,'
    .. '"keyboardActivities":%s,"navigationHistory":[["http://localhost/p/%d",%d],["http://localhost/cart",%d]],'
    .. '"formInteractions":[["checkout",%d]],"touchEvents":[],"mediaInteractions":[],"windowSizes":[],"visibilitychanges":[]}',
    t, t + 500, clicks, moves, scrolls, keys, counter % 50, t + 1, t + 450, t + 460)
  return wrk.format("POST", path, {
    ["Content-Type"] = "application/json",
    ["Origin"] = "http://localhost",
    ["User-Agent"] = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36",
    ["Cookie"] = string.format("ff_vid=v%d-%d; ff_sid=s%d-%d", tid, counter % 500, tid, counter % 500),
  }, body)
end

-- `done` comes from the summary script next to this one.
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "wrk-summary.lua")
