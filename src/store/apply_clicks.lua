-- Applies one group of click aggregates, atomically and at most once.
-- KEYS[1] is the batch marker; ops refer to other keys by their index in KEYS.
-- ARGV[1] is the marker's TTL in seconds; then a flat list of ops:
--   h <key> <field> <n>            HINCRBY
--   H <key> <count> <count × (field n)>   the HINCRBYs of several fields of one hash, as one
--                                  HMGET and one HSET (two calls instead of count)
--   z <key> <member> <n>           ZINCRBY
--   p <key> <count> <elements…>    PFADD
--   r <key> <maxlen> <count> <count × packed>   XADD key MAXLEN ~ maxlen * c <packed> per entry
--                                  (raw clicks joined by \30, their values by \31: clicks.rs)
--   x <key> <maxlen> <count> <field value…>   XADD key MAXLEN ~ maxlen * … (one raw click with
--                                  its field names: batches spooled by older versions)
--   m <key> <min id>               XTRIM key MINID ~ min id (drops raw clicks past retention)
--   t <key> <unix seconds>         EXPIREAT
--   s <key> <seconds> <count> then <count> × (<key> <field> <n>):
--                                  SET key NX EX seconds, and only if it was set, the HINCRBYs
if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then
  return 0
end
local i, n = 2, #ARGV
while i <= n do
  local op = ARGV[i]
  if op == 'h' then
    redis.call('HINCRBY', KEYS[tonumber(ARGV[i + 1])], ARGV[i + 2], ARGV[i + 3])
    i = i + 4
  elseif op == 'H' then
    local key, count = KEYS[tonumber(ARGV[i + 1])], tonumber(ARGV[i + 2])
    local fields, sums = {}, {}
    for f = 1, count do
      fields[f] = ARGV[i + 1 + 2 * f]
    end
    local now = redis.call('HMGET', key, unpack(fields))
    for f = 1, count do
      sums[2 * f - 1] = fields[f]
      sums[2 * f] = (tonumber(now[f]) or 0) + tonumber(ARGV[i + 2 + 2 * f])
    end
    redis.call('HSET', key, unpack(sums))
    i = i + 3 + 2 * count
  elseif op == 'z' then
    redis.call('ZINCRBY', KEYS[tonumber(ARGV[i + 1])], ARGV[i + 3], ARGV[i + 2])
    i = i + 4
  elseif op == 'p' then
    local count = tonumber(ARGV[i + 2])
    redis.call('PFADD', KEYS[tonumber(ARGV[i + 1])], unpack(ARGV, i + 3, i + 2 + count))
    i = i + 3 + count
  elseif op == 'r' then
    local key, maxlen, count = KEYS[tonumber(ARGV[i + 1])], ARGV[i + 2], tonumber(ARGV[i + 3])
    for j = i + 4, i + 3 + count do
      redis.call('XADD', key, 'MAXLEN', '~', maxlen, '*', 'c', ARGV[j])
    end
    i = i + 4 + count
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
