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
import { attachToServer, showSettingsError } from '../common/redis-user';
import { connectionStatus, errorStatus } from '../common/status';
import type { InputMessage, NodeConstructorAny, RedisUser } from '../common/types';
import { changeCounter } from '../lib/counter/change';
import type { RedisConnection } from '../lib/redis/connection';
import { CounterStreams } from '../lib/counter/streams';
import { counterValue, integerInput } from '../lib/counter/value';
import { CounterWatcher } from '../lib/counter/watcher';

type KeyType = 'str' | 'env' | 'msg' | 'flow' | 'global';

interface CounterConfig extends NodeDef {
    server: string;
    key?: string;
    /** Missing in flows saved before the key was a typed input: text. */
    keyType?: KeyType;
    step?: string | number;
}

/** Any key a user may type, but not one that could be mistaken for a pattern or channel. */
const KEY = /^[^\s*?[\]{}]{1,256}$/;
const KEY_TYPES: readonly KeyType[] = ['str', 'env', 'msg', 'flow', 'global'];

/** The key as given, or an error saying why it cannot be one. */
function checkedKey(key: unknown): string {
    // Text only: KEY.test() would turn a list into "a,b", and ioredis spreads a list into
    // arguments (a reset would delete every key listed). Lone surrogates go out as U+FFFD,
    // which would make different settings the same key.
    if (typeof key !== 'string' || !KEY.test(key) || /\p{Surrogate}/u.test(key)) {
        throw new InputError(`invalid key ${typeof key === 'string' ? JSON.stringify(key.slice(0, 260)) : typeof key}`, 'bad-key');
    }
    return key;
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
        // A text or environment key is one key for the node's life: it is watched.
        let fixedKey: string | undefined;
        let step = 1;
        let settingsError: Error | undefined;
        try {
            if (!KEY_TYPES.includes(keyType)) throw new Error(`invalid key type ${JSON.stringify(keyType)}`);
            if (keyType === 'str') fixedKey = checkedKey(config.key || 'mycounter');
            else if (keyType === 'env') fixedKey = checkedKey(RED.util.evaluateNodeProperty(String(config.key ?? ''), 'env', node, {}));
            else if (typeof config.key !== 'string' || config.key === '') throw new Error(`no ${keyType} property named for the key`);
            step = integerInput(config.step === undefined || config.step === '' ? 1 : config.step, 'step');
        } catch (err) {
            settingsError = err as Error;
        }
        const connection = attachToServer(RED, node, config.server);
        if (settingsError) showSettingsError(RED, node, 'redis-counter', settingsError);
        const ready = connection && !settingsError ? connection : undefined;
        const watcher = ready && fixedKey !== undefined ? new CounterWatcher(ready, fixedKey) : undefined;
        const streams = ready ? new CounterStreams(ready, watcher) : undefined;

        const show = (value: number) => node.status({ fill: 'green', shape: 'dot', text: String(value) });
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

        /** A key read for each message: from the message or context, now. */
        const keyOf = async (msg: InputMessage): Promise<string> => {
            const where = `${keyType}.${String(config.key)}`;
            const value = await new Promise<unknown>((resolve, reject) => {
                try {
                    RED.util.evaluateNodeProperty(String(config.key), keyType, node as Node, msg, (err, result) => (err ? reject(err) : resolve(result)));
                } catch (err) {
                    reject(err); // a msg path through something that is not an object
                }
            }).catch((err: Error) => {
                throw new InputError(`invalid key: cannot read ${where}: ${err.message}`, 'bad-key');
            });
            return checkedKey(value);
        };

        /** Reads the count back and answers on the message (`get`, or any change of a key not watched). */
        const answer = async (redis: RedisConnection, msg: InputMessage, send: (msg: NodeMessage) => void, key: string, reason: 'get' | 'change') => {
            const value = counterValue(key, await redis.command.get(key));
            if (fixedKey === undefined) node.status({ fill: 'green', shape: 'dot', text: `${key}: ${value}` });
            send(Object.assign(msg, { topic: key, payload: value, reason }));
        };

        handleInput(node, async (msg, send) => {
            if (!ready || !streams) throw new Error(RED._('redis-counter.errors.not-ready', { error: settingsError?.message ?? 'no Redis server' }));
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

        node.on('close', (_removed: boolean, done: () => void) => {
            Promise.all([streams?.close(), watcher?.stop()]).then(() => done(), () => done());
        });
    }

    RED.nodes.registerType('redis-counter', RedisCounter as unknown as NodeConstructorAny);
};

function describe(payload: unknown): string {
    if (typeof payload === 'string') return JSON.stringify(payload.length > 40 ? `${payload.slice(0, 40)}…` : payload);
    return Buffer.isBuffer(payload) ? 'a Buffer' : typeof payload;
}

