// Lua shared by the package's scripts: the Redis server's clock, and the deadline check
// that makes a script that arrives late (it sat in the socket of a paused server or a
// stalled network after its caller gave up) change nothing.
export const REDIS_CLOCK = `
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
-- The caller stopped waiting at this moment of the server's clock (0: no limit).
local function too_late(now, deadline)
  deadline = tonumber(deadline)
  return deadline ~= nil and deadline > 0 and now > deadline
end
`;
