import assert from 'assert';
import Redis from 'ioredis';
import { sharedRedis } from '../support/global-redis';
import { catchNode, collect, FlowNode, helper, load, Msg, serverNode, statusOf, waitFor } from '../support/flow';
import { RedisProcess } from '../support/redis-process';

const serverModule = require('../../nodes/redis-iot-server/redis-iot-server');
const counterModule = require('../../nodes/redis-counter/redis-counter');
const displayModule = require('../../nodes/tm1637-display/tm1637-display');

let n = 0;
const newKey = () => `counter:test:${Date.now()}:${++n}`;

function counterFlow(port: number, key: string, counters = 1): FlowNode[] {
    const flow: FlowNode[] = [
        { id: 'tab', type: 'tab' },
        { ...serverNode(port), z: 'tab' },
        { id: 'catcher', type: 'catch', z: 'tab', wires: [['caught']] },
        { id: 'caught', type: 'helper', z: 'tab' },
    ];
    for (let i = 0; i < counters; i++) {
        flow.push({ id: `counter${i}`, type: 'redis-counter', z: 'tab', server: 'redis-test', key, step: 1, wires: [[`out${i}`]] });
        flow.push({ id: `out${i}`, type: 'helper', z: 'tab' });
    }
    return flow;
}

const last = (msgs: Msg[]) => msgs[msgs.length - 1]?.payload;

