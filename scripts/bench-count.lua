-- Counts, for scripts/bench, what sharetrail stored for the bench's contents. Run with
-- `redis-cli EVAL "$(cat scripts/bench-count.lua)" 0 PREFIX FROM_MS DAYS ID…`.
--   PREFIX   the key prefix of the sharetrail under test
--   FROM_MS  raw clicks (stream entries) are counted from this id (ms) on
--   DAYS     comma-separated UTC days whose counters are summed (YYYY-MM-DD,…)
--   ID…      the content ids the bench minted
-- Answers {clicks, bots, shares, raw person, raw preview, raw bot}: the first three are the
-- sums of the `clicks:*`, `bots:*` and `shares:*` counters of those days (compare two
-- answers to get what one run added), the last three the raw clicks recorded since FROM_MS.
local prefix, from = ARGV[1], ARGV[2]
local days = {}
for day in string.gmatch(ARGV[3], "[^,]+") do
  days[#days + 1] = day
end
local counters = { clicks = 0, bots = 0, shares = 0 }
local raw = { person = 0, preview = 0, bot = 0 }
for i = 4, #ARGV do
  local content = prefix .. "c:{" .. ARGV[i] .. "}"
  for _, day in ipairs(days) do
    local fields = redis.call("HGETALL", content .. ":d:" .. day)
    for j = 1, #fields, 2 do
      local name = string.match(fields[j], "^(%a+):")
      if counters[name] then
        counters[name] = counters[name] + tonumber(fields[j + 1])
      end
    end
  end
  for _, entry in ipairs(redis.call("XRANGE", content .. ":clicks", from, "+")) do
    -- One field, d (or c): clicks joined by \30, each click's values by \31, kind the
    -- fifth (CLICK_FIELDS); in d, \29 is the value of the click before.
    local before
    for record in string.gmatch(entry[2][2], "[^\30]+") do
      local kind = string.match(record, "^[^\31]*\31[^\31]*\31[^\31]*\31[^\31]*\31([^\31]*)")
      if kind == "\29" then
        kind = before
      end
      before = kind
      raw[kind] = (raw[kind] or 0) + 1
    end
  end
end
return { counters.clicks, counters.bots, counters.shares, raw.person, raw.preview, raw.bot }
