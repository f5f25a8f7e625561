// A Jepsen-style history of sales and taps, and a checker that compares it with what
// Redis holds at the end. Every attempt is recorded with its outcome: ok (sold,
// granted), fail (a definite refusal: no-pass, card-already-has-pass) or unknown
// (unavailable: the command may or may not have run). Unknown operations are retried
// with the same id until they are definite; the checker then demands that Redis agrees
// with every definite answer and that nothing was charged twice or without an answer.
import type Redis from 'ioredis';
import { cardKeys } from '../../nodes/lib/transit/keys';
import { KEY_PREFIX, Outcome, STREAM, TEN_TRIPS } from './transit-rig';

export type OpKind = 'sale' | 'tap';

export interface Op {
    kind: OpKind;
    id: string;
    card: string;
    attempt: number;
    sentAt: number;
    ms: number;
    outcome: Outcome;
    detail: string;
}

export class History {
    readonly ops: Op[] = [];

    add(op: Op): void {
        this.ops.push(op);
    }

    attempts(kind: OpKind, id: string): Op[] {
        return this.ops.filter((o) => o.kind === kind && o.id === id);
    }

    /** The ids of one kind, each with its attempts, in the order first sent. */
    byId(kind: OpKind): Map<string, Op[]> {
        const map = new Map<string, Op[]>();
        for (const op of this.ops) {
            if (op.kind !== kind) continue;
            const list = map.get(op.id) ?? [];
            list.push(op);
            map.set(op.id, list);
        }
        return map;
    }

    /** The latest attempt of every operation that has no definite answer yet. */
    unresolved(): Op[] {
        const out: Op[] = [];
        for (const kind of ['sale', 'tap'] as const) {
            for (const attempts of this.byId(kind).values()) {
                if (attempts.every((a) => a.outcome === 'unknown')) out.push(attempts[attempts.length - 1]);
            }
        }
        return out;
    }

    count(outcome: Outcome): number {
        return this.ops.filter((o) => o.outcome === outcome).length;
    }
}

interface StreamEntry {
    id: string;
    channel: string;
    op: string;
}

interface Decision {
    granted?: boolean;
    sold?: boolean;
    reason?: string;
    at?: number;
}

/** What Redis holds for the cards and operations of a history. */
export interface RedisView {
    passes: Map<string, Record<string, string>>;
    records: Map<string, Decision | null>;
    stream: StreamEntry[];
}

export async function readView(redis: Redis, history: History): Promise<RedisView> {
    const cards = new Set(history.ops.map((o) => o.card));
    const passes = new Map<string, Record<string, string>>();
    for (const card of cards) passes.set(card, await redis.hgetall(cardKeys(KEY_PREFIX, card).pass));
    const records = new Map<string, Decision | null>();
    for (const kind of ['sale', 'tap'] as const) {
        for (const [id, attempts] of history.byId(kind)) {
            const raw = await redis.get(cardKeys(KEY_PREFIX, attempts[0].card).record(`${kind}:${id}`));
            records.set(`${kind}:${id}`, raw === null ? null : JSON.parse(raw) as Decision);
        }
    }
    const stream: StreamEntry[] = [];
    for (const [id, flat] of await redis.xrange(STREAM, '-', '+')) {
        const fields: Record<string, string> = {};
        for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i]] = flat[i + 1];
        stream.push({ id, channel: fields.channel, op: fields.op });
    }
    return { passes, records, stream };
}

export interface CheckResult {
    violations: string[];
    stats: {
        ops: number;
        ok: number;
        fail: number;
        unknown: number;
        /** Unknown operations whose first attempt had in fact run (the reply was lost). */
        lostReplies: number;
        cards: number;
        grantedTaps: number;
    };
}

/**
 * Checks a fully resolved history (no unknown operations left) against Redis.
 * `appliedBefore` is the Redis-clock moment of the last fault: a decision recorded
 * before it by an operation whose first answer was unknown had run, reply lost.
 */
