// transit-operations against a real Redis: events written by the product's TransitStore
// (and, for the past, XADD with ids taken from Redis's TIME) become the four charts; a node
// started after them (a Node-RED restart) shows the window's history; what is older does
// not show; new events arrive live; a Redis restart is recovered from.
import assert from 'assert';
import Redis from 'ioredis';
import { sharedRedis } from '../support/global-redis';
import { collect, FlowNode, helper, load, loggedBy, Msg, serverNode, statusOf, waitFor } from '../support/flow';
import { RedisProcess } from '../support/redis-process';
import { redisNowMs } from '../support/redis-time';
import { TransitStore } from '../../nodes/lib/transit/store';
import type { RedisUser } from '../../nodes/common/types';
import type { Device, EntriesPoint, JournalRow } from '../../nodes/lib/transit/operations';

const serverModule = require('../../nodes/redis-iot-server/redis-iot-server');
const operationsModule = require('../../nodes/transit-operations/transit-operations');
const gateModule = require('../../nodes/transit-gate/transit-gate');
const saleModule = require('../../nodes/transit-sale/transit-sale');
const MODULES = [serverModule, operationsModule, gateModule, saleModule];

let counter = 0;
const newCard = () => `0E${Date.now().toString(16).toUpperCase()}${(++counter).toString(16).toUpperCase()}`;
let streams = 0;
const newStream = () => `ops:${process.pid}:${++streams}:events`;

/** The operations node (sending every second), a gate and a sales terminal of this Node-RED. */
function operationsFlow(port: number, stream: string, extra: Record<string, unknown> = {}): FlowNode[] {
    return [
        { id: 'tab', type: 'tab' },
        { ...serverNode(port), z: 'tab' },
        { id: 'ops', type: 'transit-operations', z: 'tab', server: 'redis-test', stream, window: 60, interval: 1, wires: [['charts']], ...extra },
        { id: 'charts', type: 'helper', z: 'tab' },
        { id: 'gate', type: 'transit-gate', z: 'tab', server: 'redis-test', gateId: 'gate-A', keyPrefix: 'ops:pass:', stream, wires: [[], []] },
        { id: 'sale', type: 'transit-sale', z: 'tab', server: 'redis-test', terminalId: 'term-1', keyPrefix: 'ops:pass:', stream, wires: [[], [], [], []] },
    ];
}

/** The last message of each chart. */
function latest(msgs: Msg[], topic: string): Msg | undefined {
    for (let i = msgs.length - 1; i >= 0; i--) if (msgs[i].topic === topic) return msgs[i];
    return undefined;
}
const payloadOf = <T>(msgs: Msg[], topic: string): T[] => (latest(msgs, topic)?.payload ?? []) as T[];
const entriesAt = (msgs: Msg[], gate: string) => payloadOf<EntriesPoint>(msgs, 'entries').filter((p) => p.gate === gate).reduce((n, p) => n + p.count, 0);

