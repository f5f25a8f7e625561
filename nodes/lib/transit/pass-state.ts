// A pass as a gate's local copy holds it (see replica.ts): the fields TAP_SCRIPT reads,
// parsed once when the copy reads the hash rather than on every tap, into the few numbers
// its rules need (offline-rules.ts). Parsing follows the script's Lua line by line, down to
// Lua's tonumber, so that a record the script calls corrupt is corrupt here too.

/** The key holds something that is not a pass the script can honour. */
export const CORRUPT = 1;
/** The original's single trip: deleted on its ride. */
export const SINGLE = 2;
/** Rides are counted (tripsRemaining). */
export const COUNTS = 4;
/** Valid for a time from the sale (`since` is expiresAt); else from the first use (`since` is activatedAt). */
export const FROM_SALE = 8;
/** The original's two-hour pass: its validity is the gate's two-hour setting, not a field. */
export const TWO_HOUR = 16;
/** tripsRemaining is text HINCRBY accepts (a plain 64-bit integer): see offline-rules.ts. */
export const TRIPS_INT = 32;

/**
 * One pass, immutable: a tap makes a new one. Times are Redis-clock ms. Numbers are held
 * as parsed, NaN included: the rules compare them as Lua would.
 */
export class PassState {
    constructor(
        /** CORRUPT, SINGLE, COUNTS, FROM_SALE, TWO_HOUR, TRIPS_INT. */
        readonly flags: number,
        readonly passType: string | undefined,
        readonly label: string | undefined,
        /** tonumber(tripsRemaining); undefined when absent or not a number. */
        readonly trips: number | undefined,
        /** A catalogue pass's validity (0: none). The original two-hour pass says TWO_HOUR instead. */
        readonly validityMs: number,
        /** FROM_SALE: expiresAt; else activatedAt; undefined when absent (not activated yet). */
        readonly since: number | undefined,
        /** When Redis removes the key (its TTL), or Infinity. */
        readonly expireAt: number,
    ) {}

    with(change: { trips?: number; since?: number; expireAt?: number }): PassState {
        return new PassState(this.flags, this.passType, this.label, change.trips ?? this.trips, this.validityMs,
            change.since ?? this.since, change.expireAt ?? this.expireAt);
    }
}

/** A value at the pass key that is not a hash: TAP_SCRIPT denies it as corrupt. */
export function corruptState(expireAt: number): PassState {
    return new PassState(CORRUPT, undefined, undefined, undefined, 0, undefined, expireAt);
}

const SPACE = /^[ \t\n\v\f\r]*/;
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/;
const HEX = /^([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?(?:[pP]([+-]?\d+))?/;
const SPECIAL = /^([+-]?)(inf(?:inity)?|nan(?:\([0-9A-Za-z_]*\))?)/i;

/**
 * Lua 5.1's tonumber on text, as Redis's Lua runs it: C's strtod (decimal, hex, inf,
 * nan, leading blanks), then only blanks may follow. undefined where Lua gives nil.
 */
export function luaNumber(text: string | undefined): number | undefined {
    if (text === undefined) return undefined;
    const lead = SPACE.exec(text)?.[0].length ?? 0;
    const rest = text.slice(lead);
    let value: number;
    let used: number;
    const hex = HEX.exec(rest);
    const decimal = DECIMAL.exec(rest);
    const special = SPECIAL.exec(rest);
    if (hex && (hex[2] || hex[3])) {
        const digits = hex[2] + (hex[3] ?? '');
        value = parseInt(digits, 16) * 2 ** (Number(hex[4] ?? 0) - 4 * (hex[3] ?? '').length);
        if (hex[1] === '-') value = -value;
        used = hex[0].length;
    } else if (decimal) {
        value = Number(decimal[0]);
        used = decimal[0].length;
    } else if (special) {
        value = special[2][0].toLowerCase() === 'i' ? Infinity : NaN;
        if (special[1] === '-') value = -value;
        used = special[0].length;
    } else {
        return undefined;
    }
    return SPACE.exec(rest.slice(used))?.[0].length === rest.length - used ? value : undefined;
}

const INT64_MAX = 2n ** 63n - 1n;

/** Text Redis's HINCRBY takes as an integer (string2ll): no sign but '-', no blanks, no leading zeros. */
export function isRedisInteger(text: string | undefined): boolean {
    if (text === undefined || !/^(?:0|-?[1-9]\d{0,18})$/.test(text)) return false;
    const n = BigInt(text);
    return n <= INT64_MAX && n >= -INT64_MAX - 1n;
}

/**
 * Passes share their product names and labels: one string each in memory, not one per
 * pass. Bounded, so that a keyspace of odd labels cannot grow it without end.
 */
export class Interner {
    private readonly strings = new Map<string, string>();

    constructor(private readonly limit = 10000) {}

    intern(text: string | undefined): string | undefined {
        if (text === undefined) return undefined;
        const known = this.strings.get(text);
        if (known !== undefined) return known;
        if (this.strings.size < this.limit) this.strings.set(text, text);
        return text;
    }
}

/**
 * A pass hash (HGETALL) as TAP_SCRIPT reads it: which rules apply, and the numbers they
 * use. `expireAt`: when Redis removes the key, or Infinity.
 */
export function parsePass(f: Record<string, string>, expireAt: number, strings: Interner): PassState {
    const passType = strings.intern(f.passType);
    const label = strings.intern(f.label);
    let flags = 0;
    let ok = true;
    let validityMs = 0;
    let starts = 'sale';
    if (f.rides !== undefined || f.validity !== undefined) {
        const rides = luaNumber(f.rides);
        const validity = luaNumber(f.validity);
        ok = rides !== undefined && validity !== undefined && rides >= 0 && validity >= 0 && (rides > 0 || validity > 0)
            && (f.starts === 'sale' || f.starts === 'first-use');
        if (ok) {
            if (rides! > 0) flags |= COUNTS;
            validityMs = validity! * 1000;
            starts = f.starts;
        }
    } else if (passType === 'SINGLE_USE') {
        flags |= SINGLE;
    } else if (passType === 'TEN_TRIP') {
        flags |= COUNTS;
    } else if (passType === 'TWO_HOUR') {
        flags |= TWO_HOUR;
        starts = 'first-use';
    } else {
        ok = false;
    }
    const trips = luaNumber(f.tripsRemaining);
    if (flags & COUNTS && (trips === undefined || trips < 1 || trips !== Math.floor(trips))) ok = false;
    const expiresAt = luaNumber(f.expiresAt);
    if (validityMs > 0 && starts === 'sale' && expiresAt === undefined) ok = false;
    if (!ok || passType === undefined) return corruptState(expireAt);
    if (starts === 'sale') flags |= FROM_SALE;
    if (isRedisInteger(f.tripsRemaining)) flags |= TRIPS_INT;
    return new PassState(flags, passType, label, trips, validityMs, starts === 'sale' ? expiresAt : luaNumber(f.activatedAt), expireAt);
}
