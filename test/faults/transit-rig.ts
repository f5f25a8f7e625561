// A transit system in Node-RED for the fault tests: gates and sales terminals (direct
// {card, passType} mode) on one redis-iot-server, with every answer matched back to the
// tap or sale that caused it by its id, so a test can send many at once and time each.
import assert from 'node:assert/strict';
import type Redis from 'ioredis';
import type { Node } from 'node-red';
import { collect, FlowNode, helper, load, Msg, SERVER_ID, waitFor, waitGreen } from '../support/flow';
import { uniqueCard } from '../support/cards';
import { transitFlow } from '../support/transit-flow';
import { cardKeys } from '../../nodes/lib/transit/keys';
import { TransitStore } from '../../nodes/lib/transit/store';

const serverModule = require('../../nodes/redis-iot-server/redis-iot-server');
const gateModule = require('../../nodes/transit-gate/transit-gate');
const saleModule = require('../../nodes/transit-sale/transit-sale');
const monitorModule = require('../../nodes/transit-monitor/transit-monitor');
const counterModule = require('../../nodes/redis-counter/redis-counter');

export const KEY_PREFIX = 'fault:pass:';
export const STREAM = 'fault:events';
export const TEN_TRIPS = 10;
/** Command timeout 250 ms plus a local budget, generous for a loaded 2-core machine. */
const ANSWER_BOUND_MS = 1500;

/** A card id no other test uses (FA…, the fault suites' cards). */
export const freshCard = (): string => uniqueCard('FA');

export type Outcome = 'ok' | 'fail' | 'unknown';

export interface Answer {
    outcome: Outcome;
    /** granted / no-pass / unavailable / sold / card-already-has-pass ... */
    detail: string;
    msg: Msg;
    ms: number;
}

export interface RigOptions {
    gates?: number;
    terminals?: number;
    /** Also deploy a transit-monitor ('monitor' -> 'events') and a redis-counter ('counter' -> 'count'). */
    monitorAndCounter?: { counterKey: string };
    server?: Record<string, unknown>;
}

function rigFlow(port: number, options: RigOptions): FlowNode[] {
    const flow = transitFlow(port, { keyPrefix: KEY_PREFIX, stream: STREAM, gates: options.gates, terminals: options.terminals, server: options.server });
    if (options.monitorAndCounter) {
        flow.push(
            { id: 'monitor', type: 'transit-monitor', z: 'tab', server: SERVER_ID, stream: STREAM, group: 'fault-monitor', wires: [['events']] },
            { id: 'events', type: 'helper', z: 'tab' },
            { id: 'counter', type: 'redis-counter', z: 'tab', server: SERVER_ID, key: options.monitorAndCounter.counterKey, wires: [['count']] },
            { id: 'count', type: 'helper', z: 'tab' },
        );
    }
    return flow;
}

export const transitModules = [serverModule, gateModule, saleModule, monitorModule, counterModule];

/** Matches gate and terminal answers to their tap or sale by id. */
export class TransitRig {
    private readonly waiting = new Map<string, (msg: Msg) => void>();

    private constructor() {
        const on = (helperId: string, idOf: (msg: Msg) => unknown) =>
            (helper.getNode(helperId) as Node).on('input', (msg: Msg) => {
                const id = String(idOf(msg));
                const resolve = this.waiting.get(id);
                this.waiting.delete(id);
                resolve?.(msg);
            });
        on('granted', (m) => `tap:${m.tapId}`);
        on('denied', (m) => `tap:${m.tapId}`);
        on('sold', (m) => `sale:${m.saleId}`);
        on('refused', (m) => `sale:${m.saleId}`);
    }

    static async deploy(port: number, options: RigOptions = {}): Promise<TransitRig> {
        await load(transitModules, rigFlow(port, options));
        return new TransitRig();
    }

    tap(gate: number, card: string, tapId: string, timeoutMs = 10000): Promise<Answer> {
        return this.ask(`tap:${tapId}`, `gate${gate}`, { payload: card, tapId }, timeoutMs, (msg) => {
            if (msg.topic === 'granted') return { outcome: 'ok', detail: 'granted' };
            const reason = String((msg.payload as { reason?: string }).reason);
            return { outcome: reason === 'unavailable' ? 'unknown' : 'fail', detail: reason };
        });
    }

