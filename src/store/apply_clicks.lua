-- Applies one group of click aggregates, atomically and at most once.
-- KEYS[1] is the batch marker; ops refer to other keys by their index in KEYS.
-- ARGV[1] is the marker's TTL in seconds; then a flat list of ops:
--   h <key> <field> <n>            HINCRBY
--   z <key> <member> <n>           ZINCRBY
--   p <key> <count> <elements…>    PFADD
--   r <key> <maxlen> <count> <count × 14 values>   XADD key MAXLEN ~ maxlen * per raw click,
--                                  with the field names of CLICK_FIELDS below
--   x <key> <maxlen> <count> <field value…>   XADD key MAXLEN ~ maxlen * … (one raw click with
--                                  its field names: batches spooled by older versions)
--   m <key> <min id>               XTRIM key MINID ~ min id (drops raw clicks past retention)
--   t <key> <unix seconds>         EXPIREAT
--   s <key> <seconds> <count> then <count> × (<key> <field> <n>):
--                                  SET key NX EX seconds, and only if it was set, the HINCRBYs
-- The fields of a raw click: the same list, in the same order, as CLICK_FIELDS in clicks.rs.
local CLICK_FIELDS = {'t', 'code', 'channel', 'campaign', 'kind', 'platform', 'device', 'os', 'browser', 'in_app', 'country', 'city', 'referrer', 'source'}
if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then
  return 0
end
local i, n = 2, #ARGV
while i <= n do
  local op = ARGV[i]
  if op == 'h' then
    redis.call('HINCRBY', KEYS[tonumber(ARGV[i + 1])], ARGV[i + 2], ARGV[i + 3])
    i = i + 4
  elseif op == 'z' then
    redis.call('ZINCRBY', KEYS[tonumber(ARGV[i + 1])], ARGV[i + 3], ARGV[i + 2])
    i = i + 4
  elseif op == 'p' then
    local count = tonumber(ARGV[i + 2])
    redis.call('PFADD', KEYS[tonumber(ARGV[i + 1])], unpack(ARGV, i + 3, i + 2 + count))
    i = i + 3 + count
  elseif op == 'r' then
    local key, maxlen, count = KEYS[tonumber(ARGV[i + 1])], ARGV[i + 2], tonumber(ARGV[i + 3])
    local width, entry = #CLICK_FIELDS, {}
    for f = 1, width do
      entry[2 * f - 1] = CLICK_FIELDS[f]
    end
    i = i + 4
    for _ = 1, count do
      for f = 1, width do
        entry[2 * f] = ARGV[i + f - 1]
      end
      redis.call('XADD', key, 'MAXLEN', '~', maxlen, '*', unpack(entry))
      i = i + width
    end
  elseif op == 'x' then
    local count = tonumber(ARGV[i + 3])
    redis.call('XADD', KEYS[tonumber(ARGV[i + 1])], 'MAXLEN', '~', ARGV[i + 2], '*', unpack(ARGV, i + 4, i + 3 + count))
    i = i + 4 + count
  elseif op == 'm' then
    redis.call('XTRIM', KEYS[tonumber(ARGV[i + 1])], 'MINID', '~', ARGV[i + 2])
    i = i + 3
  elseif op == 't' then
    redis.call('EXPIREAT', KEYS[tonumber(ARGV[i + 1])], ARGV[i + 2])
    i = i + 3
  elseif op == 's' then
    local fresh = redis.call('SET', KEYS[tonumber(ARGV[i + 1])], '1', 'NX', 'EX', ARGV[i + 2])
    local count = tonumber(ARGV[i + 3])
    i = i + 4
    for _ = 1, count do
      if fresh then
        redis.call('HINCRBY', KEYS[tonumber(ARGV[i])], ARGV[i + 1], ARGV[i + 2])
      end
      i = i + 3
    end
  else
    return redis.error_reply('apply_clicks: unknown op ' .. tostring(op))
  end
end
return 1
