// The three passes of the original system, with the names it stored in Redis.
export const PASS_TYPES = ['SINGLE_USE', 'TEN_TRIP', 'TWO_HOUR'] as const;
export type PassType = (typeof PASS_TYPES)[number];

export const TEN_TRIP_RIDES = 10;
export const TWO_HOUR_MS = 2 * 60 * 60 * 1000;

/** Words as the original monitor printed them ("a ten trip pass"). */
export const PASS_WORDS: Record<PassType, string> = {
    SINGLE_USE: 'single trip',
    TEN_TRIP: 'ten trip',
    TWO_HOUR: 'two hour',
};

/** Prompt id suffixes of the original audio files ("thank-you-ten-trip-pass"). */
export const PASS_SLUG: Record<PassType, string> = {
    SINGLE_USE: 'single-trip',
    TEN_TRIP: 'ten-trip',
    TWO_HOUR: 'two-hour',
};

// A Map, not an object literal: "constructor" or "__proto__" must not look like a pass type.
const ALIASES = new Map<string, PassType>(Object.entries({
    single_use: 'SINGLE_USE', single: 'SINGLE_USE', 'single-trip': 'SINGLE_USE', 'one-trip': 'SINGLE_USE',
    ten_trip: 'TEN_TRIP', ten: 'TEN_TRIP', 'ten-trip': 'TEN_TRIP',
    two_hour: 'TWO_HOUR', 'two-hour': 'TWO_HOUR', '2h': 'TWO_HOUR',
} as Record<string, PassType>));

export class UnknownPassTypeError extends Error {
    constructor(value: unknown) {
        const shown = typeof value === 'string' ? JSON.stringify(value.slice(0, 40)) : typeof value;
        super(`unknown pass type ${shown}: use ${PASS_TYPES.join(', ')}`);
        this.name = 'UnknownPassTypeError';
    }
}

export function parsePassType(value: unknown): PassType {
    if (typeof value === 'string') {
        const found = ALIASES.get(value.trim().toLowerCase());
        if (found) return found;
    }
    throw new UnknownPassTypeError(value);
}
