import assert from 'assert';
import Redis from 'ioredis';
import { sharedRedis } from '../support/global-redis';
import { catchNode, collect, coreNode, FlowNode, helper, load, Msg, nextMessage, serverNode, statusOf, waitFor } from '../support/flow';
import { httpNodeModule, ServedHttpNode } from '../support/http-node';
import { RedisProcess } from '../support/redis-process';
import { SseClient } from '../flows/sse-client';

const serverModule = require('../../nodes/redis-iot-server/redis-iot-server');
const counterModule = require('../../nodes/redis-counter/redis-counter');
const displayModule = require('../../nodes/tm1637-display/tm1637-display');
const httpInModule = coreNode('network/21-httpin.js');
const changeModule = coreNode('function/15-change.js');
const httpNode = httpNodeModule();

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

    describe('events: the count as Server-Sent Events', function () {
        let served: ServedHttpNode | undefined;
        const streams: SseClient[] = [];
        afterEach(async () => {
            streams.splice(0).forEach((client) => client.close());
            await served?.close();
            served = undefined;
        });

        /** GET /events → change (payload "events", as the shipped flow does) → the counter. */
        async function serveEvents(counter: Record<string, unknown>) {
            const flow: FlowNode[] = [
                { id: 'tab', type: 'tab' },
                { ...serverNode(sharedRedis().port), z: 'tab' },
                { id: 'events-in', type: 'http in', z: 'tab', url: '/events', method: 'get', wires: [['to-events']] },
                { id: 'to-events', type: 'change', z: 'tab', rules: [{ t: 'set', p: 'payload', pt: 'msg', to: 'events', tot: 'str' }], wires: [['counter0']] },
                { id: 'counter0', type: 'redis-counter', z: 'tab', server: 'redis-test', step: 1, ...counter, wires: [['out0']] },
                { id: 'out0', type: 'helper', z: 'tab' },
                { id: 'catcher', type: 'catch', z: 'tab', wires: [['caught']] },
                { id: 'caught', type: 'helper', z: 'tab' },
            ];
            await load([serverModule, counterModule, catchNode, httpInModule, changeModule, httpNode.module], flow);
            served = await httpNode.serve();
            return { out: collect('out0'), caught: collect('caught') };
        }

        async function stream(path: string): Promise<SseClient> {
            const client = await SseClient.open((served as ServedHttpNode).url(path));
            streams.push(client);
            return client;
        }

        const subscribers = async (key: string) => ((await redis.pubsub('NUMSUB', `__keyspace@0__:${key}`)) as [string, number])[1];

        it('streams the original\'s format: the current count first, then every change, to every client', async function () {
            const key = newKey();
            await redis.set(key, '41');
            const { out } = await serveEvents({ key });
            await waitFor(() => out.length === 1, 3000, 'the initial value');
            const first = await stream('/events');
            assert.match(String(first.response.headers['content-type']), /^text\/event-stream/);
            assert.strictEqual(first.response.headers['cache-control'], 'no-cache');
            await first.waitFor(() => first.counts.length === 1, 'the current count');
            assert.deepStrictEqual(first.blocks.slice(0, 2), [{ retry: 5000 }, { event: 'count', data: '41' }]);

            const [second, third] = await Promise.all([stream('/events'), stream('/events')]);
            for (const client of [second, third]) await client.waitFor(() => client.counts[0] === '41', 'the current count');
            await redis.incrby(key, 2);
            for (const client of [first, second, third]) await client.waitFor(() => client.counts.includes('43'), 'the change to 43');

            // A client that went away is forgotten; the others carry on.
            second.close();
            helper.getNode('counter0').receive({ payload: 'increment' });
            for (const client of [first, third]) await client.waitFor(() => client.counts.includes('44'), 'the change to 44');
            assert.deepStrictEqual(first.counts, ['41', '43', '44']);
            // The stream is the answer: nothing goes to the output but the values themselves.
            assert.deepStrictEqual(out.map((m) => m.payload), [41, 43, 44]);

            // Closing the node (a redeploy) ends every stream.
            await helper.unload();
            for (const client of [first, third]) await waitFor(() => client.response.complete, 3000, 'the stream ended');
        });

        it('follows a key taken from the request, and stops following it when its last stream closes', async function () {
            const key = newKey();
            await redis.set(key, '7');
            await serveEvents({ key: 'req.query.key', keyType: 'msg' });
            const client = await stream(`/events?key=${encodeURIComponent(key)}`);
            await client.waitFor(() => client.counts[0] === '7', 'the count of the key asked for');
            await redis.set(key, '8');
            await client.waitFor(() => client.counts.includes('8'), 'its change');
            assert.strictEqual(await subscribers(key), 1);
            client.close();
            await waitFor(async () => (await subscribers(key)) === 0, 3000, 'no longer subscribed');
        });

        it('refuses a key from the request that could be a pattern, and "events" without a request', async function () {
            const { caught } = await serveEvents({ key: 'req.query.key', keyType: 'msg' });
            // Nothing answers the request in this flow (the shipped one answers 503): it just waits.
            await assert.rejects(SseClient.open((served as ServedHttpNode).url('/events?key=counter%3A*'), 300), /no answer/);
            await waitFor(() => caught.length === 1, 3000, 'the bad key caught');
            assert.match(String((caught[0].error as { message: string }).message), /invalid key/);
            helper.getNode('counter0').receive({ payload: 'events', req: { query: { key: newKey() } } });
            await waitFor(() => caught.length === 2, 3000, 'events without a request caught');
            assert.match(String((caught[1].error as { message: string }).message), /events-without-request/);
        });
    });

    describe('the key as a typed input', function () {
        async function startWith(counter: Record<string, unknown>) {
            const flow: FlowNode[] = [
                { id: 'tab', type: 'tab' },
                { ...serverNode(sharedRedis().port), z: 'tab' },
                { id: 'counter0', type: 'redis-counter', z: 'tab', server: 'redis-test', step: 1, ...counter, wires: [['out0']] },
                { id: 'out0', type: 'helper', z: 'tab' },
                { id: 'catcher', type: 'catch', z: 'tab', wires: [['caught']] },
                { id: 'caught', type: 'helper', z: 'tab' },
            ];
            await load([serverModule, counterModule, catchNode], flow);
            const got = { out: collect('out0'), caught: collect('caught') };
            // Connected (or refused at deploy): a key read per message has no value to wait for.
            await waitFor(() => statusOf('counter0').fill !== undefined && statusOf('counter0').fill !== 'yellow', 3000, 'connected');
            return got;
        }

        it('a flow saved before the typed input (no keyType) counts in its text key, as before', async function () {
            const key = newKey();
            const { out } = await startWith({ key });
            await waitFor(() => out.length === 1, 3000, 'the initial value');
            helper.getNode('counter0').receive({ payload: 'increment' });
            await waitFor(() => last(out) === 1, 3000, 'the change');
            assert.strictEqual(await redis.get(key), '1');
        });

        it('an environment variable names the key at deploy, which is then watched', async function () {
            const key = newKey();
            await redis.set(key, '12');
            process.env.REDIS_COUNTER_TEST_KEY = key;
            try {
                const { out } = await startWith({ key: 'REDIS_COUNTER_TEST_KEY', keyType: 'env' });
                await waitFor(() => last(out) === 12, 3000, 'the initial value');
                assert.strictEqual(out[0].topic, key);
                await redis.incr(key);
                await waitFor(() => last(out) === 13, 3000, 'a change by another client');
            } finally {
                delete process.env.REDIS_COUNTER_TEST_KEY;
            }
        });

        it('an unset environment variable is a settings error, shown at deploy', async function () {
            await startWith({ key: 'REDIS_COUNTER_NO_SUCH_VARIABLE', keyType: 'env' });
            await waitFor(() => statusOf('counter0').fill === 'red', 3000, 'a red status');
        });

        it('a key from the message: each command acts on it and is answered with its new count', async function () {
            const [a, b] = [newKey(), newKey()];
            await redis.set(b, '100');
            const { out } = await startWith({ key: 'topic', keyType: 'msg' });
            const counter = helper.getNode('counter0');
            const answer = async (msg: Msg) => {
                const next = nextMessage('out0');
                counter.receive(msg as never);
                return next;
            };
            assert.deepStrictEqual(pick(await answer({ topic: a, payload: 'increment', tag: 1 })), [a, 1, 'change', 1]);
            assert.deepStrictEqual(pick(await answer({ topic: b, payload: 'decrement', step: 5, tag: 2 })), [b, 95, 'change', 2]);
            assert.deepStrictEqual(pick(await answer({ topic: a, payload: 41, tag: 3 })), [a, 41, 'change', 3]);
            assert.deepStrictEqual(pick(await answer({ topic: b, payload: 'get', tag: 4 })), [b, 95, 'get', 4]);
            assert.deepStrictEqual(pick(await answer({ topic: b, payload: 'reset', tag: 5 })), [b, 0, 'change', 5]);
            assert.deepStrictEqual([await redis.get(a), await redis.exists(b)], ['41', 0]);
            // Nothing is sent unasked: no key is watched.
            await redis.incr(a);
            await new Promise((r) => setTimeout(r, 200));
            assert.strictEqual(out.length, 5);
        });

        it('refuses a message key that is missing, not text, or could be a pattern, and writes nothing', async function () {
            const keep = newKey();
            await redis.set(keep, 'keep me');
            const { caught } = await startWith({ key: 'topic', keyType: 'msg' });
            const bad: unknown[] = [undefined, '', 'two words', 'counter:*', [newKey(), keep], 5, 'x'.repeat(257), 'lone\uD800'];
            for (const topic of bad) helper.getNode('counter0').receive({ topic, payload: 'reset' } as never);
            await waitFor(() => caught.length === bad.length, 3000, 'every one caught');
            for (const c of caught) assert.match(String((c.error as { message: string }).message), /invalid key/);
            assert.strictEqual(await redis.get(keep), 'keep me');
        });

        it('a key from flow or global context is read for each message', async function () {
            const [a, b] = [newKey(), newKey()];
            for (const [keyType, store] of [['flow', 'flow'], ['global', 'global']] as const) {
                await startWith({ key: 'counterKey', keyType });
                const counter = helper.getNode('counter0');
                const context = counter.context()[store];
                for (const key of [a, b]) {
                    context.set('counterKey', key);
                    const next = nextMessage('out0');
                    counter.receive({ payload: 'increment' } as never);
                    assert.deepStrictEqual([(await next).topic, (await next).payload], [key, keyType === 'flow' ? 1 : 2]);
                }
                await helper.unload();
            }
        });
    });
});

function pick(msg: Msg): unknown[] {
    return [msg.topic, msg.payload, msg.reason, msg.tag];
}

