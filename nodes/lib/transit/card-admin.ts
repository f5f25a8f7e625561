// What staff do to a rider's card (the transit-cards node): look it up, block and unblock
// it, void or refund its pass, move the pass to a replacement card. Each change is one
// script (admin-scripts.ts) run through the transit store, atomic against gates and
// terminals; a refusal is a CardRefusedError naming why, for a Catch node.
import calculateSlot from 'cluster-key-slot';
import { toEvent } from './event-reader';
import { describeEvent, EventLevel, TransitEvent } from './events';
import { cardKeys } from './keys';
import { checkOperationId, DecisionScript, TransitStore } from './store';

export const CARD_COMMANDS = ['lookup', 'block', 'unblock', 'void', 'refund', 'transfer'] as const;
export type CardCommand = typeof CARD_COMMANDS[number];

export type CardRefusal = 'already-blocked' | 'not-blocked' | 'no-pass' | 'corrupt-pass' | 'same-card'
    | 'target-has-pass' | 'target-blocked' | 'cross-slot';

const REFUSALS: Record<CardRefusal, string> = {
    'already-blocked': 'is already blocked',
    'not-blocked': 'is not blocked',
    'no-pass': 'has no pass',
    'corrupt-pass': 'holds a record that is not a readable pass',
    'same-card': 'cannot take its own pass',
    'target-has-pass': 'already has a pass: a transfer never merges two passes',
    'target-blocked': 'is blocked: unblock it before moving a pass onto it',
    'cross-slot': 'is in another Redis Cluster hash slot than the old card, so the pass cannot move in one step',
};

/** Staff asked for something the card's state does not allow; nothing was changed. */
export class CardRefusedError extends Error {
    constructor(readonly code: CardRefusal, readonly card: string, about = card) {
        super(`card ${about} ${REFUSALS[code]}`);
        this.name = 'CardRefusedError';
    }
}

/** A pass as staff read it (see PASS_SUMMARY in admin-scripts.ts); times are Redis-clock ms. */
export interface PassSummary {
    passType?: string;
    label?: string;
    tripsRemaining?: number;
    rides?: number;
    validity?: number;
    starts?: string;
    issuedAt?: number;
    activatedAt?: number;
    expiresAt?: number;
    /** Seconds left before it expires. */
    remainingTime?: number;
    /** The card's key holds something that is not a pass. */
    corrupt?: boolean;
}

export interface DenyEntry {
    reason: string;
    operator: string;
    at: number;
}

export interface CardEvent {
    id: string;
    /** Redis-clock ms, from the stream id. */
    at: number;
    channel: string;
    event: unknown;
    source?: string;
    text: string;
    level: EventLevel;
}

export interface CardLookup {
    card: string;
    pass: PassSummary | null;
    blocked: DenyEntry | null;
    /** Redis-clock ms of the reading. */
    at: number;
    /** The card's latest events, newest first. */
    events: CardEvent[];
}

export interface CardChange {
    done: true;
    card: string;
    operator: string;
    at: number;
    reason?: string;
    /** The pass removed or moved, as it was. */
    pass?: PassSummary;
    /** unblock: the entry taken off the deny list. */
    was?: DenyEntry;
    /** transfer: the card the pass went to. */
    to?: string;
}

/** How many events a lookup shows, and how far back in the stream it looks for them. */
export const HISTORY_LENGTH = 20;
const HISTORY_PAGE = 500;
const HISTORY_SCAN_LIMIT = 20000;

const TEXT_LIMIT = 200;
// Printable text without control characters: it is shown on dashboards and in logs.
const PRINTABLE = /^[^\p{Cc}]+$/u;

/** A reason or an operator name: 1 to 200 printable characters, trimmed. */
export function checkText(value: unknown, what: string, limit = TEXT_LIMIT): string {
    const text = typeof value === 'string' ? value.trim() : '';
    if (!text || text.length > limit || !PRINTABLE.test(text)) throw new Error(`${what} must be text of 1 to ${limit} printable characters`);
    return text;
}

export class CardAdmin {
    constructor(private readonly store: TransitStore) {}

    async lookup(card: string): Promise<CardLookup> {
        const state = JSON.parse(await this.store.lookupRaw(card)) as { pass?: PassSummary; blocked?: DenyEntry; at: number };
        return { card, pass: state.pass ?? null, blocked: state.blocked ?? null, at: state.at, events: await this.history(card) };
    }

    async block(card: string, reason: string, operator: string, op: string): Promise<CardChange> {
        return this.change('transitBlock', card, operator, op, [checkText(reason, 'reason')]);
    }

    async unblock(card: string, operator: string, op: string): Promise<CardChange> {
        return this.change('transitUnblock', card, operator, op, []);
    }

    /** `refund` records the pass's rides and time left in its event, as what was refunded. */
    async remove(kind: 'void' | 'refund', card: string, reason: string, operator: string, op: string): Promise<CardChange> {
        return this.change('transitRemove', card, operator, op, [checkText(reason, 'reason'), kind]);
    }

