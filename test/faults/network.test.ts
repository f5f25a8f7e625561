// The network between Node-RED and Redis cut and healed, through a loopback TCP proxy
// the tests control. Node-RED (gates, a terminal, a monitor, a counter) talks to Redis
// only through the proxy; the test's own client goes to Redis directly, selling,
// tapping and counting while Node-RED is cut off.
import assert from 'node:assert/strict';
import { helper, SERVER_ID, statusOf, waitFor } from '../support/flow';
import { ownRedis } from '../support/redis-process';
import { LinkInfo, TcpProxy } from '../support/tcp-proxy';
import type { RedisServerNode } from '../../nodes/common/types';
import { assertNothingCharged, assertRecovers, deployWatched, freshCard, freshId, lastCount, scriptCalls, sleep, STREAM, trafficFor, WatchedRig } from './transit-rig';

const COUNTER_KEY = 'fault:net:count';

describe('faults: the network to Redis cut and healed (TCP proxy)', function () {
    this.timeout(120000);
    const own = ownRedis({ perTest: true, stopFirst: () => helper.unload() });
    let proxy: TcpProxy;
    /** Node-RED talks to Redis through the proxy; the test's client (watched.direct) does not. */
    let watched: WatchedRig;

    beforeEach(async () => {
        proxy = await TcpProxy.start(own.port);
        watched = await deployWatched(proxy.port, own.client, COUNTER_KEY);
    });
    afterEach(() => proxy.close());

    const connectionState = () => (helper.getNode(SERVER_ID) as unknown as RedisServerNode).connection?.state;
    const traffic = (ms: number, cards: string[]) => trafficFor(watched.rig, ms, cards, { idPrefix: 'net', saleEveryMs: 400 });

    /** Sells ten trip passes directly (not through the proxy). */
    async function soldCards(n: number): Promise<string[]> {
        const cards = Array.from({ length: n }, () => freshCard());
        for (const card of cards) await watched.store.sell(card, 'TEN_TRIP', `pre-${card}`, 'direct');
        return cards;
    }

    /** While Node-RED is cut off: sales, an entry and counter changes made by others. */
    async function othersActMeanwhile(): Promise<void> {
        const card = freshCard();
        await watched.store.sell(card, 'TEN_TRIP', `meanwhile-${card}`, 'direct');
        await watched.store.tap(card, 'direct-gate', `meanwhile-tap-${card}`, 0);
        await watched.direct.incrby(COUNTER_KEY, 5);
    }

    it('blackhole (half-open sockets): noticed within seconds, taps answered in bound, everything resumes after heal', async function () {
        const cards = await soldCards(4);
        const countsBefore = watched.counts.length;
        const cutAt = Date.now();
        proxy.blackhole();
        let noticedMs = -1;
        const noticed = waitFor(() => connectionState() !== 'connected' && statusOf('counter').fill === 'red' && statusOf('monitor').fill === 'red',
            10000, 'the half-open connection shown').then(() => { noticedMs = Date.now() - cutAt; });
        const [sent] = await Promise.all([traffic(8000, cards), othersActMeanwhile(), noticed]);
        assert.ok(noticedMs < 5000, `noticed after ${noticedMs} ms`);
        proxy.heal();
        const healedAt = Date.now();
        const slowest = await assertNothingCharged(watched, cards, sent, 20);
        const recovery = await assertRecovers(watched, { countsBefore, healedAt });
        console.log(`      blackhole: ${JSON.stringify({ taps: sent.taps.length, slowest, noticedMs, ...recovery })}`);
    });

    /** The subscriber's connection: Redis lists it as subscribed (flag P), at the proxy's upstream port. */
    async function subscriberLink(): Promise<LinkInfo> {
        const list = ((await watched.direct.client('LIST')) as string).split('\n');
        const subscriberLine = list.find((line) => /\bflags=\w*P/.test(line)) ?? '';
        const subscriberPort = Number(/\baddr=127\.0\.0\.1:(\d+)/.exec(subscriberLine)?.[1]);
        const link = proxy.connections().find((l) => l.upstreamPort === subscriberPort);
        assert.ok(link, `the subscriber's link (port ${subscriberPort}) among ${JSON.stringify(proxy.connections())}`);
        return link;
    }

    it('only the subscriber socket goes half-open: the counter notices it, reconnects and converges', async function () {
        const link = await subscriberLink();
        const before = Number(lastCount(watched));
        proxy.blackhole((l) => l.id === link.id);
        const cutAt = Date.now();
        await watched.direct.incrby(COUNTER_KEY, 3);
        // The command connection is fine meanwhile: the gates keep granting.
        const [card] = await soldCards(1);
        assert.equal((await watched.rig.tap(1, card, freshId('sub-cut'))).outcome, 'ok');
        await waitFor(() => lastCount(watched) === before + 3, 15000, 'the counter converges through a new subscriber socket');
        const convergedMs = Date.now() - cutAt;
        await watched.direct.incrby(COUNTER_KEY, 1);
        const changed = Date.now();
        await waitFor(() => lastCount(watched) === before + 4, 3000, 'notifications arrive again');
        const followMs = Date.now() - changed;
        assert.ok(proxy.connections().filter((l) => l.open && l.mode === 'pass').length >= 2, 'a new subscriber connection');
        console.log(`      subscriber half-open: ${JSON.stringify({ convergedMs, followMs })}`);
    });

    it('stall (bytes delivered late after the heal): nothing Node-RED gave up on runs, everything resumes', async function () {
        const cards = await soldCards(4);
        const scriptsBefore = await scriptCalls(watched.direct);
        const countsBefore = watched.counts.length;
        proxy.stall();
        const [sent] = await Promise.all([traffic(6000, cards), othersActMeanwhile()]);
        proxy.heal();
        const healedAt = Date.now();
        // Let the held bytes reach Redis and run: they must have run, or this proves nothing.
        await sleep(1500);
        const OTHERS_SCRIPTS = 2; // the sale and the tap othersActMeanwhile() made directly
        const lateScripts = (await scriptCalls(watched.direct)) - scriptsBefore - OTHERS_SCRIPTS;
        assert.ok(lateScripts > 0, 'taps held by the stall reached Redis after the heal');
        const slowest = await assertNothingCharged(watched, cards, sent, 20);
        const recovery = await assertRecovers(watched, { countsBefore, healedAt });
        console.log(`      stall: ${JSON.stringify({ taps: sent.taps.length, slowest, lateScripts, ...recovery })}`);
    });

    it('connections reset and new ones refused for 5 s: answered at once, and everything resumes', async function () {
        const cards = await soldCards(4);
        const countsBefore = watched.counts.length;
        proxy.refuseNew();
        proxy.reset();
        const cutAt = Date.now();
        let noticedMs = -1;
        const noticed = waitFor(() => statusOf('counter').fill === 'red' && statusOf('monitor').fill === 'red', 5000, 'the outage shown')
            .then(() => { noticedMs = Date.now() - cutAt; });
        const [sent] = await Promise.all([traffic(5000, cards), othersActMeanwhile(), noticed]);
        await proxy.acceptNew();
        const healedAt = Date.now();
        const slowest = await assertNothingCharged(watched, cards, sent, 20);
        const recovery = await assertRecovers(watched, { countsBefore, healedAt });
        console.log(`      reset+refuse: ${JSON.stringify({ taps: sent.taps.length, slowest, noticedMs, ...recovery })}`);
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
            const ids = (await watched.direct.xrange(STREAM, '-', '+')).map(([id]) => id);
            await waitFor(() => watched.events.some((e) => e.eventId === ids[1]), 10000, 'the second sale shown');
            await sleep(500);
            assert.deepEqual(watched.events.map((e) => (e.payload as { cardSerialNumber: string }).cardSerialNumber), [first, second],
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
        const before = Number(lastCount(watched));
        await watched.direct.incrby(COUNTER_KEY, 2);
        await waitFor(() => lastCount(watched) === before + 2, 20000, 'the counter follows through a new subscriber connection');
        await watched.direct.incrby(COUNTER_KEY, 1);
        await waitFor(() => lastCount(watched) === before + 3, 3000, 'and keeps following');
    });
});
