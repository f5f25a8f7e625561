// A gate's journal replayed once Redis is back (issue 15). One known-passes gate in a
// Node-RED of its own decides TAPS taps while a TCP proxy cuts it off from Redis, each
// journaled and fdatasync'd before it answers; then the proxy heals and the gate replays
// them through the tap script. Measured: offline decisions/s, taps replayed/s (from the
// replay's start to its end, and from the heal), beside the replay script called directly.
import fs from 'fs';
import os from 'os';
import path from 'path';
import Redis from 'ioredis';
import { TransitStore } from '../nodes/lib/transit/store';
import { waitReplicas } from '../test/support/gate-journal';
import { GateRuntime, Tap } from '../test/support/gate-runtime';
import { redisNowMs } from '../test/support/redis-time';
import { TcpProxy } from '../test/support/tcp-proxy';
import { measure, progress, Summary } from './stats';
import { count, ms, rate, row, TableRow } from './table';

const TAPS = Number(process.env.BENCH_OFFLINE_TAPS || 2000);
/** Taps per card: fewer than a ten trip's rides, so every replayed tap is charged. */
const PER_CARD = 5;
const IN_FLIGHT = 50;
const PREFIX = 'offbench:';
const STREAM = 'offbench:events';
const SYSTEM = 'Offline gate';

const cardOf = (set: string, i: number) => `0B${set}${Math.floor(i / PER_CARD).toString(16).toUpperCase().padStart(5, '0')}`;

export interface OfflineReplayBench {
    results: { taps: number; offlineDecisionsPerS: number; replayMs: number; replayFromHealMs: number; replayedPerS: number; script: Summary };
    rows: TableRow[];
}

async function sellTenTrips(store: TransitStore, set: string): Promise<void> {
    for (let i = 0; i < TAPS; i += PER_CARD) await store.sell(cardOf(set, i), 'TEN_TRIP', `sale-${set}-${i}`, 'bench');
}

/** Rides charged on the gate's cards: ten a pass, less what each holds now. */
async function chargedRides(redis: Redis): Promise<number> {
    const pipeline = redis.pipeline();
    for (let i = 0; i < TAPS; i += PER_CARD) pipeline.hget(PREFIX + cardOf('A', i), 'tripsRemaining');
    const left = (await pipeline.exec()) ?? [];
    return left.reduce((sum, [, trips]) => sum + 10 - Number(trips ?? 0), 0);
}

/** Polls the gate until its journal is empty again: when the replay began (pending fell, or replaying), and when it ended. */
async function timeReplay(runtime: GateRuntime, healedAt: number): Promise<{ startedAt: number; endedAt: number }> {
    let startedAt = 0;
    for (;;) {
        const [gate] = (await runtime.state()).gates;
        const journal = gate.journal;
        if (!startedAt && journal && (journal.replaying || journal.pending < TAPS)) startedAt = performance.now();
        if (journal && journal.pending === 0 && !journal.replaying && gate.status.fill === 'green') return { startedAt: startedAt || healedAt, endedAt: performance.now() };
        if (performance.now() - healedAt > 300000) throw new Error(`the journal was not replayed within 300 s: ${JSON.stringify(journal)}`);
        await new Promise((r) => setTimeout(r, 10));
    }
}

export async function benchOfflineReplay(port: number): Promise<OfflineReplayBench> {
    const redis = new Redis(port);
    const store = new TransitStore(redis, { keyPrefix: PREFIX, stream: STREAM });
    const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'redis-iot-bench-offline-'));
    const proxy = await TcpProxy.start(port);
    let runtime: GateRuntime | undefined;
    try {
        progress(`offline: selling ${TAPS / PER_CARD} ten trip passes twice`);
        await sellTenTrips(store, 'A');
        await sellTenTrips(store, 'C');
        runtime = await GateRuntime.start({ name: 'offbench', port: proxy.port, gates: 1, keyPrefix: PREFIX, stream: STREAM,
            gate: { offlinePolicy: 'known-passes', repeatWindow: 0 }, userDir });
        await waitReplicas([runtime], 2 * TAPS / PER_CARD);
        proxy.blackhole();
        progress(`offline: ${TAPS} taps at a gate cut off from Redis, ${IN_FLIGHT} in flight`);
        const decideStarted = performance.now();
        let granted = 0;
        for (let i = 0; i < TAPS; i += IN_FLIGHT) {
            const taps: Tap[] = Array.from({ length: Math.min(IN_FLIGHT, TAPS - i) }, (_, j) => ({ id: i + j, gate: 0, card: cardOf('A', i + j), tapId: `ob-${i + j}` }));
            granted += (await runtime.tap(taps, 60000)).filter((d) => d.granted && d.offline).length;
        }
        const decideMs = performance.now() - decideStarted;
        if (granted !== TAPS) throw new Error(`${granted} of ${TAPS} taps granted offline`);
        progress(`offline: Redis back, replaying ${TAPS} journaled taps`);
        proxy.heal();
        const healedAt = performance.now();
        const { startedAt, endedAt } = await timeReplay(runtime, healedAt);
        const replayMs = endedAt - startedAt;
        const charged = await chargedRides(redis);
        if (charged !== TAPS) throw new Error(`the replay charged ${charged} rides for ${TAPS} taps`);

        progress(`offline: the replay script called directly, ${TAPS} taps, 1 in flight`);
        const at = await redisNowMs(redis);
        const replayed = { at, floor: at - 1000, granted: true, policy: 'known-passes' as const };
        const script = await measure(TAPS, 1, (i) => store.tap(cardOf('C', i % TAPS), 'direct', `os-${i}`, 0, replayed));
        const results = { taps: TAPS, offlineDecisionsPerS: (TAPS / decideMs) * 1000, replayMs, replayFromHealMs: endedAt - healedAt,
            replayedPerS: (TAPS / replayMs) * 1000, script };
        const perS = (v: number) => ({ values: [v], unit: '/s' as const });
        return {
            results,
            rows: [
                row(SYSTEM, `journal replay once Redis is back (${TAPS} offline taps, one gate): taps replayed/s`, perS(results.replayedPerS),
                    'the replay script called directly, 1 in flight', rate(script)),
                row(SYSTEM, `journal replay: from the heal to an empty journal (${TAPS} taps)`, ms(results.replayFromHealMs),
                    'the replay alone', ms(replayMs)),
                row(SYSTEM, `offline decisions, each fdatasync'd before the answer, ${IN_FLIGHT} in flight: decisions/s`,
                    perS(results.offlineDecisionsPerS), 'taps replayed/s', perS(results.replayedPerS)),
                row(SYSTEM, 'rides the replay charged', count(charged), 'taps journaled offline', count(TAPS)),
            ],
        };
    } finally {
        await runtime?.stop();
        proxy.close();
        redis.disconnect();
        fs.rmSync(userDir, { recursive: true, force: true });
    }
}
