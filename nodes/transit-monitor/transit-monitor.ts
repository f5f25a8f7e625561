// System monitor: one message per transit event, read from the capped event stream
// through a consumer group, so a restart or a Redis outage loses nothing. Pub/sub on the
// original channels only wakes it up; the stream is what it reads.
import os from 'os';
import type { NodeAPI, NodeDef, NodeMessage } from 'node-red';
import { attachToServer, showSettingsError } from '../common/redis-user';
import type { NodeConstructorAny, RedisUser } from '../common/types';
import { errorStatus } from '../common/status';
import { EventReader, StreamEvent } from '../lib/transit/event-reader';
import { Described, describeEvent, TransitEvent } from '../lib/transit/events';
import { checkStreamKey, DEFAULT_STREAM, monitorGroup } from '../lib/transit/keys';

interface MonitorConfig extends NodeDef {
    server: string;
    stream?: string;
    group?: string;
}

/** How often the monitor looks at the stream even without a pub/sub wake-up. */
const POLL_MS = 3000;

export = function register(RED: NodeAPI): void {
    function TransitMonitor(this: RedisUser, config: MonitorConfig) {
        RED.nodes.createNode(this, config);
        const node = this;
        let reader: EventReader | undefined;
        let running: Promise<void> | undefined;
        let again = false;
        let closed = false;
        let stopListening: (() => Promise<void>) | undefined;
        let seen = 0;

        const connection = attachToServer(RED, node, config.server);
        try {
            const stream = checkStreamKey(config.stream || DEFAULT_STREAM);
            const group = monitorGroup(config.group, node.id);
            if (connection) reader = new EventReader(connection.command, stream, group, `${os.hostname()}-${node.id}`);
        } catch (err) {
            showSettingsError(RED, node, 'transit-monitor', err as Error);
        }

        // Anything with access to Redis can write to the stream. An entry this node cannot
        // describe (an object whose toString cannot run) or pass on (JSON nested too deeply for
        // Node-RED to copy to a second wire, which fails after the first wire has it) still
        // gives one message, without the payload. Were deliver() to throw, the entry would stay
        // unacknowledged, be read again at every wake-up and hold back every entry after it.
        const deliver = (e: StreamEvent) => {
            const event = (e.event && typeof e.event === 'object' ? e.event : {}) as TransitEvent;
            seen++;
            const unreadable = { topic: e.channel, text: RED._('transit-monitor.unreadable', { channel: e.channel }), level: 'warn', eventId: e.id, source: e.source };
            let msg: Record<string, unknown>;
            try {
                const { text, level }: Described = describeEvent(e.channel, event);
                msg = { topic: e.channel, payload: e.event, text, level, eventId: e.id, source: e.source };
                RED.util.cloneMessage(msg);
            } catch {
                msg = unreadable;
            }
            node.send(msg as NodeMessage);
        };

        // One drain at a time; a wake-up during a drain asks for one more pass after it.
        const drain = (): Promise<void> => {
            if (!reader || closed || !connection?.ready) return Promise.resolve();
            if (running) {
                again = true;
                return running;
            }
            const r = reader;
            running = (async () => {
                try {
                    do {
                        again = false;
                        await r.drain(deliver);
                    } while (again && !closed);
                    node.status({ fill: 'green', shape: 'dot', text: RED._('transit-monitor.status.events', { count: seen }) });
                } catch (err) {
                    node.status(errorStatus(err));
                } finally {
                    running = undefined;
                }
            })();
            return running;
        };

        node.onRedisReady = () => {
            if (!reader || !connection) return;
            const r = reader;
            r.ensureGroup()
                .then(async () => {
                    if (!stopListening && !closed) stopListening = await connection.listen('pattern', 'pass-*', () => void drain());
                })
                .then(drain)
                .catch((err) => node.status(errorStatus(err)));
        };

        const poll = setInterval(() => void drain(), POLL_MS);
        poll.unref();

        node.on('close', (_removed: boolean, done: () => void) => {
            closed = true;
            clearInterval(poll);
            const stop = stopListening ? stopListening() : Promise.resolve();
            Promise.all([stop, running]).then(() => done(), () => done());
        });
    }

    RED.nodes.registerType('transit-monitor', TransitMonitor as unknown as NodeConstructorAny);
};
