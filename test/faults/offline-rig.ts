// Gates that keep deciding while Redis is away (issue 15), for the fault tests: a Redis
// that survives a SIGKILL (appendfsync always), a TCP proxy every gate runtime talks
// through, gate runtimes each with a userDir of its own (where the journals are), the
// passes sold before the outage, and what the test needs to compare afterwards: every
// decision the gates reported, their journal files, the stream and Redis's keys.
import fs from 'fs';
import os from 'os';
import path from 'path';
import Redis from 'ioredis';
import { CardAdmin } from '../../nodes/lib/transit/card-admin';
import { StreamEvent, toEvent } from '../../nodes/lib/transit/event-reader';
import { journalFile } from '../../nodes/lib/transit/journal';
import { cardKeys } from '../../nodes/lib/transit/keys';
import type { JournalEntry, OfflinePolicy } from '../../nodes/lib/transit/offline';
import type { PassType } from '../../nodes/lib/transit/pass-types';
import { ORIGINAL_PRODUCTS, Product } from '../../nodes/lib/transit/products';
import { TransitStore } from '../../nodes/lib/transit/store';
import { uniqueCard } from '../support/cards';
import { Decision, GateRuntime, Tap } from '../support/gate-runtime';
import { RedisProcess } from '../support/redis-process';
import { TcpProxy } from '../support/tcp-proxy';

export const PREFIX = 'offline:pass:';
export const STREAM = 'offline:events';

/** Catalogue products beside the original three: rides only, valid from the sale, valid from the first ride. */
export const CATALOGUE: Product[] = [
    { id: 'RIDES5', label: 'five rides', rides: 5, validity: 0, starts: 'sale' },
    { id: 'DAY', label: 'day', rides: 0, validity: 86400, starts: 'sale' },
    { id: 'HOUR', label: 'hour', rides: 0, validity: 3600, starts: 'first-use' },
];
export const PRODUCTS: Product[] = [...ORIGINAL_PRODUCTS, ...CATALOGUE];
/** The rides a product's pass holds when sold (undefined: not counted). */
export const ridesOf = (p: Product): number | undefined => (p.id === 'SINGLE_USE' ? 1 : p.rides > 0 ? p.rides : undefined);
/** Its validity starts at the first ride. */
export const startsOnFirstUse = (p: Product): boolean => p.validity > 0 && p.starts === 'first-use';

