// Pub/sub shared by many nodes: one subscriber client per Redis (per primary in a Cluster's
// keyspace), a table of listeners per channel or pattern, a subscription made by the first
// listener and removed with the last, and word of a subscriber that reconnected.
import type { RedisClient } from './client-factory';

export type MessageListener = (channel: string, message: string) => void;

/**
 * Listeners per name (a channel or a pattern). The first listener of a name subscribes and
 * the last one to go unsubscribes (`unsubscribe`), so many nodes share one subscription.
 */
export class ListenerTable {
    private readonly table = new Map<string, Set<MessageListener>>();

    constructor(private readonly unsubscribe: (name: string) => Promise<void>) {}

    /**
     * Adds a listener, subscribing (`subscribe`) when it is the name's first. Resolves once
     * Redis has confirmed; the returned function stops listening.
     */
    async listen(name: string, listener: MessageListener, subscribe: () => Promise<unknown>): Promise<() => Promise<void>> {
        let set = this.table.get(name);
        if (!set) {
            set = new Set();
            this.table.set(name, set);
        }
        set.add(listener);
        if (set.size === 1) {
            try {
                await subscribe();
            } catch (err) {
                // Refused (an ACL without the channel): a retry must subscribe again.
                set.delete(listener);
                if (this.table.get(name)?.size === 0) this.table.delete(name);
                throw err;
            }
        }
        return async () => {
            const current = this.table.get(name);
            if (!current?.delete(listener) || current.size > 0) return;
            this.table.delete(name);
            await this.unsubscribe(name);
        };
    }

    dispatch(name: string, channel: string, message: string): void {
        this.table.get(name)?.forEach((listener) => listener(channel, message));
    }

    clear(): void {
        this.table.clear();
    }
}

/**
 * Calls `back` each time `client` is ready again after its first time. Messages published
 * while a subscriber was reconnecting are lost (pub/sub is fire and forget): its users
 * re-read their state then.
 */
export function onReconnect(client: RedisClient, back: () => void): void {
    let readyBefore = false;
    client.on('ready', () => {
        if (readyBefore) back();
        readyBefore = true;
    });
}

/** The subscriber client of a connection: made on first need, for channels and patterns. */
export class SharedSubscriber {
    private sub?: RedisClient;
    private closed = false;
    private readonly tables = {
        channel: new ListenerTable((name) => this.unsubscribe(() => this.sub?.unsubscribe(name))),
        pattern: new ListenerTable((name) => this.unsubscribe(() => this.sub?.punsubscribe(name))),
    };

    constructor(private readonly make: () => RedisClient, private readonly reconnected: () => void) {}

    /** The client if one was made (for health checks and closing). */
    get made(): RedisClient | undefined {
        return this.sub;
    }

    /** The subscriber client, created on first need; it resubscribes by itself after a reconnect. */
    client(): RedisClient {
        if (!this.sub) {
            const sub = this.make();
            sub.on('message', (channel: string, message: string) => this.tables.channel.dispatch(channel, channel, message));
            sub.on('pmessage', (pattern: string, channel: string, message: string) => this.tables.pattern.dispatch(pattern, channel, message));
            onReconnect(sub, this.reconnected);
            this.sub = sub;
        }
        return this.sub;
    }

    listen(kind: 'channel' | 'pattern', name: string, listener: MessageListener): Promise<() => Promise<void>> {
        const sub = this.client();
        return this.tables[kind].listen(name, listener, () => (kind === 'channel' ? sub.subscribe(name) : sub.psubscribe(name)));
    }

    /** Listeners removed afterwards do not unsubscribe: the client is being closed. */
    close(): void {
        this.closed = true;
    }

    private async unsubscribe(send: () => Promise<unknown> | undefined): Promise<void> {
        if (this.closed) return;
        await send()?.catch(() => undefined);
    }
}