    async transfer(card: string, to: string, operator: string, op: string): Promise<CardChange> {
        const target = cardKeys(this.store.keyPrefix, to);
        // A Redis Cluster runs a script only on keys of one slot: a pass moves in one atomic
        // step or not at all, so two cards in different slots are refused rather than moved
        // in two steps that a failure between them could leave half done.
        if (this.store.cluster && to !== card && calculateSlot(target.pass) !== calculateSlot(cardKeys(this.store.keyPrefix, card).pass)) {
            throw new CardRefusedError('cross-slot', card, to);
        }
        return this.change('transitTransfer', card, operator, op, [to], [target.pass, target.deny]);
    }

    private async change(script: DecisionScript, card: string, operator: string, op: string, extra: string[], more: string[] = []): Promise<CardChange> {
        checkOperationId(op, 'operation id');
        const keys = cardKeys(this.store.keyPrefix, card);
        const answer = await this.store.change<CardChange | { done: false; reason: CardRefusal; card: string }>(script,
            [keys.pass, keys.deny, keys.record(`admin:${op}`), ...more], card, checkText(operator, 'operator', 64), op, extra, (a) => a.done);
        if (!answer.done) {
            const target = answer.reason === 'target-has-pass' || answer.reason === 'target-blocked' ? extra[0] : card;
            throw new CardRefusedError(answer.reason, card, target);
        }
        return answer;
    }

    /**
     * The card's latest events, newest first: the stream read backwards a page at a time,
     * as far back as the stream's usual length, keeping the entries about this card (its
     * own, or a pass moved onto it).
     */
    private async history(card: string): Promise<CardEvent[]> {
        const found: CardEvent[] = [];
        let end = '+';
        for (let scanned = 0; scanned < HISTORY_SCAN_LIMIT && found.length < HISTORY_LENGTH;) {
            const page = await this.store.eventsBefore(end, HISTORY_PAGE);
            for (const [id, flat] of page) {
                const e = aboutCard(id, flat, card);
                if (e) found.push(e);
                if (found.length === HISTORY_LENGTH) break;
            }
            if (page.length < HISTORY_PAGE) break;
            scanned += page.length;
            end = `(${page[page.length - 1][0]}`;
        }
        return found;
    }
}

/** The stream entry as a card event when it is about this card, else undefined. */
function aboutCard(id: string, flat: string[], card: string): CardEvent | undefined {
    // A quick look at the event's text first: most entries are about other cards, and a
    // lookup may read the whole stream (10,000 entries by default).
    let raw: string | undefined;
    for (let i = 0; i + 1 < flat.length && raw === undefined; i += 2) if (flat[i] === 'event') raw = flat[i + 1];
    if (typeof raw !== 'string' || !raw.includes(card)) return undefined;
    const { channel, event, source } = toEvent(id, flat);
    const about = (event && typeof event === 'object' ? event : {}) as TransitEvent;
    if (about.cardSerialNumber !== card && about.to !== card) return undefined;
    const { text, level } = describeEvent(channel, about);
    return { id, at: Number(id.split('-')[0]), channel, event, source, text, level };
}

/**
 * The outcome in one sentence (msg.text), for a dashboard line or a log: "Card 04A1B2C3
 * blocked by alice: lost." A lookup says what the card holds.
 */
export function cardText(command: CardCommand, change: CardChange | undefined, lookup: CardLookup): string {
    const { card } = lookup;
    const by = change ? ` by ${change.operator}` : '';
    switch (command) {
        case 'block':
            return `Card ${change?.card ?? card} blocked${by}: ${change?.reason ?? ''}.`;
        case 'unblock':
            return `Card ${card} unblocked${by}: ${holding(lookup)}.`;
        case 'void':
        case 'refund':
            return `Card ${card}'s pass ${command === 'void' ? 'voided' : 'refunded'}${by}: ${change?.reason ?? ''}.`;
        case 'transfer':
            return `Card ${change?.card ?? ''}'s pass moved to card ${card}${by}.`;
        default:
            return `Card ${card}: ${lookup.blocked ? `blocked (${blockedWhy(lookup.blocked)}), ` : ''}${holding(lookup)}.`;
    }
}

/**
 * Why a card is blocked. A gate that replays a ride Redis refused (pass-overused) blocks the
 * card with reason `overused` in its own name: "overused offline at gate gate-1" says what
 * happened where, as "overused by gate-1" would not. Staff unblock it as any blocked card.
 */
export function blockedWhy(entry: DenyEntry): string {
    return entry.reason === 'overused' && entry.operator ? `overused offline at gate ${entry.operator}` : entry.reason;
}

function holding(lookup: CardLookup): string {
    return lookup.pass ? 'it has a pass' : 'it has no pass';
}

