// How a gate's copy of the passes reads Redis (see replica.ts): a batch of keys in one
// read-only script, and the whole keyspace of a prefix a SCAN page at a time. Reads run
// on the copy's own client, never on the command client the taps use.
import type Redis from 'ioredis';
import { REDIS_CLOCK, scriptCommands } from '../redis/lua';
import { corruptState, Interner, parsePass, PassState } from './pass-state';
import { PASS_FIELDS, PASS_FIELDS_LUA } from './scripts';
import type { HeldKey } from './replica-keys';

/** What one key held when read: a pass (or undefined: none), or a deny entry's expiry (undefined: none). */
export type ReadKey = HeldKey & ({ kind: 'pass'; pass: PassState | undefined } | { kind: 'deny'; expireAt: number | undefined });

/** Keys per SCAN page: big enough to be quick, small enough not to stall Redis. */
export const BATCH = 1000;
/** Keys per read script: about a millisecond of Redis's time on a Pi-class machine, so taps barely wait behind it. */
const READ_BATCH = 250;


/**
 * KEYS: the keys; ARGV: per key, `p` (a pass) or `d` (a deny entry). For each key its PTTL
 * and, for a pass hash, the fields TAP_SCRIPT reads (0 for a value that is not a hash);
 * then Redis's clock, all at one moment. One JSON reply rather than thousands of small
 * ones: on a loaded Pi, parsing the replies of a pipelined HGETALL per pass took three
 * times as long as this whole read.
 */
const READ_SCRIPT = `${REDIS_CLOCK}
local out = {}
for i, key in ipairs(KEYS) do
  local pttl = redis.call('PTTL', key)
  if ARGV[i] == 'p' and pttl ~= -2 then
    local fields = 0
    if redis.call('TYPE', key).ok == 'hash' then
      fields = redis.call('HMGET', key, ${PASS_FIELDS_LUA})
    end
    out[i] = {pttl, fields}
  else
    out[i] = {pttl}
  end
end
return cjson.encode({now_ms(), out})
`;

const commands = scriptCommands<{ transitReplicaRead: (...args: string[]) => Promise<string> }>({ transitReplicaRead: { lua: READ_SCRIPT } });

/** A PTTL as the key's expiry on the Redis clock: undefined for no key, Infinity for none. */
function expiry(now: number, pttl: number): number | undefined {
    if (pttl === -2) return undefined;
    return pttl === -1 ? Infinity : now + pttl;
}

/** Reads what the keys hold, READ_BATCH at a time (see READ_SCRIPT). */
export async function readKeys(client: Redis, keys: Array<{ key: string; held: HeldKey }>, strings: Interner): Promise<ReadKey[]> {
    const read: ReadKey[] = [];
    for (let start = 0; start < keys.length; start += READ_BATCH) {
        const batch = keys.slice(start, start + READ_BATCH);
        const reply = await commands(client).transitReplicaRead(String(batch.length), ...batch.map((k) => k.key),
            ...batch.map((k) => (k.held.kind === 'pass' ? 'p' : 'd')));
        const [now, values] = JSON.parse(reply) as [number, Array<[number, Array<string | false> | 0] | [number]>];
        batch.forEach(({ held }, i) => {
            const [pttl, fields] = values[i];
            const expireAt = expiry(now, pttl);
            if (held.kind === 'deny') {
                read.push({ ...held, kind: 'deny', expireAt });
            } else if (expireAt === undefined || fields === undefined) {
                read.push({ ...held, kind: 'pass', pass: undefined });
            } else if (fields === 0) {
                read.push({ ...held, kind: 'pass', pass: corruptState(expireAt) });
            } else {
                const record: Record<string, string> = {};
                fields.forEach((value, f) => {
                    if (value !== false) record[PASS_FIELDS[f]] = value;
                });
                read.push({ ...held, kind: 'pass', pass: parsePass(record, expireAt, strings) });
            }
        });
    }
    return read;
}

/**
 * Every key matching `pattern`, a SCAN page at a time, handed to `page` (awaited before
 * the next page is asked for). SCAN returns a key present throughout at least once, and
 * may return one twice; `stop` ends it early (the copy's session ended).
 */
export async function scanAll(client: Redis, pattern: string, page: (keys: string[]) => Promise<void>, stop: () => boolean): Promise<void> {
    let cursor = '0';
    do {
        const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', BATCH);
        if (stop()) return;
        if (keys.length) await page(keys);
        cursor = next;
    } while (cursor !== '0' && !stop());
}
