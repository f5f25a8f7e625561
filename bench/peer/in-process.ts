// Ours and node-red-contrib-redis's flows deployed together in one Node-RED runtime (the
// test helper's, with its spies removed), against one Redis, driven in turn so that both
// meet the same machine load: counter changes alternate one by one, gate taps in blocks.
import Redis from 'ioredis';
import type { Node } from 'node-red';
import { mergedFlags } from '../../nodes/lib/redis/keyspace-events';
import { coreNode, dropSpies, FlowNode, helper, load, waitGreen } from '../../test/support/flow';
import { summarise, Summary } from '../stats';
import { nodeId, OURS, oursFlow, PEER_PACKAGE, SideNames, tapPayload, THEIRS, theirsFlow } from './flows';

const serverModule = require('../../nodes/redis-iot-server/redis-iot-server');
const counterModule = require('../../nodes/redis-counter/redis-counter');
const gateModule = require('../../nodes/transit-gate/transit-gate');
const changeModule = coreNode('function/15-change.js');
// Their gate as a user builds it (see flows.ts) also needs these.
const functionModule = coreNode('function/10-function.js');
const jsonModule = coreNode('parsers/70-JSON.js');
const switchModule = coreNode('function/10-switch.js');

export type Side = 'ours' | 'theirs';
export const SIDES: Side[] = ['ours', 'theirs'];
/** The gates tapped: ours, their redis-lua-script node alone (its payload handed ready-made), and their gate as a user builds it. */
export type GateSide = Side | 'theirsAsBuilt';
export const GATE_SIDES: GateSide[] = ['ours', 'theirs', 'theirsAsBuilt'];
const NAMES: Record<Side, SideNames> = { ours: OURS, theirs: THEIRS };

/** The package's node file: its package.json names index.js as main, which it does not ship. */
export function peerModule(): unknown {
    return require(`${PEER_PACKAGE}/redis.js`);
}

const CARDS = 1000;
export const cardId = (i: number) => `BE${(i % CARDS).toString(16).toUpperCase().padStart(6, '0')}`;

async function seedPasses(redis: Redis, prefix: string): Promise<void> {
    const pipe = redis.pipeline();
    for (let i = 0; i < CARDS; i++) pipe.hset(prefix + cardId(i), 'passType', 'TEN_TRIP', 'tripsRemaining', 1e9);
    await pipe.exec();
}

function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Both sides' flows in one runtime; every counter and gate output reaches a helper node per side. */
export async function loadBothSides(port: number): Promise<void> {
    const flow: FlowNode[] = [];
    for (const side of SIDES) {
        const outputs = { counter: [nodeId(side, 'counterOut')], gate: [nodeId(side, 'gateOut')] };
        flow.push(...(side === 'ours' ? oursFlow(port, OURS, outputs) : theirsFlow(port, THEIRS, outputs)));
        const tab = `${side}-tab`;
        flow.push({ id: nodeId(side, 'counterOut'), type: 'helper', z: tab }, { id: nodeId(side, 'gateOut'), type: 'helper', z: tab });
    }
    await load([serverModule, counterModule, gateModule, changeModule, functionModule, jsonModule, switchModule, peerModule()], flow);
    // Our nodes turn green when connected; theirs gate when its script is loaded (before
    // that it would send EVALSHA with no hash). Their redis-in shows green from the start:
    // countersReady waits for the counters instead.
    await waitGreen([nodeId('ours', 'counter'), nodeId('ours', 'gate'), nodeId('theirs', 'gate'), 'theirs-gate-lua'], 10000);
    // The test helper wraps every Node method in a sinon spy that records each call; a
    // benchmark of the runtime must not pay for that bookkeeping.
    dropSpies(flow.map((node) => node.id));
}

/**
 * Waits until each side's counter passes a change from another client on (subscribed,
 * and for theirs the notification setting in place), then deletes the keys so that the
 * measured values start at 1.
 */
export async function countersReady(redis: Redis, timeoutMs = 10000): Promise<void> {
    await Promise.all(SIDES.map(async (side) => {
        const out = outputOf(side, 'counterOut');
        const seen = new Set<number>();
        const onInput = (msg: { payload: unknown }) => seen.add(Number(msg.payload));
        out.on('input', onInput);
        try {
            const deadline = performance.now() + timeoutMs;
            while (performance.now() < deadline) {
                const value = await redis.incr(NAMES[side].counterKey);
                await sleep(250);
                if (seen.has(value)) return;
            }
        } finally {
            out.off('input', onInput);
        }
        throw new Error(`${side}'s counter flow passed no change on within ${timeoutMs} ms`);
    }));
    await redis.del(OURS.counterKey, THEIRS.counterKey);
    await sleep(300);
}

/** What a user of theirs puts in redis.conf (ours sets it itself): keyspace events for string commands. */
export async function keyspaceEventsForTheirs(redis: Redis): Promise<void> {
    const [, current = ''] = (await redis.config('GET', 'notify-keyspace-events')) as string[];
    await redis.config('SET', 'notify-keyspace-events', mergedFlags(current, ['K', '$']));
}

export async function prepareRedis(redis: Redis): Promise<void> {
    await keyspaceEventsForTheirs(redis);
    for (const side of SIDES) {
        await redis.del(NAMES[side].counterKey, NAMES[side].stream);
        await seedPasses(redis, NAMES[side].passPrefix);
    }
}

