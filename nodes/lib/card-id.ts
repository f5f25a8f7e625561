// Card ids as keys: one canonical spelling per card, and nothing that could address a
// key outside the transit prefix (no braces, colons, globs or whitespace survive).

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
    return value === null ? 'null' : typeof value;
}

/**
 * Uppercase hex (or decimal digits, the original SimpleMFRC522 numbers) with separators
 * removed. Throws InvalidCardError for anything else.
 */
export function normaliseCardId(value: unknown): string {
    let text: string;
    if (typeof value === 'number') {
        if (!Number.isSafeInteger(value) || value < 0) throw new InvalidCardError(value);
        text = String(value);
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
