// The image scripts. Storing is one script so that the hash, its expiry, the indexes, the
// byte count and retention can never be half done: after any store the set is within
// its limits, with no background job. Scripts validate before their first write,
// because Redis does not roll back a script that fails halfway.
//
// Image hash keys are built inside the scripts from the key prefix (evicted ids are only
// known there). On a Redis Cluster that still works because imageKeys (ids.ts) puts the
// index name as a hash tag into every key, the prefix included, so all share one slot.

import { REDIS_CLOCK } from '../redis/lua';

/**
 * How far a camera's capture time may be from Redis's clock before the picture is flagged
 * as taken by a wrong clock: more than capture-to-store delays and NTP's corrections, far
 * less than the days a Pi without a real-time clock can be off after a boot.
 */
export const CLOCK_SKEW_LIMIT_MS = 5 * 60 * 1000;

/**
 * The `lux` of a picture nothing measured (an upload without msg.image.lux). The original
 * gallery needs the field on every picture, and a lux is never negative, so this can not
 * be mistaken for a measurement (0 would read as a dark scene); our API reports it as null.
 */
export const UNMEASURED_LUX = '-1';

const SHARED = `${REDIS_CLOCK}
-- Removes one image everywhere: hash, main, lux and camera indexes, size record, byte count.
local function forget(prefix, index, sizes, bytes, cameras, id)
  local key = prefix .. id
  redis.call('ZREM', index .. ':lux', id)
  local camera = redis.call('HGET', sizes .. ':camera', id)
  if not camera and redis.call('TYPE', key).ok == 'hash' then camera = redis.call('HGET', key, 'camera') end
  redis.call('UNLINK', key)
  redis.call('ZREM', index, id)
  if camera then
    redis.call('ZREM', index .. ':camera:' .. camera, id)
  else
    for _, name in ipairs(redis.call('SMEMBERS', cameras)) do redis.call('ZREM', index .. ':camera:' .. name, id) end
  end
  redis.call('HDEL', sizes .. ':camera', id)
  local size = redis.call('HGET', sizes, id)
  if size then
    redis.call('HDEL', sizes, id)
    redis.call('DECRBY', bytes, size)
  end
end
`;

/**
 * KEYS: index, seq, bytes, sizes, cameras, camera index, lux index.
 * ARGV: key prefix, camera, capture ms (0: none given), max count, max bytes, max age ms,
 *       stored size (image + thumbnail), deadline (Redis clock ms, 0: none), lux (a whole
 *       number of at least 0, or '' when nothing measured it), then field/value pairs for the hash.
 * Returns {new id, camera clock skew ms (0 when within CLOCK_SKEW_LIMIT_MS)}, and publishes
 * the id on `<index>:new`. A store that arrives after its deadline (its caller was told it
 * failed) writes nothing and answers a LATE error.
 *
 * The id, the index's order and age retention all use Redis's clock at the moment of
 * storing: a Pi has no real-time clock and can be days behind until NTP answers, and a
 * picture must not be evicted (or sorted) by a clock that is wrong. The camera's capture
 * time is kept as metadata (`timestamp`, `ts_ms`); when it is more than the limit away
 * from Redis's clock, `clock_skew_ms` (capture minus stored) flags it.
 *
 * Every picture gets a `lux` field, because the original gallery (v0.0.2) fails on a
 * picture without one: the measured value, or UNMEASURED_LUX. Only measured pictures join
 * the lux index.
 */
