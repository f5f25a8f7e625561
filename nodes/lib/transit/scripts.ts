// The two transit decisions, each one Lua script so that checking and charging a pass
// (or checking and writing a sale) can never interleave with another gate or terminal.
// Both are idempotent on an operation id: a retried tap or sale gets the first answer
// back and is never charged or written twice. Both validate before their first write,
// because Redis does not roll back a script that fails halfway.
//
// Events are published on the original channels with the original JSON fields (so the
// original Node.js monitor works against these gates) and appended to a capped stream
// from which our monitor replays what it missed. An event the original channels have no
// word for goes to the stream only: a repeated tap at our gate charged nothing, and on
// `pass-denied` the original monitor would print it as a rider without a valid pass. A
// PUBLISH on the stream's own name (payload: the event's channel) wakes monitors for it.

import { REDIS_CLOCK } from '../redis/lua';

const SHARED = `
-- Without a stream key (Redis Cluster: the stream lives in another slot) the events go
-- back to the caller in the decision's outbox, and APPEND_SCRIPT publishes them there.
local outbox = {}
local function emit(stream, maxlen, channel, payload, source, op, quiet)
  if stream then
    redis.call('XADD', stream, 'MAXLEN', '~', maxlen, '*',
      'channel', channel, 'event', payload, 'source', source, 'op', op)
    if quiet then redis.call('PUBLISH', stream, channel) else redis.call('PUBLISH', channel, payload) end
  else
    outbox[#outbox + 1] = {channel, payload, quiet and '1' or '0'}
  end
end
local function with_outbox(decision)
  if #outbox > 0 then decision.outbox = outbox end
  return decision
end
${REDIS_CLOCK}`;

/**
 * KEYS: pass, tap record, repeat marker, stream (absent in a Cluster: see the outbox).
 * ARGV: card, gate id, tap id, repeat window ms, stream max length, record ttl ms, two-hour ms, deadline.
 * Returns the decision as JSON, or {"late":true} when it ran after the deadline.
 */
export const TAP_SCRIPT = `${SHARED}
local prior = redis.call('GET', KEYS[2])
if prior then return prior end

local card, gate, tap = ARGV[1], ARGV[2], ARGV[3]
local repeat_ms, maxlen, record_ms, two_hour_ms = tonumber(ARGV[4]), ARGV[5], ARGV[6], tonumber(ARGV[7])
local now = now_ms()
if too_late(now, ARGV[8]) then return '{"late":true}' end
local decision
local events = {}

local function deny(reason)
  decision = {granted = false, card = card, reason = reason}
  events[#events + 1] = {'pass-denied', cjson.encode({cardSerialNumber = card, reason = reason, gate = gate}),
    reason == 'repeat-tap'}
end
local function grant(fields)
  fields.granted = true
  fields.card = card
  decision = fields
end

if repeat_ms > 0 and redis.call('EXISTS', KEYS[3]) == 1 then
  deny('repeat-tap')
else
  local kind = redis.call('TYPE', KEYS[1]).ok
  if kind == 'none' then
    deny('no-pass')
  elseif kind ~= 'hash' then
    deny('corrupt-pass')
  else
    local f = redis.call('HMGET', KEYS[1], 'passType', 'tripsRemaining', 'activatedAt')
    local pass_type = f[1]
    if pass_type == 'SINGLE_USE' then
      redis.call('DEL', KEYS[1])
      grant({passType = pass_type})
      events[#events + 1] = {'pass-used:SINGLE_USE', cjson.encode({cardSerialNumber = card, pass = {passType = pass_type}, gate = gate})}
    elseif pass_type == 'TEN_TRIP' then
      local trips = tonumber(f[2])
      if not trips or trips < 1 or trips ~= math.floor(trips) then
        deny('corrupt-pass')
      else
        local left = 0
        if trips <= 1 then
          redis.call('DEL', KEYS[1])
        else
          left = redis.call('HINCRBY', KEYS[1], 'tripsRemaining', -1)
        end
        grant({passType = pass_type, remainingTrips = left})
        -- As the original: the pass shows the trips before this ride, as a string.
        events[#events + 1] = {'pass-used:TEN_TRIP', cjson.encode({cardSerialNumber = card,
          pass = {passType = pass_type, tripsRemaining = f[2]}, remainingTrips = left, gate = gate})}
      end
    elseif pass_type == 'TWO_HOUR' then
      local activated_at = tonumber(f[3])
      local remaining_ms
      local activated = false
      if activated_at then
        remaining_ms = activated_at + two_hour_ms - now
      else
        local pttl = redis.call('PTTL', KEYS[1])
        if pttl > 0 then
          -- Activated by the original gate, which only set a TTL.
          remaining_ms = pttl
        else
          activated = true
          remaining_ms = two_hour_ms
          redis.call('HSET', KEYS[1], 'activatedAt', now)
          redis.call('PEXPIRE', KEYS[1], two_hour_ms)
        end
      end
      if remaining_ms <= 0 then
        redis.call('DEL', KEYS[1])
        deny('expired')
      else
        local seconds = math.ceil(remaining_ms / 1000)
        grant({passType = pass_type, remainingTime = seconds, activated = activated})
        if activated then
          events[#events + 1] = {'pass-activated:TWO_HOUR', cjson.encode({cardSerialNumber = card,
            pass = {passType = pass_type}, remainingTime = seconds, gate = gate})}
        end
        events[#events + 1] = {'pass-used:TWO_HOUR', cjson.encode({cardSerialNumber = card,
          pass = {passType = pass_type}, remainingTime = seconds, gate = gate})}
      end
    else
      deny('corrupt-pass')
    end
  end
end

if decision.granted and repeat_ms > 0 then
  redis.call('SET', KEYS[3], tap, 'PX', repeat_ms)
end
decision.gate = gate
decision.tapId = tap
decision.at = now
for _, e in ipairs(events) do emit(KEYS[4], maxlen, e[1], e[2], gate, tap, e[3]) end
local result = cjson.encode(with_outbox(decision))
redis.call('SET', KEYS[2], result, 'PX', record_ms)
return result
`;

