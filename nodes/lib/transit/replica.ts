// A gate's local copy of every pass and deny-list entry under its prefix, so that it can
// decide taps alone while Redis is away (the `known-passes` offline policy). Kept current
// with nothing added to the tap path: Redis itself names each key that changes (CLIENT
// TRACKING in broadcast mode, tracking.ts), whoever wrote it, and the copy re-reads those
// keys in the background, in batches, on a client of its own (replica-reader.ts).
//
// A tracking session that ends (the socket dropped, Redis restarted, a failover) missed
// changes nobody will name, so each new session starts with a full re-read (SCAN), swapped
// in when complete; until then the gate decides from the copy it had. One copy per
// (connection, prefix, layout) in a process, shared by its gates.
import { EventEmitter } from 'events';
import type Redis from 'ioredis';
import { createClient, quitClient } from '../redis/client-factory';
import type { RedisConnection } from '../redis/connection';
import { MissCounter } from '../redis/health';
import { KeyTracker } from '../redis/tracking';
import { checkKeyPrefix, KeyLayout } from './keys';
import type { OfflineDecision } from './offline';
import { decide as decideByRules } from './offline-rules';
import { TWO_HOUR_MS } from './pass-types';
import { Interner, PassState } from './pass-state';
import { BATCH, readKeys, ReadKey, scanAll } from './replica-reader';
import { HeldKey, replicaKeys, ReplicaKeys } from './replica-keys';

/**
 * The most passes a copy holds: about 43 MB of heap at the 170 bytes per pass the bench measures
 * (BENCH_ONLY=offline). Beyond it the copy stops growing and says so (`truncated`), and a
 * card it does not hold is answered `unavailable`, as a gate without a copy would.
 */
export const MAX_PASSES = 250_000;

/** Waits after a failed read before the next try, doubling to the last. */
const RETRY_MS = [250, 500, 1000, 2000];

export interface ReplicaEvents {
    /** A full read finished on a tracking session: the copy is current. */
    synced: [];
    /** The copy stopped being current (its client is away, or tracking was refused). */
    stale: [reason: string];
}

export interface ReplicaOptions {
    keyPrefix: string;
    layout: KeyLayout;
}

export class PassReplica extends EventEmitter<ReplicaEvents> {
    private static readonly shared = new WeakMap<RedisConnection, Map<string, PassReplica>>();

    /** One shared copy per (connection, keyPrefix, layout) in this process, reference counted. */
    static acquire(connection: RedisConnection, options: ReplicaOptions): PassReplica {
        if (connection.mode === 'cluster') throw new Error('offline known-passes needs a standalone or Sentinel Redis');
        const prefix = options.layout === 'original' ? '' : checkKeyPrefix(options.keyPrefix);
        const id = `${options.layout}\n${prefix}`;
        const copies = PassReplica.shared.get(connection) ?? new Map<string, PassReplica>();
        PassReplica.shared.set(connection, copies);
        let copy = copies.get(id);
        if (!copy) {
            const forget = (): void => void copies.delete(id);
            copy = new PassReplica(connection, replicaKeys(prefix, options.layout), forget);
            copies.set(id, copy);
        }
        copy.users += 1;
        return copy;
    }

    private users = 0;
    private passes = new Map<string, PassState>();
    /** Blocked cards, with their entry's expiry (Infinity: none). */
    private denied = new Map<string, number>();
    /** Keys Redis said changed, to re-read. */
    private readonly dirty = new Map<string, HeldKey>();
    private readonly strings = new Interner();
    private readonly tracker: KeyTracker;
    private readonly reader: Redis;
    private readonly readerMisses: MissCounter;
    /** Bumped when a tracking session starts or ends and on a flush: reads begun before are void. */
    private generation = 0;
    private isSynced = false;
    private syncing = false;
    private reading = false;
    private retryTimer?: NodeJS.Timeout;
    private failures = 0;
    private closed = false;
    private lastSync?: number;
    /** More passes than MAX_PASSES were found at the last full read, or added since. */
    truncated = false;

    private constructor(connection: RedisConnection, private readonly keys: ReplicaKeys, private readonly forget: () => void) {
        super();
        const settings = connection.settings;
        // Reads may be a thousand keys long: a bound of their own, not the taps' commandTimeout.
        this.reader = createClient(settings, { enableOfflineQueue: false, maxRetriesPerRequest: 0, autoResendUnfulfilledCommands: false,
            commandTimeout: Math.max(settings.commandTimeout, 5000) }, () => undefined) as Redis;
        this.readerMisses = new MissCounter(() => this.reader.disconnect(true));
        this.reader.on('ready', () => this.kick());
        this.tracker = new KeyTracker(settings, keys.prefixes);
        this.tracker.on('tracking', () => this.newSession());
        this.tracker.on('lost', (reason) => this.endSession(reason));
        this.tracker.on('invalidate', (changed) => this.invalidate(changed));
    }

    /** Passes held. */
    get size(): number {
        return this.passes.size;
    }

    /** A full read finished and tracking is on: false while loading, or while its client is away. */
    get synced(): boolean {
        return this.isSynced;
    }

    /** performance.now() at the end of the last full read, for a status. */
    get loadedAt(): number | undefined {
        return this.lastSync;
    }

    /** Why tracking is not on, when Redis refused it or the client failed, for a status. */
    get lastError(): Error | undefined {
        return this.tracker.lastError;
    }

    /** Cards on the deny list. */
    get blockedCount(): number {
        return this.denied.size;
    }

