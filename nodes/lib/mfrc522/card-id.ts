// Card ids as flows see them. Hex: the UID in uppercase, no separators, no BCC or cascade
// tags. Decimal: the number the original SimpleMFRC522 stored (uid_to_num over the 4 UID
// bytes plus BCC, big-endian) so existing Redis data keeps matching; longer UIDs, which
// the original could not read, are the number of their UID bytes alone.
import { bcc } from './cascade';

export type IdFormat = 'hex' | 'decimal';

export function uidHex(uid: Uint8Array): string {
    return Buffer.from(uid).toString('hex').toUpperCase();
}

/** Big-endian unsigned number of some bytes; BigInt because 7- and 10-byte UIDs exceed 2^53. */
export function bytesToBigInt(bytes: Uint8Array): bigint {
    return bytes.reduce((n, byte) => (n << 8n) | BigInt(byte), 0n);
}

export function cardId(uid: Uint8Array, format: IdFormat): string {
    if (format === 'hex') return uidHex(uid);
    const bytes = uid.length === 4 ? Uint8Array.from([...uid, bcc(uid)]) : uid;
    return bytesToBigInt(bytes).toString(10);
}

/** The UID bytes of a hex card id of a real UID size (8, 14 or 20 hex digits), else undefined. */
export function uidFromHex(id: string): Buffer | undefined {
    return /^(?:[0-9A-F]{8}|[0-9A-F]{14}|[0-9A-F]{20})$/.test(id) ? Buffer.from(id, 'hex') : undefined;
}
