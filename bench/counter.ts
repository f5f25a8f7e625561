// Counter propagation: from an INCR by another client to the redis-counter node's
// output, at a gentle and a busy change rate, and how long all nodes take to show the
// right value again after Redis restarts (and forgets its notification setting; the
// original counter never set it, so its displays stay still until someone does).
import Redis from 'ioredis';
import { FlowNode, helper, load, serverNode } from '../test/support/flow';
import { RedisProcess } from '../test/support/redis-process';
import { median, progress, summarise, Summary } from './stats';
import { count, ms, row, TableRow, times } from './table';
import { unspy } from './unspied';

const serverModule = require('../nodes/redis-iot-server/redis-iot-server');
const counterModule = require('../nodes/redis-counter/redis-counter');

type Listener = (value: number) => void;

async function loadCounters(port: number, key: string, count: number): Promise<Listener[]> {
    const flow: FlowNode[] = [{ id: 'tab', type: 'tab' }, { ...serverNode(port), z: 'tab' }];
    for (let i = 0; i < count; i++) {
        flow.push({ id: `c${i}`, type: 'redis-counter', z: 'tab', server: 'redis-test', key, wires: [[`o${i}`]] });
        flow.push({ id: `o${i}`, type: 'helper', z: 'tab' });
    }
    await load([serverModule, counterModule], flow);
    unspy(flow.map((n) => n.id));
    const listeners: Listener[] = Array.from({ length: count }, () => () => undefined);
    for (let i = 0; i < count; i++) {
        (helper.getNode(`o${i}`) as unknown as NodeJS.EventEmitter).on('input', (msg: { payload: number }) => listeners[i]?.(msg.payload));
    }
    await new Promise((r) => setTimeout(r, 300));
    return listeners;
}

async function propagation(port: number, ratePerSecond: number, seconds: number): Promise<Summary> {
    const key = `bench:counter:${ratePerSecond}`;
    const client = new Redis(port);
    await client.del(key);
    const listeners = await loadCounters(port, key, 1);
    const sentAt = new Map<number, number>();
    const latencies: number[] = [];
    listeners[0] = (value) => {
        const t0 = sentAt.get(value);
        if (t0 !== undefined) latencies.push(performance.now() - t0);
    };
    const total = ratePerSecond * seconds;
    const started = performance.now();
    for (let i = 1; i <= total; i++) {
        const due = started + (i * 1000) / ratePerSecond;
        const wait = due - performance.now();
        if (wait > 1) await new Promise((r) => setTimeout(r, wait));
        sentAt.set(i, performance.now());
        void client.incr(key);
    }
    await new Promise((r) => setTimeout(r, 500));
    await helper.unload();
    client.disconnect();
    return summarise(latencies, performance.now() - started);
}

async function restartConvergence(nodes: number, rounds: number): Promise<number[]> {
    const own = await RedisProcess.start();
    const key = 'bench:counter:restart';
    const listeners = await loadCounters(own.port, key, nodes);
    const times: number[] = [];
    try {
        for (let round = 1; round <= rounds; round++) {
            await own.restart();
            const started = performance.now();
            const target = 1000 + round;
            const seen = new Set<number>();
            const converged = new Promise<void>((resolve) => {
                listeners.forEach((_, i) => {
                    listeners[i] = (value) => {
                        if (value === target) seen.add(i);
                        if (seen.size === nodes) resolve();
                    };
                });
            });
            const client = new Redis(own.port);
            await client.set(key, target);
            await converged;
            times.push(performance.now() - started);
            client.disconnect();
        }
    } finally {
        await helper.unload();
        await own.destroy();
    }
    return times;
}

export interface CounterBench {
    results: { propagation: { perSecond1: Summary; perSecond1000: Summary }; restartConvergenceMs: number[] };
    rows: TableRow[];
}

const SYSTEM = 'Counter';
/** Changes made in the busy run: 1,000 a second for 5 s. */
const BUSY_RATE = 1000;
const BUSY_SECONDS = 5;

/** floor: one PING round trip, measured by the transit benchmark on the same Redis. */
export async function benchCounter(port: number, floor: Summary): Promise<CounterBench> {
    progress('counter: 1 change a second for 15 s');
    const slow = await propagation(port, 1, 15);
    progress(`counter: ${BUSY_RATE} changes a second for ${BUSY_SECONDS} s`);
    const busy = await propagation(port, BUSY_RATE, BUSY_SECONDS);
    progress('counter: 5 Redis restarts');
    const restart = await restartConvergence(5, 5);
    const busyRate = BUSY_RATE.toLocaleString('en-US');
    const rows = [
        row(SYSTEM, 'INCR elsewhere to node output, 1 change/s: p50 / p99', times(slow), 'one PING (the floor)', times(floor)),
        row(SYSTEM, `the same at ${busyRate} changes/s: p50 / p99`, times(busy), '1 change/s', times(slow)),
        row(SYSTEM, `values sent at ${busyRate} changes/s (the latest, not each)`, count(busy.ops),
            'changes made', count(BUSY_RATE * BUSY_SECONDS)),
        row(SYSTEM, '5 nodes right again after a Redis restart: median / max', ms(median(restart), Math.max(...restart)),
            'budget 1 s (the original: never)', ms(1000)),
    ];
    return { results: { propagation: { perSecond1: slow, perSecond1000: busy }, restartConvergenceMs: restart }, rows };
}
