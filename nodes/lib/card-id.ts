// Card ids as keys: one canonical spelling per card, and nothing that could address a
// key outside the transit prefix (no braces, colons, globs or whitespace survive).
//
// One reading per spelling: text is always the card's UID in hex, even when it is made of
// digits only ("04111111" is the UID 04 11 11 11). The original system's numbers (what its
// SimpleMFRC522 code reported) are never text here: a number value is one of them, and is
// turned back into the UID it was made from.
import { uidOfOriginalNumber } from './mfrc522/card-id';

/** Separators people and other readers put between UID bytes ("04:A1:B2:C3"). */
const SEPARATORS = /[:\-\s]/g;
const CARD_ID = /^[0-9A-F]{4,32}$/;

export class InvalidCardError extends Error {
    readonly reason = 'invalid-card';
    constructor(value: unknown) {
        super(`invalid card id: ${describe(value)}`);
        this.name = 'InvalidCardError';
    }
}

function describe(value: unknown): string {
    if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
    if (Buffer.isBuffer(value)) return `a Buffer of ${value.length} bytes`;
    if (typeof value === 'number' || typeof value === 'bigint') {
        return `${String(value).slice(0, 30)} (a number is read as the original's card number: 4 UID bytes and their check byte)`;
    }
    return value === null ? 'null' : typeof value;
}

/**
 * The card's UID in uppercase hex with separators removed, from hex text or from one of
 * the original's numbers (a number or bigint). Throws InvalidCardError for anything else.
 */
export function normaliseCardId(value: unknown): string {
    let text: string;
    if (typeof value === 'number' || typeof value === 'bigint') {
        const uid = Number.isSafeInteger(value) || typeof value === 'bigint' ? uidOfOriginalNumber(BigInt(value)) : undefined;
        if (!uid) throw new InvalidCardError(value);
        text = uid.toString('hex').toUpperCase();
    } else if (typeof value === 'string' && value.length <= 64) {
        text = value.replace(SEPARATORS, '');
        // Checked before upper-casing: toUpperCase() turns the ligature "\uFB00" into "FF".
        if (!/^[0-9A-Fa-f]*$/.test(text)) throw new InvalidCardError(value);
        text = text.toUpperCase();
    } else {
        throw new InvalidCardError(value);
    }
    if (!CARD_ID.test(text)) throw new InvalidCardError(value);
    return text;
}
