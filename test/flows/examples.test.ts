// The editor examples of the transit nodes, the counter and the image store and gallery,
// run as shipped: each example file is loaded into Node-RED (its debug nodes swapped for
// test helpers, its Redis config node pointed at the test Redis, its keys under a fresh
// prefix) and its inject nodes are clicked in the order the example's comment tells the
// reader to.
import assert from 'assert';
import path from 'path';
import Redis from 'ioredis';
import { FlowNode as ShippedNode, readFlowFile, SHARED_REDIS_ID } from '../../scripts/demo/flows';
import { REPO_ROOT } from '../../scripts/demo/paths';
import { sharedRedis } from '../support/global-redis';
import type { RedisUser } from '../../nodes/common/types';
import { collect, coreNode, FlowNode, helper, load, Msg, nextMessage, statusOf, waitFor } from '../support/flow';

const modules = [
    require('../../nodes/redis-iot-server/redis-iot-server'),
    require('../../nodes/transit-sale/transit-sale'),
    require('../../nodes/transit-gate/transit-gate'),
    require('../../nodes/transit-monitor/transit-monitor'),
    require('../../nodes/transit-cards/transit-cards'),
    require('../../nodes/transit-operations/transit-operations'),
    require('../../nodes/redis-counter/redis-counter'),
    require('../../nodes/redis-image-store/redis-image-store'),
    require('../../nodes/redis-image-gallery/redis-image-gallery'),
    coreNode('common/20-inject.js'),
    coreNode('common/90-comment.js'),
    coreNode('common/25-catch.js'),
    coreNode('function/15-change.js'),
    coreNode('function/10-switch.js'),
];

let run = 0;

/** The example as a loadable flow, and the key prefix, stream, counter key and image keys it now uses. */
function exampleFlow(file: string): { flow: FlowNode[]; prefix: string; stream: string; counterKey: string; imagePrefix: string } {
    const shipped: ShippedNode[] = readFlowFile(path.join(REPO_ROOT, 'examples', file));
    const tag = `example${Date.now().toString(36)}${++run}`;
    const prefix = `${tag}:pass:`;
    const stream = `${tag}:events`;
    const counterKey = `${tag}:counter`;
    const imagePrefix = `${tag}:image:`;
    const canvas = String(shipped.find((n) => n.z)?.z);
    const flow: FlowNode[] = [{ id: canvas, type: 'tab' }];
    for (const node of shipped) {
        if (node.type === 'debug') flow.push({ id: node.id, type: 'helper', z: node.z });
        else if (node.id === SHARED_REDIS_ID) flow.push({ ...node, port: sharedRedis().port });
        else if (node.type.startsWith('transit-')) {
            flow.push({ ...node, stream, ...(node.keyPrefix !== undefined ? { keyPrefix: prefix } : {}) });
        } else if (node.type === 'redis-counter') flow.push({ ...node, key: counterKey });
        else if (node.type.startsWith('redis-image-')) flow.push({ ...node, keyPrefix: imagePrefix, index: `${tag}:image-index` });
        else flow.push(node);
    }
    return { flow, prefix, stream, counterKey, imagePrefix };
}

/** Loads the flow and waits until each of its transit nodes is connected to Redis. */
async function start(flow: FlowNode[]): Promise<void> {
    await load(modules, flow);
    for (const node of flow.filter((n) => n.type.startsWith('transit-'))) {
        await waitFor(() => statusOf(node.id).fill === 'green', 5000, `${node.id} connected`);
    }
}

/** Clicks an inject node's button and waits for the message it causes at a debug node. */
async function click(inject: string, debug: string): Promise<Msg> {
    const next = nextMessage(debug, 5000);
    helper.getNode(inject).receive({});
    return next;
}

