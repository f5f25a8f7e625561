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

/**
 * The pass fields a tap decision reads, in TAP_SCRIPT's order; a gate's copy of the passes
 * reads the same ones (replica-reader.ts).
 */
export const PASS_FIELDS = ['passType', 'tripsRemaining', 'activatedAt', 'rides', 'validity', 'starts', 'expiresAt', 'label'] as const;
export const PASS_FIELDS_LUA = PASS_FIELDS.map((f) => `'${f}'`).join(', ');

export const SHARED = `
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
 * KEYS: pass, tap record, repeat marker, deny-list entry, stream (absent in a Cluster: see the outbox).
 * ARGV: card, gate id, tap id, repeat window ms, stream max length, record ttl ms, two-hour ms, deadline,
 * then the offline decision being replayed as JSON ({at, floor, granted, reason, policy, passType, validUntil}),
 * or '' for a live tap.
 * Returns the decision as JSON, or {"late":true} when it ran after the deadline.
 *
 * A replayed tap is the same tap, with the same id: the record makes it count once, however
 * often the replay is retried, and a tap Redis did decide before the gate gave up on it
 * (its answer was lost) gets that decision back. It is decided at the moment it was taken,
 * never before the gate last saw Redis (floor) nor after Redis's now, so a gate's wrong clock
 * can only move it within the outage. What the gate denied is recorded, not charged. What
 * the gate let in is charged by the same rules; if they refuse it, the ride happened anyway:
 * under known-passes it is an overuse, and the card is blocked until staff clear it; under
 * open it is an unpaid ride, unless the gate's copy had the pass valid until after the tap
 * and it has run out since (validUntil: Redis deleted it on expiry). Repeat markers belong to
 * live taps and are neither read nor set.
 */
export const TAP_SCRIPT = `${SHARED}
local offline = ARGV[9] ~= nil and ARGV[9] ~= '' and cjson.decode(ARGV[9]) or nil
local prior = redis.call('GET', KEYS[2])
-- Redis decided this tap live and refused it, but the answer never reached the gate, which
-- then let the rider in offline: reported as a refused replay would be (its own events
-- went out when Redis decided it).
local refused_live
if prior then
  if not (offline and offline.granted) then return prior end
  refused_live = cjson.decode(prior)
  if refused_live.granted or refused_live.overused or refused_live.unpaid then return prior end
end

local card, gate, tap = ARGV[1], ARGV[2], ARGV[3]
local repeat_ms, maxlen, record_ms, two_hour_ms = tonumber(ARGV[4]), ARGV[5], ARGV[6], tonumber(ARGV[7])
local server_now = now_ms()
if too_late(server_now, ARGV[8]) then return '{"late":true}' end
local now = server_now
if offline then now = math.min(server_now, math.max(tonumber(offline.floor) or 0, tonumber(offline.at) or server_now)) end
-- In every event of a replayed tap, so monitors can say the gate decided it alone.
local was_offline = offline and true or nil
local decision
local events = {}
local denied_pass

-- pass: what an expired catalogue product was, so a monitor can name it (nil otherwise).
local function deny(reason, pass)
  decision = {granted = false, card = card, reason = reason}
  denied_pass = pass
  events[#events + 1] = {'pass-denied', cjson.encode({cardSerialNumber = card, reason = reason, gate = gate, pass = pass,
    offline = was_offline}), reason == 'repeat-tap'}
end
local function grant(fields)
  fields.granted = true
  fields.card = card
  decision = fields
end

-- A card staff have blocked (lost, stolen, overused) is refused before its pass is read:
-- nothing is charged, and its pass stays as it is for a later unblock or transfer.
-- A replayed tap counts a block only if it was made before the tap (a card blocked while
-- the gate was away, or for an overuse later in the same journal, was not blocked then).
local function blocked()
  if redis.call('EXISTS', KEYS[4]) == 0 then return false end
  if not offline then return true end
  local at = tonumber(redis.call('HGET', KEYS[4], 'at'))
  return at == nil or at <= now
end

if refused_live then
  -- (In a Cluster its outbox went out with it: the stream already has those events.)
  refused_live.outbox = nil
  decision = refused_live
elseif offline and not offline.granted then
  deny(offline.reason or 'unavailable')
elseif blocked() then
  deny('blocked')
