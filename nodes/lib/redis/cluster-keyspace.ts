// In a Redis Cluster a key's keyspace notifications come only from the primary that owns
// the key's slot, and are not broadcast to the other nodes (Redis docs, "Keyspace
// notifications"). So keyspace listeners get a subscriber client on that primary (one
// per primary, shared, made on first need), and follow the slot when it moves to another
// primary (a failover or a resharding).
import { EventEmitter } from 'events';
import calculateSlot from 'cluster-key-slot';
import type Redis from 'ioredis';
import type { Cluster } from 'ioredis';
import { SubscriberWatch } from './subscriber-watch';

type Listener = (channel: string, message: string) => void;

interface Entry {
    key: string;
    owner: string;
    listeners: Set<Listener>;
}

export interface ClusterKeyspaceEvents {
    /** A subscriber came back after a reconnect: notifications sent meanwhile are lost. */
    'subscriber-reconnected': [];
    /** A listened key's slot has a new owner; its notification setting must be asserted there. */
    moved: [];
}

function nodeKey(client: Redis): string {
    return `${client.options.host}:${client.options.port}`;
}

export class ClusterKeyspace extends EventEmitter<ClusterKeyspaceEvents> {
    private readonly subscribers = new Map<string, Redis>();
    private readonly watches = new Map<string, SubscriberWatch>();
    /** By channel: one entry per listened key. */
    private readonly entries = new Map<string, Entry>();

    constructor(private readonly cluster: Cluster, private readonly makeSubscriber: (host: string, port: number) => Redis) {
        super();
    }

    /** The primary that serves the key's slot now, as the cluster client knows it. */
    owner(key: string): Redis {
        const slotOwner = this.cluster.slots[calculateSlot(key)]?.[0];
        const client = slotOwner ? this.cluster.nodes('master').find((n) => nodeKey(n) === slotOwner) : undefined;
        if (!client) throw new Error(`no Redis Cluster primary known for ${JSON.stringify(key)} yet`);
        return client;
    }

    async listen(key: string, channel: string, listener: Listener): Promise<() => Promise<void>> {
        let entry = this.entries.get(channel);
        if (!entry) {
            entry = { key, owner: nodeKey(this.owner(key)), listeners: new Set() };
            this.entries.set(channel, entry);
            try {
                await this.subscriber(entry.owner).subscribe(channel);
            } catch (err) {
                // Refused (an ACL without the channel): a retry must subscribe again.
                this.entries.delete(channel);
                this.releaseIfUnused(entry.owner);
                throw err;
            }
        }
        entry.listeners.add(listener);
        const listened = entry;
        return async () => {
            if (!listened.listeners.delete(listener) || listened.listeners.size > 0) return;
            this.entries.delete(channel);
            await this.subscribers.get(listened.owner)?.unsubscribe(channel).catch(() => undefined);
            this.releaseIfUnused(listened.owner);
        };
    }

    /** Moves every listened key whose slot changed owner; emits 'moved' when one did. */
    async followSlots(): Promise<void> {
        let moved = false;
        for (const [channel, entry] of this.entries) {
            let owner: string;
            try {
                owner = nodeKey(this.owner(entry.key));
            } catch {
                continue;
            }
            if (owner === entry.owner) continue;
            const previous = entry.owner;
            await this.subscribers.get(previous)?.unsubscribe(channel).catch(() => undefined);
            try {
                await this.subscriber(owner).subscribe(channel);
            } catch {
                continue; // still listed under its old owner: the next health check tries again
            }
            entry.owner = owner;
            this.releaseIfUnused(previous);
            moved = true;
        }
        if (moved) this.emit('moved');
    }

    /** A round trip on every subscriber (see SubscriberWatch). */
    async healthCheck(pingMs: number): Promise<void> {
        await Promise.all([...this.subscribers].map(([key, sub]) => {
            let watch = this.watches.get(key);
            if (!watch) this.watches.set(key, watch = new SubscriberWatch());
            return watch.check(sub, pingMs);
        }));
    }

    close(): void {
        for (const sub of this.subscribers.values()) sub.disconnect();
        this.subscribers.clear();
        this.watches.clear();
        this.entries.clear();
    }

    // A primary that no longer owns a listened key's slot (a failover or a resharding)
    // keeps no subscriber: after a failover it would reconnect to a dead node for ever.
    private releaseIfUnused(owner: string): void {
        if ([...this.entries.values()].some((e) => e.owner === owner)) return;
        this.subscribers.get(owner)?.disconnect();
        this.subscribers.delete(owner);
        this.watches.delete(owner);
    }

    private subscriber(owner: string): Redis {
        let sub = this.subscribers.get(owner);
        if (!sub) {
            const split = owner.lastIndexOf(':');
            sub = this.makeSubscriber(owner.slice(0, split), Number(owner.slice(split + 1)));
            sub.on('message', (channel: string, message: string) =>
                this.entries.get(channel)?.listeners.forEach((l) => l(channel, message)));
            let readyBefore = false;
            sub.on('ready', () => {
                if (readyBefore) this.emit('subscriber-reconnected');
                readyBefore = true;
            });
            this.subscribers.set(owner, sub);
        }
        return sub;
    }
}
