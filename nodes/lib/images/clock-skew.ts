// Words for how far a camera's clock is from Redis's, for the image store's log and status
// ("camera clock is 10 days behind Redis"). Only skews beyond CLOCK_SKEW_LIMIT_MS (minutes)
// are ever described, so the unit is always plural.

export interface SkewDescription {
    direction: 'behind' | 'ahead';
    count: number;
    unit: 'minutes' | 'hours' | 'days';
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** skewMs: capture time minus Redis's time (negative: the camera's clock is behind). */
export function describeSkew(skewMs: number): SkewDescription {
    const direction = skewMs < 0 ? 'behind' : 'ahead';
    const ms = Math.abs(skewMs);
    if (ms >= 2 * DAY) return { direction, count: Math.round(ms / DAY), unit: 'days' };
    if (ms >= 2 * HOUR) return { direction, count: Math.round(ms / HOUR), unit: 'hours' };
    return { direction, count: Math.max(1, Math.round(ms / MINUTE)), unit: 'minutes' };
}