describe('transit-operations node', function () {
    let redis: Redis;

    before(() => {
        redis = new Redis(sharedRedis().port);
    });
    after(() => redis.quit());
    afterEach(() => helper.unload());

    it('sends the four charts from real sales and taps, with this Node-RED\'s devices and their connections', async function () {
        const stream = newStream();
        const store = new TransitStore(redis, { keyPrefix: 'ops:pass:', stream });
        await load(MODULES, operationsFlow(sharedRedis().port, stream));
        const charts = collect('charts');
        await waitFor(() => latest(charts, 'devices') !== undefined, 5000, 'the first charts');

        const [card, stranger] = [newCard(), newCard()];
        await store.sell(card, 'TEN_TRIP', `s-${card}`, 'booth-9');
        await store.sell(newCard(), { id: 'FIVE_TRIP', label: 'five trip', rides: 5, validity: 0, starts: 'sale' }, `s2-${card}`, 'booth-9');
        await store.tap(card, 'gate-A', `t1-${card}`, 10_000);
        await store.tap(card, 'gate-A', `t2-${card}`, 10_000); // a repeated tap: denied, nothing charged
        await store.tap(stranger, 'gate-B', `t-${stranger}`, 0);
        await waitFor(() => entriesAt(charts, 'gate-A') === 1 && payloadOf(charts, 'denials').length === 2, 5000,
            () => `the charts after the events (${JSON.stringify(charts.slice(-4))})`);

        assert.deepStrictEqual(payloadOf(charts, 'sales'), [{ product: 'five trip', count: 1 }, { product: 'ten trip', count: 1 }]);
        assert.deepStrictEqual(payloadOf(charts, 'denials'), [{ reason: 'no-pass', count: 1 }, { reason: 'repeat-tap', count: 1 }]);
        const entries = payloadOf<EntriesPoint>(charts, 'entries');
        assert.strictEqual(entries.length, 60, 'one point per minute of the hour for the one gate with entries');
        assert.ok(entries.every((p) => p.time % 60_000 === 0 && p.gate === 'gate-A'));

        const now = await redisNowMs(redis);
        const devices = payloadOf<Device>(charts, 'devices');
        const row = (id: string) => devices.find((d) => d.id === id);
        assert.deepStrictEqual(devices.map((d) => [d.id, d.kind, d.connection, d.local]), [
            ['gate-A', 'gate', 'connected', true], ['gate-B', 'gate', 'unknown', false],
            ['booth-9', 'terminal', 'unknown', false], ['term-1', 'terminal', 'connected', true],
        ]);
        assert.strictEqual(row('gate-A')?.lastChannel, 'pass-denied');
        assert.strictEqual(row('gate-A')?.lastReason, 'repeat-tap');
        assert.ok(Math.abs(now - Number(row('gate-B')?.lastEvent)) < 10_000, 'times are Redis\'s');
        assert.strictEqual(row('term-1')?.lastEvent, null);

        for (const msg of charts) assert.strictEqual(msg.action, 'replace');
        assert.ok(Math.abs(now - Number(latest(charts, 'entries')?.now)) < 10_000);
        // The helper does not translate: the text is the catalogue key of "1 in, 2 sold, 2 denied".
        assert.deepStrictEqual(statusOf('ops'), { fill: 'green', shape: 'dot', text: 'transit-operations.status.counts' });
        // It reads and never consumes: no consumer group on the stream.
        assert.deepStrictEqual(await redis.xinfo('GROUPS', stream), []);
    });

    it('started after the events (a Node-RED restart), shows the last hour and nothing older', async function () {
        const stream = newStream();
        const now = await redisNowMs(redis);
        const old = (minutesAgo: number, seq: number) => `${now - minutesAgo * 60_000}-${seq}`;
        // The past, written as a gate writes it but with ids from Redis's clock.
        const entry = (gate: string, channel = 'pass-used:SINGLE_USE') => ['channel', channel, 'event', JSON.stringify({ gate }), 'source', gate, 'op', 'x'];
        await redis.xadd(stream, old(90, 1), ...entry('gate-old'));
        await redis.xadd(stream, old(61, 1), ...entry('gate-old'));
        await redis.xadd(stream, old(30, 1), ...entry('gate-A'));
        await redis.xadd(stream, old(30, 2), ...entry('gate-A'));
        await redis.xadd(stream, old(5, 1), 'channel', 'card-blocked', 'event', '{"card":"04A1B2C3"}', 'source', 'operator-1', 'op', 'y');
        await redis.xadd(stream, old(5, 2), 'channel', 'pass-denied', 'event', 'not json', 'source', 'gate-A', 'op', 'z');
        const store = new TransitStore(redis, { keyPrefix: 'ops:pass:', stream });
        const card = newCard();
        await store.sell(card, 'SINGLE_USE', `s-${card}`, 'booth-9');
        await store.tap(card, 'gate-A', `t-${card}`, 0);

        await load(MODULES, operationsFlow(sharedRedis().port, stream));
        const charts = collect('charts');
        await waitFor(() => latest(charts, 'devices') !== undefined, 5000, 'the first charts');
        assert.deepStrictEqual(charts.map((m) => m.topic), ['entries', 'sales', 'denials', 'devices', 'journals'], 'all five once the window is read');
        assert.strictEqual(entriesAt(charts, 'gate-A'), 3);
        assert.strictEqual(entriesAt(charts, 'gate-old'), 0);
        assert.ok(!payloadOf<EntriesPoint>(charts, 'entries').some((p) => p.gate === 'gate-old'), 'gates of older entries are not shown');
        const thirty = payloadOf<EntriesPoint>(charts, 'entries').find((p) => p.count === 2);
        assert.strictEqual(thirty?.time, Math.floor((now - 30 * 60_000) / 60_000) * 60_000, 'counted in the minute of its id');
        assert.deepStrictEqual(payloadOf(charts, 'sales'), [{ product: 'single trip', count: 1 }]);
        assert.deepStrictEqual(payloadOf(charts, 'denials'), [{ reason: 'no-pass', count: 1 }]);
        assert.ok(!payloadOf<Device>(charts, 'devices').some((d) => d.id === 'operator-1' || d.id === 'gate-old'));

        // Nothing changed: nothing more is sent (but the entries chart, should a new minute
        // begin meanwhile), until a message asks for everything.
        await new Promise((r) => setTimeout(r, 1500));
        assert.deepStrictEqual(charts.slice(5).filter((m) => m.topic !== 'entries'), []);
        const before = charts.length;
        helper.getNode('ops').receive({ topic: 'refresh' });
        await waitFor(() => new Set(charts.slice(before).map((m) => m.topic)).size === 5, 2000, 'the charts again');
    });

    it('sends only the charts that changed as new events arrive', async function () {
        const stream = newStream();
        const store = new TransitStore(redis, { keyPrefix: 'ops:pass:', stream });
        await load(MODULES, operationsFlow(sharedRedis().port, stream));
        const charts = collect('charts');
        await waitFor(() => charts.length === 5, 5000, 'the first charts');
        for (let i = 1; i <= 3; i++) {
            await store.tap(newCard(), 'gate-C', `live-${i}-${newStream()}`, 0);
            await waitFor(() => payloadOf(charts, 'denials').length === 1 && (payloadOf<{ count: number }>(charts, 'denials')[0].count === i), 5000, `denial ${i}`);
        }
        const after = charts.slice(5).map((m) => m.topic);
        assert.ok(!after.includes('sales') && !after.includes('entries') && !after.includes('journals'), `only denials and devices changed: ${after.join(', ')}`);
    });

    it('sends each local gate\'s journal, and the offline decisions other gates replayed', async function () {
        const stream = newStream();
        await load(MODULES, operationsFlow(sharedRedis().port, stream));
        const charts = collect('charts');
        await waitFor(() => latest(charts, 'journals') !== undefined, 5000, 'the first charts');
        assert.deepStrictEqual(payloadOf(charts, 'journals'), [], 'a gate that denies while Redis is away keeps no journal');

        // What a gate with a journal shows (the gate sets it as it journals and replays), and
        // the replays of a gate another Node-RED runs, as they come on the stream.
        (helper.getNode('gate') as unknown as RedisUser).transitJournal = { pending: 3, replayed: 1, overused: 0, replaying: true };
        const replayed = (channel: string, extra: Record<string, unknown> = {}) =>
            redis.xadd(stream, '*', 'channel', channel, 'event', JSON.stringify({ cardSerialNumber: '04A1B2C3', gate: 'gate-far', offline: true, ...extra }),
                'source', 'gate-far', 'op', `replay-${channel}`);
        await replayed('pass-used:SINGLE_USE');
        await replayed('pass-overused', { reason: 'no-pass' });
        await waitFor(() => payloadOf<JournalRow>(charts, 'journals').length === 2, 5000, 'both gates\' rows');
        assert.deepStrictEqual(payloadOf(charts, 'journals'), [
            { gate: 'gate-A', offline: 0, overused: 0, unpaid: 0, local: true, pending: 3, replayed: 1, replaying: true },
            { gate: 'gate-far', offline: 2, overused: 1, unpaid: 0, local: false, pending: null, replayed: null, replaying: null },
        ]);
        assert.strictEqual(entriesAt(charts, 'gate-far'), 1, 'the replayed grant is an entry');
    });

    it('refuses bad settings at deploy', async function () {
        await load(MODULES, operationsFlow(sharedRedis().port, newStream(), { window: 0 }));
        await waitFor(() => statusOf('ops').fill === 'red', 3000, 'a red status');
        assert.ok(loggedBy('ops', 20).some((e) => e.msg === 'transit-operations.errors.bad-config'));
        const charts = collect('charts');
        await new Promise((r) => setTimeout(r, 1200));
        assert.deepStrictEqual(charts, []);
    });

    it('reads the window again after Redis restarts, without a redeploy', async function () {
        const own = await RedisProcess.start(['--appendonly', 'yes']);
        const stream = 'ops:outage';
        const sell = async () => {
            const client = new Redis(own.port);
            const card = newCard();
            await new TransitStore(client, { keyPrefix: 'ops:pass:', stream }).sell(card, 'TWO_HOUR', `s-${card}`, 'booth-1');
            client.disconnect();
        };
        try {
            await load(MODULES, operationsFlow(own.port, stream));
            const charts = collect('charts');
            await sell();
            await waitFor(() => payloadOf<{ count: number }>(charts, 'sales')[0]?.count === 1, 5000, 'the first sale');
            await own.restart();
            await sell();
            await waitFor(() => payloadOf<{ count: number }>(charts, 'sales')[0]?.count === 2, 10000, 'both sales after the restart');
            await waitFor(() => payloadOf<Device>(charts, 'devices').find((d) => d.id === 'gate-A')?.connection === 'connected', 5000, 'the gate connected again');
        } finally {
            await own.destroy();
        }
    });
});
