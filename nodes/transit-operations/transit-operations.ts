// Operations figures for a dashboard: entries per minute per gate, sales per product,
// denials per reason, the state of every gate and terminal and each gate's decisions
// taken while Redis was away (its journal, and their replays), folded from the event
// stream (nodes/lib/transit/operations.ts). It reads the stream with XRANGE and never
// consumes it: no consumer group, so it takes nothing from a monitor. On every (re)connect
// it reads the whole window again, so after a Node-RED restart the charts show the last
// hour instead of starting empty, and after a Redis restart they show what Redis kept.
import type { NodeAPI, NodeDef, NodeMessage } from 'node-red';
import { handleInput } from '../common/input';
import { startRedisNode } from '../common/redis-user';
import { errorStatus, showStatus, skipRepeatedStatus } from '../common/status';
import type { NodeConstructorAny, RedisUser, Send } from '../common/types';
import type { RedisClient } from '../lib/redis/client-factory';
import { numberSetting } from '../lib/settings';
import { toEvent } from '../lib/transit/event-reader';
import { checkStreamKey, DEFAULT_STREAM } from '../lib/transit/keys';
import { mergeDevices, mergeJournals, OperationsFold } from '../lib/transit/operations';
import { localDevices } from './devices';

interface OperationsConfig extends NodeDef {
    server: string;
    stream?: string;
    window?: string | number;
    interval?: string | number;
}

/** Entries per XRANGE: an hour of a busy system is read in pieces, not one huge reply. */
const PAGE = 500;
/** Gates, products, reasons and devices of each kind shown; more count as "other". */
const MAX_NAMES = 50;
/**
 * The longest window: the entries chart has a point per gate per minute, so a day of 50
 * gates would be 72,000 points on every update.
 */
const MAX_WINDOW_MINUTES = 240;

const TOPICS = ['entries', 'sales', 'denials', 'devices', 'journals'] as const;
type Topic = (typeof TOPICS)[number];

async function redisTime(client: RedisClient): Promise<number> {
    const [seconds, micros] = await client.time();
    return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
}

