// Follows one counter key: subscribes to its keyspace channel first and reads it second
// (so no change can slip between the two), re-reads on every notification, and reports
// the latest value only. One GET is in flight at a time; notifications that arrive
// meanwhile ask for one more read after it, so a burst of thousands of changes costs a
// handful of reads and always ends on the final value.
import { EventEmitter } from 'events';
import type { RedisConnection } from '../redis/connection';
import { ensureKeyspaceNotifications } from './notifications';
import { counterValue } from './value';

export type ValueReason = 'initial' | 'change' | 'reconnect';

export interface WatcherEvents {
    value: [value: number, reason: ValueReason];
    /** The key holds something that is not a counter; reported once per distinct value. */
    invalid: [error: Error];
    /** Notifications cannot be enabled; the watcher polls instead. Reported once. */
    polling: [reason: string];
    error: [error: Error];
}

export interface WatcherOptions {
    /** How often to re-read when keyspace notifications are unavailable, in ms. */
    pollInterval?: number;
}

export class CounterWatcher extends EventEmitter<WatcherEvents> {
    /** The keyspace subscription, shared by overlapping connects so they subscribe once. */
    private listening?: Promise<() => Promise<void>>;
    private reading = false;
    private again = false;
    private pendingReason: ValueReason | undefined;
    private last: number | undefined;
    private lastInvalid: string | undefined;
    private pollTimer?: NodeJS.Timeout;
    private retryTimer?: NodeJS.Timeout;
    private toldPolling = false;
    private closed = false;
    private readonly onReady = () => void this.connect('reconnect');
    private readonly onSubscriberReady = () => this.refresh('reconnect');

    constructor(private readonly connection: RedisConnection, readonly key: string, private readonly options: WatcherOptions = {}) {
        super();
    }

    get value(): number | undefined {
        return this.last;
    }

    start(): void {
        this.connection.on('ready', this.onReady);
        this.connection.on('subscriber-reconnected', this.onSubscriberReady);
        this.connection.on('keyspace-moved', this.onReady);
        if (this.connection.ready) void this.connect('initial');
    }

    async stop(): Promise<void> {
        this.closed = true;
        this.connection.off('ready', this.onReady);
        this.connection.off('subscriber-reconnected', this.onSubscriberReady);
        this.connection.off('keyspace-moved', this.onReady);
        if (this.pollTimer) clearInterval(this.pollTimer);
        clearTimeout(this.retryTimer);
        const listening = this.listening;
        this.listening = undefined;
        // A subscription still in flight is removed once it is made; one that failed has nothing to remove.
        const unlisten = await listening?.catch(() => undefined);
        await unlisten?.();
    }

    /** Reads the key now and reports it; `reason` says why (a change, a reconnect). */
    refresh(reason: ValueReason = 'change'): void {
        if (this.closed) return;
        // The strongest reason wins: a reconnect or the first read must be reported
        // even when the value did not change.
        if (this.pendingReason === undefined || reason !== 'change') this.pendingReason = reason;
        if (this.reading) {
            this.again = true;
            return;
        }
        void this.read();
    }

    private async connect(reason: ValueReason): Promise<void> {
        // A 'ready' or 'keyspace-moved' that connects first makes a pending retry redundant;
        // left to fire, it would set up again and report an unchanged value as 'reconnect'.
        clearTimeout(this.retryTimer);
        this.retryTimer = undefined;
        try {
            const setup = await ensureKeyspaceNotifications(this.connection.keyspaceServer(this.key));
            if (!setup.ok) this.startPolling(setup.reason);
            if (this.closed) return;
            await this.subscribe();
            // stop() removes the subscription if it came in after the watcher was closed.
            if (this.closed) return;
            this.refresh(this.last === undefined ? 'initial' : reason);
        } catch (err) {
            this.emit('error', err as Error);
            this.scheduleRetry(reason);
        }
    }

    /** Subscribes once; overlapping connects await the same subscription. */
    private async subscribe(): Promise<void> {
        const listening = this.listening ?? this.connection.listenKeyspace(this.key, () => this.refresh('change'));
        this.listening = listening;
        try {
            await listening;
        } catch (err) {
            // The next connect subscribes afresh (unless one already has).
            if (this.listening === listening) this.listening = undefined;
            throw err;
        }
    }

    /**
     * A command timed out (a busy Redis just after its restart) or Redis went away again:
     * try again shortly, or at the next 'ready' if the connection is gone. Without this a
     * counter could stay on an old value with notifications off.
     */
    private scheduleRetry(reason: ValueReason): void {
        if (this.closed) return;
        clearTimeout(this.retryTimer);
        this.retryTimer = setTimeout(() => {
            if (!this.closed && this.connection.ready) void this.connect(reason);
        }, 500);
        this.retryTimer.unref();
    }

    private startPolling(reason: string): void {
        if (!this.toldPolling) {
            this.toldPolling = true;
            this.emit('polling', reason);
        }
        if (this.pollTimer) return;
        this.pollTimer = setInterval(() => {
            if (this.connection.ready) this.refresh('change');
        }, this.options.pollInterval ?? 1000);
        this.pollTimer.unref();
    }

    private async read(): Promise<void> {
        this.reading = true;
        try {
            do {
                this.again = false;
                const reason = this.pendingReason ?? 'change';
                this.pendingReason = undefined;
                let raw: string | null;
                try {
                    raw = await this.connection.command.get(this.key);
                } catch (err) {
                    // Keep the reason so the read after reconnecting still reports it.
                    this.pendingReason = this.pendingReason ?? reason;
                    this.emit('error', err as Error);
                    return;
                }
                if (this.closed) return;
                this.deliver(raw, reason);
            } while (this.again && !this.closed);
        } finally {
            this.reading = false;
        }
    }

    private deliver(raw: string | null, reason: ValueReason): void {
        let value: number;
        try {
            value = counterValue(this.key, raw);
        } catch (err) {
            if (raw !== this.lastInvalid) this.emit('invalid', err as Error);
            this.lastInvalid = raw ?? undefined;
            return;
        }
        this.lastInvalid = undefined;
        if (value === this.last && reason === 'change') return;
        this.last = value;
        this.emit('value', value, reason);
    }
}
