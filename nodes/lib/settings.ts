// Editor fields arrive as strings or numbers; numberSetting turns them into checked values
// with a message that names the field, so a node can refuse a bad setting at deploy. It is
// the one parser of numeric settings: a value that is not a number is refused, never read
// as 0 or as the default ("abc" must not mean "no timeout").

export interface NumberRule {
    /** What an empty field (or undefined) means; without one, empty stays undefined. */
    fallback?: number;
    min?: number;
    max?: number;
    /** Whole numbers only. */
    integer?: boolean;
}

export function numberSetting(value: unknown, what: string, rule: NumberRule & { fallback: number }): number;
export function numberSetting(value: unknown, what: string, rule: NumberRule): number | undefined;
export function numberSetting(value: unknown, what: string, rule: NumberRule): number | undefined {
    if (value === '' || value === undefined || value === null) return rule.fallback;
    const number = typeof value === 'number' || (typeof value === 'string' && value.trim() !== '') ? Number(value) : NaN;
    const { min = -Infinity, max = Infinity } = rule;
    if (!Number.isFinite(number) || (rule.integer && !Number.isInteger(number)) || number < min || number > max) {
        throw new Error(`invalid ${what}: ${String(value).slice(0, 40)}`);
    }
    return number;
}

/** A whole-number setting within [min, max]; empty means the fallback. */
export function integerSetting(value: string | number | undefined, fallback: number, min: number, max: number, what: string): number {
    return numberSetting(value, what, { fallback, min, max, integer: true });
}

/** Node's timers hold at most 2^31-1 ms and turn anything longer into 1 ms. */
export const MAX_TIMER_MS = 2 ** 31 - 1;
