// redis-counter: one integer in Redis, changed from anywhere (this node, the original
// web app and Pi script, redis-cli) and sent out whenever it changes, once at deploy
// and again after every reconnect. Changes are INCRBY/DECRBY/DEL/SET, each atomic in
// Redis; the value sent is always read back from Redis, never computed here.
import type { NodeAPI, NodeDef, NodeMessage } from 'node-red';
import { handleInput, InputError } from '../common/input';
import { startRedisNode } from '../common/redis-user';
import { connectionStatus, errorStatus } from '../common/status';
import type { NodeConstructorAny, RedisUser } from '../common/types';
import { changeCounter } from '../lib/counter/change';
import { checkCounterKey } from '../lib/counter/key';
import { counterValue, integerInput } from '../lib/counter/value';
import { numberSetting } from '../lib/settings';
import { CounterWatcher } from '../lib/counter/watcher';

interface CounterConfig extends NodeDef {
    server: string;
    key?: string;
    step?: string | number;
}

export = function register(RED: NodeAPI): void {
    function RedisCounter(this: RedisUser, config: CounterConfig) {
        RED.nodes.createNode(this, config);
        const node = this;
        const key = config.key || 'mycounter';
        const show = (value: number) => node.status({ fill: 'green', shape: 'dot', text: String(value) });
        const redis = startRedisNode(RED, node, {
            type: 'redis-counter',
            server: config.server,
            settings: () => {
                checkCounterKey(key);
                return { step: numberSetting(config.step, 'step', { fallback: 1, integer: true, min: -Number.MAX_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }) };
            },
            build: (connection, { step }) => {
                const watcher = new CounterWatcher(connection, key);
                watcher.on('value', (value, reason) => {
                    show(value);
                    node.send({ topic: key, payload: value, reason } as NodeMessage);
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
                return { connection, watcher, step };
            },
            stop: ({ watcher }) => watcher.stop(),
        });

        handleInput(node, async (msg, send) => {
            const { connection, step } = redis.ready();
            const command = typeof msg.payload === 'string' ? msg.payload.trim().toLowerCase() : msg.payload;
            switch (command) {
                case 'increment':
                case 'decrement': {
                    const by = msg.step === undefined ? step : integerInput(msg.step, 'msg.step');
                    await changeCounter(connection, key, 'incrby', command === 'increment' ? by : -by);
                    return;
                }
                case 'reset':
                    // As the original: the key is deleted, and a missing key reads as 0.
                    await changeCounter(connection, key, 'del');
                    return;
                case 'get': {
                    const value = counterValue(key, await connection.command.get(key));
                    send(Object.assign(msg, { topic: key, payload: value, reason: 'get' }));
                    return;
                }
                default:
                    if (typeof command === 'number' || (typeof command === 'string' && /^-?\d+$/.test(command))) {
                        await changeCounter(connection, key, 'set', integerInput(command, 'msg.payload'));
                        return;
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

