-- Replays prepared requests and reports JSON from done().
--
-- Usage: wrk -t T -c C -d D -s bench/wrk/requests.lua http://127.0.0.1:PORT -- LINES_FILE T
-- LINES_FILE has one request per line: METHOD<TAB>PATH<TAB>TOKEN<TAB>BODY (token and body may be empty).
-- Thread k takes lines k, k+T, k+2T, ... and replays them in order, so every line (a product to
-- reserve, a payment to pay) is sent once until the file runs out; then it starts over and counts a
-- wrap (a write scenario then sees 409s: its pool was too small).
-- done() prints one line "WRK_JSON {...}" with latency percentiles (microseconds), every status code
-- counted, socket errors and wraps.

local threads = {}
local thread_count = 0

function setup(thread)
   thread:set("tid", thread_count)
   thread_count = thread_count + 1
   table.insert(threads, thread)
end

local reqs = {}
local n = 0
local i = 0
wraps = 0
codes = {}

function init(args)
   local path = args[1]
   local nthreads = tonumber(args[2]) or 1
   local f = assert(io.open(path, "r"))
   local k = 0
   for line in f:lines() do
      if k % nthreads == tid then
         local method, p, token, body = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
         if method then
            local headers = { ["Accept"] = "application/json" }
            if token ~= "" then
               headers["Authorization"] = "Token " .. token
            end
            if body ~= "" then
               headers["Content-Type"] = "application/json"
            else
               body = nil
            end
            n = n + 1
            reqs[n] = wrk.format(method, p, headers, body)
         end
      end
      k = k + 1
   end
   f:close()
   if n == 0 then
      error("no request lines for thread " .. tostring(tid) .. " in " .. path)
   end
end

function request()
   i = i + 1
   if i > n then
      i = 1
      wraps = wraps + 1
   end
   return reqs[i]
end

function response(status, headers, body)
   local key = tostring(status)
   codes[key] = (codes[key] or 0) + 1
end

function done(summary, latency, requests)
   local merged = {}
   local total_wraps = 0
   for _, t in ipairs(threads) do
      local c = t:get("codes") or {}
      for k, v in pairs(c) do
         merged[k] = (merged[k] or 0) + v
      end
      total_wraps = total_wraps + (t:get("wraps") or 0)
   end
   local parts = {}
   for k, v in pairs(merged) do
      table.insert(parts, string.format('"%s": %d', k, v))
   end
   local e = summary.errors
   local out = string.format(
      '{"duration_us": %d, "requests": %d, "bytes": %d, '
         .. '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, '
         .. '"latency_us": {"min": %d, "mean": %.1f, "max": %d, "stdev": %.1f, '
         .. '"p50": %d, "p90": %d, "p95": %d, "p99": %d, "p999": %d}, '
         .. '"codes": {%s}, "wraps": %d}',
      summary.duration, summary.requests, summary.bytes,
      e.connect, e.read, e.write, e.status, e.timeout,
      latency.min, latency.mean, latency.max, latency.stdev,
      latency:percentile(50), latency:percentile(90), latency:percentile(95),
      latency:percentile(99), latency:percentile(99.9),
      table.concat(parts, ", "), total_wraps
   )
   io.write("WRK_JSON " .. out .. "\n")
end
