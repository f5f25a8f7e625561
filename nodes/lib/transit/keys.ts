// Where transit data lives in Redis. The pass key is the prefix plus the card id, so an
// empty prefix gives the original's bare card-id keys. Every other key a script touches
// for a card carries the pass key as its hash tag, so in a Redis Cluster they all land
// in the pass key's slot (a tag "{k}" hashes like the plain key "k").

export const DEFAULT_KEY_PREFIX = 'transit:pass:';
export const DEFAULT_STREAM = 'transit:events';

/**
 * The consumer group a transit-monitor reads the stream with: the one in its settings, or
 * else one of its own (monitor-<node id>), so that two monitors each see every event.
 */
export function monitorGroup(configured: string | undefined, nodeId: string): string {
    return configured || `monitor-${nodeId}`;
}

const SAFE_PREFIX = /^[A-Za-z0-9_.:\-/]{0,64}$/;

export function checkKeyPrefix(prefix: string): string {
    if (!SAFE_PREFIX.test(prefix)) {
        throw new Error(`invalid key prefix ${JSON.stringify(prefix)}: letters, digits and _ . : - / only, at most 64`);
    }
    return prefix;
}

export function checkStreamKey(key: string): string {
    if (!key || !SAFE_PREFIX.test(key)) throw new Error(`invalid stream key ${JSON.stringify(key)}`);
    return key;
}

export interface CardKeys {
    pass: string;
    /** The remembered decision for one tap or sale id (idempotency). */
    record(id: string): string;
    /** Present while a gate's repeat-tap window for this card is open. */
    repeat(gateId: string): string;
}

export function cardKeys(prefix: string, card: string): CardKeys {
    const pass = prefix + card;
    return {
        pass,
        record: (id) => `{${pass}}:op:${id}`,
        repeat: (gateId) => `{${pass}}:gate:${gateId}`,
    };
}

/**
 * Redis Cluster only: marks an operation's events as appended to the stream. It carries
 * the stream as its hash tag, so the append script's two keys share the stream's slot.
 */
export function appendedMarker(stream: string, op: string): string {
    return `{${stream}}:appended:${op}`;
}