function outputOf(side: Side, name: 'counterOut' | 'gateOut'): NodeJS.EventEmitter {
    return helper.getNode(nodeId(side, name)) as unknown as NodeJS.EventEmitter;
}

/**
 * INCRs from another client at `perSecond` a side, alternating ours and theirs change by
 * change, `changes` each; a value's latency runs from its INCR to the first message
 * carrying it (theirs sends the GET's reply, a string).
 */
export async function counterPropagation(port: number, perSecond: number, changes: number): Promise<Record<Side, Summary>> {
    const client = new Redis(port);
    const sentAt: Record<Side, Map<number, number>> = { ours: new Map(), theirs: new Map() };
    const latencies: Record<Side, number[]> = { ours: [], theirs: [] };
    const listeners = SIDES.map((side) => {
        const listener = (msg: { payload: unknown }) => {
            const value = Number(msg.payload);
            const t0 = sentAt[side].get(value);
            if (t0 === undefined) return;
            latencies[side].push(performance.now() - t0);
            sentAt[side].delete(value);
        };
        outputOf(side, 'counterOut').on('input', listener);
        return () => outputOf(side, 'counterOut').off('input', listener);
    });
    const tick = 1000 / (2 * perSecond);
    const started = performance.now();
    for (let i = 0; i < 2 * changes; i++) {
        const wait = started + i * tick - performance.now();
        if (wait > 1) await sleep(wait);
        const side = SIDES[i % 2] as Side;
        const value = Math.floor(i / 2) + 1;
        sentAt[side].set(value, performance.now());
        void client.incr(NAMES[side].counterKey);
    }
    await sleep(500);
    const elapsed = performance.now() - started;
    listeners.forEach((off) => off());
    client.disconnect();
    return { ours: summarise(latencies.ours, elapsed), theirs: summarise(latencies.theirs, elapsed) };
}

const TAP_TIMEOUT_MS = 5000;

/** Sends one tap to a gate and resolves when its decision comes out. */
function tapper(side: GateSide): { tap: (i: number) => Promise<void>; close: () => void } {
    const gate = helper.getNode(side === 'theirsAsBuilt' ? nodeId('theirs', 'gateAsBuilt') : nodeId(side, 'gate')) as Node;
    const out = outputOf(side === 'ours' ? 'ours' : 'theirs', 'gateOut');
    const waiting = new Map<string, () => void>();
    const listener = (msg: { tapId: string }) => waiting.get(msg.tapId)?.();
    out.on('input', listener);
    let seq = 0;
    const tap = (i: number) => new Promise<void>((resolve, reject) => {
        const tapId = `${side}${seq++}`;
        // A gate that never answers (an error, a lost script) must stop the bench, not hang it.
        const timer = setTimeout(() => reject(new Error(`${side}'s gate gave no decision for tap ${tapId} within ${TAP_TIMEOUT_MS} ms`)), TAP_TIMEOUT_MS);
        waiting.set(tapId, () => {
            clearTimeout(timer);
            waiting.delete(tapId);
            resolve();
        });
        const card = cardId(i);
        const payload = side === 'theirs' ? tapPayload(THEIRS, card, tapId) : card;
        gate.receive({ payload, tapId } as never);
    });
    return { tap, close: () => out.off('input', listener) };
}

/** `count` taps with `concurrency` in flight; each tap's latency, and how long the block took. */
async function block(tap: (i: number) => Promise<void>, from: number, count: number, concurrency: number) {
    const latencies: number[] = [];
    let next = from;
    const started = performance.now();
    const worker = async () => {
        while (next < from + count) {
            const i = next++;
            const t0 = performance.now();
            await tap(i);
            latencies.push(performance.now() - t0);
        }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    return { latencies, ms: performance.now() - started };
}

/**
 * `n` taps a gate with `concurrency` in flight, in blocks of `blockSize` taken in turn (the
 * gate going first rotates every round), after one unrecorded block each for warm-up.
 * Decisions/s is a gate's taps over the time its own blocks took.
 */
export async function gateDecisions(n: number, concurrency: number, blockSize: number): Promise<Record<GateSide, Summary>> {
    const tappers = Object.fromEntries(GATE_SIDES.map((side) => [side, tapper(side)])) as Record<GateSide, ReturnType<typeof tapper>>;
    const latencies = Object.fromEntries(GATE_SIDES.map((side) => [side, [] as number[]])) as Record<GateSide, number[]>;
    const elapsed = Object.fromEntries(GATE_SIDES.map((side) => [side, 0])) as Record<GateSide, number>;
    try {
        for (const side of GATE_SIDES) await block(tappers[side].tap, 0, blockSize, concurrency);
        for (let round = 0, done = 0; done < n; round++, done += blockSize) {
            const order = GATE_SIDES.map((_, k) => GATE_SIDES[(k + round) % GATE_SIDES.length] as GateSide);
            for (const side of order) {
                const result = await block(tappers[side].tap, done, Math.min(blockSize, n - done), concurrency);
                latencies[side].push(...result.latencies);
                elapsed[side] += result.ms;
            }
        }
    } finally {
        GATE_SIDES.forEach((side) => tappers[side].close());
    }
    return Object.fromEntries(GATE_SIDES.map((side) => [side, summarise(latencies[side], elapsed[side])])) as Record<GateSide, Summary>;
}