describe('redis-counter node', function () {
    let redis: Redis;
    before(() => {
        redis = new Redis(sharedRedis().port);
    });
    after(() => redis.quit());
    afterEach(() => helper.unload());

    async function start(key: string, counters = 1, port = sharedRedis().port) {
        const flow = counterFlow(port, key, counters);
        await load([serverModule, counterModule, catchNode], flow);
        const outs = Array.from({ length: counters }, (_, i) => collect(`out${i}`));
        return { outs, caught: collect('caught') };
    }

    it('sends the value once at deploy, then every change from itself or anyone else', async function () {
        const key = newKey();
        await redis.set(key, '41');
        const { outs: [out] } = await start(key);
        await waitFor(() => out.length === 1, 3000, 'initial value');
        assert.deepStrictEqual([out[0].payload, out[0].topic, out[0].reason], [41, key, 'initial']);
        helper.getNode('counter0').receive({ payload: 'increment' });
        await waitFor(() => last(out) === 42, 3000, '42');
        await redis.incrby(key, 10);
        await waitFor(() => last(out) === 52, 3000, '52 from another client');
        helper.getNode('counter0').receive({ payload: 'decrement', step: 2 });
        await waitFor(() => last(out) === 50, 3000, '50');
        helper.getNode('counter0').receive({ payload: 'reset' });
        await waitFor(() => last(out) === 0, 3000, 'reset');
        assert.strictEqual(await redis.exists(key), 0);
        helper.getNode('counter0').receive({ payload: 7 });
        await waitFor(() => last(out) === 7, 3000, 'set');
        assert.strictEqual(statusOf('counter0').text, '7');
    });

    it('answers get with the current value', async function () {
        const key = newKey();
        const { outs: [out] } = await start(key);
        await waitFor(() => out.length === 1, 3000, 'initial');
        helper.getNode('counter0').receive({ payload: 'get', question: 'kept' });
        await waitFor(() => out.length === 2, 3000, 'answer');
        assert.deepStrictEqual([out[1].payload, out[1].reason, out[1].question], [0, 'get', 'kept']);
    });

    it('several nodes and outside clients on one key all converge on the exact final value', async function () {
        const key = newKey();
        const { outs } = await start(key, 3);
        await waitFor(() => outs.every((o) => o.length === 1), 3000, 'initial values');
        const clients = Array.from({ length: 4 }, () => new Redis(sharedRedis().port));
        try {
            // 10,000 increments from four clients and three nodes, interleaved with nothing else.
            const fromClients = clients.map(async (c) => {
                for (let batch = 0; batch < 10; batch++) {
                    const pipe = c.pipeline();
                    for (let i = 0; i < 200; i++) pipe.incr(key);
                    await pipe.exec();
                }
            });
            for (let i = 0; i < 2000; i++) helper.getNode(`counter${i % 3}`).receive({ payload: 'increment' });
            await Promise.all(fromClients);
            await waitFor(async () => Number(await redis.get(key)) === 10000, 10000, 'all increments applied');
            await waitFor(() => outs.every((o) => last(o) === 10000), 5000, 'every node on 10000');
            // Latest value, not a replay of every change.
            for (const o of outs) assert.ok(o.length < 10000, `${o.length} messages`);
            // Never an older value after a newer one.
            for (const o of outs) {
                const values = o.map((m) => m.payload as number);
                assert.deepStrictEqual(values, [...values].sort((a, b) => a - b));
            }
        } finally {
            clients.forEach((c) => c.disconnect());
        }
    });

    it('a burst of 10,000 increments from several clients ends with every display on the exact value', async function () {
        const key = newKey();
        await redis.set(key, '-5000');
        const flow: FlowNode[] = [{ id: 'tab', type: 'tab' }, { ...serverNode(sharedRedis().port), z: 'tab' }];
        for (let i = 0; i < 3; i++) {
            flow.push({ id: `counter${i}`, type: 'redis-counter', z: 'tab', server: 'redis-test', key, wires: [[`display${i}`]] });
            flow.push({ id: `display${i}`, type: 'tm1637-display', z: 'tab', mode: 'simulated', overflow: 'clamp', brightness: 7, wires: [[]] });
        }
        await load([serverModule, counterModule, displayModule], flow);
        type Display = { simulator: { text: string } };
        const shown = () => [0, 1, 2].map((i) => (helper.getNode(`display${i}`) as unknown as Display).simulator.text);
        await waitFor(() => shown().every((t) => t === '-999'), 3000, 'initial value, clamped as the original');
        const clients = Array.from({ length: 5 }, () => new Redis(sharedRedis().port));
        try {
            await Promise.all(clients.map(async (c) => {
                for (let batch = 0; batch < 10; batch++) {
                    const pipe = c.pipeline();
                    for (let i = 0; i < 200; i++) pipe.incr(key);
                    await pipe.exec();
                }
            }));
            assert.strictEqual(await redis.get(key), '5000');
            await waitFor(() => shown().every((t) => t === '5000'), 5000, 'every display on 5000');
        } finally {
            clients.forEach((c) => c.disconnect());
        }
    });

    it('a reset racing increments never leaves a stale value on show', async function () {
        const key = newKey();
        const { outs } = await start(key, 2);
        await waitFor(() => outs.every((o) => o.length === 1), 3000, 'initial values');
        for (let round = 0; round < 20; round++) {
            const pipe = redis.pipeline();
            for (let i = 0; i < 20; i++) pipe.incr(key);
            pipe.del(key);
            for (let i = 0; i < round; i++) pipe.incr(key);
            await pipe.exec();
            await waitFor(() => outs.every((o) => last(o) === round), 3000, `round ${round}`);
        }
    });

    it('reports a key that is not an integer, without crashing, and recovers when it is fixed', async function () {
        const key = newKey();
        await redis.set(key, 'hello');
        const { outs: [out], caught } = await start(key);
        await waitFor(() => statusOf('counter0').fill === 'red', 3000, 'red status');
        assert.strictEqual(out.length, 0);
        helper.getNode('counter0').receive({ payload: 'increment' });
        await waitFor(() => caught.length === 1, 3000, 'caught');
        assert.match(String((caught[0].error as { message: string }).message), /not an integer/);
        await redis.set(key, '5');
        await waitFor(() => last(out) === 5, 3000, 'fixed');
    });

    it('bad input is an error a Catch node sees', async function () {
        const key = newKey();
        const { caught } = await start(key);
        const bad: unknown[] = ['launch', 1.5, {}, null, Buffer.from('1'), '__proto__', ['increment']];
        for (const payload of bad) helper.getNode('counter0').receive({ payload });
        helper.getNode('counter0').receive({ payload: 'increment', step: 'lots' });
        await waitFor(() => caught.length === bad.length + 1, 3000, 'all caught');
        assert.strictEqual(await redis.exists(key), 0);
    });

    describe('when Redis restarts and forgets the notification setting', function () {
        let own: RedisProcess;
        beforeEach(async () => {
            own = await RedisProcess.start();
        });
        afterEach(() => own.destroy());

        it('every node converges again within a second of reconnecting', async function () {
            const key = newKey();
            const { outs } = await start(key, 3, own.port);
            await waitFor(() => outs.every((o) => o.length === 1), 3000, 'initial values');
            await own.restart();
            const direct = new Redis(own.port);
            try {
                await direct.set(key, '100');
                await waitFor(async () => ((await direct.config('GET', 'notify-keyspace-events')) as string[])[1] !== '', 5000, 'setting re-asserted');
                const reconnected = Date.now();
                await waitFor(() => outs.every((o) => last(o) === 100), 1000, 'value after the restart');
                await direct.incrby(key, 5);
                await waitFor(() => outs.every((o) => last(o) === 105), 1000, 'notifications work again');
                assert.ok(Date.now() - reconnected < 2000);
                assert.ok(outs.every((o) => o.some((m) => m.reason === 'reconnect')));
            } finally {
                direct.disconnect();
            }
        });
    });

    it('falls back to reading when the server refuses CONFIG, and still converges', async function () {
        const locked = await RedisProcess.start(['--rename-command', 'CONFIG', '""']);
        try {
            const key = newKey();
            const { outs: [out] } = await start(key, 1, locked.port);
            await waitFor(() => out.length === 1, 3000, 'initial value');
            const direct = new Redis(locked.port);
            await direct.incrby(key, 3);
            await waitFor(() => last(out) === 3, 3000, 'polled change');
            direct.disconnect();
        } finally {
            await locked.destroy();
        }
    });
});
