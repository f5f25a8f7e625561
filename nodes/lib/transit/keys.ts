// Where transit data lives in Redis. The pass key is the prefix plus the card id: the hex
// UID, or in the original's layout (see KeyLayout) its bare number. Every other key a script touches
// for a card carries the pass key as its hash tag, so in a Redis Cluster they all land
// in the pass key's slot (a tag "{k}" hashes like the plain key "k").

import { InvalidCardError } from '../card-id';
import { originalCardNumber, uidFromHex } from '../mfrc522/card-id';

export const DEFAULT_KEY_PREFIX = 'transit:pass:';

/**
 * How passes are named in Redis: `uid`, the key prefix and the card's UID in hex (ours);
 * `original`, the original system's layout, the bare number its SimpleMFRC522 code read
 * (`HGETALL 19892716500`), with no prefix, so its gates and terminals share the passes.
 */
export type KeyLayout = 'uid' | 'original';

/**
 * The layout a gate or terminal uses. Flows saved before the setting existed ran against
 * the original's data with an empty prefix (and readers set to give the original's
 * numbers, which they no longer do): they keep reaching those passes.
 */
export function keyLayout(configured: unknown, keyPrefix: string | undefined): KeyLayout {
    if (configured === 'uid' || configured === 'original') return configured;
    if (configured !== undefined && configured !== '') throw new Error(`invalid card keys ${JSON.stringify(String(configured).slice(0, 20))}: uid or original`);
    return keyPrefix === '' ? 'original' : 'uid';
}

/** The id a card's pass is stored under in a layout, from its normalised hex UID. */
export function storedCardId(card: string, layout: KeyLayout): string {
    if (layout === 'uid') return card;
    const uid = uidFromHex(card);
    if (!uid) throw new InvalidCardError(card);
    return originalCardNumber(uid);
}
export const DEFAULT_STREAM = 'transit:events';

/**
 * The consumer group a transit-monitor reads the stream with: the one in its settings, or
 * else one of its own (monitor-<node id>), so that two monitors each see every event.
 */
export function monitorGroup(configured: string | undefined, nodeId: string): string {
    return configured || `monitor-${nodeId}`;
}

// The editors check the same rules (test/nodes/editor-rules.test.ts keeps them equal).
export const KEY_PREFIX = /^[A-Za-z0-9_.:\-/]{0,64}$/;
export const STREAM_KEY = /^[A-Za-z0-9_.:\-/]{1,64}$/;

export function checkKeyPrefix(prefix: string): string {
    if (!KEY_PREFIX.test(prefix)) {
        throw new Error(`invalid key prefix ${JSON.stringify(prefix)}: letters, digits and _ . : - / only, at most 64`);
    }
    return prefix;
}

export function checkStreamKey(key: string): string {
    if (!STREAM_KEY.test(key)) throw new Error(`invalid stream key ${JSON.stringify(key)}`);
    return key;
}

export interface CardKeys {
    pass: string;
    /** The remembered decision for one tap or sale id (idempotency). */
    record(id: string): string;
    /** Present while a gate's repeat-tap window for this card is open. */
    repeat(gateId: string): string;
    /**
     * The card's deny-list entry (a hash: reason, operator, at), present while staff have
     * it blocked. A key of its own, not a field of the pass: a card without a pass can be
     * blocked, and a blocked card keeps its pass. In the pass's slot, so the tap and sale
     * scripts read it in the same round trip, in a Redis Cluster too.
     */
    deny: string;
}

export function cardKeys(prefix: string, card: string): CardKeys {
    const pass = prefix + card;
    return {
        pass,
        record: (id) => `{${pass}}:op:${id}`,
        repeat: (gateId) => `{${pass}}:gate:${gateId}`,
        deny: `{${pass}}:deny`,
    };
}

/**
 * Redis Cluster only: marks an operation's events as appended to the stream. It carries
 * the stream as its hash tag, so the append script's two keys share the stream's slot.
 */
export function appendedMarker(stream: string, op: string): string {
    return `{${stream}}:appended:${op}`;
}
