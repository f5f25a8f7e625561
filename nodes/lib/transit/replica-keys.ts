// Which keys a gate's copy of the passes holds (see replica.ts): the pass keys and deny-list
// entries of one prefix and layout (keys.ts), told apart from everything else that shares
// their prefix (tap records, repeat markers) or, in the original's layout with no prefix at
// all, the whole database (the original's other keys, a counter, images).

import type { KeyLayout } from './keys';

/** A key the copy holds: a card's pass, or its deny-list entry. */
export interface HeldKey {
    kind: 'pass' | 'deny';
    card: string;
}

export interface ReplicaKeys {
    /** CLIENT TRACKING BCAST prefixes: none tracks every key. */
    prefixes: string[];
    /** SCAN MATCH patterns that together find every pass and deny entry. */
    patterns: string[];
    /** The pass or deny entry a key is, or undefined for any other key. */
    classify(key: string): HeldKey | undefined;
}

const UID = /^[0-9A-F]{4,32}$/;
const NUMBER = /^(?:0|[1-9]\d{0,12})$/;

/**
 * One of the original's card numbers (what storedCardId makes in its layout): five bytes
 * whose last is the XOR of the other four, as its reader checked.
 */
export function isOriginalNumber(text: string): boolean {
    if (!NUMBER.test(text)) return false;
    const n = BigInt(text);
    if (n >= 1n << 40n) return false;
    const b = (i: number) => Number((n >> BigInt(8 * (4 - i))) & 0xffn);
    return (b(0) ^ b(1) ^ b(2) ^ b(3)) === b(4);
}

export function replicaKeys(prefix: string, layout: KeyLayout): ReplicaKeys {
    const isCard = layout === 'uid' ? (card: string) => UID.test(card) : isOriginalNumber;
    const denyStart = `{${prefix}`;
    const DENY_END = '}:deny';
    return {
        prefixes: prefix ? [prefix, denyStart] : [],
        // Glob-safe: a prefix holds none of * ? [ ] \ (checkKeyPrefix).
        patterns: prefix ? [`${prefix}*`, `${denyStart}*${DENY_END}`] : ['*'],
        classify(key) {
            if (key.startsWith(denyStart) && key.endsWith(DENY_END)) {
                const card = key.slice(denyStart.length, key.length - DENY_END.length);
                return isCard(card) ? { kind: 'deny', card } : undefined;
            }
            if (!key.startsWith(prefix)) return undefined;
            const card = key.slice(prefix.length);
            return isCard(card) ? { kind: 'pass', card } : undefined;
        },
    };
}
