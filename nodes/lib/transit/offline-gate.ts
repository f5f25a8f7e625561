// A gate's life while Redis is away: it decides each tap alone (from its copy of the passes,
// or letting everyone in), journals the decision durably before answering, and when Redis
// is back replays the journal, in order and with the same tap ids, through the same tap
// script, which charges each tap once and reports what the rules refuse (TAP_SCRIPT).
import { EventEmitter } from 'events';
import type { RedisConnection } from '../redis/connection';
import { TapJournal } from './journal';
import type { JournaledTap, JournalEntry, OfflineDecision } from './offline';
import type { PassReplica } from './replica';
import type { TapDecision, TransitStore } from './store';

/** How far the gate's journal is from being charged (a gate node's transitJournal). */
export interface ReplayProgress {
    /** Offline decisions journaled and not yet replayed into Redis. */
    pending: number;
    /** Replayed since the gate started. */
    replayed: number;
    /** Replayed taps the rules refused after the gate let them in (pass-overused), in the same span. */
    overused: number;
    /** True while a replay runs. */
    replaying: boolean;
}

/** Taps replayed per round trip: sent together, Redis runs them in journal order. */
const REPLAY_BATCH = 64;
/** How often a gate with taps to replay tries again after a failed replay (ms). */
const RETRY_MS = 1000;

export type OfflineGateOptions = {
    gateId: string;
    repeatWindowMs: number;
    journalFile: string;
    store: TransitStore;
    connection: RedisConnection;
} & ({ policy: 'open' } | { policy: 'known-passes'; /** The copy it decides from. */ replica: PassReplica });

interface OfflineGateEvents {
    progress: [ReplayProgress];
    /** A replay that failed for a reason other than Redis going away again (for the log). */
    error: [Error];
}

/** Journal files open in this process: two gates writing one file would corrupt it. */
const openJournals = new Set<string>();

export class OfflineGate extends EventEmitter<OfflineGateEvents> {
    private journal: Promise<TapJournal>;
    /** The journal once open, for the counts read synchronously. */
    private opened?: TapJournal;
    /** Repeat-tap window kept locally while offline: card → performance.now() of its last grant. */
    private readonly lastGrant = new Map<string, number>();
    private replayed = 0;
    private overused = 0;
    private replaying?: Promise<void>;
    private retry?: NodeJS.Timeout;
    private closed = false;
    private readonly onReady = () => this.replay();

    constructor(private readonly options: OfflineGateOptions) {
        super();
        if (openJournals.has(options.journalFile)) {
            throw new Error(`another gate in this Node-RED already journals to ${options.journalFile}: give each gate its own gate id`);
        }
        openJournals.add(options.journalFile);
        this.journal = this.open();
        options.connection.on('ready', this.onReady);
    }

    get progress(): ReplayProgress {
        return { pending: this.pendingNow, replayed: this.replayed, overused: this.overused, replaying: this.replaying !== undefined };
    }

    /**
     * True while taps journaled earlier are not yet in Redis: a tap decided by Redis now
     * would be charged before them, so the gate decides it offline too, behind them.
     */
    get behind(): boolean {
        return this.pendingNow > 0;
    }

    /**
     * Decides a tap without Redis and journals it; resolves once the journal is on disk.
     * `card` is a TransitStore.cardId() result.
     */
    async decide(card: string, tapId: string): Promise<{ decision: OfflineDecision; entry: JournaledTap }> {
        const journal = await this.journal;
        const { at, floor } = this.reckon(journal.lastEntry);
        const decision = this.decideAt(card, at);
        let entry: JournaledTap;
        try {
            const timed = decision.granted && decision.remainingTime !== undefined
                ? { passType: decision.passType, validUntil: at + decision.remainingTime * 1000 } : {};
            entry = await journal.append({ tapId, card, gate: this.options.gateId, at, floor, wall: Date.now(),
                policy: this.options.policy, granted: decision.granted, reason: decision.reason, ...timed });
        } catch (err) {
            // A failed write leaves the file's end unknown: the journal refuses further writes,
            // and reopening it cuts a torn tail, so the next tap can be journaled again.
            this.journal = journal.close().catch(() => undefined).then(() => this.open());
            throw err;
        }
        this.emit('progress', this.progress);
        // Redis may be back already (the tap came while the replay ran): replay it too.
        this.replay();
        return { decision, entry };
    }