export function check(history: History, view: RedisView, appliedBefore: number): CheckResult {
    const violations: string[] = [];
    const say = (text: string) => violations.push(text);
    const finalOf = (attempts: Op[]) => attempts.find((a) => a.outcome !== 'unknown');
    let lostReplies = 0;

    const streamOps = new Map<string, StreamEntry[]>();
    for (const e of view.stream) {
        const key = `${e.channel}|${e.op}`;
        streamOps.set(key, [...(streamOps.get(key) ?? []), e]);
        if ((streamOps.get(key) as StreamEntry[]).length === 2) say(`stream holds ${e.channel} for operation ${e.op} twice`);
    }

    const grantedByCard = new Map<string, Set<string>>();
    const soldSales = new Set<string>();
    const grantedTaps = new Set<string>();
    for (const kind of ['sale', 'tap'] as const) {
        for (const [id, attempts] of history.byId(kind)) {
            const final = finalOf(attempts);
            if (!final) {
                say(`${kind} ${id} never got a definite answer`);
                continue;
            }
            // Idempotency: every definite answer to one id is the same answer.
            const answers = new Set(attempts.filter((a) => a.outcome !== 'unknown').map((a) => a.detail));
            if (answers.size > 1) say(`${kind} ${id} was answered ${[...answers].join(' and ')}`);
            const record = view.records.get(`${kind}:${id}`);
            if (attempts[0].outcome === 'unknown' && record?.at !== undefined && record.at < appliedBefore) lostReplies++;
            const card = attempts[0].card;
            if (kind === 'sale' && final.outcome === 'ok') {
                soldSales.add(id);
                if (!record?.sold) say(`sale ${id} was acknowledged but its record is ${JSON.stringify(record)}`);
                if ((streamOps.get(`pass-issued:TEN_TRIP|${id}`) ?? []).length !== 1) say(`sale ${id} was acknowledged but the stream lacks its event`);
            }
            if (kind === 'tap' && final.outcome === 'ok') {
                grantedTaps.add(id);
                const set = grantedByCard.get(card) ?? new Set<string>();
                set.add(id);
                grantedByCard.set(card, set);
                if (!record?.granted) say(`tap ${id} was granted but its record is ${JSON.stringify(record)}`);
                if ((streamOps.get(`pass-used:TEN_TRIP|${id}`) ?? []).length !== 1) say(`tap ${id} was granted but the stream lacks its event`);
            }
        }
    }

    // Nothing happened that nobody was told about: every charge and sale in the stream
    // belongs to an operation whose final answer said so.
    for (const e of view.stream) {
        if (e.channel === 'pass-used:TEN_TRIP' && !grantedTaps.has(e.op)) say(`stream charges ${e.op}, which no answer granted`);
        if (e.channel === 'pass-issued:TEN_TRIP' && !soldSales.has(e.op)) say(`stream sells ${e.op}, which no answer sold`);
    }

    // Per card: the pass holds exactly the rides sold minus the distinct granted taps.
    const soldCards = new Set([...soldSales].map((id) => history.attempts('sale', id)[0].card));
    for (const card of soldCards) {
        const granted = grantedByCard.get(card)?.size ?? 0;
        const pass = view.passes.get(card) ?? {};
        const left = TEN_TRIPS - granted;
        if (granted > TEN_TRIPS) say(`card ${card}: ${granted} entries granted on a ten trip pass`);
        else if (left === 0 && Object.keys(pass).length > 0) say(`card ${card}: all rides used but the pass is still there`);
        else if (left > 0 && pass.tripsRemaining !== String(left)) say(`card ${card}: ${granted} entries granted, pass shows ${JSON.stringify(pass)}`);
        // A definite no-pass while rides were left (taps start only after the sale's ack).
        const noPass = [...history.byId('tap').values()].filter((a) => a[0].card === card && finalOf(a)?.detail === 'no-pass');
        if (noPass.length > 0 && left > 0) say(`card ${card}: ${noPass.length} taps denied no-pass with ${left} rides left`);
    }

    return {
        violations,
        stats: {
            ops: history.ops.length,
            ok: history.count('ok'),
            fail: history.count('fail'),
            unknown: history.count('unknown'),
            lostReplies,
            cards: soldCards.size,
            grantedTaps: grantedTaps.size,
        },
    };
}
