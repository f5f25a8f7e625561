// Card administration: staff look up a card, block and unblock it, void or refund its
// pass, and move the pass to a replacement card. Each change is one Lua script, so it
// cannot interleave with a gate charging the pass or a terminal selling one, and each is
// idempotent on an operation id as taps and sales are: a retried command gets the first
// answer back and changes nothing twice. Each writes its event to the stream only (the
// original channels have no word for it; the stream's own channel wakes monitors).
//
// The deny list is one hash per card (reason, operator, at) under the pass's hash tag,
// read by the tap and sale scripts in their own round trip (see keys.ts, scripts.ts).

import { REDIS_CLOCK } from '../redis/lua';
import { SHARED } from './scripts';

/**
 * What a pass holds, as staff read it: its product, rides left, and when it was sold,
 * activated and expires (Redis-clock ms), with the seconds it has left. A value at the
 * pass's key that is not a hash is `{corrupt: true}`; no pass at all is nil.
 */
const PASS_SUMMARY = `
local function pass_summary(key, now)
  local kind = redis.call('TYPE', key).ok
  if kind == 'none' then return nil end
  if kind ~= 'hash' then return {corrupt = true} end
  local flat = redis.call('HGETALL', key)
  local p = {}
  for i = 1, #flat, 2 do p[flat[i]] = flat[i + 1] end
  local pttl = redis.call('PTTL', key)
  return {passType = p.passType, label = p.label, tripsRemaining = tonumber(p.tripsRemaining),
    rides = tonumber(p.rides), validity = tonumber(p.validity), starts = p.starts,
    issuedAt = tonumber(p.issuedAt), activatedAt = tonumber(p.activatedAt),
    expiresAt = tonumber(p.expiresAt) or (pttl > 0 and now + pttl or nil),
    remainingTime = pttl > 0 and math.ceil(pttl / 1000) or nil}
end
local function deny_entry(key)
  local flat = redis.call('HGETALL', key)
  if #flat == 0 then return nil end
  local d = {}
  for i = 1, #flat, 2 do d[flat[i]] = flat[i + 1] end
  return {reason = d.reason, operator = d.operator, at = tonumber(d.at)}
end
`;

/**
 * The start of every change: KEYS[1] pass, KEYS[2] deny entry, KEYS[3] operation record;
 * the stream is the last key (absent in a Cluster: see the outbox in scripts.ts).
 * ARGV: card, operator, operation id, stream max length, record ttl ms, deadline, then the
 * command's own. finish() records and returns the answer; refuse() is finish() with a reason.
 */
const CHANGE = `${SHARED}${PASS_SUMMARY}
local prior = redis.call('GET', KEYS[3])
if prior then return prior end
local card, operator, op, maxlen, record_ms = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local now = now_ms()
if too_late(now, ARGV[6]) then return '{"late":true}' end
local function finish(answer)
  answer.card = card
  answer.operator = operator
  answer.at = now
  local encoded = cjson.encode(with_outbox(answer))
  redis.call('SET', KEYS[3], encoded, 'PX', record_ms)
  return encoded
end
local function refuse(reason) return finish({done = false, reason = reason}) end
local function event(stream, channel, fields)
  fields.cardSerialNumber = card
  fields.operator = operator
  emit(stream, maxlen, channel, cjson.encode(fields), operator, op, true)
end
`;

/** ARGV[7]: reason. Keeps the pass: an unblock gives the rider back exactly what they had. */
export const BLOCK_SCRIPT = `${CHANGE}
if redis.call('EXISTS', KEYS[2]) == 1 then return refuse('already-blocked') end
local reason = ARGV[7]
redis.call('HSET', KEYS[2], 'reason', reason, 'operator', operator, 'at', now)
event(KEYS[4], 'card-blocked', {reason = reason, pass = pass_summary(KEYS[1], now)})
return finish({done = true, reason = reason})
`;

export const UNBLOCK_SCRIPT = `${CHANGE}
local was = deny_entry(KEYS[2])
if not was then return refuse('not-blocked') end
redis.call('DEL', KEYS[2])
event(KEYS[4], 'card-unblocked', {was = was})
return finish({done = true, was = was})
`;

/**
 * ARGV[7]: reason, ARGV[8]: `void` or `refund`. Removes the pass; the event carries what it
 * held (rides and time left), which for a refund is what was refunded. A record that is
 * not a pass can be voided (staff clearing it) but not refunded.
 */
export const REMOVE_SCRIPT = `${CHANGE}
local reason, kind = ARGV[7], ARGV[8]
local pass = pass_summary(KEYS[1], now)
if not pass then return refuse('no-pass') end
if pass.corrupt and kind == 'refund' then return refuse('corrupt-pass') end
redis.call('DEL', KEYS[1])
event(KEYS[4], kind == 'refund' and 'pass-refunded' or 'pass-voided', {reason = reason, pass = pass})
return finish({done = true, reason = reason, pass = pass})
`;

/**
 * KEYS[4] the new card's pass, KEYS[5] its deny entry, KEYS[6] the stream. ARGV[7]: the new
 * card. RENAME moves the hash with its rides, activation and expiry (TTL) as they are. A
 * blocked old card is the usual case (a lost card replaced); a blocked new card is refused.
 */
export const TRANSFER_SCRIPT = `${CHANGE}
local to = ARGV[7]
if to == card then return refuse('same-card') end
local pass = pass_summary(KEYS[1], now)
if not pass then return refuse('no-pass') end
if pass.corrupt then return refuse('corrupt-pass') end
if redis.call('EXISTS', KEYS[4]) == 1 then return refuse('target-has-pass') end
if redis.call('EXISTS', KEYS[5]) == 1 then return refuse('target-blocked') end
redis.call('RENAME', KEYS[1], KEYS[4])
event(KEYS[6], 'pass-transferred', {to = to, pass = pass})
return finish({done = true, to = to, pass = pass})
`;

/** KEYS: pass, deny entry. Reads both in one step, so the answer is one moment's state. */
export const LOOKUP_SCRIPT = `${REDIS_CLOCK}${PASS_SUMMARY}
local now = now_ms()
return cjson.encode({pass = pass_summary(KEYS[1], now), blocked = deny_entry(KEYS[2]), at = now})
`;
