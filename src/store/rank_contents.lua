-- Ranks contents by clicks over a range of days without sending the whole ranking.
-- KEYS[1]: cache of the union of the past days; KEYS[2]: the short-lived union with the
-- live days (today, and any later day in the range); KEYS[3 .. 2+past]: the past days'
-- rankings; the rest: the live days' rankings. All share the {site} hash tag.
-- ARGV: past count, past TTL, live TTL, start, stop (stop -1: to the end).
-- Returns { total, id1, score1, id2, score2, … } for ranks start..stop, most clicks first.
local past = tonumber(ARGV[1])
local live = #KEYS - 2 - past
if past > 0 and redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('ZUNIONSTORE', KEYS[1], past, unpack(KEYS, 3, 2 + past))
  redis.call('EXPIRE', KEYS[1], ARGV[2])
end
local source = KEYS[1]
if live > 0 then
  if past > 0 then
    redis.call('ZUNIONSTORE', KEYS[2], live + 1, KEYS[1], unpack(KEYS, 3 + past))
  else
    redis.call('ZUNIONSTORE', KEYS[2], live, unpack(KEYS, 3 + past))
  end
  redis.call('EXPIRE', KEYS[2], ARGV[3])
  source = KEYS[2]
end
local result = { redis.call('ZCARD', source) }
local page = redis.call('ZRANGE', source, ARGV[4], ARGV[5], 'REV', 'WITHSCORES')
for i = 1, #page do
  result[#result + 1] = page[i]
end
return result