    sell(terminal: number, card: string, saleId: string, passType = 'TEN_TRIP', timeoutMs = 10000): Promise<Answer> {
        return this.ask(`sale:${saleId}`, `terminal${terminal}`, { payload: { card, passType }, saleId }, timeoutMs, (msg) => {
            if (msg.topic === 'sold') return { outcome: 'ok', detail: 'sold' };
            const reason = String((msg.payload as { reason?: string }).reason);
            return { outcome: reason === 'unavailable' ? 'unknown' : 'fail', detail: reason };
        });
    }

    private ask(key: string, nodeId: string, msg: Record<string, unknown>, timeoutMs: number,
        judge: (msg: Msg) => { outcome: Outcome; detail: string }): Promise<Answer> {
        if (this.waiting.has(key)) throw new Error(`${key} is already waiting for an answer`);
        const started = Date.now();
        return new Promise<Answer>((resolve, reject) => {
            const timer = setTimeout(() => {
                this.waiting.delete(key);
                reject(new Error(`${key}: no answer from ${nodeId} within ${timeoutMs} ms`));
            }, timeoutMs);
            this.waiting.set(key, (answer) => {
                clearTimeout(timer);
                resolve({ ...judge(answer), msg: answer, ms: Date.now() - started });
            });
            (helper.getNode(nodeId) as Node).receive(msg as never);
        });
    }
}

