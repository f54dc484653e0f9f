-- Sums day hashes into one, cached. KEYS[1] is the cache; KEYS[2..] the day hashes (one
-- hash tag, so this runs on a cluster too). ARGV[1] is the cache's TTL in seconds.
-- Returns the sums as a flat field/value list.
if redis.call('EXISTS', KEYS[1]) == 1 then
  return redis.call('HGETALL', KEYS[1])
end
local sums = {}
for i = 2, #KEYS do
  local flat = redis.call('HGETALL', KEYS[i])
  for j = 1, #flat, 2 do
    sums[flat[j]] = (sums[flat[j]] or 0) + tonumber(flat[j + 1])
  end
end
local out = {}
for field, n in pairs(sums) do
  out[#out + 1] = field
  out[#out + 1] = tostring(n)
end
-- HSET in slices: unpack works on Lua's C stack.
for i = 1, #out, 1000 do
  redis.call('HSET', KEYS[1], unpack(out, i, math.min(i + 999, #out)))
end
if #out > 0 then
  redis.call('EXPIRE', KEYS[1], ARGV[1])
end
return out
