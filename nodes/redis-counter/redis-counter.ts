// redis-counter: one integer in Redis, changed from anywhere (this node, the original
// web app and Pi script, redis-cli) and sent out whenever it changes, once at deploy
// and again after every reconnect. Changes are INCRBY/DECRBY/DEL/SET, each atomic in
// Redis; the value sent is always read back from Redis, never computed here. Given an
// HTTP request and `events`, it answers with the count as Server-Sent Events.
//
// The key is a typed input. A text or environment key is fixed at deploy and watched; a
// key from msg, flow or global context is read for each message, and since no one key is
// watched then, each change is answered on its own message.
import type { IncomingMessage, ServerResponse } from 'http';
import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import { handleInput, InputError } from '../common/input';
import { readNodeProperty } from '../common/property';
import { startRedisNode } from '../common/redis-user';
import { connectionStatus, errorStatus } from '../common/status';
import type { InputMessage, NodeConstructorAny, RedisUser } from '../common/types';
import { changeCounter } from '../lib/counter/change';
import { checkCounterKey } from '../lib/counter/key';
import type { RedisConnection } from '../lib/redis/connection';
import { CounterStreams } from '../lib/counter/streams';
import { counterValue, integerInput } from '../lib/counter/value';
import { numberSetting } from '../lib/settings';
import { CounterWatcher } from '../lib/counter/watcher';

type KeyType = 'str' | 'env' | 'msg' | 'flow' | 'global';

interface CounterConfig extends NodeDef {
    server: string;
    key?: string;
    /** Missing in flows saved before the key was a typed input: text. */
    keyType?: KeyType;
    step?: string | number;
}

const KEY_TYPES: readonly KeyType[] = ['str', 'env', 'msg', 'flow', 'global'];

/** A key read from a message or context: a bad one is that message's error, for a Catch node. */
function checkedKey(key: unknown): string {
    try {
        return checkCounterKey(key);
    } catch (err) {
        throw new InputError((err as Error).message, 'bad-key');
    }
}

/** The response Node-RED's http in node wraps as msg.res, and its request. */
function httpExchange(msg: InputMessage): { req: IncomingMessage; res: ServerResponse } | undefined {
    const res = (msg.res as { _res?: ServerResponse } | undefined)?._res;
    const req = msg.req as IncomingMessage | undefined;
    if (!res || typeof res.writeHead !== 'function' || !req || typeof req.on !== 'function' || res.headersSent) return undefined;
    return { req, res };
}

