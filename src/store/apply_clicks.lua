-- Applies one group of click aggregates, atomically and at most once.
-- KEYS[1] is the batch marker; ops refer to other keys by their index in KEYS.
-- ARGV[1] is the marker's TTL in seconds; ARGV[2] the ops, as one MessagePack array of
-- strings, which cmsgpack decodes in C at once (as tens of thousands of arguments, each
-- became a Redis string and then a Lua string: a third of the script's instructions and
-- nearly half its time; docs/performance.md). The ops, flat in that array:
--   h <key> <field> <n>            HINCRBY
--   H <key> <count> <count × (field n)>   HINCRBY of several fields of one hash (the key
--                                  written once)
--   z <key> <member> <n>           ZINCRBY
--   p <key> <count> <elements…>    PFADD
--   R <key> <maxlen> <count> <count × packed>   XADD key MAXLEN ~ maxlen * d <packed> per entry
--                                  (raw clicks joined by \30, their values by \31, times and
--                                  repeated values relative to the click before: clicks.rs)
--   r                              the same as R with field c (batches spooled by older
--                                  versions: each click whole)
--   x <key> <maxlen> <count> <field value…>   XADD key MAXLEN ~ maxlen * … (one raw click with
--                                  its field names: batches spooled by older versions)
--   m <key> <min id>               XTRIM key MINID ~ min id (drops raw clicks past retention)
--   t <key> <unix seconds>         EXPIREAT
--   s <key> <seconds> <count> then <count> × (<key> <field> <n>):
--                                  SET key NX EX seconds, and only if it was set, the HINCRBYs
--   P <key> <field> <seconds> <sums>   HSET key field sums, EXPIRE key seconds: the day counter
--                                  sums this batch holds for later, kept with its raw clicks
--                                  so that a crash cannot lose them (held_counters.rs)
--   X <key>                        DEL key: the sums held so far are in this batch
-- Returns 0 for a batch applied before; else the KEYS indices of the `s` keys it set (the
-- preview windows it opened, which the writer then knows to be open: clicks.rs).
if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then
  return 0
end
local opened = {}
local A = cmsgpack.unpack(ARGV[2])
local i, n = 1, #A
while i <= n do
  local op = A[i]
  if op == 'h' then
    redis.call('HINCRBY', KEYS[tonumber(A[i + 1])], A[i + 2], A[i + 3])
    i = i + 4
  elseif op == 'H' then
    -- HINCRBY per field: reading the hash and writing sums back (HMGET + HSET) is two calls,
    -- but turns every sum into a Lua number and back, which costs more than the calls saved.
    local key, count = KEYS[tonumber(A[i + 1])], tonumber(A[i + 2])
    for f = 1, count do
      redis.call('HINCRBY', key, A[i + 1 + 2 * f], A[i + 2 + 2 * f])
    end
    i = i + 3 + 2 * count
  elseif op == 'z' then
    redis.call('ZINCRBY', KEYS[tonumber(A[i + 1])], A[i + 3], A[i + 2])
    i = i + 4
  elseif op == 'p' then
    local count = tonumber(A[i + 2])
    redis.call('PFADD', KEYS[tonumber(A[i + 1])], unpack(A, i + 3, i + 2 + count))
    i = i + 3 + count
  elseif op == 'R' or op == 'r' then
    local key, maxlen, count = KEYS[tonumber(A[i + 1])], A[i + 2], tonumber(A[i + 3])
    local field = op == 'R' and 'd' or 'c'
    for j = i + 4, i + 3 + count do
      redis.call('XADD', key, 'MAXLEN', '~', maxlen, '*', field, A[j])
    end
    i = i + 4 + count
  elseif op == 'x' then
    local count = tonumber(A[i + 3])
    redis.call('XADD', KEYS[tonumber(A[i + 1])], 'MAXLEN', '~', A[i + 2], '*', unpack(A, i + 4, i + 3 + count))
    i = i + 4 + count
  elseif op == 'm' then
    redis.call('XTRIM', KEYS[tonumber(A[i + 1])], 'MINID', '~', A[i + 2])
    i = i + 3
  elseif op == 't' then
    redis.call('EXPIREAT', KEYS[tonumber(A[i + 1])], A[i + 2])
    i = i + 3
  elseif op == 's' then
    local window = tonumber(A[i + 1])
    local fresh = redis.call('SET', KEYS[window], '1', 'NX', 'EX', A[i + 2])
    if fresh then
      opened[#opened + 1] = window
    end
    local count = tonumber(A[i + 3])
    i = i + 4
    for _ = 1, count do
      if fresh then
        redis.call('HINCRBY', KEYS[tonumber(A[i])], A[i + 1], A[i + 2])
      end
      i = i + 3
    end
  elseif op == 'P' then
    local key = KEYS[tonumber(A[i + 1])]
    redis.call('HSET', key, A[i + 2], A[i + 4])
    redis.call('EXPIRE', key, A[i + 3])
    i = i + 5
  elseif op == 'X' then
    redis.call('DEL', KEYS[tonumber(A[i + 1])])
    i = i + 2
  else
    return redis.error_reply('apply_clicks: unknown op ' .. tostring(op))
  end
end
return opened
