// In a Redis Cluster a key's keyspace notifications come only from the primary that owns
// the key's slot, and are not broadcast to the other nodes (Redis docs, "Keyspace
// notifications"). So keyspace listeners get a subscriber client on that primary (one
// per primary, shared, made on first need), and follow the slot when it moves to another
// primary (a failover or a resharding).
import { EventEmitter } from 'events';
import calculateSlot from 'cluster-key-slot';
import type Redis from 'ioredis';
import type { Cluster } from 'ioredis';
import { SubscriberWatch } from './health';
import { ListenerTable, MessageListener, onReconnect } from './pubsub';

/** Where a listened channel's key lives now. */
interface Placement {
    key: string;
    owner: string;
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
    /** By owner ("host:port"): its subscriber client and that client's health check. */
    private readonly subscribers = new Map<string, { client: Redis; watch: SubscriberWatch }>();
    /** By channel: one per listened key. */
    private readonly placements = new Map<string, Placement>();
    private readonly table = new ListenerTable((channel) => this.unsubscribe(channel));

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

    listen(key: string, channel: string, listener: MessageListener): Promise<() => Promise<void>> {
        return this.table.listen(channel, listener, async () => {
            const placement = { key, owner: nodeKey(this.owner(key)) };
            this.placements.set(channel, placement);
            try {
                await this.subscriber(placement.owner).subscribe(channel);
            } catch (err) {
                this.placements.delete(channel);
                this.releaseIfUnused(placement.owner);
                throw err;
            }
        });
    }

    /** Moves every listened key whose slot changed owner; emits 'moved' when one did. */
    async followSlots(): Promise<void> {
        let moved = false;
        for (const [channel, placement] of this.placements) {
            let owner: string;
            try {
                owner = nodeKey(this.owner(placement.key));
            } catch {
                continue;
            }
            if (owner === placement.owner) continue;
            const previous = placement.owner;
            await this.subscribers.get(previous)?.client.unsubscribe(channel).catch(() => undefined);
            try {
                await this.subscriber(owner).subscribe(channel);
            } catch {
                continue; // still listed under its old owner: the next health check tries again
            }
            placement.owner = owner;
            this.releaseIfUnused(previous);
            moved = true;
        }
        if (moved) this.emit('moved');
    }

    /** A round trip on every subscriber (see health.ts). */
    async healthCheck(pingMs: number): Promise<void> {
        await Promise.all([...this.subscribers.values()].map(({ watch }) => watch.check(pingMs)));
    }

    close(): void {
        for (const { client } of this.subscribers.values()) client.disconnect();
        this.subscribers.clear();
        this.placements.clear();
        this.table.clear();
    }

    private async unsubscribe(channel: string): Promise<void> {
        const placement = this.placements.get(channel);
        if (!placement) return;
        this.placements.delete(channel);
        await this.subscribers.get(placement.owner)?.client.unsubscribe(channel).catch(() => undefined);
        this.releaseIfUnused(placement.owner);
    }

    // A primary that no longer owns a listened key's slot (a failover or a resharding)
    // keeps no subscriber: after a failover it would reconnect to a dead node for ever.
    private releaseIfUnused(owner: string): void {
        if ([...this.placements.values()].some((p) => p.owner === owner)) return;
        this.subscribers.get(owner)?.client.disconnect();
        this.subscribers.delete(owner);
    }

    private subscriber(owner: string): Redis {
        let entry = this.subscribers.get(owner);
        if (!entry) {
            const split = owner.lastIndexOf(':');
            const client = this.makeSubscriber(owner.slice(0, split), Number(owner.slice(split + 1)));
            client.on('message', (channel: string, message: string) => this.table.dispatch(channel, channel, message));
            onReconnect(client, () => this.emit('subscriber-reconnected'));
            entry = { client, watch: new SubscriberWatch(client) };
            this.subscribers.set(owner, entry);
        }
        return entry.client;
    }
}
