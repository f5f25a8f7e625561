// The three systems against a real Redis Cluster of three primaries: racing gates and
// terminals, counters whose keys live on different primaries than the seed node, and the
// camera store with its gallery. Every key one script touches must share a slot, and
// keyspace notifications must come from the primary that owns the counter's key.
import assert from 'assert';
import Redis, { Cluster } from 'ioredis';
import { catchNode, collect, FlowNode, helper, load, Msg, serverNode, statusOf, waitFor } from '../support/flow';
import { httpNodeModule } from '../support/http-node';
import { RedisCluster } from '../support/redis-cluster';
import { RedisProcess } from '../support/redis-process';
import calculateSlot from 'cluster-key-slot';
import { TransitStore } from '../../nodes/lib/transit/store';
import { CardAdmin, CardRefusedError } from '../../nodes/lib/transit/card-admin';
import { makeJpeg } from '../lib/images/fixtures';

const modules = {
    server: require('../../nodes/redis-iot-server/redis-iot-server'),
    gate: require('../../nodes/transit-gate/transit-gate'),
    sale: require('../../nodes/transit-sale/transit-sale'),
    monitor: require('../../nodes/transit-monitor/transit-monitor'),
    counter: require('../../nodes/redis-counter/redis-counter'),
    display: require('../../nodes/tm1637-display/tm1637-display'),
    store: require('../../nodes/redis-image-store/redis-image-store'),
    gallery: require('../../nodes/redis-image-gallery/redis-image-gallery'),
};

let n = 0;
const unique = (prefix: string) => `${prefix}${Date.now().toString(16).toUpperCase()}${(++n).toString(16).toUpperCase()}`;