    /**
     * Decides a tap at `now` (Redis-clock ms) by TAP_SCRIPT's rules, from the copy, and
     * applies the decision's effect to the copy (a trip used, an activation, a pass used up
     * or expired deleted). `card` is a TransitStore.cardId() result. Never touches Redis;
     * repeat taps are the gate's own. Before the first full read every tap is `unavailable`.
     */
    decide(card: string, now: number): OfflineDecision {
        if (this.lastSync === undefined) return { granted: false, reason: 'unavailable' };
        const blockedUntil = this.denied.get(card);
        const blocked = blockedUntil !== undefined && !(now > blockedUntil);
        const pass = this.passes.get(card);
        if (!pass && !blocked && this.truncated) return { granted: false, reason: 'unavailable' };
        const { decision, next } = decideByRules(pass, blocked, now, TWO_HOUR_MS);
        if (next === null) this.passes.delete(card);
        else if (next) this.passes.set(card, next);
        return decision;
    }

    /** The copy's state of a card's pass (for tests and a status), or undefined. */
    pass(card: string): PassState | undefined {
        return this.passes.get(card);
    }

    /** Whether the copy has the card on the deny list. */
    blocked(card: string): boolean {
        return this.denied.has(card);
    }

    /** The last release stops the copy's clients. */
    async release(): Promise<void> {
        this.users -= 1;
        if (this.users > 0 || this.closed) return;
        this.closed = true;
        this.forget();
        this.generation += 1;
        clearTimeout(this.retryTimer);
        await Promise.all([this.tracker.close(), quitClient(this.reader)]);
        this.removeAllListeners();
    }

    private newSession(): void {
        this.generation += 1;
        this.dirty.clear();
        this.syncing = true;
        this.failures = 0;
        this.kick();
    }

    private endSession(reason: string): void {
        this.generation += 1;
        this.syncing = false;
        this.dirty.clear();
        if (!this.isSynced) return;
        this.isSynced = false;
        this.emit('stale', reason);
    }

    private invalidate(changed: string[] | null): void {
        if (changed === null) {
            // A database was flushed: Redis says so for FLUSHDB of any database, ours or
            // not, so the copy reads everything again rather than assume it is empty.
            // Reads in flight are void; until the new read is in, the old copy decides.
            this.generation += 1;
            this.dirty.clear();
            this.syncing = true;
            if (this.isSynced) {
                this.isSynced = false;
                this.emit('stale', 'a database was flushed');
            }
            this.kick();
            return;
        }
        // Tracking names keys whatever their database: a key of the same name in another is re-read for nothing.
        for (const key of changed) {
            const held = this.keys.classify(key);
            if (held) this.dirty.set(key, held);
        }
        this.kick();
    }

    /** Starts the pending work (a full read, then the dirty keys) unless it is running. */
    private kick(): void {
        if (this.reading || this.closed || !this.tracker.tracking || this.reader.status !== 'ready') return;
        if (!this.syncing && !this.dirty.size) return;
        clearTimeout(this.retryTimer);
        this.retryTimer = undefined;
        this.reading = true;
        const generation = this.generation;
        const work = this.syncing ? this.fullRead(generation) : this.readDirty(generation);
        work.then(() => {
            this.failures = 0;
            this.readerMisses.answered();
        }, () => {
            this.readerMisses.missed();
            this.failures += 1;
        }).finally(() => {
            this.reading = false;
            if (this.failures) this.retryLater();
            else this.kick();
        });
    }

    private retryLater(): void {
        if (this.closed || this.retryTimer) return;
        this.retryTimer = setTimeout(() => {
            this.retryTimer = undefined;
            this.kick();
        }, RETRY_MS[Math.min(this.failures, RETRY_MS.length) - 1]);
        this.retryTimer.unref();
    }

    private async fullRead(generation: number): Promise<void> {
        const passes = new Map<string, PassState>();
        const denied = new Map<string, number>();
        let truncated = false;
        const stop = (): boolean => generation !== this.generation;
        for (const pattern of this.keys.patterns) {
            await scanAll(this.reader, pattern, async (found) => {
                const wanted = found.flatMap((key) => {
                    const held = this.keys.classify(key);
                    return held ? [{ key, held }] : [];
                });
                if (!wanted.length) return;
                const read = await readKeys(this.reader, wanted, this.strings);
                if (!stop()) truncated = store(read, passes, denied) || truncated;
            }, stop);
            if (stop()) return;
        }
        this.passes = passes;
        this.denied = denied;
        this.truncated = truncated;
        this.syncing = false;
        this.isSynced = true;
        this.lastSync = performance.now();
        this.emit('synced');
    }

    private async readDirty(generation: number): Promise<void> {
        const batch = [...this.dirty].slice(0, BATCH).map(([key, held]) => ({ key, held }));
        batch.forEach(({ key }) => this.dirty.delete(key));
        try {
            const read = await readKeys(this.reader, batch, this.strings);
            if (generation === this.generation && store(read, this.passes, this.denied)) this.truncated = true;
        } catch (err) {
            // Read again later, unless a change since already asked for it (or the session ended).
            if (generation === this.generation) batch.forEach(({ key, held }) => this.dirty.has(key) || this.dirty.set(key, held));
            throw err;
        }
    }
}

/** Puts what was read into the maps; true when a pass was left out for MAX_PASSES. */
function store(read: ReadKey[], passes: Map<string, PassState>, denied: Map<string, number>): boolean {
    let truncated = false;
    for (const r of read) {
        if (r.kind === 'deny') {
            if (r.expireAt === undefined) denied.delete(r.card);
            else denied.set(r.card, r.expireAt);
        } else if (r.pass === undefined) {
            passes.delete(r.card);
        } else if (passes.size < MAX_PASSES || passes.has(r.card)) {
            passes.set(r.card, r.pass);
        } else {
            truncated = true;
        }
    }
    return truncated;
}