/** A card id no other test uses (0F…, this file's cards). */
export const offlineCard = (): string => uniqueCard('0F');

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A small seeded generator: the same plan every run. */
export function seeded(seed: number): () => number {
    let s = seed >>> 0;
    return () => {
        s = (s + 0x6d2b79f5) >>> 0;
        let t = s;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}

/** A private Redis that keeps what it acknowledged across a SIGKILL, a proxy in front of it, and a direct client. */
export class OfflineWorld {
    readonly direct: Redis;
    readonly store: TransitStore;
    readonly admin: CardAdmin;
    private readonly dirs: string[] = [];
    readonly runtimes: GateRuntime[] = [];

    private constructor(readonly redis: RedisProcess, readonly proxy: TcpProxy) {
        this.direct = new Redis(redis.port, { maxRetriesPerRequest: 50 });
        // Redis is SIGKILLed on purpose: commands wait for it to return, errors need no report.
        this.direct.on('error', () => undefined);
        this.store = new TransitStore(this.direct, { keyPrefix: PREFIX, stream: STREAM });
        this.admin = new CardAdmin(this.store);
    }

    static async start(): Promise<OfflineWorld> {
        const redis = await RedisProcess.start(['--appendonly', 'yes', '--appendfsync', 'always']);
        return new OfflineWorld(redis, await TcpProxy.start(redis.port));
    }

    /** A runtime of `gates` gates (ids `<name>-gate-<i>`) behind the proxy, with a userDir of its own. */
    async runtime(name: string, gates: number, gate: Record<string, unknown>, perGate?: Array<Record<string, unknown> | undefined>): Promise<GateRuntime> {
        const userDir = fs.mkdtempSync(path.join(os.tmpdir(), `redis-iot-offline-${name}-`));
        this.dirs.push(userDir);
        const runtime = await GateRuntime.start({ name, port: this.proxy.port, gates, keyPrefix: PREFIX, stream: STREAM, gate, perGate, userDir });
        this.runtimes.push(runtime);
        return runtime;
    }

    /** Replaces a killed runtime by a new one on the same flow and userDir (Redis may be away: not waited for). */
    async restart(runtime: GateRuntime): Promise<GateRuntime> {
        const again = await runtime.restart({ connected: false });
        this.runtimes[this.runtimes.indexOf(runtime)] = again;
        return again;
    }

    async sell(card: string, product: Product | PassType): Promise<void> {
        const sale = await this.store.sell(card, product, `sale-${card}`, 'offline-test');
        if (!sale.sold) throw new Error(`could not sell ${typeof product === 'string' ? product : product.id} to ${card}: ${sale.reason}`);
    }

    async close(): Promise<void> {
        await Promise.all(this.runtimes.map((r) => r.stop()));
        this.proxy.close();
        this.direct.disconnect();
        await this.redis.destroy();
        for (const dir of this.dirs) fs.rmSync(dir, { recursive: true, force: true });
    }
}

export const policyGate = (policy: OfflinePolicy, repeatWindow = 0) => ({ offlinePolicy: policy, repeatWindow });

// --- what the gates said ---

export interface Said extends Decision {
    runtime: string;
    gate: number;
    /** The gate id (`<runtime>-gate-<i>`). */
    gateId: string;
    card: string;
}

/** Every decision the gates reported, by tap id. */
export class Decisions {
    readonly all: Said[] = [];
    /** Every tap sent, answered or not, in the order sent. */
    readonly sent: Array<{ tapId: string; card: string; gateId: string }> = [];
    private seq = 0;

    /** Taps `cards` at gates of `runtime` in batches of `batch`, each batch answered before the next. */
    async tap(runtime: GateRuntime, taps: Array<{ gate: number; card: string }>, batch = 8): Promise<void> {
        for (let i = 0; i < taps.length; i += batch) {
            const sent: Tap[] = taps.slice(i, i + batch).map((t) => ({ ...t, id: ++this.seq, tapId: `${runtime.name}-${t.gate}-${this.seq}` }));
            for (const t of sent) this.sent.push({ tapId: t.tapId as string, card: t.card, gateId: gateIdOf(runtime, t.gate) });
            const answers = await runtime.tap(sent);
            answers.forEach((d, j) => this.all.push({ ...d, runtime: runtime.name, gate: sent[j].gate, gateId: gateIdOf(runtime, sent[j].gate), card: sent[j].card }));
        }
    }

    forCard(card: string): Said[] {
        return this.all.filter((d) => d.card === card);
    }

    get offline(): Said[] {
        return this.all.filter((d) => d.offline);
    }
}

export const gateIdOf = (runtime: GateRuntime, gate: number): string => `${runtime.name}-gate-${gate}`;
const reasonOf = (d: Decision): string | undefined => d.payload.reason as string | undefined;
export const isUnavailable = (d: Decision): boolean => !d.granted && reasonOf(d) === 'unavailable';

// --- the journals ---

export type JournalLine = JournalEntry & { seq?: number };

/** A gate's taps in its journal as it is on disk now ([] when there is none); a torn last line and replayed marks are left out. */
export function readJournal(runtime: GateRuntime, gate: number): JournalLine[] {
    const file = journalFile(runtime.flow.userDir as string, gateIdOf(runtime, gate));
    if (!fs.existsSync(file)) return [];
    const lines = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim());
    const entries: JournalLine[] = [];
    for (const line of lines) {
        try {
            const entry = JSON.parse(line) as JournalLine;
            if (typeof entry.tapId === 'string') entries.push(entry);
        } catch {
            // A line being written when the process died.
        }
    }
    return entries;
}

// --- what Redis holds ---

/** Every entry of the stream, oldest first. */
export async function streamEvents(redis: Redis): Promise<StreamEvent[]> {
    return (await redis.xrange(STREAM, '-', '+')).map(([id, fields]) => toEvent(id, fields));
}

/** The decision record a tap left (`{<pass>}:op:tap:<tapId>`), or null. */
export async function tapRecord(redis: Redis, card: string, tapId: string): Promise<{ granted: boolean; reason?: string; at?: number } | null> {
    const text = await redis.get(cardKeys(PREFIX, card).record(`tap:${tapId}`));
    return text ? JSON.parse(text) as { granted: boolean; reason?: string; at?: number } : null;
}

export async function passOf(redis: Redis, card: string): Promise<Record<string, string> | null> {
    const pass = await redis.hgetall(cardKeys(PREFIX, card).pass);
    return Object.keys(pass).length ? pass : null;
}

export async function denyOf(redis: Redis, card: string): Promise<Record<string, string> | null> {
    const entry = await redis.hgetall(cardKeys(PREFIX, card).deny);
    return Object.keys(entry).length ? entry : null;
}
