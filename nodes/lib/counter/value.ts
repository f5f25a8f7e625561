// What a counter key may hold: nothing (0, as the original treated a missing key) or
// a decimal integer that INCRBY could have produced.

export class NotACounterError extends Error {
    constructor(readonly key: string, value: string) {
        super(`key "${key}" does not hold an integer: ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`);
        this.name = 'NotACounterError';
    }
}

const INTEGER = /^-?\d{1,19}$/;

/** Parses a GET reply. Numbers beyond 2^53 are refused rather than shown rounded. */
export function counterValue(key: string, raw: string | null): number {
    if (raw === null) return 0;
    if (!INTEGER.test(raw)) throw new NotACounterError(key, raw);
    const n = Number(raw);
    if (!Number.isSafeInteger(n)) throw new NotACounterError(key, raw);
    return n;
}

/** A step or a value given in a message: a safe integer, as a number or a numeric string. */
export function integerInput(value: unknown, what: string): number {
    const n = typeof value === 'string' && /^\s*-?\d+\s*$/.test(value) ? Number(value) : value;
    if (typeof n !== 'number' || !Number.isSafeInteger(n)) {
        throw new Error(`${what} must be an integer, not ${typeof value === 'string' ? JSON.stringify(value.slice(0, 40)) : typeof value}`);
    }
    return n;
}
