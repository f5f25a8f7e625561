// Compares what gates decided while Redis was away (their reported decisions and their
// journal files) with what Redis holds once every journal has been replayed: each card's
// pass, its deny entry, the tap records and the stream. Returns every disagreement
// rather than stopping at the first, so one run shows the whole picture.
import type Redis from 'ioredis';
import type { StreamEvent } from '../../nodes/lib/transit/event-reader';
import type { Product } from '../../nodes/lib/transit/products';
import { denyOf, JournalLine, passOf, ridesOf, Said, startsOnFirstUse, tapRecord } from './offline-rig';

export interface PlannedCard {
    card: string;
    kind: 'pass' | 'blocked' | 'none';
    product?: Product;
    /** Rides the pass held when the taps began (counted passes only). */
    rides?: number;
    /** The deny entry's reason for a blocked card. */
    blockedFor?: string;
}

export interface Checked {
    violations: string[];
    stats: { overuses: number; refusedRecords: number; offlineDenialsOnStream: number; firstUseChecked: number; decidedLiveAtTheCut: number };
}

type Event = { cardSerialNumber?: string; offline?: boolean; reason?: string; gate?: string };
const eventOf = (e: StreamEvent): Event => (e.event && typeof e.event === 'object' ? e.event : {}) as Event;
/** The decision's own entry: a first ride also writes a pass-activated entry under the same op. */
export const decisionEntries = (stream: StreamEvent[]): StreamEvent[] => stream.filter((e) => !e.channel.startsWith('pass-activated:'));

/**
 * A tap Redis refused live whose answer was lost, and which the gate then let in offline:
 * the live denial stays on the stream, and the replay adds the overuse (TAP_SCRIPT's refused_live).
 */
const refusedLive = (entries: StreamEvent[]): boolean => entries.length === 2
    && entries[0].channel === 'pass-denied' && eventOf(entries[0]).offline !== true && entries[1].channel === 'pass-overused';

