// The sentences a gate and a sales terminal say about their decisions (msg.text), for a
// dashboard line or a log: the words live here, not in function nodes of each flow.
import { passWords } from './events';
import { TEN_TRIP_RIDES } from './pass-types';

/** A gate's decision as its outputs carry it in msg.payload (see transit-gate). */
export interface GateDecisionPayload {
    card: string | null;
    passType?: string;
    label?: string;
    remainingTrips?: number;
    remainingTime?: number;
    reason?: string;
    /** Decided by the gate alone while Redis was away. */
    offline?: boolean;
}

/** A sales terminal's answer as its sold and refused outputs carry it in msg.payload. */
export interface SaleAnswerPayload {
    card: string | null;
    passType?: string;
    label?: string;
    tripsRemaining?: number;
    reason?: string;
}

const DENIALS: Record<string, string> = {
    'no-pass': 'no valid pass',
    'repeat-tap': 'tapped again within a few seconds',
    // Any pass with a time limit: the original's two hour pass or a catalogue's day pass.
    expired: 'the pass has expired',
    'invalid-card': 'the card id is not valid',
    unavailable: 'Redis is unavailable',
    'corrupt-pass': 'the pass record is unreadable',
    blocked: 'the card is blocked',
};

const REFUSALS: Record<string, string> = {
    'card-already-has-pass': 'this card already has a pass',
    blocked: 'the card is blocked',
    mismatch: 'a different card was presented to confirm',
    timeout: 'nobody confirmed in time',
    cancelled: 'the sale was cancelled',
    unavailable: 'Redis is unavailable',
    'invalid-card': 'the card id is not valid',
};

const reasonWords = (words: Record<string, string>, reason: string | undefined) =>
    (reason !== undefined && Object.hasOwn(words, reason) ? words[reason] : reason) ?? 'no reason given';

/** A pass's words; a type the words do not know is named by its id, not "unknown". */
function nameOf(pass: { passType?: string; label?: string }): string {
    const words = passWords(pass);
    return words === 'unknown' && !pass.label && pass.passType ? pass.passType : words;
}

/** "95 minutes", "23 hours", "3 days": rounded to the unit a rider reads at a gate. */
export function durationWords(seconds: number): string {
    const minutes = Math.round(seconds / 60);
    const [n, unit] = minutes < 180 ? [minutes, 'minute'] : minutes < 48 * 60 ? [Math.round(minutes / 60), 'hour'] : [Math.round(minutes / 1440), 'day'];
    return `${n} ${unit}${n === 1 ? '' : 's'}`;
}

/** "Granted: card 04A1B2C3, ten trip pass, 9 of 10 trips left." or "Denied: card 04D5E6F7, no valid pass." */
export function gateDecisionText(granted: boolean, p: GateDecisionPayload): string {
    const offline = p.offline ? ' (decided offline)' : '';
    if (!granted) return `Denied: card ${p.card ?? '?'}, ${reasonWords(DENIALS, p.reason)}${offline}.`;
    // The open policy lets everyone in without reading a pass.
    if (p.offline && p.passType === undefined) return `Granted: card ${p.card}, the gate is open while Redis is away.`;
    // Built as one string, not an array joined: this runs for every grant.
    let left = '';
    if (typeof p.remainingTrips === 'number') {
        // The original's ten trip pass counts out of its ten, as its monitor printed it; a
        // catalogue product (it has a label) says what is left.
        const of = !p.label && p.passType === 'TEN_TRIP' ? ` of ${TEN_TRIP_RIDES}` : '';
        left = `${p.remainingTrips}${of} trip${p.remainingTrips === 1 && !of ? '' : 's'}`;
    }
    if (typeof p.remainingTime === 'number') left = left ? `${left} and ${durationWords(p.remainingTime)}` : durationWords(p.remainingTime);
    return `Granted: card ${p.card}, ${nameOf(p)} pass${left ? `, ${left} left` : ''}${offline}.`;
}

/** "Sold a ten trip pass (10 trips) to card 04A1B2C3." or "No sale for card 04A1B2C3: nobody confirmed in time." */
export function saleText(sold: boolean, p: SaleAnswerPayload): string {
    if (!sold) return `No sale for card ${p.card ?? '?'}: ${reasonWords(REFUSALS, p.reason)}.`;
    const trips = typeof p.tripsRemaining === 'number' ? ` (${p.tripsRemaining} trip${p.tripsRemaining === 1 ? '' : 's'})` : '';
    return `Sold a ${nameOf(p)} pass${trips} to card ${p.card}.`;
}
