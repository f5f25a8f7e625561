// TAP_SCRIPT's rules (scripts.ts) as a pure function over a gate's local copy of a pass, so
// that a gate deciding while Redis is away answers as Redis would have. Kept in step with
// the script by a cross-check against the real script (test/lib/transit/offline-rules.test.ts).
// Repeat taps are the gate's own business (it remembers its recent taps); so is the journal.
import type { OfflineDecision } from './offline';
import { COUNTS, CORRUPT, FROM_SALE, PassState, SINGLE, TRIPS_INT, TWO_HOUR } from './pass-state';

/**
 * A decision and what it did to the pass: `next` is the pass after the tap, null when the
 * tap deleted it (or found it gone), undefined when the pass is unchanged.
 */
export interface RuledTap {
    decision: OfflineDecision;
    next?: PassState | null;
}

function deny(reason: OfflineDecision['reason'], next?: PassState | null): RuledTap {
    return { decision: { granted: false, reason }, next };
}

/**
 * Decides a tap at `now` (Redis-clock ms) on `pass` (undefined: no key) for a card that is,
 * or is not, on the deny list. `twoHourMs`: the validity of the original's two-hour pass.
 *
 * Where the script itself fails rather than decides (a trip count HINCRBY cannot decrement,
 * such as "5.0"; a time it cannot encode, such as "nan"), the copy denies the tap as a
 * corrupt pass: there is no decision of Redis's to copy, and such a record needs staff.
 */
export function decide(pass: PassState | undefined, blocked: boolean, now: number, twoHourMs: number): RuledTap {
    // A blocked card is refused before its pass is read, and its pass stays as it is.
    if (blocked) return deny('blocked');
    // Redis removes a key once its expiry is past (now > expiry), and the script then finds none.
    if (pass && now > pass.expireAt) return deny('no-pass', null);
    if (!pass) return deny('no-pass');
    if (pass.flags & CORRUPT) return deny('corrupt-pass');

    const validityMs = pass.flags & TWO_HOUR ? twoHourMs : pass.validityMs;
    let state = pass;
    let remainingMs: number | undefined;
    let activated = false;
    if (validityMs > 0) {
        if (pass.flags & FROM_SALE) {
            remainingMs = pass.since! - now;
        } else if (pass.since !== undefined) {
            remainingMs = pass.since + validityMs - now;
        } else {
            const pttl = pass.expireAt === Infinity ? -1 : pass.expireAt - now;
            if (pttl > 0) {
                // Activated by the original gate, which only set a TTL.
                remainingMs = pttl;
            } else {
                activated = true;
                remainingMs = validityMs;
                state = pass.with({ since: now, expireAt: now + validityMs });
            }
        }
    }
    if (remainingMs !== undefined && remainingMs <= 0) return deny('expired', null);

    let left: number | undefined;
    let next: PassState | null = state;
    if (pass.flags & SINGLE) {
        next = null;
    } else if (pass.flags & COUNTS) {
        const trips = pass.trips!;
        left = 0;
        if (trips <= 1) {
            next = null;
        } else if (!(pass.flags & TRIPS_INT)) {
            return deny('corrupt-pass'); // HINCRBY refuses the text: the script fails
        } else {
            left = trips - 1;
            next = state.with({ trips: left });
        }
    }
    const seconds = remainingMs === undefined ? undefined : Math.ceil(remainingMs / 1000);
    if (seconds !== undefined && !Number.isFinite(seconds)) return deny('corrupt-pass'); // cjson refuses it: the script fails

    const decision: OfflineDecision = { granted: true, passType: pass.passType };
    if (pass.label !== undefined) decision.label = pass.label;
    if (left !== undefined) decision.remainingTrips = left;
    if (seconds !== undefined) {
        decision.remainingTime = seconds;
        decision.activated = activated;
    }
    return { decision, next: next === pass ? undefined : next };
}
