-- wrk script of scripts/bench: taps short links the way readers, link-preview bots and
-- crawlers do, and reports what it sent and what came back, in one line wrk's `done()`
-- prints (`BENCH key=value …`), for scripts/bench to read.
--
-- Environment (set by scripts/bench):
--   BENCH_CODES      file with one short code per line (the links to tap)
--   BENCH_UAS        tests/data/user-agents.tsv (kind, platform, device, user agent)
--   BENCH_ACTIVE_MS  how long to send; after that every connection waits for its last
--                    answer and sends nothing more (wrk's -d must be a little longer)
--   BENCH_THINK_MS   optional: each connection waits this long after an answer before it
--                    sends again (a paced load, as readers are, instead of a saturating one)
--
-- Why the drain: wrk stops at -d by dropping its connections, with up to one request per
-- connection sent and unanswered, which the server may or may not have recorded. Sending
-- nothing after BENCH_ACTIVE_MS (a long `delay()`) lets every sent request be answered
-- before wrk stops, so "sent" equals "answered", kind by kind, and the stored clicks can be
-- compared with them exactly. Requests per second are counted over the time requests were
-- sent (first request to last answer), not over wrk's -d.
--
-- The rotation is deterministic per request: of every 20 requests 14 are people (browsers
-- and in-app browsers), 4 link previews (WhatsApp, Signal, Slack, Telegram, Discord, Teams,
-- Facebook, iMessage, LinkedIn, X, Viber, LINE, Mastodon), 2 other bots (crawlers, HTTP
-- libraries, no User-Agent). Codes are taken with a stride over all links, and the address
-- in X-Forwarded-For from 50,000 addresses in the networks of tests/data/geo-test.mmdb
-- (so geo lookups find a country, and mostly a city) plus some it does not know.

local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
  int clock_gettime(int clock_id, bench_timespec *tp);
]]
local CLOCK_MONOTONIC = 1
local timespec = ffi.new("bench_timespec")

local function now_ms()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, timespec)
  return tonumber(timespec.tv_sec) * 1000 + tonumber(timespec.tv_nsec) / 1e6
end