elseif repeat_ms > 0 and not offline and redis.call('EXISTS', KEYS[3]) == 1 then
  deny('repeat-tap')
else
  local kind = redis.call('TYPE', KEYS[1]).ok
  if kind == 'none' then
    deny('no-pass')
  elseif kind ~= 'hash' then
    deny('corrupt-pass')
  else
    local f = redis.call('HMGET', KEYS[1], ${PASS_FIELDS_LUA})
    -- HMGET gives false for a missing field; "or nil" keeps it out of the JSON.
    local pass_type, trips_text, label = f[1], f[2], f[8] or nil
    -- What the pass allows. A pass our terminal sold from a catalogue says so itself
    -- (rides, validity in seconds, when it starts); a pass in the original's layout holds
    -- only its type, whose rules are the original's: one ride, ten rides, or two hours
    -- from the first ride. single: the original's single trip, deleted on its ride.
    local single, counts, validity_ms, starts, ok = false, false, 0, 'sale', true
    if f[4] or f[5] then
      local rides, validity = tonumber(f[4]), tonumber(f[5])
      ok = rides ~= nil and validity ~= nil and rides >= 0 and validity >= 0 and (rides > 0 or validity > 0)
        and (f[6] == 'sale' or f[6] == 'first-use')
      if ok then counts, validity_ms, starts = rides > 0, validity * 1000, f[6] end
    elseif pass_type == 'SINGLE_USE' then
      single = true
    elseif pass_type == 'TEN_TRIP' then
      counts = true
    elseif pass_type == 'TWO_HOUR' then
      validity_ms, starts = two_hour_ms, 'first-use'
    else
      ok = false
    end
    local trips = tonumber(trips_text)
    if counts and (not trips or trips < 1 or trips ~= math.floor(trips)) then ok = false end
    local expires_at = tonumber(f[7])
    if validity_ms > 0 and starts == 'sale' and not expires_at then ok = false end

    if not ok or not pass_type then
      deny('corrupt-pass')
    else
      local remaining_ms
      local activated, gone = false, false
      if validity_ms > 0 then
        local activated_at = tonumber(f[3])
        if starts == 'sale' then
          remaining_ms = expires_at - now
        elseif activated_at then
          remaining_ms = activated_at + validity_ms - now
        else
          local pttl = redis.call('PTTL', KEYS[1])
          if pttl > 0 then
            -- Activated by the original gate, which only set a TTL.
            remaining_ms = pttl
          else
            activated = true
            remaining_ms = validity_ms
            redis.call('HSET', KEYS[1], 'activatedAt', now)
            -- Replayed, the pass has been running since the tap: it may have run out since.
            local ttl = validity_ms - (server_now - now)
            if ttl > 0 then redis.call('PEXPIRE', KEYS[1], ttl) else redis.call('DEL', KEYS[1]); gone = true end
          end
        end
      end
      if remaining_ms and remaining_ms <= 0 then
        redis.call('DEL', KEYS[1])
        deny('expired', label and {passType = pass_type, label = label} or nil)
      else
        local left
        if single then
          redis.call('DEL', KEYS[1])
        elseif counts then
          left = 0
          if trips <= 1 then
            redis.call('DEL', KEYS[1])
          elseif gone then
            left = trips - 1
          else
            left = redis.call('HINCRBY', KEYS[1], 'tripsRemaining', -1)
          end
        end
        local seconds = remaining_ms and math.ceil(remaining_ms / 1000)
        local fields = {passType = pass_type, label = label, remainingTrips = left, remainingTime = seconds}
        if remaining_ms then fields.activated = activated end
        grant(fields)
        -- The original's fields; as the original, the pass shows the trips before this
        -- ride, as a string. A catalogue product's events also carry its label.
        local pass = {passType = pass_type, tripsRemaining = counts and trips_text or nil, label = label}
        if activated then
          events[#events + 1] = {'pass-activated:' .. pass_type, cjson.encode({cardSerialNumber = card,
            pass = pass, remainingTime = seconds, gate = gate, offline = was_offline})}
        end
        events[#events + 1] = {'pass-used:' .. pass_type, cjson.encode({cardSerialNumber = card,
          pass = pass, remainingTrips = left, remainingTime = seconds, gate = gate, offline = was_offline})}
      end
    end
  end