describe('shipped examples', function () {
    this.timeout(20000);
    let redis: Redis;

    before(() => {
        redis = new Redis(sharedRedis().port);
    });
    after(() => redis.quit());
    afterEach(() => helper.unload());

    describe('transit examples', function () {
        it('Sell a pass: tap, choose, tap again sells; a second sale is refused; a direct sale sells at once', async function () {
            const { flow, prefix } = exampleFlow('transit-sale/Sell a pass.json');
            await start(flow);
            assert.strictEqual((await click('ex-sale-tap', 'ex-sale-prompt')).payload, 'select-a-pass');
            assert.strictEqual((await click('ex-sale-choose', 'ex-sale-prompt')).payload, 'tap-card-to-confirm');
            const sold = await click('ex-sale-tap', 'ex-sale-sold');
            assert.deepStrictEqual([sold.topic, (sold.payload as Msg).card, (sold.payload as Msg).passType], ['sold', '04A1B2C3', 'TEN_TRIP']);
            assert.strictEqual(await redis.hget(`${prefix}04A1B2C3`, 'passType'), 'TEN_TRIP');
            const refused = await click('ex-sale-tap', 'ex-sale-refused');
            assert.deepStrictEqual(refused.payload, { card: '04A1B2C3', reason: 'card-already-has-pass' });
            const direct = await click('ex-sale-direct', 'ex-sale-sold');
            assert.deepStrictEqual([(direct.payload as Msg).card, (direct.payload as Msg).passType], ['04AABBCC', 'SINGLE_USE']);
        });

        it('Sell a pass: confirming with another card cancels the sale, and so does cancel', async function () {
            const { flow, prefix } = exampleFlow('transit-sale/Sell a pass.json');
            await start(flow);
            await click('ex-sale-tap', 'ex-sale-prompt');
            await click('ex-sale-choose', 'ex-sale-prompt');
            assert.deepStrictEqual((await click('ex-sale-other', 'ex-sale-refused')).payload, { card: '04A1B2C3', reason: 'mismatch' });
            assert.strictEqual(await redis.exists(`${prefix}04A1B2C3`, `${prefix}04D5E6F7`), 0);
            await click('ex-sale-tap', 'ex-sale-prompt');
            assert.strictEqual(((await click('ex-sale-cancel', 'ex-sale-refused')).payload as Msg).reason, 'cancelled');
        });

        it('Check a pass at a gate: the sold card is let through, a card without a pass is not', async function () {
            const { flow } = exampleFlow('transit-gate/Check a pass at a gate.json');
            await start(flow);
            assert.strictEqual((await click('ex-gate-sell', 'ex-gate-sold')).topic, 'sold');
            const granted = await click('ex-gate-tap', 'ex-gate-granted');
            assert.deepStrictEqual(granted.payload, { card: '04A1B2C3', passType: 'TEN_TRIP', remainingTrips: 9 });
            const denied = await click('ex-gate-stranger', 'ex-gate-denied');
            assert.deepStrictEqual(denied.payload, { card: '04D5E6F7', reason: 'no-pass' });
        });

        it('Watch transit events: a sale, a journey and a refusal arrive as the original monitor sentences', async function () {
            const { flow, stream } = exampleFlow('transit-monitor/Watch transit events.json');
            await start(flow);
            // The monitor reads new events only once its consumer group exists.
            await waitFor(async () => {
                const groups = await redis.xinfo('GROUPS', stream).catch(() => []) as unknown[];
                return groups.length > 0;
            }, 5000, 'the monitor\'s consumer group');
            const texts: string[] = [];
            helper.getNode('ex-monitor-text').on('input', (msg: Msg) => texts.push(String(msg.text)));
            helper.getNode('ex-monitor-sell').receive({});
            await waitFor(() => texts.length >= 1, 5000, 'the sale event');
            helper.getNode('ex-monitor-tap').receive({});
            await waitFor(() => texts.length >= 3, 5000, 'the activation and journey events');
            helper.getNode('ex-monitor-stranger').receive({});
            await waitFor(() => texts.length >= 4, 5000, 'the refusal event');
            assert.deepStrictEqual(texts, [
                'Card 04A1B2C3 was issued a two hour pass.',
                'Card 04A1B2C3 two hour pass activated.',
                'Card 04A1B2C3 started a journey.',
                'Card 04D5E6F7 tried to start a journey without a valid pass!',
            ]);
        });

        it('Administer cards: a blocked card is denied at the gate, its pass moves to a new card, which is refunded', async function () {
            const { flow, prefix } = exampleFlow('transit-cards/Administer cards.json');
            await start(flow);
            assert.strictEqual((await click('ex-cards-sell', 'ex-cards-sold')).topic, 'sold');
            assert.strictEqual((await click('ex-cards-lookup', 'ex-cards-text')).text, 'Card 04A1B2C3: it has a pass.');
            assert.strictEqual((await click('ex-cards-block', 'ex-cards-text')).text, 'Card 04A1B2C3 blocked by desk-1: lost.');
            assert.strictEqual((await click('ex-cards-tap', 'ex-cards-decision')).text, 'Denied: card 04A1B2C3, the card is blocked.');
            const moved = await click('ex-cards-transfer', 'ex-cards-lookup-out');
            assert.deepStrictEqual([(moved.lookup as Msg).card, ((moved.lookup as Msg).pass as Msg).tripsRemaining], ['04D5E6F7', 10]);
            assert.strictEqual((await click('ex-cards-unblock', 'ex-cards-text')).text, 'Card 04A1B2C3 unblocked by desk-1: it has no pass.');
            assert.strictEqual((await click('ex-cards-refund', 'ex-cards-text')).text, "Card 04D5E6F7's pass refunded by desk-1: customer request.");
            assert.strictEqual(await redis.exists(`${prefix}04A1B2C3`, `${prefix}04D5E6F7`), 0);
            // Refunding again: no pass, an error for the Catch node.
            assert.match(String(((await click('ex-cards-refund', 'ex-cards-refused')).error as Msg).message), /has no pass/);
        });

        it('Chart transit operations: a sale, an entry and a refusal reach their charts', async function () {
            const { flow } = exampleFlow('transit-operations/Chart transit operations.json');
            // Sends every second rather than every 5, for a shorter test.
            await start(flow.map((n) => (n.type === 'transit-operations' ? { ...n, interval: 1 } : n)));
            // The charts of the empty stream may or may not have gone out while start() waited.
            const [sales, entries, denials] = ['ex-ops-sales', 'ex-ops-entries', 'ex-ops-denials'].map(collect);
            const latest = (msgs: Msg[]) => (msgs[msgs.length - 1]?.payload ?? []) as Array<Record<string, unknown>>;
            helper.getNode('ex-ops-sell').receive({});
            await waitFor(() => latest(sales).length > 0, 5000, 'the sale');
            assert.deepStrictEqual(latest(sales), [{ product: 'ten trip', count: 1 }]);
            helper.getNode('ex-ops-tap').receive({});
            helper.getNode('ex-ops-stranger').receive({});
            await waitFor(() => latest(entries).length > 0 && latest(denials).length > 0, 5000, 'the entry and the refusal');
            const counted = latest(entries).filter((p) => Number(p.count) > 0);
            assert.deepStrictEqual(counted.map((p) => [p.gate, p.count]), [['gate-1', 1]]);
            assert.deepStrictEqual(latest(denials), [{ reason: 'no-pass', count: 1 }]);
            const shown = sales.length;
            helper.getNode('ex-ops-refresh').receive({});
            await waitFor(() => sales.length > shown, 2000, 'all charts again');

            // The gate denies while Redis is away (no journal), until it keeps one: as the gate sets it.
            const journals = collect('ex-ops-journals');
            helper.getNode('ex-ops-refresh').receive({});
            await waitFor(() => journals.length > 0, 2000, 'the journals');
            assert.deepStrictEqual(latest(journals), []);
            (helper.getNode('ex-ops-gate') as unknown as RedisUser).transitJournal = { pending: 2, replayed: 0, overused: 0, replaying: false };
            await waitFor(() => latest(journals).length > 0, 3000, 'the gate\'s journal');
            assert.deepStrictEqual(latest(journals), [
                { gate: 'gate-1', offline: 0, overused: 0, unpaid: 0, local: true, pending: 2, replayed: 0, replaying: false },
            ]);
        });
    });

    describe('operations system', function () {
        it('journal rows: one table row per gate, its journal blank for a gate another Node-RED runs', async function () {
            const shipped: ShippedNode[] = readFlowFile(path.join(REPO_ROOT, 'examples', 'Transit ticketing 4 - operations.json'));
            const rows = shipped.find((n) => n.id === 'ops-journal-rows') as ShippedNode;
            await load(modules, [{ id: 'tab', type: 'tab' }, { ...rows, z: 'tab', g: undefined, wires: [['table']] }, { id: 'table', type: 'helper', z: 'tab' }]);
            const table = collect('table');
            helper.getNode('ops-journal-rows').receive({ topic: 'journals', payload: [
                { gate: 'gate-1', offline: 3, overused: 1, unpaid: 0, local: true, pending: 2, replayed: 5, replaying: true },
                { gate: 'gate-9', offline: 4, overused: 0, unpaid: 2, local: false, pending: null, replayed: null, replaying: null },
            ] });
            await waitFor(() => table.length === 1, 2000, 'the rows');
            helper.getNode('ops-journal-rows').receive({ topic: 'journals', payload: [] });
            await waitFor(() => table.length === 2, 2000, 'no rows');
            assert.deepStrictEqual(table[0].payload, [
                { gate: 'gate-1', journal: '2 pending, replaying', replayed: 5, offline: 3, overused: 1, unpaid: 0 },
                { gate: 'gate-9', journal: '', replayed: '', offline: 4, overused: 0, unpaid: 2 },
            ]);
            assert.deepStrictEqual(table[1].payload, [], 'an empty table, not a missing payload');
        });
    });

    describe('counter example', function () {
        it('Count in Redis: every change reaches both counters, whoever made it', async function () {
            const { flow, counterKey } = exampleFlow('redis-counter/Count in Redis.json');
            await load(modules, flow);
            // Each counter shows the count in its status once it has read it (0: no key yet).
            for (const id of ['ex-counter', 'ex-counter-other']) {
                await waitFor(() => statusOf(id).text === '0', 5000, `${id} showing 0`);
            }
            const mine = collect('ex-counter-count');
            const other = collect('ex-counter-other-count');
            const last = (got: Msg[]) => got[got.length - 1]?.payload;
            const bothShow = (value: number, what: string) =>
                waitFor(() => last(mine) === value && last(other) === value, 5000, `both counters at ${value} after ${what}`);

            for (const [inject, value] of [
                ['ex-counter-increment', 1], ['ex-counter-increment-5', 6], ['ex-counter-decrement', 5],
                ['ex-counter-set', 100], ['ex-counter-reset', 0],
            ] as const) {
                helper.getNode(inject).receive({});
                await bothShow(value, inject);
            }
            assert.strictEqual(await redis.exists(counterKey), 0, 'reset deletes the key, as the original did');
            assert.deepStrictEqual([mine[0].topic, mine[0].reason], [counterKey, 'change']);

            // A change made outside Node-RED, as the original web app or Pi script would make it.
            await redis.incrby(counterKey, 3);
            await bothShow(3, 'INCRBY from another client');

            const answer = nextMessage('ex-counter-count');
            helper.getNode('ex-counter-get').receive({});
            assert.deepStrictEqual([(await answer).payload, (await answer).reason], [3, 'get']);
        });
    });

    describe('image examples', function () {
        it('Store a picture: the inject node\'s buffer is a PNG that is stored; the HTML bytes are refused', async function () {
            const { flow, imagePrefix } = exampleFlow('redis-image-store/Store a picture.json');
            await start(flow);
            await waitFor(() => statusOf('ex-imgstore').fill === 'green', 5000, 'store connected');
            const id = String((await click('ex-imgstore-inject', 'ex-imgstore-id')).payload);
            const stored = await redis.hgetBuffer(`${imagePrefix}${id}`, 'image_data');
            assert.deepStrictEqual([...(stored ?? Buffer.alloc(0)).subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
            assert.strictEqual(await redis.hget(`${imagePrefix}${id}`, 'camera'), 'example');
            const refused = await click('ex-imgstore-bad', 'ex-imgstore-error');
            assert.ok(refused.error, 'the Catch node passes the error on');
        });

        it('Serve a gallery: each test picture is stored from the inject node alone, camera "example", time now', async function () {
            const { flow, imagePrefix } = exampleFlow('redis-image-gallery/Serve a gallery.json');
            await start(flow);
            await waitFor(() => statusOf('ex-gallery-store').fill === 'green', 5000, 'store connected');
            const before = Date.now();
            const id = String((await click('ex-gallery-inject', 'ex-gallery-id')).payload);
            const fields = await redis.hgetall(`${imagePrefix}${id}`);
            assert.deepStrictEqual([fields.camera, fields.mime_type], ['example', 'image/png']);
            // The capture time is the inject node's $millis(), on this process's clock.
            const captured = Number(fields.ts_ms);
            assert.ok(captured >= before && captured <= Date.now(), `captured at ${captured}, between ${before} and now`);
        });
    });
});

