// Word of every change to keys under some prefixes, pushed by Redis itself: server-assisted
// client-side caching in broadcast mode (CLIENT TRACKING ... BCAST PREFIX). Redis names
// each key written, deleted, expired or evicted, whoever changed it (our scripts, the
// original's Python, redis-cli), with no notification setting to make on the server and
// nothing added to the writers' round trips.
//
// One dedicated client does it all, redirecting the invalidations to itself over RESP2
// pub/sub (__redis__:invalidate). Not RESP3: ioredis speaks RESP3 by default and drops
// the "invalidate" push frames Redis sends there. Tracking lives and dies with the socket,
// so a reconnect is a new session: what changed meanwhile was never said, and the user
// must re-read everything ('tracking' again).
import { EventEmitter } from 'events';
import type Redis from 'ioredis';
import type { RedisOptions } from 'ioredis';
import { ConnectionSettings, createClient, quitClient } from './client-factory';
import { SubscriberWatch } from './health';

export const INVALIDATE_CHANNEL = '__redis__:invalidate';

export interface TrackerEvents {
    /** Tracking is on, on a fresh socket: changes from now on are announced, earlier ones not. */
    tracking: [];
    /** Keys that changed; null when the database was flushed (every key is gone). */
    invalidate: [keys: string[] | null];
    /** The socket is gone (or tracking was refused): changes are going unannounced. */
    lost: [reason: string];
}

/** How long to wait before asking again after Redis refused to track (an ACL without CLIENT TRACKING). */
const REFUSED_RETRY_MS = 5000;

export class KeyTracker extends EventEmitter<TrackerEvents> {
    private readonly client: Redis;
    private readonly watch: SubscriberWatch;
    private readonly healthTimer?: NodeJS.Timeout;
    private retryTimer?: NodeJS.Timeout;
    private active = false;
    private closed = false;
    /** The last error of the client or of the tracking set-up, for a status. */
    lastError?: Error;

    /** `prefixes`: empty tracks every key of the database. Standalone or Sentinel only. */
    constructor(settings: Readonly<ConnectionSettings>, private readonly prefixes: readonly string[]) {
        super();
        if (settings.mode === 'cluster') throw new Error('key tracking needs a standalone or Sentinel Redis');
        // Subscribed again by hand on each socket, after tracking is on; set-up commands are
        // never queued for a later socket, where the client id they name would be wrong.
        const options: RedisOptions = { protocol: 2, autoResubscribe: false, enableOfflineQueue: false, maxRetriesPerRequest: 0,
            autoResendUnfulfilledCommands: false, commandTimeout: Math.max(settings.commandTimeout, 2000) };
        this.client = createClient(settings, options, (err) => {
            this.lastError = err;
        }) as Redis;
        this.client.on('ready', () => void this.start());
        this.client.on('close', () => this.lose('disconnected'));
        this.client.on('messageBuffer', (channel: Buffer, message: unknown) => this.message(channel, message));
        this.watch = new SubscriberWatch(this.client);
        const interval = settings.healthCheckInterval ?? 1000;
        if (interval > 0) {
            const pingMs = Math.max(settings.commandTimeout, 500);
            this.healthTimer = setInterval(() => void this.watch.check(pingMs), interval);
            this.healthTimer.unref();
        }
    }

    /** Tracking is on and the socket is up. */
    get tracking(): boolean {
        return this.active;
    }

    async close(): Promise<void> {
        this.closed = true;
        clearInterval(this.healthTimer);
        clearTimeout(this.retryTimer);
        this.active = false;
        await quitClient(this.client);
        this.removeAllListeners();
    }

    private async start(): Promise<void> {
        clearTimeout(this.retryTimer);
        try {
            const id = await this.client.client('ID');
            const prefixes = this.prefixes.flatMap((p) => ['PREFIX', p]);
            await this.client.call('CLIENT', 'TRACKING', 'ON', 'REDIRECT', id, 'BCAST', ...prefixes);
            await this.client.subscribe(INVALIDATE_CHANNEL);
        } catch (err) {
            this.lastError = err as Error;
            if (this.closed || this.client.status !== 'ready') return; // the next 'ready' starts again
            this.lose(`tracking refused: ${(err as Error).message}`);
            this.retryTimer = setTimeout(() => void this.start(), REFUSED_RETRY_MS);
            this.retryTimer.unref();
            return;
        }
        if (this.closed) return;
        this.active = true;
        this.emit('tracking');
    }

    private lose(reason: string): void {
        if (!this.active || this.closed) return;
        this.active = false;
        this.emit('lost', reason);
    }

    private message(channel: Buffer, message: unknown): void {
        if (!this.active || channel.toString() !== INVALIDATE_CHANNEL) return;
        // Anything else on the channel is someone's PUBLISH, not Redis's word.
        if (Array.isArray(message)) this.emit('invalidate', message.map(String));
        else if (message === null) this.emit('invalidate', null);
    }
}