end

-- A time pass the gate's copy said was valid until after the tap, and which has run out
-- since (Redis deleted it, so the rules find no pass): a valid ride, with nothing to charge.
local valid_until = offline and tonumber(offline.validUntil)
if offline and offline.granted and decision.reason == 'no-pass' and valid_until and valid_until > now
    and valid_until <= server_now and type(offline.passType) == 'string' then
  decision = {granted = true, card = card, passType = offline.passType, lapsed = true}
  events = {{'pass-used:' .. offline.passType, cjson.encode({cardSerialNumber = card, pass = {passType = offline.passType},
    gate = gate, offline = true})}}
end
-- The rider went through the offline gate, which the rules refuse: not charged, reported.
if offline and offline.granted and not decision.granted then
  local unpaid = offline.policy == 'open'
  decision.overused = not unpaid or nil
  decision.unpaid = unpaid or nil
  events = {{unpaid and 'pass-unpaid' or 'pass-overused', cjson.encode({cardSerialNumber = card, reason = decision.reason,
    gate = gate, pass = denied_pass, offline = true})}}
  if not unpaid and redis.call('EXISTS', KEYS[4]) == 0 then
    redis.call('HSET', KEYS[4], 'reason', 'overused', 'operator', gate, 'at', server_now)
  end
end
if decision.granted and repeat_ms > 0 and not offline then
  redis.call('SET', KEYS[3], tap, 'PX', repeat_ms)
end
decision.offline = was_offline
decision.gate = gate
decision.tapId = tap
decision.at = now
for _, e in ipairs(events) do emit(KEYS[5], maxlen, e[1], e[2], gate, tap, e[3]) end
local result = cjson.encode(with_outbox(decision))
redis.call('SET', KEYS[2], result, 'PX', record_ms)
return result
`;

/**
 * KEYS: pass, sale record, deny-list entry, stream (absent in a Cluster: see the outbox).
 * ARGV: card, pass type, sale id, stream max length, record ttl ms, terminal id, product, deadline.
 * The product is JSON: {"original":true,"trips":n} for one of the original three sold by the
 * original's rules (stored in the original's layout: trips is 10 for a ten trip, else 0 and
 * absent from the pass), else {"trips","rides","validity","starts","label"}, written into the
 * pass so that any gate can honour it.
 * Returns the decision as JSON, or {"late":true} when it ran after the deadline. Refuses a
 * blocked card, and a card that has any pass (or any other value at its key): the original
 * merged a new pass into an existing one.
 */
export const SELL_SCRIPT = `${SHARED}
local prior = redis.call('GET', KEYS[2])
if prior then return prior end

local card, pass_type, sale, maxlen, record_ms, terminal = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local product = cjson.decode(ARGV[7])
local now = now_ms()
if too_late(now, ARGV[8]) then return '{"late":true}' end
local decision
if redis.call('EXISTS', KEYS[3]) == 1 then
  decision = {sold = false, card = card, reason = 'blocked'}
elseif redis.call('EXISTS', KEYS[1]) == 1 then
  decision = {sold = false, card = card, reason = 'card-already-has-pass'}
else
  local trips = product.trips > 0 and product.trips or nil
  local pass = {passType = pass_type, tripsRemaining = trips}
  local fields = {'passType', pass_type, 'issuedAt', now, 'saleId', sale}
  if trips then fields[#fields + 1] = 'tripsRemaining'; fields[#fields + 1] = trips end
  local expires_at
  if not product.original then
    pass.label = product.label
    for _, name in ipairs({'label', 'rides', 'validity', 'starts'}) do
      fields[#fields + 1] = name
      fields[#fields + 1] = product[name]
    end
    if product.starts == 'sale' and product.validity > 0 then
      expires_at = now + product.validity * 1000
      fields[#fields + 1] = 'expiresAt'
      fields[#fields + 1] = expires_at
    end
  end
  redis.call('HSET', KEYS[1], unpack(fields))
  if expires_at then redis.call('PEXPIREAT', KEYS[1], expires_at) end
  decision = {sold = true, card = card, passType = pass_type, tripsRemaining = trips, issuedAt = now,
    label = pass.label, expiresAt = expires_at}
  emit(KEYS[4], maxlen, 'pass-issued:' .. pass_type,
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
