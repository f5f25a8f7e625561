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
    private unlisten?: () => Promise<void>;
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

    /** The keyspace channel of the key in the connection's database. */
    get channel(): string {
        return this.connection.keyspaceChannel(this.key);
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
        if (this.retryTimer) clearTimeout(this.retryTimer);
        await this.unlisten?.();
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
        try {
            const setup = await ensureKeyspaceNotifications(this.connection.keyspaceServer(this.key));
            if (!setup.ok) this.startPolling(setup.reason);
            if (!this.unlisten) this.unlisten = await this.connection.listenKeyspace(this.key, () => this.refresh('change'));
            if (this.closed) {
                await this.unlisten();
                return;
            }
            this.refresh(this.last === undefined ? 'initial' : reason);
        } catch (err) {
            this.emit('error', err as Error);
            // A command timed out (a busy Redis just after its restart) or Redis went away
            // again: try again shortly, or at the next 'ready' if the connection is gone.
            // Without this a counter could stay on an old value with notifications off.
            this.retryTimer = setTimeout(() => {
                if (!this.closed && this.connection.ready) void this.connect(reason);
            }, 500);
            this.retryTimer.unref();
        }
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
