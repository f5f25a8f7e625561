// Counter propagation: from an INCR by another client to the redis-counter node's
// output, at a gentle and a busy change rate, and how long all nodes take to show the
// right value again after Redis restarts (and forgets its notification setting).
import Redis from 'ioredis';
import { FlowNode, helper, load, serverNode } from '../test/support/flow';
import { RedisProcess } from '../test/support/redis-process';
import { summarise, Summary, formatRow } from './stats';

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
    // Benchmarks must not pay for the test helper's spies on every node method.
    (helper as unknown as { _sandbox: { restore(): void } })._sandbox.restore();
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

export async function benchCounter(port: number): Promise<Record<string, unknown>> {
    const slow = await propagation(port, 1, 15);
    const busy = await propagation(port, 1000, 5);
    const restart = await restartConvergence(5, 5);
    console.log('\nCounter: INCR by another client to redis-counter output');
    console.log(formatRow('1 change a second (15 s)', slow));
    console.log(formatRow('1,000 changes a second (5 s; values skipped by design)', busy));
    console.log(`  outputs at 1,000/s: ${busy.ops} of 5000 changes (the latest value is sent, not every one)`);
    const sorted = [...restart].sort((a, b) => a - b);
    console.log(`\nCounter: 5 nodes back on the right value after a Redis restart (from redis-server answering): ` +
        `${sorted.map((t) => t.toFixed(0)).join(', ')} ms (5 restarts)`);
    return { propagation: { perSecond1: slow, perSecond1000: busy }, restartConvergenceMs: restart };
}