    async close(): Promise<void> {
        this.closed = true;
        this.options.connection.off('ready', this.onReady);
        clearTimeout(this.retry);
        await this.replaying;
        openJournals.delete(this.options.journalFile);
        await (await this.journal.catch(() => undefined))?.close();
    }

    private open(): Promise<TapJournal> {
        const opening = TapJournal.open(this.options.journalFile);
        // Unhandled, a failed open would stop Node-RED; decide() reports it instead.
        opening.then((journal) => {
            this.opened = journal;
            this.emit('progress', this.progress);
            this.replay();
        }, () => undefined);
        return opening;
    }

    private get pendingNow(): number {
        return this.opened?.pendingCount ?? 0;
    }

    private decideAt(card: string, at: number): OfflineDecision {
        const { options } = this;
        if (options.policy === 'open') return { granted: true };
        const { repeatWindowMs } = options;
        const last = this.lastGrant.get(card);
        const now = performance.now();
        if (repeatWindowMs > 0 && last !== undefined && now - last < repeatWindowMs) return { granted: false, reason: 'repeat-tap' };
        const decision = options.replica.decide(card, at);
        if (decision.granted && repeatWindowMs > 0) this.rememberGrant(card, now);
        return decision;
    }

    private rememberGrant(card: string, now: number): void {
        this.lastGrant.set(card, now);
        // Only grants inside the window matter: older ones are dropped so the map stays small.
        if (this.lastGrant.size > 1000) {
            for (const [c, t] of this.lastGrant) if (now - t >= this.options.repeatWindowMs) this.lastGrant.delete(c);
        }
    }

    /**
     * When the tap is taken, on Redis's clock. While this process has measured Redis's
     * clock: that offset carried by the monotonic clock. After a restart with Redis still
     * away: the last journaled tap plus the wall-clock time since, which a stepped clock may
     * get wrong, so never earlier than that tap. Never before the last moment Redis was seen
     * (floor), which the replay enforces too, with Redis's own now as the upper bound.
     */
    private reckon(last: JournalEntry | undefined): { at: number; floor: number } {
        const clock = this.options.connection.serverClock();
        const floor = Math.max(clock.lastMeasured ?? 0, last?.floor ?? 0);
        let at: number;
        if (clock.now !== undefined) at = clock.now;
        else if (last) at = last.at + Math.max(0, Date.now() - last.wall);
        else at = Date.now();
        return { at: Math.round(Math.max(at, floor, last?.at ?? 0)), floor };
    }

    /** Starts replaying the journal unless a replay runs, Redis is away or nothing is pending. */
    private replay(): void {
        const journal = this.opened;
        if (!journal || this.replaying || this.closed || !this.options.connection.ready || journal.pendingCount === 0) return;
        this.replaying = this.replayAll(journal).finally(() => {
            this.replaying = undefined;
            this.emit('progress', this.progress);
        });
        this.emit('progress', this.progress);
    }

    private async replayAll(journal: TapJournal): Promise<void> {
        const { store, repeatWindowMs } = this.options;
        try {
            while (journal.pendingCount > 0 && this.options.connection.ready && !this.closed) {
                const batch = journal.pending().slice(0, REPLAY_BATCH);
                // Sent at once on one socket: Redis runs them in this order.
                const decisions: TapDecision[] = await Promise.all(batch.map((e) => store.tap(e.card, e.gate, e.tapId, repeatWindowMs, e)));
                await journal.markReplayed(batch[batch.length - 1].seq);
                this.replayed += batch.length;
                this.overused += decisions.filter((d) => d.overused).length;
                this.emit('progress', this.progress);
            }
        } catch (err) {
            // Redis went away again, or a tap was refused outright: the journal keeps the taps,
            // which are replayed again (once each, by their ids) when Redis answers.
            if ((err as Error).name === 'ReplyError') this.emit('error', err as Error);
        }
        if (journal.pendingCount > 0 && !this.closed) {
            clearTimeout(this.retry);
            this.retry = setTimeout(() => this.replay(), RETRY_MS);
            this.retry.unref();
        }
    }
}
