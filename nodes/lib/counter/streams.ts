// A counter's live count as Server-Sent Events, in the original web app's format, so its
// page's EventSource code works unchanged:
//     event: count
//     data: <value>
// Unlike the original, a stream gets the current count first (no page is left showing an
// old count after it connects or reconnects), every stream is its own entry (the original
// keyed them by Date.now(), so two clients in the same millisecond lost updates), closed
// streams are forgotten, and a comment line every 15 s keeps proxies from closing quiet ones.
//
// Streams are grouped by key. A counter node's own key uses the node's watcher; any other
// key (one taken from the message) gets a watcher of its own while it has open streams.
import type { IncomingMessage, ServerResponse } from 'http';
import type { RedisConnection } from '../redis/connection';
import { SseStreams, sseFrame } from '../http/sse';
import { CounterWatcher } from './watcher';

export const COUNT_EVENT = 'count';
const RETRY_MS = 5000;
const HEARTBEAT_MS = 15000;

interface KeyStreams {
    streams: SseStreams;
    watcher: CounterWatcher;
    /** Started here for these streams, so stopped here once they have all gone. */
    own: boolean;
}

export class CounterStreams {
    private readonly byKey = new Map<string, KeyStreams>();

    /** `fixed`: the node's own watcher, whose key's streams are never stopped before close(). */
    constructor(private readonly connection: RedisConnection, fixed?: CounterWatcher) {
        if (fixed) this.add(fixed, false);
    }

    /** Open streams, over all keys. */
    get size(): number {
        let n = 0;
        for (const group of this.byKey.values()) n += group.streams.size;
        return n;
    }

    /** Takes over `res` as the count stream of `key`: the current count now (once known), then every change. */
    open(key: string, req: IncomingMessage, res: ServerResponse): void {
        const group = this.byKey.get(key) ?? this.add(new CounterWatcher(this.connection, key), true);
        const value = group.watcher.value;
        group.streams.open(req, res, value === undefined ? [] : [sseFrame(COUNT_EVENT, String(value))]);
    }

    /** Ends every stream and stops the watchers started here. */
    async close(): Promise<void> {
        const groups = [...this.byKey.values()];
        this.byKey.clear();
        groups.forEach((group) => group.streams.close());
        await Promise.all(groups.filter((group) => group.own).map((group) => group.watcher.stop()));
    }

    private add(watcher: CounterWatcher, own: boolean): KeyStreams {
        const group: KeyStreams = {
            watcher,
            own,
            streams: new SseStreams({
                retryMs: RETRY_MS,
                heartbeatMs: HEARTBEAT_MS,
                heartbeatComment: 'heartbeat',
                onEmpty: () => {
                    if (!own || this.byKey.get(watcher.key) !== group) return;
                    this.byKey.delete(watcher.key);
                    void watcher.stop();
                },
            }),
        };
        watcher.on('value', (value) => group.streams.send(COUNT_EVENT, String(value)));
        if (own) {
            // Its problems show on the node's own key or connection; a stream just waits for a count.
            watcher.on('error', () => undefined);
            watcher.on('invalid', () => undefined);
            watcher.on('polling', () => undefined);
            watcher.start();
        }
        this.byKey.set(watcher.key, group);
        return group;
    }
}
