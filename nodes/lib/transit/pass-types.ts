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