/** Script calls Redis has run so far (EVALSHA and its EVAL fallback). */
export async function scriptCalls(redis: Redis): Promise<number> {
    const info = await redis.info('commandstats');
    let calls = 0;
    for (const m of info.matchAll(/^cmdstat_(?:evalsha|eval):calls=(\d+)/gm)) calls += Number(m[1]);
    return calls;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let ids = 0;
/** A tap or sale id no other in this process uses. */
export const freshId = (prefix: string) => `${prefix}-${++ids}`;

type TapAnswer = Answer & { id: string; card: string };
type SaleAnswer = Answer & { card: string };
export interface Traffic {
    taps: TapAnswer[];
    sales: SaleAnswer[];
}

/**
 * Taps (gates 0 and 1, every 100 ms, over `cards`) and sells (terminal 0, a fresh card
 * every `saleEveryMs`) through Node-RED for `ms`, each answer awaited and timed.
 */
export async function trafficFor(rig: TransitRig, ms: number, cards: string[], options: { idPrefix: string; saleEveryMs: number }): Promise<Traffic> {
    const until = Date.now() + ms;
    const taps: TapAnswer[] = [];
    const sales: SaleAnswer[] = [];
    const tapper = async (gate: number) => {
        while (Date.now() < until) {
            const card = cards[taps.length % cards.length];
            const id = freshId(`${options.idPrefix}-${gate}`);
            taps.push({ ...await rig.tap(gate, card, id), id, card });
            await sleep(100);
        }
    };
    const seller = async () => {
        while (Date.now() < until) {
            const card = freshCard();
            sales.push({ ...await rig.sell(0, card, freshId(`${options.idPrefix}-sale`)), card });
            await sleep(options.saleEveryMs);
        }
    };
    await Promise.all([tapper(0), tapper(1), seller()]);
    return { taps, sales };
}

/** A rig with its monitor and counter, a client straight to Redis, and what the monitor and counter sent. */
export interface WatchedRig {
    rig: TransitRig;
    direct: Redis;
    store: TransitStore;
    /** Every message from 'events' (the monitor) and 'count' (the counter) since the deploy. */
    events: Msg[];
    counts: Msg[];
    counterKey: string;
    /** The nodes whose status must be green when all is well. */
    nodes: string[];
}

/**
 * Every answer in bound and unavailable, at least `minTaps` taps; nothing Node-RED sent
 * was charged or sold: `cards` (ten trip passes) are untouched. Returns the slowest answer.
 */
export async function assertNothingCharged(w: WatchedRig, cards: string[], traffic: Traffic, minTaps: number): Promise<number> {
    const slowest = Math.max(...traffic.taps.map((t) => t.ms), ...traffic.sales.map((s) => s.ms));
    assert.ok(traffic.taps.length > minTaps, `${traffic.taps.length} taps during the outage`);
    assert.ok(slowest < ANSWER_BOUND_MS, `slowest answer ${slowest} ms`);
    assert.deepEqual([...new Set(traffic.taps.map((t) => t.detail))], ['unavailable']);
    assert.deepEqual([...new Set(traffic.sales.map((s) => s.detail))], ['unavailable']);
    for (const card of cards) assert.equal(await w.direct.hget(cardKeys(KEY_PREFIX, card).pass, 'tripsRemaining'), String(TEN_TRIPS), `card ${card}`);
    for (const s of traffic.sales) assert.equal(await w.direct.exists(cardKeys(KEY_PREFIX, s.card).pass), 0, `sale to ${s.card} ran`);
    for (const t of traffic.taps) assert.equal(await w.direct.exists(cardKeys(KEY_PREFIX, t.card).record(`tap:${t.id}`)), 0, `tap ${t.id} ran`);
    return slowest;
}

/** The value in the counter's latest message. */
export const lastCount = (w: WatchedRig): unknown => w.counts[w.counts.length - 1]?.payload;

/** The outage whose recovery assertRecovers checks. */
export interface Outage {
    /** How many count messages had come when the outage began (w.counts.length then). */
    countsBefore: number;
    healedAt: number;
}

/**
 * Back to work without a redeploy, each step within `withinMs`: a grant, the counter
 * sending Redis's value again (a message sent after the outage began: the one sent before
 * may hold the same value) and following a change, the monitor showing every event of the
 * stream once and in order, and every status green. Returns when the grant and the count came.
 */
export async function assertRecovers(w: WatchedRig, outage: Outage, withinMs = 10000): Promise<{ grantedMs: number; countMs: number }> {
    const card = freshCard();
    await w.store.sell(card, 'SINGLE_USE', `post-${card}`, 'direct');
    let grantedMs = -1;
    await waitFor(async () => {
        const answer = await w.rig.tap(0, card, freshId('post'));
        if (answer.outcome === 'ok') grantedMs = Date.now() - outage.healedAt;
        return answer.outcome === 'ok';
    }, withinMs, 'a grant after the outage');
    const expected = Number(await w.direct.get(w.counterKey));
    // A reconnected counter re-reads and sends its value even when it did not change.
    await waitFor(() => w.counts.length > outage.countsBefore && lastCount(w) === expected, withinMs,
        () => `the counter sending ${expected} after the outage (sent since it began: ${JSON.stringify(w.counts.slice(outage.countsBefore).map((m) => m.payload))})`);
    const countMs = Date.now() - outage.healedAt;
    await w.direct.incrby(w.counterKey, 1);
    await waitFor(() => lastCount(w) === expected + 1, 3000, () => `the counter following a change again (last sent ${String(lastCount(w))})`);
    // The monitor shows every event in the stream once, in order, including those
    // written during the outage and the entry just granted.
    const streamIds = (await w.direct.xrange(STREAM, '-', '+')).map(([id]) => id);
    await waitFor(() => w.events.length >= streamIds.length, withinMs, `the monitor shows ${streamIds.length} events`);
    await sleep(300);
    assert.deepEqual(w.events.map((e) => String(e.eventId)), streamIds);
    await waitGreen(w.nodes, withinMs, 'every node green again');
    return { grantedMs, countMs };
}

/**
 * Deploys a rig with two gates, a terminal, the monitor and the counter on `counterKey`,
 * Node-RED talking to Redis at `rigPort` (Redis itself, or a proxy in front of it) and the
 * test at `direct`; resolves once every node is green.
 */
export async function deployWatched(rigPort: number, direct: Redis, counterKey: string): Promise<WatchedRig> {
    const rig = await TransitRig.deploy(rigPort, { gates: 2, terminals: 1, monitorAndCounter: { counterKey } });
    const nodes = ['gate0', 'gate1', 'terminal0', 'monitor', 'counter'];
    const store = new TransitStore(direct, { keyPrefix: KEY_PREFIX, stream: STREAM });
    const watched = { rig, direct, store, events: collect('events'), counts: collect('count'), counterKey, nodes };
    await waitGreen(nodes, 10000);
    return watched;
}