export = function register(RED: NodeAPI): void {
    function TransitOperations(this: RedisUser, config: OperationsConfig) {
        RED.nodes.createNode(this, config);
        const node = this;
        // The counts are set at every tick, nearly always as they were.
        skipRepeatedStatus(node);
        let closed = false;
        let listening = false;
        let stopListening: (() => Promise<void>) | undefined;
        let running: Promise<void> | undefined;
        let again = false;
        /** Counts the connection's ready events; the window is read again after each. */
        let readies = 0;
        /** The ready event after which the window was last read in full; -1 before any. */
        let loadedAfter = -1;
        let firstSend = true;
        let lastId: string | undefined;
        /** Sends every chart; set once the node can (its settings and Redis accepted). */
        const charts: { refresh?: (send: Send) => void } = {};
        /** What each chart last sent (JSON), so that a tick sends only the charts that changed. */
        const sent = new Map<Topic, string>();

        const redis = startRedisNode(RED, node, {
            type: 'transit-operations',
            server: config.server,
            settings: () => ({
                stream: checkStreamKey(config.stream || DEFAULT_STREAM),
                windowMinutes: numberSetting(config.window, 'window (minutes)', { fallback: 60, min: 1, max: MAX_WINDOW_MINUTES, integer: true }),
                intervalMs: numberSetting(config.interval, 'interval (seconds)', { fallback: 5, min: 1, max: 3600 }) * 1000,
            }),
            build: (connection, settings) => ({ ...settings, connection }),
        });
        // Any message sends every chart now (a dashboard page that opens, a `refresh`).
        handleInput(node, (_msg, send) => {
            redis.ready();
            charts.refresh?.(send);
        });
        const parts = redis.parts;
        if (!parts) return;
        const { connection, stream, windowMinutes, intervalMs } = parts;
        let fold = new OperationsFold({ windowMinutes, maxNames: MAX_NAMES });

        /** Reads entries after `from` (an XRANGE start) into `into`, page by page. */
        const readFrom = async (into: OperationsFold, from: string): Promise<void> => {
            for (let start = from; ;) {
                const page = (await connection.command.xrange(stream, start, '+', 'COUNT', PAGE)) as Array<[string, string[]]>;
                for (const [id, fields] of page) {
                    into.add(toEvent(id, fields));
                    lastId = id;
                }
                if (page.length < PAGE) return;
                start = `(${lastId}`;
            }
        };

        // After a (re)connect the whole window is read into a new fold, which replaces the
        // old one only once complete, so a chart never shows half a reload. Afterwards only
        // what is newer than the last entry read.
        const sync = async (): Promise<void> => {
            const generation = readies;
            const now = await redisTime(connection.command);
            if (loadedAfter !== generation) {
                const fresh = new OperationsFold({ windowMinutes, maxNames: MAX_NAMES });
                fresh.advance(now);
                lastId = undefined;
                await readFrom(fresh, String(fresh.windowStart()));
                fold = fresh;
                loadedAfter = generation;
                return;
            }
            fold.advance(now);
            await readFrom(fold, lastId ? `(${lastId}` : String(fold.windowStart()));
        };

        // One sync at a time; a wake-up during one asks for one more after it.
        const follow = (): Promise<void> => {
            if (closed || !connection.ready) return Promise.resolve();
            if (running) {
                again = true;
                return running;
            }
            running = (async () => {
                try {
                    do {
                        again = false;
                        await sync();
                    } while (again && !closed);
                } catch (err) {
                    if (connection.ready && !closed) showStatus(node, errorStatus(err));
                    throw err;
                } finally {
                    running = undefined;
                }
            })();
            return running;
        };

        const payloads = (): Record<Topic, unknown[]> => {
            const local = localDevices(RED);
            return {
                entries: fold.entriesPerMinute(),
                sales: fold.salesPerProduct(),
                denials: fold.denialsPerReason(),
                devices: mergeDevices(local, fold.streamDevices()),
                journals: mergeJournals(local, fold.offlinePerGate()),
            };
        };

        /**
         * One message per chart whose figures changed since it last sent them (every chart
         * when `all`). 'replace' makes a Dashboard 2.0 ui-chart drop its old points, so its
         * store holds one window, however long it runs.
         */
        const sendCharts = (send: Send, all: boolean) => {
            const figures = payloads();
            for (const topic of TOPICS) {
                const json = JSON.stringify(figures[topic]);
                if (!all && sent.get(topic) === json) continue;
                sent.set(topic, json);
                send({ topic, action: 'replace', payload: figures[topic], now: fold.time } as NodeMessage);
            }
        };

        const showCounts = () => {
            if (!connection.ready || closed) return;
            showStatus(node, { fill: 'green', shape: 'dot', text: RED._('transit-operations.status.counts', fold.counts()) });
        };

        const tick = async () => {
            try {
                await follow();
                showCounts();
            } catch {
                // Shown as the status by follow(); the charts still go out below, since the
                // devices' connection states change most when Redis is in trouble.
            }
            if (closed || loadedAfter < 0) return;
            sendCharts((msg) => node.send(msg), firstSend);
            firstSend = false;
        };

        charts.refresh = (send) => sendCharts(send, true);

        node.onRedisReady = () => {
            readies++;
            void tick();
            if (listening || closed) return;
            listening = true;
            // The stream's own channel announces events kept off the original channels (see
            // scripts.ts); the others turn up at the next tick, which reads the stream too.
            connection.listen('channel', stream, () => void follow().catch(() => undefined))
                .then((stop) => {
                    if (closed) return stop();
                    stopListening = stop;
                    return undefined;
                })
                .catch((err: Error) => {
                    listening = false;
                    node.warn(RED._('transit-operations.errors.no-wake-channel', { channel: stream, error: err.message }));
                });
        };

        const timer = setInterval(() => void tick(), intervalMs);
        timer.unref();

        node.on('close', (_removed: boolean, done: () => void) => {
            closed = true;
            clearInterval(timer);
            const stop = stopListening ? stopListening() : Promise.resolve();
            Promise.allSettled([stop, running]).then(() => done());
        });
    }

    RED.nodes.registerType('transit-operations', TransitOperations as unknown as NodeConstructorAny);
};
