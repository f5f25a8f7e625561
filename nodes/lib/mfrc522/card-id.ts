// Card ids as flows see them: the UID in uppercase hex, no separators, no BCC or cascade
// tags. The original SimpleMFRC522 code knew a card by another name, a number: it ran
// only the first cascade level's anticollision and took uid_to_num over the 5 bytes it
// returned (4 UID bytes and their BCC, or, for a 7- or 10-byte card, the cascade tag
// 0x88, the first 3 UID bytes and their BCC), big-endian. originalCardNumber gives that
// number, so passes the original stored keep matching.
import { bcc } from './cascade';

export function uidHex(uid: Uint8Array): string {
    return Buffer.from(uid).toString('hex').toUpperCase();
}

/** Big-endian unsigned number of some bytes; BigInt because 5 bytes can exceed 2^32 and more exceed 2^53. */
export function bytesToBigInt(bytes: Uint8Array): bigint {
    return bytes.reduce((n, byte) => (n << 8n) | BigInt(byte), 0n);
}

const CASCADE_TAG = 0x88;

/** The number the original SimpleMFRC522 code read for a card of this UID. */
export function originalCardNumber(uid: Uint8Array): string {
    const level1 = uid.length === 4 ? Uint8Array.from(uid) : Uint8Array.from([CASCADE_TAG, ...uid.subarray(0, 3)]);
    return bytesToBigInt(Uint8Array.from([...level1, bcc(level1)])).toString(10);
}

/**
 * The 4-byte UID behind one of the original's numbers, or undefined when the number
 * cannot be one: more than 5 bytes, or a last byte that is not the BCC of the other four
 * (which the original's reader checked). The number of a 7- or 10-byte card names only
 * its first three bytes, so it gives back no UID either.
 */
export function uidOfOriginalNumber(n: bigint): Buffer | undefined {
    if (n < 0n || n >= 1n << 40n) return undefined;
    const bytes = Buffer.from(n.toString(16).padStart(10, '0'), 'hex');
    const uid = bytes.subarray(0, 4);
    if (bcc(uid) !== bytes[4] || uid[0] === CASCADE_TAG) return undefined;
    return Buffer.from(uid);
}

/** The UID bytes of a hex card id of a real UID size (8, 14 or 20 hex digits), else undefined. */
export function uidFromHex(id: string): Buffer | undefined {
    return /^(?:[0-9A-F]{8}|[0-9A-F]{14}|[0-9A-F]{20})$/.test(id) ? Buffer.from(id, 'hex') : undefined;
}
