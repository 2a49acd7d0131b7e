-- wrk script of benchmarks/load.py: POST /v1/chat/completions with the master key.
--
-- Run with one connection per thread (wrk -t N -c N): then request() and response() of a thread
-- belong to the same connection and alternate strictly, so the time between them is that
-- request's latency. Each response is recorded as "status latency_us sent_us overhead_ms" (the
-- x-litellm-overhead-duration-ms header, "-" when absent) and done() writes
-- every record to $LG_BENCH_OUT, so load.py can split latencies by status (admitted 200s vs 503s
-- from admission control), count requests over 2 s and plot them over time.
--
-- Every message is unique (run id, thread, counter): with `responseCache: always` (the
-- hardened-always-cache ablation) LiteLLM's Redis cache answers repeats, and a cached answer
-- would skip the upstream call this benchmark measures.
--
-- A connection answered 503 with Retry-After waits that long before its next request, as the
-- OpenAI SDKs' retries do: a client that hammers a shedding proxy at once measures how fast the
-- proxy refuses, not how admitted requests fare (F6).
--
-- Environment: LG_BENCH_KEY (master key), LG_BENCH_MODEL (default mock-gpt), LG_BENCH_RUN
-- (run id), LG_BENCH_OUT (output file).

local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } lg_timespec;
int clock_gettime(int clk_id, lg_timespec *tp);
]]
local CLOCK_MONOTONIC = 1
local ts = ffi.new("lg_timespec")

local function now_us()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, ts)
  return tonumber(ts.tv_sec) * 1000000 + math.floor(tonumber(ts.tv_nsec) / 1000)
end

-- main state: one entry per thread, for done()
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

function init(args)
  local key = os.getenv("LG_BENCH_KEY") or ""
  model = os.getenv("LG_BENCH_MODEL") or "mock-gpt"
  run = os.getenv("LG_BENCH_RUN") or "run"
  headers = { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. key }
  n = 0
  sent = 0
  wait_ms = 0
  recs = {}
end

function delay()
  local ms = wait_ms
  wait_ms = 0
  return ms
end

function request()
  n = n + 1
  local body = string.format(
    '{"model":"%s","messages":[{"role":"user","content":"load %s t%d r%d: say hi"}]}', model, run, tid, n)
  sent = now_us()
  return wrk.format("POST", "/v1/chat/completions", headers, body)
end

function response(status, hdrs, body)
  local t = now_us()
  -- LiteLLM's own overhead (its total time minus the upstream call), when it sends the header
  local overhead = hdrs["x-litellm-overhead-duration-ms"] or "-"
  recs[#recs + 1] = string.format("%d %d %d %s", status, t - sent, sent, overhead)
  local retry_after = tonumber(hdrs["retry-after"] or hdrs["Retry-After"] or "")
  if status == 503 and retry_after then
    wait_ms = math.floor(retry_after * 1000)
  end
end

function done(summary, latency, requests)
  local out = assert(io.open(os.getenv("LG_BENCH_OUT"), "w"))
  local e = summary.errors
  out:write(string.format(
    "# duration_us=%d requests=%d connect=%d read=%d write=%d status=%d timeout=%d\n",
    summary.duration, summary.requests, e.connect, e.read, e.write, e.status, e.timeout))
  for _, thread in ipairs(threads) do
    for _, line in ipairs(thread:get("recs")) do
      out:write(line, "\n")
    end
  end
  out:close()
end