export const STORE_SCRIPT = `${SHARED}
local index, seq, bytes, sizes, cameras, camera_index, lux_index = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7]
local prefix, camera = ARGV[1], ARGV[2]
local ts, max_count, max_bytes, max_age, size = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
local lux = tonumber(ARGV[9])
if not (ts and max_count and max_bytes and max_age and size) or (#ARGV - 9) % 2 ~= 0 or camera == ''
  or (ARGV[9] ~= '' and not (lux and lux >= 0)) then
  return redis.error_reply('ERR image store: bad arguments')
end
local now = now_ms()
if too_late(now, ARGV[8]) then
  return redis.error_reply('LATE the picture reached Redis after its caller gave up; nothing was stored')
end
if ts <= 0 then ts = now end
local skew = ts - now
if math.abs(skew) <= ${CLOCK_SKEW_LIMIT_MS} then skew = 0 end
-- <seconds>.<ms><seq> (see ids.ts). The sequence is zero-padded so that, between images
-- of the same millisecond (same score), the index's lexical order is the order they were stored in.
local id = string.format('%.0f.%03d%012d', math.floor(now / 1000), now % 1000, redis.call('INCR', seq))
local key = prefix .. id
local fields = {'timestamp', string.format('%.0f', math.floor(ts / 1000)), 'ts_ms', string.format('%.0f', ts),
  'stored_ms', string.format('%.0f', now), 'camera', camera, 'lux', lux and string.format('%.0f', lux) or '${UNMEASURED_LUX}'}
if skew ~= 0 then
  fields[#fields + 1] = 'clock_skew_ms'
  fields[#fields + 1] = string.format('%.0f', skew)
end
for i = 10, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('HSET', key, unpack(fields))
if max_age > 0 then redis.call('PEXPIRE', key, max_age) end
redis.call('ZADD', index, now, id)
if lux then redis.call('ZADD', lux_index, lux, id) end
redis.call('ZADD', camera_index, now, id)
redis.call('SADD', cameras, camera)
redis.call('HSET', sizes, id, size)
redis.call('HSET', sizes .. ':camera', id, camera)
redis.call('INCRBY', bytes, size)

-- Retention: evict the oldest until every limit holds; the new image itself is never
-- evicted (a single image larger than maxBytes is refused before it gets here).
while true do
  local oldest = redis.call('ZRANGE', index, 0, 0, 'WITHSCORES')
  if #oldest == 0 or oldest[1] == id then break end
  local over = (max_count > 0 and redis.call('ZCARD', index) > max_count)
    or (max_bytes > 0 and tonumber(redis.call('GET', bytes) or '0') > max_bytes)
    or (max_age > 0 and tonumber(oldest[2]) < now - max_age)
  if not over then break end
  forget(prefix, index, sizes, bytes, cameras, oldest[1])
end
redis.call('PUBLISH', index .. ':new', id)
return {id, skew}
`;

/**
 * Cleans index entries whose hash is gone (expired by its TTL backstop or deleted by hand).
 * KEYS: index, bytes, sizes, cameras. ARGV: key prefix, ids... Returns how many were removed.
 */
export const FORGET_DANGLING_SCRIPT = `${SHARED}
local removed = 0
for i = 2, #ARGV do
  if redis.call('EXISTS', ARGV[1] .. ARGV[i]) == 0 then
    forget(ARGV[1], KEYS[1], KEYS[3], KEYS[2], KEYS[4], ARGV[i])
    removed = removed + 1
  end
end
return removed
`;

/**
 * Adopts images written by the original capture script (hash image:<seconds>, no index):
 * indexes them by their own timestamp, and by their lux when it is a measurement, and
 * announces each on `<index>:new` as the store does, so open galleries show it at once.
 * KEYS: index, bytes, sizes, lux index. ARGV: key prefix, ids... Returns how many were adopted.
 */
export const ADOPT_SCRIPT = `
local adopted = 0
for i = 2, #ARGV do
  local id = ARGV[i]
  local key = ARGV[1] .. id
  if redis.call('TYPE', key).ok == 'hash' and redis.call('HEXISTS', key, 'image_data') == 1 then
    local ts = tonumber(redis.call('HGET', key, 'timestamp') or id) or tonumber(id)
    if redis.call('ZADD', KEYS[1], 'NX', ts * 1000, id) == 1 then
      local size = redis.call('HSTRLEN', key, 'image_data')
      if redis.call('HSETNX', KEYS[3], id, size) == 1 then redis.call('INCRBY', KEYS[2], size) end
      local lux = tonumber(redis.call('HGET', key, 'lux') or '')
      if lux and lux >= 0 then redis.call('ZADD', KEYS[4], lux, id) end
      redis.call('PUBLISH', KEYS[1] .. ':new', id)
      adopted = adopted + 1
    end
  end
end
return adopted
`;

/** Caches a derived thumbnail, but never recreates an image that expired meanwhile. */
export const CACHE_THUMBNAIL_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'thumbnail', ARGV[1], 'thumbnail_size', ARGV[2])
return 1
`;
