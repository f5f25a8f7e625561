// System monitor: one message per transit event, read from the capped event stream
// through a consumer group, so a restart or a Redis outage loses nothing. Pub/sub on the
// original channels wakes it up, and carries the one kind of event the stream has not
// got: what original devices (the Python gate and sales terminal) publish. Those are
// shown as they arrive; pub/sub keeps nothing, so what they sent during an outage is lost.
import os from 'os';
import type { NodeAPI, NodeDef, NodeMessage } from 'node-red';
import { startRedisNode } from '../common/redis-user';
import type { NodeConstructorAny, RedisUser } from '../common/types';
import { errorStatus } from '../common/status';
import { EventReader, StreamEvent } from '../lib/transit/event-reader';
import { Described, describeEvent, originalDeviceEvent, TransitEvent } from '../lib/transit/events';
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
        let running: Promise<void> | undefined;
        let again = false;
        let closed = false;
        let stopListening: (() => Promise<void>) | undefined;
        let seen = 0;

        const redis = startRedisNode(RED, node, {
            type: 'transit-monitor',
            server: config.server,
            settings: () => ({ stream: checkStreamKey(config.stream || DEFAULT_STREAM), group: monitorGroup(config.group, node.id) }),
            build: (connection, { stream, group }) => new EventReader(connection.command, stream, group, `${os.hostname()}-${node.id}`),
        });
        const { connection, parts: reader } = redis;

        // Anything with access to Redis can write to the stream. An entry this node cannot
        // describe (an object whose toString cannot run) or pass on (JSON nested too deeply for
        // Node-RED to copy to a second wire, which fails after the first wire has it) still
        // gives one message, without the payload. Were deliver() to throw, the entry would stay
        // unacknowledged, be read again at every wake-up and hold back every entry after it.
        // An event from an original device has no stream id: it is marked `original` instead.
        const deliver = (e: Omit<StreamEvent, 'id'> & { id?: string }) => {
            const event = (e.event && typeof e.event === 'object' ? e.event : {}) as TransitEvent;
            seen++;
            const origin = e.id === undefined ? { original: true } : { eventId: e.id, source: e.source };
            const unreadable = { topic: e.channel, text: RED._('transit-monitor.unreadable', { channel: e.channel }), level: 'warn', ...origin };
            let msg: Record<string, unknown>;
            try {
                const { text, level }: Described = describeEvent(e.channel, event);
                msg = { topic: e.channel, payload: e.event, text, level, ...origin };
                RED.util.cloneMessage(msg);
            } catch {
                msg = unreadable;
            }
            node.send(msg as NodeMessage);
        };

        const showCount = () => node.status({ fill: 'green', shape: 'dot', text: RED._('transit-monitor.status.events', { count: seen }) });

        const onOriginalChannel = (channel: string, message: string) => {
            // A stream named pass-… hears its own wake-ups here too: they are not events.
            const event = channel === reader?.stream ? undefined : originalDeviceEvent(message);
            if (event !== undefined && !closed) {
                deliver({ channel, event });
                showCount();
            }
            void drain();
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
                    showCount();
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
                    if (stopListening || closed) return;
                    const stopPattern = await connection.listen('pattern', 'pass-*', onOriginalChannel);
                    let stopChannel = async (): Promise<void> => undefined;
                    stopListening = async () => {
                        await Promise.all([stopPattern(), stopChannel()]);
                    };
                    // The stream's own channel announces events kept off the original channels
                    // (see scripts.ts). A Redis user without it (an older ACL) still gets them
                    // from the poll, a few seconds later.
                    try {
                        stopChannel = await connection.listen('channel', r.stream, () => void drain());
                    } catch (err) {
                        node.warn(RED._('transit-monitor.errors.no-wake-channel', { channel: r.stream, error: (err as Error).message }));
                    }
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