export = function register(RED: NodeAPI): void {
    function RedisCounter(this: RedisUser, config: CounterConfig) {
        RED.nodes.createNode(this, config);
        const node = this;
        const keyType: KeyType = config.keyType ?? 'str';
        const show = (value: number) => node.status({ fill: 'green', shape: 'dot', text: String(value) });
        const redis = startRedisNode(RED, node, {
            type: 'redis-counter',
            server: config.server,
            settings: () => {
                if (!KEY_TYPES.includes(keyType)) throw new Error(`invalid key type ${JSON.stringify(keyType)}`);
                // A text or environment key is one key for the node's life: it is watched.
                let fixedKey: string | undefined;
                if (keyType === 'str') fixedKey = checkCounterKey(config.key || 'mycounter');
                else if (keyType === 'env') fixedKey = checkCounterKey(RED.util.evaluateNodeProperty(String(config.key ?? ''), 'env', node, {}));
                else if (typeof config.key !== 'string' || config.key === '') throw new Error(`no ${keyType} property named for the key`);
                const step = numberSetting(config.step, 'step', { fallback: 1, integer: true, min: -Number.MAX_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER });
                return { fixedKey, step };
            },
            build: (connection, { fixedKey, step }) => {
                const watcher = fixedKey !== undefined ? new CounterWatcher(connection, fixedKey) : undefined;
                if (watcher) {
                    watcher.on('value', (value, reason) => {
                        show(value);
                        node.send({ topic: watcher.key, payload: value, reason } as NodeMessage);
                    });
                    watcher.on('invalid', (err) => {
                        node.status(errorStatus(err));
                        node.error(err.message);
                    });
                    watcher.on('polling', (reason) => node.warn(RED._('redis-counter.errors.polling', { reason })));
                    watcher.on('error', () => undefined); // the connection's status already shows it
                    // The connection's own status is shown while connecting; once there is a
                    // value, the value is the status.
                    node.onRedisState = (state, detail) => {
                        if (state === 'connected' && watcher.value !== undefined) show(watcher.value);
                        else if (state !== 'connected') node.status(connectionStatus(RED, state, detail));
                    };
                    watcher.start();
                }
                return { connection, watcher, fixedKey, step, streams: new CounterStreams(connection, watcher) };
            },
            stop: ({ streams, watcher }) => Promise.all([streams.close(), watcher?.stop()]),
        });

        /** A key read for each message: from the message or context, now. */
        const keyOf = async (msg: InputMessage): Promise<string> => {
            const where = `${keyType}.${String(config.key)}`;
            const value = await readNodeProperty(RED, node as Node, String(config.key), keyType, msg).catch((err: Error) => {
                throw new InputError(`invalid key: cannot read ${where}: ${err.message}`, 'bad-key');
            });
            return checkedKey(value);
        };

        /** Reads the count back and answers on the message (`get`, or any change of a key not watched). */
        const answer = async (connection: RedisConnection, msg: InputMessage, send: (msg: NodeMessage) => void, key: string, reason: 'get' | 'change') => {
            const value = counterValue(key, await connection.command.get(key));
            if (keyType !== 'str' && keyType !== 'env') node.status({ fill: 'green', shape: 'dot', text: `${key}: ${value}` });
            send(Object.assign(msg, { topic: key, payload: value, reason }));
        };

        handleInput(node, async (msg, send) => {
            const { connection: ready, watcher, fixedKey, step, streams } = redis.ready();
            const command = typeof msg.payload === 'string' ? msg.payload.trim().toLowerCase() : msg.payload;
            // A fixed key is used at once, so commands reach Redis in the order they came in.
            const key = fixedKey ?? await keyOf(msg);
            // A watched key's changes are sent by the watcher; any other key's, here.
            const changed = () => (watcher ? undefined : answer(ready, msg, send, key, 'change'));
            switch (command) {
                case 'increment':
                case 'decrement': {
                    const by = msg.step === undefined ? step : integerInput(msg.step, 'msg.step');
                    await changeCounter(ready, key, 'incrby', command === 'increment' ? by : -by);
                    return changed();
                }
                case 'reset':
                    // As the original: the key is deleted, and a missing key reads as 0.
                    await changeCounter(ready, key, 'del');
                    return changed();
                case 'get':
                    return answer(ready, msg, send, key, 'get');
                case 'events': {
                    const exchange = httpExchange(msg);
                    if (!exchange) throw new InputError(RED._('redis-counter.errors.events-without-request'), 'events-without-request');
                    streams.open(key, exchange.req, exchange.res);
                    return;
                }
                default:
                    if (typeof command === 'number' || (typeof command === 'string' && /^-?\d+$/.test(command))) {
                        await changeCounter(ready, key, 'set', integerInput(command, 'msg.payload'));
                        return changed();
                    }
                    throw new InputError(RED._('redis-counter.errors.bad-command', { payload: describe(msg.payload) }), 'bad-command');
            }
        });
    }

    RED.nodes.registerType('redis-counter', RedisCounter as unknown as NodeConstructorAny);
};

function describe(payload: unknown): string {
    if (typeof payload === 'string') return JSON.stringify(payload.length > 40 ? `${payload.slice(0, 40)}…` : payload);
    return Buffer.isBuffer(payload) ? 'a Buffer' : typeof payload;
}