local function read_lines(path)
  local lines = {}
  local file = assert(io.open(path, "r"), "cannot open " .. tostring(path))
  for line in file:lines() do
    lines[#lines + 1] = line
  end
  file:close()
  return lines
end

-- User agents by kind, from the tests' shared list; an empty one means no header at all.
local function read_user_agents(path)
  local by_kind = { person = {}, preview = {}, bot = {} }
  for _, line in ipairs(read_lines(path)) do
    if line:sub(1, 1) ~= "#" and line ~= "" then
      local kind, _, _, ua = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t?(.*)$")
      if by_kind[kind] then
        local list = by_kind[kind]
        list[#list + 1] = ua
      end
    end
  end
  return by_kind
end

-- Networks of tests/data/geo-test.tsv (127/8 is the trusted proxy, so not a reader), and
-- one the database does not know (country "unknown").
local function address(i)
  local a, b = math.floor(i / 256) % 256, i % 256
  local net = i % 8
  if net == 0 then return "192.0.2." .. b end                -- GB, London
  if net == 1 then return "198.51.100." .. b end             -- DE, Berlin
  if net == 2 then return "203.0.113." .. b end              -- US, New York
  if net == 3 then return "100.64." .. a .. "." .. b end     -- BR, São Paulo
  if net == 4 then return "10." .. (i % 200) .. "." .. a .. "." .. b end -- CH, no city
  if net == 5 then return string.format("2001:db8::%x:%x", a, b) end     -- FR, Paris
  if net == 6 then return string.format("2001:db8:1::%x:%x", a, b) end   -- JP, Tokyo
  return "185.199." .. a .. "." .. b                         -- not in the database
end

local ADDRESSES = 50000
-- Slots of a cycle of 20 requests: 14 people, 4 previews, 2 bots.
local CYCLE = { "person", "person", "preview", "person", "person", "person", "bot", "person", "person",
  "preview", "person", "person", "person", "preview", "person", "person", "bot", "person", "preview", "person" }
local REFERERS = { "https://www.google.com/", "https://l.facebook.com/", "https://t.co/abc", "android-app://com.google.android.gm/" }
local PERSON_HEADERS = "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"
  .. "Accept-Language: en-GB,en;q=0.9\r\nAccept-Encoding: gzip, deflate, br\r\n"

-- Per-thread state (wrk runs one copy of this script per thread).
local codes, uas, addresses, host
local stop_at_ms
local think_ms = tonumber(os.getenv("BENCH_THINK_MS") or "0")
sent = 0
sent_person, sent_preview, sent_bot = 0, 0, 0
first_ms, last_ms = nil, 0
statuses = {}
-- wrk calls request() once before the threads start, to check what it returns; that
-- request is never sent. delay() runs before every request that is sent, the first too.
local sending = false
local next_of_kind = { person = 0, preview = 0, bot = 0 }

local threads = {}

function setup(thread)
  thread:set("id", #threads + 1)
  threads[#threads + 1] = thread
end

function init(args)
  codes = read_lines(assert(os.getenv("BENCH_CODES"), "BENCH_CODES is not set"))
  assert(#codes > 0, "no codes in BENCH_CODES")
  uas = read_user_agents(assert(os.getenv("BENCH_UAS"), "BENCH_UAS is not set"))
  addresses = {}
  for i = 0, ADDRESSES - 1 do
    addresses[i + 1] = address(i)
  end
  host = wrk.headers["Host"] or wrk.host
  stop_at_ms = now_ms() + tonumber(os.getenv("BENCH_ACTIVE_MS") or "10000")
  -- Threads start on different requests, so they do not send the same sequence.
  sent = (id or 1) * 7777
end

function request()
  if not sending then
    return "GET /" .. codes[1] .. " HTTP/1.1\r\nHost: " .. host .. "\r\n\r\n"
  end
  if not first_ms then first_ms = now_ms() end
  local n = sent
  sent = sent + 1
  local kind = CYCLE[n % 20 + 1]
  local list = uas[kind]
  local k = next_of_kind[kind]
  next_of_kind[kind] = k + 1
  local ua = list[k % #list + 1]
  local code = codes[(n * 7919) % #codes + 1]
  local headers = "X-Forwarded-For: " .. addresses[(n * 104729) % ADDRESSES + 1] .. "\r\n"
  if ua ~= "" then headers = headers .. "User-Agent: " .. ua .. "\r\n" end
  if kind == "person" then
    sent_person = sent_person + 1
    headers = headers .. PERSON_HEADERS
    if k % 10 == 0 then headers = headers .. "Referer: " .. REFERERS[k / 10 % #REFERERS + 1] .. "\r\n" end
  elseif kind == "preview" then
    sent_preview = sent_preview + 1
  else
    sent_bot = sent_bot + 1
  end
  return "GET /" .. code .. " HTTP/1.1\r\nHost: " .. host .. "\r\n" .. headers .. "\r\n"
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

-- Called before each request after the first; a long delay once the time is up drains
-- the connection (see the top of the file).
function delay()
  sending = true
  local now = now_ms()
  last_ms = now
  if now >= stop_at_ms then return 3600 * 1000 end
  return think_ms
end

function done(summary, latency, requests)
  local totals = { person = 0, preview = 0, bot = 0 }
  local by_status = {}
  local first, last = math.huge, 0
  for _, thread in ipairs(threads) do
    totals.person = totals.person + thread:get("sent_person")
    totals.preview = totals.preview + thread:get("sent_preview")
    totals.bot = totals.bot + thread:get("sent_bot")
    for status, n in pairs(thread:get("statuses")) do
      by_status[status] = (by_status[status] or 0) + n
    end
    first = math.min(first, thread:get("first_ms") or math.huge)
    last = math.max(last, thread:get("last_ms") or 0)
  end
  local answered_other = 0
  for status, n in pairs(by_status) do
    if status ~= 302 then answered_other = answered_other + n end
  end
  local active_s = (last - first) / 1000
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d active_s=%.3f rps=%.0f p50_us=%d p90_us=%d p99_us=%d max_us=%d "
      .. "sent_person=%d sent_preview=%d sent_bot=%d status_302=%d status_other=%d "
      .. "err_connect=%d err_read=%d err_write=%d err_status=%d err_timeout=%d\n",
    summary.requests, active_s, summary.requests / active_s,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    totals.person, totals.preview, totals.bot, by_status[302] or 0, answered_other,
    e.connect, e.read, e.write, e.status, e.timeout))
end
