// Gate decisions: through a transit-gate node in a Node-RED runtime, the same script
// called directly, the original's read-then-write sequence, and a PING loop as the floor.
// Also counts double grants when two gates race on one single use pass, both ways.
import Redis from 'ioredis';
import { TransitStore } from '../nodes/lib/transit/store';
import { gateThroughNodeRed } from './gate-node';
import { measure, progress, Summary } from './stats';
import { allocated, cpu, ms, rate, row, TableRow, times } from './table';

const CARDS = 1000;
const cardId = (i: number) => `BE${(i % CARDS).toString(16).toUpperCase().padStart(6, '0')}`;

async function seedPasses(redis: Redis, prefix: string): Promise<void> {
    const pipe = redis.pipeline();
    for (let i = 0; i < CARDS; i++) pipe.hset(prefix + cardId(i), 'passType', 'TEN_TRIP', 'tripsRemaining', 1e9);
    await pipe.exec();
}

/** What the original entry-gate.py did per tap (ten trip branch): read, decide in the client, write, publish. */
async function originalTap(redis: Redis, card: string): Promise<boolean> {
    const pass = await redis.hgetall(card);
    if (!pass.passType) {
        await redis.publish('pass-denied', JSON.stringify({ cardSerialNumber: card }));
        return false;
    }
    if (pass.tripsRemaining === '1') await redis.del(card);
    else await redis.hincrby(card, 'tripsRemaining', -1);
    await redis.publish(`pass-used:${pass.passType}`, JSON.stringify({ cardSerialNumber: card, pass, remainingTrips: Number(pass.tripsRemaining) - 1 }));
    return true;
}

async function raceTrials(redis: Redis, other: Redis, trials: number): Promise<{ naive: number; script: number }> {
    let naive = 0;
    let script = 0;
    const stores = [redis, other].map((c) => new TransitStore(c, { keyPrefix: 'race:', stream: 'race:events' }));
    for (let t = 0; t < trials; t++) {
        const card = `RACE${t}`;
        await redis.hset(card, 'passType', 'SINGLE_USE');
        const grants = await Promise.all([redis, other].map(async (c) => {
            const pass = await c.hgetall(card);
            if (pass.passType !== 'SINGLE_USE') return false;
            await c.del(card);
            return true;
        }));
        if (grants.filter(Boolean).length > 1) naive++;
        await redis.hset(`race:${card}`, 'passType', 'SINGLE_USE');
        const decisions = await Promise.all(stores.map((s, i) => s.tap(card, `g${i}`, `r${t}-${i}`, 0)));
        if (decisions.filter((d) => d.granted).length > 1) script++;
    }
    return { naive, script };
}

export interface TransitBench {
    results: { decisions: Record<string, Summary>; race: { naive: number; script: number } };
    rows: TableRow[];
    /** One PING round trip with one tap in flight: the floor other figures are set against. */
    floor: Summary;
}

const SYSTEM = 'Transit gate';
/** The original entry-gate.py: HGETALL, decide in the client, HINCRBY or DEL, PUBLISH. */
const ORIGINAL = 'original read-then-write (3 round trips)';
const SCRIPT = 'the tap script called directly';
/** How the cost rows were measured (bench/cost.ts): in the label, so the table says it. */
const CPU = 'CPU per decision (process.cpuUsage user + system, whole process)';
const HEAP = 'V8 heap allocated per decision (used heap growth + what each GC freed, v8.GCProfiler)';

export async function benchTransit(port: number, n: number): Promise<TransitBench> {
    const redis = new Redis(port);
    const other = new Redis(port);
    await seedPasses(redis, 'bench:');
    await seedPasses(redis, '');
    const store = new TransitStore(redis, { keyPrefix: 'bench:', stream: 'bench:events' });
    let tap = 0;
    const decisions: Record<string, Summary> = {};
    const rows: TableRow[] = [];
    let floor: Summary | undefined;
    // A gate runs for days: its steady state is what counts. measure() warms each way with a
    // tenth of its runs, too few for the JIT to settle the node's longer path (Node-RED's
    // runtime, the config node's connection), which then met the 1 in flight figures cold
    // while the script ran on code the PING and original runs had warmed. So every way
    // first runs n taps unrecorded.
    progress(`transit: warming up each way with ${n} taps (not recorded)`);
    await measure(n, 1, () => redis.ping());
    await measure(n, 1, (i) => originalTap(redis, cardId(i)));
    await measure(n, 1, (i) => store.tap(cardId(i), 'bench', `s${tap++}`, 0));
    await gateThroughNodeRed(port, 'bench:', cardId, n, 1);
    for (const concurrency of [1, 16]) {
        progress(`transit: ${n} taps, ${concurrency} in flight`);
        const ping = await measure(n, concurrency, () => redis.ping());
        if (concurrency === 1) floor = ping;
        const original = await measure(n, concurrency, (i) => originalTap(redis, cardId(i)));
        const script = await measure(n, concurrency, (i) => store.tap(cardId(i), 'bench', `s${tap++}`, 0));
        const node = await gateThroughNodeRed(port, 'bench:', cardId, n, concurrency);
        decisions[`PING loop, 1 connection (floor) x${concurrency}`] = ping;
        decisions[`original read-then-write (HGETALL, HINCRBY, PUBLISH) x${concurrency}`] = original;
        decisions[`tap script via ioredis x${concurrency}`] = script;
        decisions[`transit-gate node in Node-RED x${concurrency}`] = node;
        const inFlight = `${concurrency} in flight`;
        rows.push(
            row(SYSTEM, `tap script (one EVALSHA), ${inFlight}: p50 / p99`, times(script), ORIGINAL, times(original)),
            row(SYSTEM, `tap script, ${inFlight}: decisions/s`, rate(script), ORIGINAL, rate(original)),
            row(SYSTEM, `gate node in Node-RED, ${inFlight}: p50 / p99`, times(node), ORIGINAL, times(original)),
            row(SYSTEM, `gate node in Node-RED, ${inFlight}: decisions/s`, rate(node), ORIGINAL, rate(original)),
            row(SYSTEM, `tap script, ${inFlight}: p50 / p99`, times(script), 'one PING (the floor)', times(ping)),
            row(SYSTEM, `gate node, ${inFlight}: p99 (goal: at most 2x the script's)`, ms(node.p99), SCRIPT, ms(script.p99)),
            row(SYSTEM, `gate node, ${inFlight}: ${CPU}`, cpu(node), SCRIPT, cpu(script)),
            row(SYSTEM, `gate node, ${inFlight}: ${HEAP}`, allocated(node), SCRIPT, allocated(script)),
        );
    }
    progress('transit: two gates racing, 1000 trials');
    const race = await raceTrials(redis, other, 1000);
    rows.push(row(SYSTEM, 'two gates racing on a single use pass: double grants in 1000',
        { values: [race.script], unit: '' }, ORIGINAL, { values: [race.naive], unit: '' }));
    await Promise.all([redis.quit(), other.quit()]);
    if (!floor) throw new Error('no PING floor was measured with one tap in flight');
    return { results: { decisions, race }, rows, floor };
}
