// The network between Node-RED and Redis cut and healed, through a loopback TCP proxy
// the tests control. Node-RED (gates, a terminal, a monitor, a counter) talks to Redis
// only through the proxy; the test's own client goes to Redis directly, selling,
// tapping and counting while Node-RED is cut off.
import assert from 'node:assert/strict';
import Redis from 'ioredis';
import { collect, helper, Msg, SERVER_ID, statusOf, waitFor } from '../support/flow';
import { RedisProcess } from '../support/redis-process';
import { LinkInfo, TcpProxy } from '../support/tcp-proxy';
import type { RedisServerNode } from '../../nodes/common/types';
import { cardKeys } from '../../nodes/lib/transit/keys';
import { TransitStore } from '../../nodes/lib/transit/store';
import { Answer, freshCard, KEY_PREFIX, scriptCalls, sleep, STREAM, TEN_TRIPS, TransitRig } from './transit-rig';

const ANSWER_BOUND_MS = 1500;
const COUNTER_KEY = 'fault:net:count';
const NODES = ['gate0', 'gate1', 'terminal0', 'monitor', 'counter'];

describe('faults: the network to Redis cut and healed (TCP proxy)', function () {
    this.timeout(120000);
    let own: RedisProcess;
    let proxy: TcpProxy;
    let direct: Redis;
    let store: TransitStore;
    let rig: TransitRig;
    let events: Msg[];
    let counts: Msg[];
    let seq = 0;

    beforeEach(async () => {
        own = await RedisProcess.start();
        proxy = await TcpProxy.start(own.port);
        direct = new Redis(own.port);
        store = new TransitStore(direct, { keyPrefix: KEY_PREFIX, stream: STREAM });
        rig = await TransitRig.deploy(proxy.port, { gates: 2, terminals: 1, monitorAndCounter: { counterKey: COUNTER_KEY } });
        events = collect('events');
        counts = collect('count');
        await waitFor(() => NODES.every((id) => statusOf(id).fill === 'green'), 10000, 'every node green');
    });
    afterEach(async () => {
        await helper.unload();
        proxy.close();
        direct.disconnect();
        await own.destroy();
    });

    const connectionState = () => (helper.getNode(SERVER_ID) as unknown as RedisServerNode).connection?.state;
    const lastCount = () => counts[counts.length - 1]?.payload;

    /** Taps and sells through Node-RED for `ms`, each answer awaited and timed. */
    async function trafficFor(ms: number, cards: string[]): Promise<{ taps: Array<Answer & { id: string; card: string }>; sales: Array<Answer & { card: string }> }> {
        const until = Date.now() + ms;
        const taps: Array<Answer & { id: string; card: string }> = [];
        const sales: Array<Answer & { card: string }> = [];
        const tapper = async (gate: number) => {
            while (Date.now() < until) {
                const card = cards[++seq % cards.length];
                const id = `net-${gate}-${seq}`;
                taps.push({ ...await rig.tap(gate, card, id), id, card });
                await sleep(100);
            }
        };
        const seller = async () => {
            while (Date.now() < until) {
                const card = freshCard();
                sales.push({ ...await rig.sell(0, card, `net-sale-${++seq}`), card });
                await sleep(400);
            }
        };
        await Promise.all([tapper(0), tapper(1), seller()]);
        return { taps, sales };
    }

    /** Sells ten trip passes directly (not through the proxy). */
    async function soldCards(n: number): Promise<string[]> {
        const cards = Array.from({ length: n }, () => freshCard());
        for (const card of cards) await store.sell(card, 'TEN_TRIP', `pre-${card}`, 'direct');
        return cards;
    }

    /** While Node-RED is cut off: sales, an entry and counter changes made by others. */
    async function othersActMeanwhile(): Promise<void> {
        const card = freshCard();
        await store.sell(card, 'TEN_TRIP', `meanwhile-${card}`, 'direct');
        await store.tap(card, 'direct-gate', `meanwhile-tap-${card}`, 0);
        await direct.incrby(COUNTER_KEY, 5);
    }

    /** Every answer in bound and unavailable; nothing Node-RED sent was charged or sold. */
    async function assertNothingCharged(cards: string[], traffic: Awaited<ReturnType<typeof trafficFor>>): Promise<number> {
        const slowest = Math.max(...traffic.taps.map((t) => t.ms), ...traffic.sales.map((s) => s.ms));
        assert.ok(traffic.taps.length > 20, `${traffic.taps.length} taps during the cut`);
        assert.ok(slowest < ANSWER_BOUND_MS, `slowest answer ${slowest} ms`);
        assert.deepEqual([...new Set(traffic.taps.map((t) => t.detail))], ['unavailable']);
        assert.deepEqual([...new Set(traffic.sales.map((s) => s.detail))], ['unavailable']);
        for (const card of cards) assert.equal(await direct.hget(cardKeys(KEY_PREFIX, card).pass, 'tripsRemaining'), String(TEN_TRIPS));
        for (const s of traffic.sales) assert.equal(await direct.exists(cardKeys(KEY_PREFIX, s.card).pass), 0, `sale to ${s.card} ran`);
        for (const t of traffic.taps) assert.equal(await direct.exists(cardKeys(KEY_PREFIX, t.card).record(`tap:${t.id}`)), 0, `tap ${t.id} ran`);
        return slowest;
    }

    /** Back to work without a redeploy: a grant, the monitor, the counter, green statuses. */
    async function assertRecovers(healedAt: number): Promise<Record<string, number>> {
        const card = freshCard();
        await store.sell(card, 'SINGLE_USE', `post-${card}`, 'direct');
        let grantedMs = -1;
        await waitFor(async () => {
            const answer = await rig.tap(0, card, `post-${++seq}`);
            if (answer.outcome === 'ok') grantedMs = Date.now() - healedAt;
            return answer.outcome === 'ok';
        }, 10000, 'a grant after the heal');
        const expected = Number(await direct.get(COUNTER_KEY));
        await waitFor(() => lastCount() === expected, 10000, `the counter on ${expected}`);
        const countMs = Date.now() - healedAt;
        await direct.incrby(COUNTER_KEY, 1);
        await waitFor(() => lastCount() === expected + 1, 3000, 'the counter follows a change again');
        // The monitor shows every event in the stream once, in order, including those
        // written while it was cut off and the entry just granted.
        const ids = (await direct.xrange(STREAM, '-', '+')).map(([id]) => id);
        await waitFor(() => events.length >= ids.length, 10000, `the monitor shows ${ids.length} events`);
        await sleep(300);
        assert.deepEqual(events.map((e) => String(e.eventId)), ids);
        await waitFor(() => NODES.every((id) => statusOf(id).fill === 'green'), 10000, `every node green again: ${NODES.map((id) => statusOf(id).fill)}`);
        return { grantedMs, countMs };
    }

    it('blackhole (half-open sockets): noticed within seconds, taps answered in bound, everything resumes after heal', async function () {
        const cards = await soldCards(4);
        const cutAt = Date.now();
        proxy.blackhole();
        let noticedMs = -1;
        const noticed = waitFor(() => connectionState() !== 'connected' && statusOf('counter').fill === 'red' && statusOf('monitor').fill === 'red',
            10000, 'the half-open connection shown').then(() => { noticedMs = Date.now() - cutAt; });
        const [traffic] = await Promise.all([trafficFor(8000, cards), othersActMeanwhile(), noticed]);
        assert.ok(noticedMs < 5000, `noticed after ${noticedMs} ms`);
        proxy.heal();
        const healedAt = Date.now();
        const slowest = await assertNothingCharged(cards, traffic);
        const recovery = await assertRecovers(healedAt);
        console.log(`      blackhole: ${JSON.stringify({ taps: traffic.taps.length, slowest, noticedMs, ...recovery })}`);
    });

    /** The subscriber's connection: Redis lists it as subscribed (flag P), at the proxy's upstream port. */
    async function subscriberLink(): Promise<LinkInfo> {
        const list = ((await direct.client('LIST')) as string).split('\n');
        const subscriberLine = list.find((line) => /\bflags=\w*P/.test(line)) ?? '';
        const subscriberPort = Number(/\baddr=127\.0\.0\.1:(\d+)/.exec(subscriberLine)?.[1]);
        const link = proxy.connections().find((l) => l.upstreamPort === subscriberPort);
        assert.ok(link, `the subscriber's link (port ${subscriberPort}) among ${JSON.stringify(proxy.connections())}`);
        return link;
    }

    it('only the subscriber socket goes half-open: the counter notices it, reconnects and converges', async function () {
        const link = await subscriberLink();
        const before = Number(lastCount());
        proxy.blackhole((l) => l.id === link.id);
        const cutAt = Date.now();
        await direct.incrby(COUNTER_KEY, 3);
        // The command connection is fine meanwhile: the gates keep granting.
        const [card] = await soldCards(1);
        assert.equal((await rig.tap(1, card, `sub-cut-${++seq}`)).outcome, 'ok');
        await waitFor(() => lastCount() === before + 3, 15000, 'the counter converges through a new subscriber socket');
        const convergedMs = Date.now() - cutAt;
        await direct.incrby(COUNTER_KEY, 1);
        const changed = Date.now();
        await waitFor(() => lastCount() === before + 4, 3000, 'notifications arrive again');
        const followMs = Date.now() - changed;
        assert.ok(proxy.connections().filter((l) => l.open && l.mode === 'pass').length >= 2, 'a new subscriber connection');
        console.log(`      subscriber half-open: ${JSON.stringify({ convergedMs, followMs })}`);
    });

    it('stall (bytes delivered late after the heal): nothing Node-RED gave up on runs, everything resumes', async function () {
        const cards = await soldCards(4);
        const scriptsBefore = await scriptCalls(direct);
        proxy.stall();
        const [traffic] = await Promise.all([trafficFor(6000, cards), othersActMeanwhile()]);
        proxy.heal();
        const healedAt = Date.now();
        // Let the held bytes reach Redis and run: they must have run, or this proves nothing.
        await sleep(1500);
        const OTHERS_SCRIPTS = 2; // the sale and the tap othersActMeanwhile() made directly
        const lateScripts = (await scriptCalls(direct)) - scriptsBefore - OTHERS_SCRIPTS;
        assert.ok(lateScripts > 0, 'taps held by the stall reached Redis after the heal');
        const slowest = await assertNothingCharged(cards, traffic);
        const recovery = await assertRecovers(healedAt);
        console.log(`      stall: ${JSON.stringify({ taps: traffic.taps.length, slowest, lateScripts, ...recovery })}`);
    });

    it('connections reset and new ones refused for 5 s: answered at once, and everything resumes', async function () {
        const cards = await soldCards(4);
        proxy.refuseNew();
        proxy.reset();
        const cutAt = Date.now();
        let noticedMs = -1;
        const noticed = waitFor(() => statusOf('counter').fill === 'red' && statusOf('monitor').fill === 'red', 5000, 'the outage shown')
            .then(() => { noticedMs = Date.now() - cutAt; });
        const [traffic] = await Promise.all([trafficFor(5000, cards), othersActMeanwhile(), noticed]);
        await proxy.acceptNew();
        const healedAt = Date.now();
        const slowest = await assertNothingCharged(cards, traffic);
        const recovery = await assertRecovers(healedAt);
        console.log(`      reset+refuse: ${JSON.stringify({ taps: traffic.taps.length, slowest, noticedMs, ...recovery })}`);
    });

    // The monitor delivers an event and then acknowledges it; when a cut swallows the XACK,
    // the reconnected monitor reads the entry again from its pending list, and must not
    // show it a second time (found by this test: it did).
    for (const how of ['reset', 'blackhole'] as const) {
        it(`a cut (${how}) that swallows the monitor's acknowledgement: every event still shown exactly once`, async function () {
            const cut = proxy.cutOnCommand('XACK', how);
            const [first] = await soldCards(1);
            const link = await cut;
            await waitFor(() => statusOf('monitor').fill === 'green', 15000, 'the monitor back after the cut');
            const [second] = await soldCards(1);
            const ids = (await direct.xrange(STREAM, '-', '+')).map(([id]) => id);
            await waitFor(() => events.some((e) => e.eventId === ids[1]), 10000, 'the second sale shown');
            await sleep(500);
            assert.deepEqual(events.map((e) => (e.payload as { cardSerialNumber: string }).cardSerialNumber), [first, second],
                `events shown after the cut of link ${link.id}`);
        });
    }

    // The subscriber client has no bound on its handshake. When its new connection goes
    // half-open before the handshake is answered, it waited in 'connect' for good (no
    // keyspace notification, no monitor wake-up, ever again) until the health check
    // learned to drop a subscriber stuck connecting.
    it('a subscriber whose new connection goes half-open during its handshake gives up on it', async function () {
        const subscriber = await subscriberLink();
        // The next INFO is the subscriber's ready check on its new connection: nothing else reconnects.
        const cut = proxy.cutOnCommand('INFO', 'blackhole');
        proxy.reset((l) => l.id === subscriber.id);
        await cut;
        const before = Number(lastCount());
        await direct.incrby(COUNTER_KEY, 2);
        await waitFor(() => lastCount() === before + 2, 20000, 'the counter follows through a new subscriber connection');
        await direct.incrby(COUNTER_KEY, 1);
        await waitFor(() => lastCount() === before + 3, 3000, 'and keeps following');
    });
});
