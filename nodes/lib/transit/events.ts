// What the original system monitor printed for each event, and how loud it is.
import { PASS_TYPES, PASS_WORDS, PassType } from './pass-types';

export type EventLevel = 'info' | 'warn' | 'alert';

export interface TransitEvent {
    cardSerialNumber?: string;
    /** label: a catalogue product's (see products.ts); the original three have none. */
    pass?: { passType?: string; tripsRemaining?: number | string; label?: string; remainingTime?: number };
    remainingTrips?: number;
    remainingTime?: number;
    reason?: string;
    gate?: string;
    terminal?: string;
    /** Card administration (admin-scripts.ts): who did it, and a transfer's new card. */
    operator?: string;
    to?: string;
    /** A decision a gate took while Redis was away, replayed into Redis when it returned. */
    offline?: boolean;
}

export interface Described {
    text: string;
    level: EventLevel;
}

const DENIALS: Record<string, string> = {
    'repeat-tap': 'Card %s was tapped again at the same gate; nothing was charged.',
    // Only a pass with a time limit expires; the original had one, the two hour pass.
    expired: 'Card %s tried to start a journey with an expired two hour pass!',
    'corrupt-pass': 'Card %s has a pass record this gate cannot read!',
    blocked: 'Card %s is blocked and was refused at the gate!',
};

/** What people call a pass ("ten trip", "day"): its label, else the original's words for its type. */
export function passWords(pass: TransitEvent['pass']): string {
    if (typeof pass?.label === 'string' && pass.label) return pass.label;
    const type = pass?.passType;
    return PASS_TYPES.includes(type as PassType) ? PASS_WORDS[type as PassType] : 'unknown';
}

const staff = (event: TransitEvent) => String(event.operator ?? 'staff');
const because = (event: TransitEvent) => (event.reason === undefined ? '' : `: ${String(event.reason)}`);

/** " with 4 trips left", " with 120 minutes left": what a refunded pass still held. */
function leftOn(pass: TransitEvent['pass']): string {
    const left = [];
    if (typeof pass?.tripsRemaining === 'number') left.push(`${pass.tripsRemaining} trip${pass.tripsRemaining === 1 ? '' : 's'}`);
    if (typeof pass?.remainingTime === 'number') left.push(`${Math.ceil(pass.remainingTime / 60)} minutes`);
    return left.length ? ` with ${left.join(' and ')} left` : '';
}

/** " at gate G", or nothing when the event names no gate. */
const atGate = (event: TransitEvent) => (event.gate === undefined ? '' : ` at gate ${String(event.gate)}`);
const why = (event: TransitEvent) => String(event.reason ?? 'no-pass');

/**
 * The sentence, and for a decision a gate took offline (replayed when Redis returned) the
 * same sentence saying so after its first clause: it arrives late, and the gate decided it
 * from its own copy of the passes, not from Redis.
 */
export function describeEvent(channel: string, event: TransitEvent): Described {
    const described = describeOnline(channel, event);
    const kind = channel.split(':')[0];
    if (event.offline !== true || kind === 'pass-overused' || kind === 'pass-unpaid') return described;
    const note = ` (decided offline${atGate(event)})`;
    const end = /[.!](\s|$)/.exec(described.text);
    const text = end ? described.text.slice(0, end.index) + note + described.text.slice(end.index) : described.text + note;
    return { ...described, text };
}

function describeOnline(channel: string, event: TransitEvent): Described {
    const card = String(event.cardSerialNumber ?? 'unknown');
    const [kind] = channel.split(':');
    switch (kind) {
        case 'pass-issued':
            return { text: `Card ${card} was issued a ${passWords(event.pass)} pass.`, level: 'info' };
        case 'pass-activated':
            return { text: `Card ${card} ${event.pass?.label ? passWords(event.pass) : 'two hour'} pass activated.`, level: 'info' };
        case 'pass-used': {
            // The original printed a second line for ten trip passes; one message says both.
            // A catalogue product says how many trips it has left, without "of 10".
            const counted = event.pass?.label ? '' : event.pass?.passType === 'TEN_TRIP' ? ' of 10' : undefined;
            if (counted !== undefined && typeof event.remainingTrips === 'number') {
                return {
                    text: `Card ${card} started a journey. Card ${card} has ${event.remainingTrips}${counted} trips remaining.`,
                    level: event.remainingTrips === 0 ? 'warn' : 'info',
                };
            }
            return { text: `Card ${card} started a journey.`, level: 'info' };
        }
        case 'pass-denied': {
            const special = typeof event.reason === 'string' && Object.hasOwn(DENIALS, event.reason) ? DENIALS[event.reason] : undefined;
            if (event.reason === 'expired' && event.pass?.label) {
                return { text: `Card ${card} tried to start a journey with an expired ${passWords(event.pass)} pass!`, level: 'alert' };
            }
            if (special) return { text: special.replace('%s', card), level: event.reason === 'repeat-tap' ? 'warn' : 'alert' };
            return { text: `Card ${card} tried to start a journey without a valid pass!`, level: 'alert' };
        }
        // Replayed offline decisions Redis did not charge (see offline.ts): a ride the gate's
        // copy allowed but Redis refused (the card is now blocked), and a rider an `open`
        // gate let through without a valid pass (nothing to block: the gate chose to open).
        case 'pass-overused':
            return {
                text: `Card ${card} rode${atGate(event)} while Redis was away, but its pass did not allow it (${why(event)}); `
                    + 'the card is blocked until staff clear it.',
                level: 'alert',
            };
        case 'pass-unpaid':
            return { text: `Card ${card} was let through${atGate(event)} while Redis was away without a valid pass (${why(event)}).`, level: 'warn' };
        case 'card-blocked':
            return { text: `Card ${card} was blocked by ${staff(event)}${because(event)}.`, level: 'warn' };
        case 'card-unblocked':
            return { text: `Card ${card} was unblocked by ${staff(event)}.`, level: 'info' };
        case 'pass-voided':
            return { text: `Card ${card}'s ${passWords(event.pass)} pass was voided by ${staff(event)}${because(event)}.`, level: 'warn' };
        case 'pass-refunded':
            return { text: `Card ${card}'s ${passWords(event.pass)} pass was refunded by ${staff(event)}${leftOn(event.pass)}${because(event)}.`, level: 'warn' };
        case 'pass-transferred':
            return { text: `Card ${card}'s ${passWords(event.pass)} pass was moved to card ${String(event.to ?? 'unknown')} by ${staff(event)}.`, level: 'info' };
        default:
            return { text: `Event on ${channel} for card ${card}.`, level: 'info' };
    }
}

/**
 * The event in a message on an original channel when an original device (the Python
 * gate or sales terminal) sent it, else undefined. Those only PUBLISH, so pub/sub is the
 * one place they can be seen. Every event our scripts publish names its gate or terminal
 * and has a stream entry, from which a monitor reads it: it is not shown from pub/sub too.
 * Text that is not JSON is shown as it is (no gate of ours sends it either).
 */
export function originalDeviceEvent(message: string): unknown {
    let event: unknown;
    try {
        event = JSON.parse(message);
    } catch {
        return message;
    }
    if (event && typeof event === 'object' && !Array.isArray(event) && ('gate' in event || 'terminal' in event)) return undefined;
    return event;
}