export async function checkOffline(redis: Redis, cards: PlannedCard[], said: Said[], journal: Map<string, JournalLine>, stream: StreamEvent[]): Promise<Checked> {
    const violations: string[] = [];
    const stats = { overuses: 0, refusedRecords: 0, offlineDenialsOnStream: 0, firstUseChecked: 0, decidedLiveAtTheCut: 0 };
    const byOp = new Map<string, StreamEvent[]>();
    for (const e of decisionEntries(stream)) byOp.set(e.op ?? '', [...(byOp.get(e.op ?? '') ?? []), e]);
    for (const [op, entries] of byOp) {
        if (entries.length > 1 && !refusedLive(entries)) violations.push(`op ${op} is on the stream ${entries.length} times: ${entries.map((e) => e.channel)}`);
    }
    const overusedOf = (card: string) => stream.filter((e) => e.channel === 'pass-overused' && eventOf(e).cardSerialNumber === card);

    for (const planned of cards) {
        const { card } = planned;
        const ds = said.filter((d) => d.card === card);
        const bad = (what: string) => violations.push(`${card} (${planned.product?.id ?? planned.kind}): ${what}`);
        const onlineGrants = ds.filter((d) => d.granted && !d.offline).length;
        const offlineGrants = ds.filter((d) => d.granted && d.offline);
        let refused = 0;
        for (const d of ds) {
            const record = await tapRecord(redis, card, d.tapId);
            const entries = byOp.get(d.tapId) ?? [];
            if (d.offline) {
                if (!journal.has(d.tapId)) bad(`offline tap ${d.tapId} is not in its gate's journal`);
                // A tap Redis decided before the gate gave up on it (its answer lost at the cut) keeps
                // that live decision, event and all: the replay gets it back and adds nothing.
                const live = record !== null && (record as { offline?: boolean }).offline !== true;
                const refusedThenLetIn = d.granted && (record as { overused?: boolean } | null)?.overused === true && refusedLive(entries);
                if (live || refusedThenLetIn) stats.decidedLiveAtTheCut++;
                if (refusedThenLetIn) {
                    // Its two entries, as refusedLive says: the live denial and the overuse.
                    refused++;
                } else {
                    if (entries.some((e) => (eventOf(e).offline === true) === live)) bad(`tap ${d.tapId}'s event says offline ${!live}, its record ${JSON.stringify(record)}`);
                    if (entries.length !== 1) bad(`offline ${d.granted ? 'grant' : 'denial'} ${d.tapId} is on the stream ${entries.length} times`);
                    if (d.granted) {
                        if (!record) bad(`offline grant ${d.tapId} has no tap record after the replay`);
                        else if (!record.granted) refused++;
                    } else {
                        // Replayed as what it was: recorded and reported, not charged.
                        if (!record || record.granted) bad(`offline denial ${d.tapId} (${String(d.payload.reason)}) has record ${JSON.stringify(record)}`);
                        stats.offlineDenialsOnStream += entries.length;
                    }
                }
            } else if (d.granted || d.payload.reason !== 'unavailable') {
                if (record?.granted !== d.granted) bad(`online decision ${d.tapId} (${d.granted}) has record ${JSON.stringify(record)}`);
                if (d.granted && entries.length !== 1) bad(`online grant ${d.tapId} is on the stream ${entries.length} times`);
                if (entries.some((e) => eventOf(e).offline === true)) bad(`online tap ${d.tapId} is marked offline on the stream`);
            } else if (record) {
                bad(`tap ${d.tapId} answered unavailable left record ${JSON.stringify(record)}`);
            }
        }
        stats.refusedRecords += refused;

        const pass = await passOf(redis, card);
        const deny = await denyOf(redis, card);
        const overused = overusedOf(card);
        const product = planned.product;
        let expectedOver = 0;
        if (planned.kind === 'none') {
            if (pass || deny) bad(`a card with no pass has ${JSON.stringify({ pass, deny })}`);
            if (ds.some((d) => d.granted)) bad('a card with no pass was let through');
        } else if (planned.kind === 'blocked') {
            if (deny?.reason !== planned.blockedFor) bad(`deny entry ${JSON.stringify(deny)}, not ${planned.blockedFor}`);
            if (ds.some((d) => d.granted)) bad('a blocked card was let through');
        } else if (product && ridesOf(product) !== undefined) {
            const available = (planned.rides as number) - onlineGrants;
            const charged = Math.min(available, offlineGrants.length);
            expectedOver = offlineGrants.length - charged;
            const left = available - charged;
            if (left === 0 && pass) bad(`no rides left, but the pass is still there: ${JSON.stringify(pass)}`);
            if (left > 0 && pass?.tripsRemaining !== String(left)) bad(`${left} rides left expected, Redis holds ${JSON.stringify(pass)}`);
            if (refused !== expectedOver) bad(`${refused} offline grants refused on replay, ${expectedOver} expected`);
        } else if (product) {
            if (!pass) bad('a time pass vanished');
            if (startsOnFirstUse(product) && onlineGrants === 0 && offlineGrants.length > 0) {
                const first = Math.min(...offlineGrants.map((d) => journal.get(d.tapId)?.at ?? Infinity));
                if (pass?.activatedAt !== String(first)) bad(`activatedAt ${pass?.activatedAt}, not the first offline tap's time ${first}`);
                stats.firstUseChecked++;
            }
            if (refused) bad(`${refused} rides of a time pass refused on replay`);
        }
        stats.overuses += expectedOver;
        if (planned.kind === 'pass') {
            if (overused.length !== expectedOver) bad(`${overused.length} pass-overused events, ${expectedOver} expected`);
            if (expectedOver > 0 && deny?.reason !== 'overused') bad(`deny entry ${JSON.stringify(deny)} after ${expectedOver} overuses`);
            if (expectedOver === 0 && deny) bad(`deny entry ${JSON.stringify(deny)} without an overuse`);
        }
        for (const e of overused) {
            const ev = eventOf(e);
            if (ev.offline !== true || !ev.reason || !ev.gate) bad(`pass-overused event ${JSON.stringify(ev)}`);
            if (!offlineGrants.some((d) => d.tapId === e.op)) bad(`pass-overused under op ${e.op}, not an offline grant of this card`);
        }
    }
    return { violations, stats };
}