/**
 * KEYS: pass, sale record, stream (absent in a Cluster: see the outbox).
 * ARGV: card, pass type, sale id, stream max length, record ttl ms, terminal id, ten-trip rides, deadline.
 * Returns the decision as JSON, or {"late":true} when it ran after the deadline. Refuses a card that has any pass (or any other value at
 * its key): the original merged a new pass into an existing one.
 */
export const SELL_SCRIPT = `${SHARED}
local prior = redis.call('GET', KEYS[2])
if prior then return prior end

local card, pass_type, sale, maxlen, record_ms, terminal = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local now = now_ms()
if too_late(now, ARGV[8]) then return '{"late":true}' end
local decision
if redis.call('EXISTS', KEYS[1]) == 1 then
  decision = {sold = false, card = card, reason = 'card-already-has-pass'}
else
  local pass = {passType = pass_type}
  if pass_type == 'TEN_TRIP' then
    pass.tripsRemaining = tonumber(ARGV[7])
    redis.call('HSET', KEYS[1], 'passType', pass_type, 'tripsRemaining', ARGV[7], 'issuedAt', now, 'saleId', sale)
  else
    redis.call('HSET', KEYS[1], 'passType', pass_type, 'issuedAt', now, 'saleId', sale)
  end
  decision = {sold = true, card = card, passType = pass_type, tripsRemaining = pass.tripsRemaining, issuedAt = now}
  emit(KEYS[3], maxlen, 'pass-issued:' .. pass_type,
    cjson.encode({cardSerialNumber = card, pass = pass, terminal = terminal}), terminal, sale)
end
decision.saleId = sale
local result = cjson.encode(with_outbox(decision))
redis.call('SET', KEYS[2], result, 'PX', record_ms)
return result
`;

/**
 * Redis Cluster only: adds a decision's outbox to the stream and publishes it, once per
 * operation even when a retried tap or sale brings the same outbox back. Publishing
 * after the XADD means a monitor woken by the message finds the entry already there.
 * KEYS: stream, marker (in the stream's slot). ARGV: max length, marker ttl ms, source, op,
 * then channel/payload/quiet triples (quiet "1": stream only, as emit() above).
 */
export const APPEND_SCRIPT = `
if not redis.call('SET', KEYS[2], '1', 'NX', 'PX', ARGV[2]) then return 0 end
for i = 5, #ARGV, 3 do
  redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*',
    'channel', ARGV[i], 'event', ARGV[i + 1], 'source', ARGV[3], 'op', ARGV[4])
  if ARGV[i + 2] == '1' then
    redis.call('PUBLISH', KEYS[1], ARGV[i])
  else
    redis.call('PUBLISH', ARGV[i], ARGV[i + 1])
  end
end
return 1
`;
