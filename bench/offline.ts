// A gate's local copy of the passes (the `known-passes` offline policy, replica.ts): the
// heap it takes for 100,000 mixed passes beside what Redis itself uses for them, how long a
// full read takes beside a bare SCAN of the same keys, and how fast it decides beside the
// tap script (which it stands in for while Redis is away).
import v8 from 'v8';
import vm from 'vm';
import Redis from 'ioredis';
import { RedisConnection } from '../nodes/lib/redis/connection';
import { PassReplica } from '../nodes/lib/transit/replica';
import { TransitStore } from '../nodes/lib/transit/store';
import { redisNowMs } from '../test/support/redis-time';
import { measure, MB, progress } from './stats';
import { Figure, megabytes, ms, rate, row, TableRow } from './table';

const PASSES = Number(process.env.BENCH_OFFLINE_PASSES || 100_000);
const BLOCKED = PASSES / 100;
const PREFIX = 'offline:pass:';
const cardId = (i: number) => `0FF${i.toString(16).toUpperCase().padStart(7, '0')}`;

/** A collection on demand: the heap's growth is what the copy keeps, not garbage of the load. */
function collector(): () => void {
    v8.setFlagsFromString('--expose-gc');
    return vm.runInNewContext('gc') as () => void;
}

/** What a fleet holds: the original three (some two-hour passes started) and catalogue products. */
async function writePasses(redis: Redis): Promise<void> {
    const now = await redisNowMs(redis);
    for (let start = 0; start < PASSES; start += 5000) {
        const pipe = redis.pipeline();
        for (let i = start; i < Math.min(start + 5000, PASSES); i++) {
            const key = PREFIX + cardId(i);
            const kind = i % 20;
            if (kind < 8) pipe.hset(key, 'passType', 'TEN_TRIP', 'tripsRemaining', 1 + (i % 10), 'issuedAt', now, 'saleId', `s${i}`);
            else if (kind < 12) pipe.hset(key, 'passType', 'SINGLE_USE', 'issuedAt', now, 'saleId', `s${i}`);
            else if (kind < 15) {
                pipe.hset(key, 'passType', 'TWO_HOUR', 'issuedAt', now, 'saleId', `s${i}`);
                if (kind === 14) pipe.pexpire(key, 3_600_000);
            } else {
                const expiresAt = now + 86_400_000;
                pipe.hset(key, 'passType', 'DAY', 'label', 'day pass', 'rides', 0, 'validity', 86400, 'starts', 'sale',
                    'expiresAt', expiresAt, 'issuedAt', now, 'saleId', `s${i}`);
                pipe.pexpireat(key, expiresAt);
            }
            if (i % (PASSES / BLOCKED) === 0) pipe.hset(`{${key}}:deny`, 'reason', 'lost', 'operator', 'bench', 'at', now);
        }
        await pipe.exec();
    }
}

async function usedMemory(redis: Redis): Promise<number> {
    return Number(/used_memory:(\d+)/.exec(await redis.info('memory'))?.[1]);
}

async function scanOnly(redis: Redis): Promise<number> {
    const t0 = performance.now();
    let cursor = '0';
    do [cursor] = await redis.scan(cursor, 'MATCH', `${PREFIX}*`, 'COUNT', 1000);
    while (cursor !== '0');
    return performance.now() - t0;
}

export interface OfflineBench {
    results: { passes: number; heapBytes: number; bytesPerPass: number; redisBytesPerPass: number; loadMs: number; scanMs: number; decisionsPerSecond: number; scriptPerSecond: number };
    rows: TableRow[];
}

const SYSTEM = 'Offline gate';

export async function benchOffline(port: number): Promise<OfflineBench> {
    const gc = collector();
    const redis = new Redis(port);
    const redisBefore = await usedMemory(redis);
    progress(`offline: writing ${PASSES.toLocaleString('en-US')} passes…`);
    await writePasses(redis);
    const redisBytesPerPass = ((await usedMemory(redis)) - redisBefore) / PASSES;
    const scanMs = await scanOnly(redis);

    const connection = new RedisConnection({ mode: 'standalone', host: '127.0.0.1', port, db: 0, tls: false, commandTimeout: 1000 });
    await new Promise<void>((resolve) => connection.once('ready', resolve));
    gc();
    const heapBefore = process.memoryUsage().heapUsed;
    progress('offline: loading the copy…');
    const t0 = performance.now();
    const copy = PassReplica.acquire(connection, { keyPrefix: PREFIX, layout: 'uid' });
    await new Promise<void>((resolve) => copy.once('synced', resolve));
    const loadMs = performance.now() - t0;
    gc();
    const heapBytes = process.memoryUsage().heapUsed - heapBefore;
    if (copy.size !== PASSES) throw new Error(`the copy holds ${copy.size} passes, not ${PASSES}`);

    // Each card once, three rounds (passes are used up as they go: later rounds deny more).
    const now = await redisNowMs(redis);
    const rounds = 3;
    const d0 = performance.now();
    let granted = 0;
    for (let r = 0; r < rounds; r++) for (let i = 0; i < PASSES; i++) if (copy.decide(cardId(i), now + r).granted) granted++;
    const decisionsPerSecond = (rounds * PASSES) / ((performance.now() - d0) / 1000);
    progress(`offline: ${granted} of ${rounds * PASSES} granted; the tap script for comparison…`);

    const store = new TransitStore(redis, { keyPrefix: PREFIX, stream: 'offline:events' });
    const script = await measure(2000, 1, (i) => store.tap(cardId(i % PASSES), 'bench-gate', `b${i}`, 0));
    await copy.release();
    await connection.close();
    await redis.flushdb();
    redis.disconnect();

    const bytesPerPass = heapBytes / PASSES;
    const perPass = (v: number): Figure => ({ values: [v], unit: 'B' });
    const perSecond = (v: number): Figure => ({ values: [v], unit: '/s' });
    const count = PASSES.toLocaleString('en-US');
    return {
        results: { passes: PASSES, heapBytes, bytesPerPass, redisBytesPerPass, loadMs, scanMs, decisionsPerSecond, scriptPerSecond: script.perSecond },
        rows: [
            row(SYSTEM, `copy of ${count} passes: V8 heap kept after a full read (GC before and after)`, megabytes(heapBytes / MB),
                "Redis's own memory for them (INFO used_memory growth)", megabytes((redisBytesPerPass * PASSES) / MB)),
            row(SYSTEM, 'copy: heap per pass', perPass(bytesPerPass), "Redis's memory per pass", perPass(redisBytesPerPass)),
            row(SYSTEM, `full read of ${count} passes (SCAN, read script: TYPE HMGET PTTL, parse)`, ms(loadMs), 'a bare SCAN of the same keys', ms(scanMs)),
            row(SYSTEM, 'offline decisions from the copy (1 gate, synchronous)', perSecond(decisionsPerSecond), 'the tap script, 1 in flight', rate(script)),
        ],
    };
}
