// Pictures the original capture script writes while Node-RED runs. It never publishes: it
// writes `image:<seconds>` with HSET (then EXPIRE), so such a picture is seen through
// keyspace notifications (class h: hash commands, on the keyspace channel, K) and adopted
// into the index at once; the adoption script announces it on `<index>:new`, which is how
// open gallery pages and the dashboard hear of new pictures. Notifications are lost while
// the subscriber is away, so every (re)connect also SCANs for what arrived meanwhile.
//
// A user that may not subscribe to the keyspace channel, set the notification classes or
// run the adoption script (the read-only gallery user of docs/redis-users.acl) is told so
// once through 'refused' and is otherwise left alone: another node adopts for it.
import { EventEmitter } from 'events';
import type { RedisConnection } from '../redis/connection';
import { ensureKeyspaceEvents } from '../redis/keyspace-events';
import { ImageKeys, isLegacyId } from './ids';
import { adoptIds, adoptLegacy } from './store';

/** K: keyspace channel; h: hash commands (the original's HSET). */
export const IMAGE_EVENT_CLASSES = ['K', 'h'];

export interface LiveAdoptionEvents {
    /** Pictures of the original adopted by a catch-up SCAN (live ones are announced, not logged). */
    adopted: [count: number];
    /** What this user may not do (subscribe, CONFIG, the script), once per kind: others must. */
    refused: [what: 'subscribe' | 'config' | 'adopt', reason: string];
    error: [error: Error];
}

const isRefusal = (err: unknown) => err instanceof Error && /^NOPERM\b|no permissions/i.test(err.message);

export class LiveAdoption extends EventEmitter<LiveAdoptionEvents> {
    private unlisten?: Promise<(() => Promise<void>) | undefined>;
    private readonly told = new Set<string>();
    private closed = false;
    private readonly onSubscriberBack = () => void this.catchUp();

    constructor(private readonly connection: RedisConnection, private readonly keys: ImageKeys) {
        super();
    }

    /** The pattern of the keyspace channels of every key under the image key prefix. */
    get pattern(): string {
        return this.connection.keyspaceChannel(`${this.keys.keyPrefix}*`);
    }

    /** Subscribes once; call ready() at every (re)connect. */
    start(): void {
        // The original's keys are spread over a Cluster's slots: no script could index them.
        if (this.keys.cluster || this.unlisten) return;
        this.connection.on('subscriber-reconnected', this.onSubscriberBack);
        const channelStart = this.pattern.length - 1;
        this.unlisten = this.connection.listen('pattern', this.pattern, (channel, event) => {
            if (event === 'hset') void this.adopt(channel.slice(channelStart));
        }).catch((err: Error) => {
            this.failed('subscribe', err);
            return undefined;
        });
    }

    /** At every (re)connect: the notification classes (forgotten by a restart), then a catch-up. */
    async ready(): Promise<void> {
        if (this.keys.cluster || this.closed) return;
        try {
            const setup = await ensureKeyspaceEvents(this.connection.command, IMAGE_EVENT_CLASSES);
            if (!setup.ok) this.tell('config', setup.reason);
        } catch (err) {
            this.emit('error', err as Error);
        }
        await this.catchUp();
    }

    async stop(): Promise<void> {
        this.closed = true;
        this.connection.off('subscriber-reconnected', this.onSubscriberBack);
        const stop = await this.unlisten;
        await stop?.();
    }

    private async catchUp(): Promise<void> {
        if (this.closed) return;
        try {
            const count = await adoptLegacy(this.connection.command, this.keys);
            if (count > 0) this.emit('adopted', count);
        } catch (err) {
            this.failed('adopt', err as Error);
        }
    }

    private async adopt(id: string): Promise<void> {
        if (this.closed || !isLegacyId(id)) return;
        try {
            await adoptIds(this.connection.command, this.keys, [id]);
        } catch (err) {
            // A miss (Redis busy, a timeout) is caught up by the next connect's SCAN.
            this.failed('adopt', err as Error);
        }
    }

    private failed(what: 'subscribe' | 'adopt', err: Error): void {
        if (isRefusal(err)) this.tell(what, err.message);
        else this.emit('error', err);
    }

    private tell(what: 'subscribe' | 'config' | 'adopt', reason: string): void {
        if (this.told.has(what)) return;
        this.told.add(what);
        this.emit('refused', what, reason);
    }
}