describe('against a Redis Cluster of three primaries', function () {
    this.timeout(60000);
    let cluster: RedisCluster;
    let client: Cluster;
    const tab = () => [{ id: 'tab', type: 'tab' }, { ...serverNode(cluster.nodes[0].port, { mode: 'cluster', clusterNodes: cluster.seedList }), z: 'tab' }];

    before(async function () {
        cluster = await RedisCluster.start();
        client = new Cluster(cluster.addresses.map((a) => ({ host: '127.0.0.1', port: Number(a.split(':')[1]) })));
    });
    after(async () => {
        client?.disconnect();
        await cluster?.destroy();
    });
    afterEach(() => helper.unload());

    /** Card ids whose keys live on each of the three primaries (so no test passes by luck of one slot). */
    async function cardsOnEveryPrimary(prefix: string, count = 3): Promise<string[]> {
        const byOwner = new Map<RedisProcess, string>();
        while (byOwner.size < count) {
            const card = unique('C1');
            const owner = await cluster.ownerOf(`${prefix}${card}`);
            if (!byOwner.has(owner)) byOwner.set(owner, card);
        }
        return [...byOwner.values()];
    }

    describe('transit', function () {
        const prefix = 'cl:pass:';
        const stream = 'cl:events';

        it('ten gates racing on cards on every primary never grant more entries than the passes hold', async function () {
            const flow: FlowNode[] = [...tab(), { id: 'granted', type: 'helper', z: 'tab' }, { id: 'denied', type: 'helper', z: 'tab' },
                { id: 'catcher', type: 'catch', z: 'tab', wires: [['caught']] }, { id: 'caught', type: 'helper', z: 'tab' }];
            for (let g = 0; g < 10; g++) {
                flow.push({ id: `gate${g}`, type: 'transit-gate', z: 'tab', server: 'redis-test', gateId: `gate-${g}`, repeatWindow: 0,
                    keyPrefix: prefix, stream, wires: [['granted'], ['denied']] });
            }
            await load([modules.server, modules.gate, catchNode], flow);
            await waitFor(() => statusOf('gate0').fill === 'green', 10000, 'gates connected');
            const store = new TransitStore(client, { keyPrefix: prefix, stream, cluster: true });
            const caught = collect('caught');
            for (let trial = 0; trial < 10; trial++) {
                const singles = await cardsOnEveryPrimary(prefix);
                const tens = await cardsOnEveryPrimary(prefix);
                for (const card of singles) await store.sell(card, 'SINGLE_USE', `s-${card}`, 't');
                for (const card of tens) {
                    await store.sell(card, 'TEN_TRIP', `s-${card}`, 't');
                    await client.hset(`${prefix}${card}`, 'tripsRemaining', '3');
                }
                const granted = collect('granted');
                const denied = collect('denied');
                for (let g = 0; g < 10; g++) {
                    for (const card of [...singles, ...tens]) helper.getNode(`gate${g}`).receive({ payload: card });
                }
                await waitFor(() => granted.length + denied.length === 60, 10000, 'every tap answered');
                const grants = (card: string) => granted.filter((m) => (m.payload as { card: string }).card === card).length;
                for (const card of singles) assert.strictEqual(grants(card), 1, `trial ${trial}: single use ${card}`);
                for (const card of tens) assert.strictEqual(grants(card), 3, `trial ${trial}: three rides ${card}`);
                assert.ok(denied.every((m) => (m.payload as { reason: string }).reason === 'no-pass'), 'denied for no pass, not an error');
                for (const id of ['granted', 'denied']) (helper.getNode(id) as unknown as { removeAllListeners(e: string): void }).removeAllListeners('input');
            }
            assert.deepStrictEqual(caught, [], 'no errors (CROSSSLOT would show here)');
        });

        it('terminals and gates on separate connections race safely, and each event reaches the stream once', async function () {
            const clients = Array.from({ length: 6 }, () => new Cluster([{ host: '127.0.0.1', port: cluster.nodes[0].port }]));
            const streamKey = `${stream}:${unique('s')}`;
            const stores = clients.map((c) => new TransitStore(c, { keyPrefix: prefix, stream: streamKey, cluster: true }));
            try {
                let expectedEvents = 0;
                for (let trial = 0; trial < 20; trial++) {
                    const card = (await cardsOnEveryPrimary(prefix, 1))[0];
                    const sales = await Promise.all(stores.map((s, i) => s.sell(card, 'TEN_TRIP', `sale-${trial}-${i}`, `t${i}`)));
                    assert.strictEqual(sales.filter((r) => r.sold).length, 1, `trial ${trial}: one sale`);
                    await client.hset(`${prefix}${card}`, 'tripsRemaining', '2');
                    const taps = await Promise.all(stores.map((s, i) => s.tap(card, `g${i}`, `tap-${trial}-${i}`, 0)));
                    assert.strictEqual(taps.filter((r) => r.granted).length, 2, `trial ${trial}: two rides`);
                    // A retried tap (same id) brings back its answer and adds nothing to the stream.
                    const retried = await stores[0].tap(card, 'g0', `tap-${trial}-0`, 0);
                    assert.strictEqual(retried.granted, taps[0].granted);
                    assert.ok(!('outbox' in retried), 'the outbox stays inside the store');
                    expectedEvents += 1 + stores.length; // one sale, then every tap: 2 used + 4 denied
                }
                const entries = await client.xrange(streamKey, '-', '+');
                assert.strictEqual(entries.length, expectedEvents);
                const ops = entries.map(([, fields]) => fields[fields.indexOf('op') + 1]);
                assert.strictEqual(new Set(ops).size, ops.length, 'no operation appended twice');
            } finally {
                clients.forEach((c) => c.disconnect());
            }
        });

        it('staff block, unblock and refund cards on every primary, gates honour the deny list, and a pass moves only within its slot', async function () {
            const streamKey = `${stream}:${unique('a')}`;
            const store = new TransitStore(client, { keyPrefix: prefix, stream: streamKey, cluster: true });
            const admin = new CardAdmin(store);
            const cards = await cardsOnEveryPrimary(prefix);
            for (const card of cards) {
                await store.sell(card, 'TEN_TRIP', `s-${card}`, 't');
                await admin.block(card, 'lost', 'alice', `b-${card}`);
                assert.strictEqual((await store.tap(card, 'g1', `t-${card}`, 0)).reason, 'blocked');
                assert.strictEqual(await store.saleRefusal(card), 'blocked');
                assert.strictEqual((await admin.lookup(card)).blocked?.operator, 'alice');
                await admin.unblock(card, 'alice', `u-${card}`);
                assert.strictEqual((await store.tap(card, 'g1', `t2-${card}`, 0)).remainingTrips, 9);
            }
            await assert.rejects(admin.transfer(cards[0], cards[1], 'alice', `x-${cards[0]}`),
                (err: unknown) => err instanceof CardRefusedError && err.code === 'cross-slot');
            // A new card whose key hashes to the old card's slot: the pass moves there in one step.
            let twin = unique('C2');
            while (calculateSlot(`${prefix}${twin}`) !== calculateSlot(`${prefix}${cards[0]}`)) twin = unique('C2');
            await admin.transfer(cards[0], twin, 'alice', `m-${cards[0]}`);
            await admin.remove('refund', twin, 'moving away', 'alice', `r-${twin}`);
            const channels = (await client.xrange(streamKey, '-', '+')).map(([, f]) => f[f.indexOf('channel') + 1]);
            assert.deepStrictEqual(channels.filter((c) => c.startsWith('card-') || c === 'pass-transferred' || c === 'pass-refunded').sort(),
                ['card-blocked', 'card-blocked', 'card-blocked', 'card-unblocked', 'card-unblocked', 'card-unblocked', 'pass-refunded', 'pass-transferred']);
            assert.strictEqual(channels.filter((c) => c === 'pass-denied').length, 3);
        });

        it('a sale terminal and the monitor work through the cluster, the monitor seeing every event once', async function () {
            const streamKey = `${stream}:${unique('m')}`;
            await load([modules.server, modules.sale, modules.gate, modules.monitor], [...tab(),
                { id: 'sale', type: 'transit-sale', z: 'tab', server: 'redis-test', terminalId: 'term-1', keyPrefix: prefix, stream: streamKey, wires: [['sold'], []] },
                { id: 'sold', type: 'helper', z: 'tab' },
                { id: 'gate', type: 'transit-gate', z: 'tab', server: 'redis-test', gateId: 'gate-1', repeatWindow: 0, keyPrefix: prefix, stream: streamKey, wires: [['granted'], ['denied']] },
                { id: 'granted', type: 'helper', z: 'tab' }, { id: 'denied', type: 'helper', z: 'tab' },
                { id: 'monitor', type: 'transit-monitor', z: 'tab', server: 'redis-test', stream: streamKey, group: 'cluster-monitor', wires: [['events']] },
                { id: 'events', type: 'helper', z: 'tab' },
            ]);
            await waitFor(() => ['sale', 'gate', 'monitor'].every((id) => statusOf(id).fill === 'green'), 10000, 'nodes connected');
            // A new monitor shows events from its group's creation on.
            await waitFor(async () => ((await client.xinfo('GROUPS', streamKey).catch(() => [])) as unknown[]).length === 1, 10000, 'monitor group');
            const events = collect('events');
            const sold = collect('sold');
            const granted = collect('granted');
            const cards = await cardsOnEveryPrimary(prefix);
            for (const card of cards) helper.getNode('sale').receive({ payload: { card, passType: 'SINGLE_USE' } });
            await waitFor(() => sold.length === 3, 5000, 'three sales');
            for (const card of cards) helper.getNode('gate').receive({ payload: card });
            await waitFor(() => granted.length === 3, 5000, 'three entries');
            await waitFor(() => events.length === 6, 10000, 'six events on the monitor');
            await new Promise((r) => setTimeout(r, 500));
            assert.strictEqual(events.length, 6, 'no event twice');
            assert.deepStrictEqual(events.map((e) => e.topic).sort(), [...Array(3).fill('pass-issued:SINGLE_USE'), ...Array(3).fill('pass-used:SINGLE_USE')]);
        });
    });

    describe('counter', function () {
        async function keysOnEveryPrimary(): Promise<string[]> {
            const byOwner = new Map<RedisProcess, string>();
            while (byOwner.size < 3) {
                const key = unique('counter:cl:');
                const owner = await cluster.ownerOf(key);
                if (!byOwner.has(owner)) byOwner.set(owner, key);
            }
            return [...byOwner.values()];
        }

        it('counters on keys of every primary converge on the exact value, their displays too', async function () {
            const keys = await keysOnEveryPrimary();
            const flow: FlowNode[] = [...tab()];
            keys.forEach((key, k) => {
                for (let i = 0; i < 2; i++) {
                    const id = `counter${k}-${i}`;
                    flow.push({ id, type: 'redis-counter', z: 'tab', server: 'redis-test', key, step: 1, wires: [[`out-${id}`, `display-${id}`]] });
                    flow.push({ id: `out-${id}`, type: 'helper', z: 'tab' });
                    flow.push({ id: `display-${id}`, type: 'tm1637-display', z: 'tab', mode: 'simulated', overflow: 'clamp', brightness: 7, wires: [[]] });
                }
            });
            await load([modules.server, modules.counter, modules.display], flow);
            const ids = keys.flatMap((_, k) => [`counter${k}-0`, `counter${k}-1`]);
            const outs = new Map(ids.map((id) => [id, collect(`out-${id}`)] as [string, Msg[]]));
            await waitFor(() => ids.every((id) => outs.get(id)!.length >= 1), 10000, 'initial values');

            // The notification setting was asserted on each key's own primary.
            for (const key of keys) {
                const raw = new Redis((await cluster.ownerOf(key)).port);
                const flags = ((await raw.config('GET', 'notify-keyspace-events')) as string[])[1];
                raw.disconnect();
                assert.match(flags, /K/, `notifications on the primary owning ${key}`);
            }

            const writers = Array.from({ length: 4 }, () => new Cluster([{ host: '127.0.0.1', port: cluster.nodes[1].port }]));
            try {
                await Promise.all(writers.map(async (w) => {
                    for (let i = 0; i < 250; i++) await Promise.all(keys.map((key) => w.incr(key)));
                }));
                for (let i = 0; i < 600; i++) helper.getNode(ids[i % ids.length]).receive({ payload: 'increment' });
                await waitFor(async () => (await Promise.all(keys.map((k) => client.get(k)))).every((v) => v === '1200'), 10000, 'every increment applied');
                await waitFor(() => ids.every((id) => outs.get(id)!.at(-1)?.payload === 1200), 10000, 'every node on 1200');
                type Display = { simulator: { text: string } };
                await waitFor(() => ids.every((id) => (helper.getNode(`display-${id}`) as unknown as Display).simulator.text === '1200'), 5000, 'every display on 1200');
                for (const out of outs.values()) {
                    const values = out.map((m) => m.payload as number);
                    assert.deepStrictEqual(values, [...values].sort((a, b) => a - b), 'never an older value after a newer one');
                }
            } finally {
                writers.forEach((w) => w.disconnect());
            }
        });
        it("follows the counter's key when a resharding moves its slot to another primary", async function () {
            const key = unique('counter:move:');
            await client.set(key, '10');
            await load([modules.server, modules.counter], [...tab(),
                { id: 'counter', type: 'redis-counter', z: 'tab', server: 'redis-test', key, step: 1, wires: [['out']] },
                { id: 'out', type: 'helper', z: 'tab' }]);
            const out = collect('out');
            await waitFor(() => out.at(-1)?.payload === 10, 10000, 'initial value');
            const from = await cluster.ownerOf(key);
            const to = cluster.nodes.find((node) => node !== from)!;
            await cluster.moveSlotOf(key, to);
            const writer = new Cluster([{ host: '127.0.0.1', port: to.port }]);
            try {
                // Changes made on the new owner only: the old one never hears of them.
                await waitFor(async () => {
                    await writer.incr(key);
                    return Number(out.at(-1)?.payload) > 11;
                }, 15000, 'a change on the new owner reaches the counter');
                const exact = Number(await writer.incrby(key, 5));
                await waitFor(() => out.at(-1)?.payload === exact, 5000, `the counter on ${exact}`);
                const owner = new Redis(to.port);
                const flags = ((await owner.config('GET', 'notify-keyspace-events')) as string[])[1];
                owner.disconnect();
                assert.match(flags, /K/, 'notifications turned on at the new owner');
            } finally {
                writer.disconnect();
            }
        });
    });

    describe('camera gallery', function () {
        const httpNode = httpNodeModule();

        it('stores with retention and serves the list, the bytes and live announcements', async function () {
            const index = unique('cl-index-');
            const names = { keyPrefix: 'image:', index };
            await load([modules.server, modules.store, modules.gallery, catchNode, httpNode.module], [...tab(),
                { id: 'store', type: 'redis-image-store', z: 'tab', server: 'redis-test', ...names, maxCount: 5, maxBytes: 104857600, maxAge: 86400, maxImageSize: 5242880, thumbnailWidth: 64, wires: [['stored']] },
                { id: 'stored', type: 'helper', z: 'tab' },
                { id: 'gallery', type: 'redis-image-gallery', z: 'tab', server: 'redis-test', path: '/gallery', pageSize: 24, ...names, wires: [] },
                { id: 'catcher', type: 'catch', z: 'tab', wires: [['caught']] }, { id: 'caught', type: 'helper', z: 'tab' },
            ]);
            const server = await httpNode.serve();
            const url = (p: string) => server.url(`/gallery${p}`);
            const events = new AbortController();
            try {
                await waitFor(() => statusOf('store').fill === 'green' && statusOf('gallery').fill === 'green', 10000, 'connected');
                const announced: string[] = [];
                const sse = await fetch(url('/api/events'), { signal: events.signal });
                void (async () => {
                    for await (const chunk of sse.body as unknown as AsyncIterable<Uint8Array>) announced.push(Buffer.from(chunk).toString());
                })().catch(() => undefined);
                await waitFor(() => announced.join('').includes('retry:'), 5000, 'event stream open');
                await new Promise((r) => setTimeout(r, 200)); // subscription confirmed

                const stored = collect('stored');
                const caught = collect('caught');
                const jpegs = Array.from({ length: 8 }, (_, i) => makeJpeg(96, 64, 20 + i * 25));
                // Captured by this host's clock, as pi-camera does; the store orders by Redis's.
                for (const [i, jpeg] of jpegs.entries()) {
                    helper.getNode('store').receive({ payload: jpeg, image: { camera: 'porch', timestamp: Date.now() } } as never);
                    await waitFor(() => stored.length + caught.length > i, 5000, `image ${i} stored`);
                }
                assert.deepStrictEqual(caught.map((m) => (m.error as { message: string }).message), []);
                const ids = stored.map((m) => String(m.payload));

                const list = await (await fetch(url('/api/images'))).json() as Array<{ id: string; camera: string }>;
                assert.deepStrictEqual(list.map((i) => i.id), ids.slice(-5).reverse(), 'the five newest, newest first');
                const bytes = Buffer.from(await (await fetch(url(`/api/image/${ids[7]}`))).arrayBuffer());
                assert.ok(bytes.equals(jpegs[7]), 'the stored bytes come back');
                assert.strictEqual((await fetch(url(`/api/image/${ids[0]}`))).status, 404, 'evicted by retention');
                assert.strictEqual((await fetch(url(`/api/thumb/${ids[6]}`))).status, 200);
                await waitFor(() => ids.every((id) => announced.join('').includes(`data: ${id}\n`)), 5000, 'every id announced');

                // Every key of the set hashes to one slot, so one primary holds them all.
                const slots = new Set<number>();
                for (const node of cluster.nodes) {
                    const raw = new Redis(node.port);
                    for (const key of await raw.keys(`*${index}*`)) slots.add(Number(await raw.call('CLUSTER', 'KEYSLOT', key)));
                    raw.disconnect();
                }
                assert.strictEqual(slots.size, 1, `one slot, not ${[...slots].join(', ')}`);
            } finally {
                events.abort();
                await server.close();
            }
        });
    });
});
