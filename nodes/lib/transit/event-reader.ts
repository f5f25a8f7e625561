// Reads the transit event stream through a consumer group, so a monitor that was
// stopped, or cut off from Redis, picks up exactly where it left off: first the
// entries it received but never acknowledged, then everything new.
import type { RedisClient } from '../redis/client-factory';

export interface StreamEvent {
    id: string;
    channel: string;
    event: unknown;
    source?: string;
    op?: string;
}

type XReadReply = Array<[string, Array<[string, string[]]>]> | null;

export class EventReader {
    /**
     * The newest entry this reader delivered. An entry at or before it that comes back
     * from the pending list lost only its ack (a cut, a timeout): it is acked, not shown
     * again. So within one process every event is shown once; across a restart, at
     * least once (an entry shown just before a crash, not yet acked, comes back).
     */
    private lastDelivered?: string;

    constructor(
        private readonly client: RedisClient,
        readonly stream: string,
        readonly group: string,
        readonly consumer: string,
        private readonly batch = 100,
    ) {}

    /** Creates the group at the stream's end (a new monitor shows new events only). */
    async ensureGroup(): Promise<void> {
        try {
            await this.client.xgroup('CREATE', this.stream, this.group, '$', 'MKSTREAM');
        } catch (err) {
            if (!/BUSYGROUP/.test((err as Error).message)) throw err;
        }
    }

    /**
     * Delivers every waiting entry, in order, then acknowledges it. Stops when nothing is
     * left. `deliver` runs before the ack, so a crash in between repeats, never loses.
     */
    async drain(deliver: (e: StreamEvent) => void): Promise<number> {
        let count = 0;
        for (const from of ['0', '>']) {
            for (;;) {
                const entries = await this.read(from);
                if (entries.length === 0) break;
                for (const [id, fields] of entries) {
                    if (this.lastDelivered !== undefined && compareIds(id, this.lastDelivered) <= 0) continue;
                    deliver(toEvent(id, fields));
                    this.lastDelivered = id;
                    count++;
                }
                await this.client.xack(this.stream, this.group, ...entries.map(([id]) => id));
                if (entries.length < this.batch && from === '>') break;
            }
        }
        return count;
    }

    private async read(from: string): Promise<Array<[string, string[]]>> {
        let reply: XReadReply;
        try {
            reply = await this.xread(from);
        } catch (err) {
            // The stream or group is gone (a Redis restarted without persistence, or
            // someone deleted the key): start again from whatever the stream holds now.
            if (!/NOGROUP/.test((err as Error).message)) throw err;
            await this.client.xgroup('CREATE', this.stream, this.group, '0', 'MKSTREAM').catch(() => undefined);
            reply = await this.xread(from);
        }
        // Pending entries deleted by trimming come back with null fields: ack and skip them.
        const entries = reply?.[0]?.[1] ?? [];
        const gone = entries.filter(([, fields]) => !fields).map(([id]) => id);
        if (gone.length) await this.client.xack(this.stream, this.group, ...gone);
        return entries.filter(([, fields]) => !!fields);
    }

    private xread(from: string): Promise<XReadReply> {
        return this.client.xreadgroup('GROUP', this.group, this.consumer, 'COUNT', this.batch,
            'STREAMS', this.stream, from) as Promise<XReadReply>;
    }
}

/** One stream entry's fields (XRANGE, XREADGROUP) as an event: `event` parsed when it is JSON. */
export function toEvent(id: string, flat: string[]): StreamEvent {
    const fields: Record<string, string> = {};
    for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i]] = flat[i + 1];
    let event: unknown = fields.event;
    try {
        event = JSON.parse(fields.event);
    } catch {
        // Not JSON (written by something else): pass the text on as it is.
    }
    return { id, channel: fields.channel ?? '', event, source: fields.source, op: fields.op };
}

/** Orders stream ids (`<ms>-<seq>`). */
function compareIds(a: string, b: string): number {
    const [am, as] = a.split('-').map(Number);
    const [bm, bs] = b.split('-').map(Number);
    return am !== bm ? am - bm : as - bs;
}
