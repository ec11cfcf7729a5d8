-- wrk script of the heartbeat benchmark: authenticated POST /api/agent/heartbeat requests,
-- the agent id cycling over every registered sensor. Called as
--   wrk ... -s heartbeat.lua <url> -- <fleet file>
-- where the fleet file holds the API key on its first line and one agent id per line after it
-- (a file, so the key never shows on a command line). done() prints the run as one JSON line.

local ids = {}
local count = 0
local next_index = 0
local headers = {}

function init(args)
  local file = assert(io.open(args[1], "r"), "cannot open the fleet file " .. tostring(args[1]))
  local key = file:read("*l")
  for line in file:lines() do
    if #line > 0 then
      count = count + 1
      ids[count] = line
    end
  end
  file:close()
  assert(key and count > 0, "the fleet file needs an API key and at least one agent id")
  headers["Authorization"] = "Bearer " .. key
  headers["Content-Type"] = "application/json"
end

function request()
  next_index = next_index % count + 1
  local body = '{"agentId":"' .. ids[next_index] .. '","status":"idle","activeScans":0,"uptimeSeconds":3600}'
  return wrk.format("POST", "/api/agent/heartbeat", headers, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"durationUs":%d,"requests":%d,"bytes":%d,"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latencyUs":{"p50":%d,"p90":%d,"p99":%d,"max":%d,"mean":%.1f},"cpuSeconds":%.4f}\n',
    summary.duration, summary.requests, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean, os.clock()))
end
