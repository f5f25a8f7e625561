import assert from 'assert';
import Redis from 'ioredis';
import { sharedRedis } from '../support/global-redis';
import { catchNode, collect, FlowNode, helper, load, Msg, nextMessage, statusOf, waitFor } from '../support/flow';
import { RedisProcess } from '../support/redis-process';
import { transitFlow } from '../support/transit-flow';
import { TransitStore } from '../../nodes/lib/transit/store';
import { SERVER_CATALOGUE } from '../../nodes/common/redis-user';

const serverModule = require('../../nodes/redis-iot-server/redis-iot-server');
const gateModule = require('../../nodes/transit-gate/transit-gate');

let counter = 0;
const newCard = () => `AB${Date.now().toString(16).toUpperCase()}${(++counter).toString(16).toUpperCase()}`;

/** `gates` gates (`extra` in each) and a catch node for all, wired to `caught`. */
function gateFlow(port: number, gates = 1, extra: Record<string, unknown> = {}): FlowNode[] {
    return [
        ...transitFlow(port, { keyPrefix: 'node:pass:', stream: 'node:events', gates, gate: extra }),
        { id: 'catcher', type: 'catch', z: 'tab', wires: [['caught']] },
        { id: 'caught', type: 'helper', z: 'tab' },
    ];
}

async function loaded(port: number, gates = 1, extra: Record<string, unknown> = {}) {
    await load([serverModule, gateModule, catchNode], gateFlow(port, gates, extra));
    await waitFor(() => statusOf('gate0').fill === 'green', 5000, 'gate connected');
}

describe('transit-gate node', function () {
    let redis: Redis;
    let store: TransitStore;

    before(() => {
        redis = new Redis(sharedRedis().port);
        store = new TransitStore(redis, { keyPrefix: 'node:pass:', stream: 'node:events' });
    });
    after(() => redis.quit());
    afterEach(() => helper.unload());

    it('grants a sold pass once and then denies it with no-pass', async function () {
        await loaded(sharedRedis().port);
        const card = newCard();
        await store.sell(card, 'SINGLE_USE', `s-${card}`, 't');
        const granted = nextMessage('granted');
        helper.getNode('gate0').receive({ payload: card.toLowerCase() });
        const g = await granted;
        assert.deepStrictEqual(g.payload, { card, passType: 'SINGLE_USE' });
        assert.strictEqual(g.text, `Granted: card ${card}, single trip pass.`);
        assert.strictEqual(g.topic, 'granted');
        assert.strictEqual(g.gateId, 'gate-0');
        const denied = nextMessage('denied');
        helper.getNode('gate0').receive({ payload: card });
        const d = await denied;
        assert.deepStrictEqual(d.payload, { card, reason: 'no-pass' });
        assert.strictEqual(d.text, `Denied: card ${card}, no valid pass.`);
    });

    it('reports ten trip rides left and two hour activation', async function () {
        await loaded(sharedRedis().port);
        const ten = newCard();
        const two = newCard();
        await store.sell(ten, 'TEN_TRIP', `s-${ten}`, 't');
        await store.sell(two, 'TWO_HOUR', `s-${two}`, 't');
        const got = collect('granted');
        helper.getNode('gate0').receive({ payload: ten });
        helper.getNode('gate0').receive({ payload: two });
        await waitFor(() => got.length === 2, 3000, 'two grants');
        const byCard = Object.fromEntries(got.map((m) => [(m.payload as { card: string }).card, m.payload]));
        assert.deepStrictEqual(byCard[ten], { card: ten, passType: 'TEN_TRIP', remainingTrips: 9 });
        assert.deepStrictEqual(byCard[two], { card: two, passType: 'TWO_HOUR', remainingTime: 7200, activated: true });
        const texts = Object.fromEntries(got.map((m) => [(m.payload as { card: string }).card, m.text]));
        assert.deepStrictEqual(texts, {
            [ten]: `Granted: card ${ten}, ten trip pass, 9 of 10 trips left.`,
            [two]: `Granted: card ${two}, two hour pass, 120 minutes left.`,
        });
    });

    it('reads the card id from where its Card id setting says: another msg property, flow or global context', async function () {
        const cards = [newCard(), newCard(), newCard()];
        for (const card of cards) await store.sell(card, 'TEN_TRIP', `s-${card}`, 't');
        const granted: Msg[] = [];
        for (const [i, [card, cardType]] of [['rfid.uid', 'msg'], ['tapped', 'flow'], ['lastCard', 'global']].entries()) {
            await loaded(sharedRedis().port, 1, { card, cardType });
            const gate = helper.getNode('gate0');
            if (cardType === 'flow') gate.context().flow.set('tapped', cards[i]);
            if (cardType === 'global') gate.context().global.set('lastCard', cards[i]);
            const next = nextMessage('granted');
            gate.receive(cardType === 'msg' ? { payload: 'not the card', rfid: { uid: cards[i] } } : { payload: 'not the card' });
            granted.push(await next);
            await helper.unload();
        }
        assert.deepStrictEqual(granted.map((m) => (m.payload as { card: string }).card), cards);
    });

    it('refuses a card id setting that is not a property expression, with a red status', async function () {
        await load([serverModule, gateModule, catchNode], gateFlow(sharedRedis().port, 1, { card: 'payload[', cardType: 'msg' }));
        await waitFor(() => statusOf('gate0').fill === 'red', 5000, 'the red status');
    });

    it('denies malformed card ids clearly, whatever their type, and charges nothing', async function () {
        await loaded(sharedRedis().port);
        const denied = collect('denied');
        const bad: unknown[] = ['', 'not a card', 'AB*', '{AB12}', 'x'.repeat(5000), -1, 1.5, null, { card: 1 }, ['AB12'], Buffer.from('AB12'), true];
        for (const payload of bad) helper.getNode('gate0').receive({ payload });
        await waitFor(() => denied.length === bad.length, 3000, 'all denied');
        for (const m of denied) assert.strictEqual((m.payload as { reason: string }).reason, 'invalid-card');
        assert.deepStrictEqual(await redis.keys('node:pass:{*'), []);
    });

    it('denies a repeated tap at the same gate inside the repeat window', async function () {
        await loaded(sharedRedis().port, 1, { repeatWindow: 5 });
        const card = newCard();
        await store.sell(card, 'TEN_TRIP', `s-${card}`, 't');
        const granted = nextMessage('granted');
        helper.getNode('gate0').receive({ payload: card });
        await granted;
        const denied = nextMessage('denied');
        helper.getNode('gate0').receive({ payload: card });
        assert.deepStrictEqual((await denied).payload, { card, reason: 'repeat-tap' });
        assert.strictEqual(await redis.hget(`node:pass:${card}`, 'tripsRemaining'), '9');
    });

    it('charges a retried tap (same msg.tapId) only once', async function () {
        await loaded(sharedRedis().port);
        const card = newCard();
        await store.sell(card, 'TEN_TRIP', `s-${card}`, 't');
        const got = collect('granted');
        for (let i = 0; i < 3; i++) helper.getNode('gate0').receive({ payload: card, tapId: 'retry-me' });
        await waitFor(() => got.length === 3, 3000, 'three answers');
        assert.deepStrictEqual(got.map((m) => (m.payload as { remainingTrips: number }).remainingTrips), [9, 9, 9]);
        assert.strictEqual(await redis.hget(`node:pass:${card}`, 'tripsRemaining'), '9');
    });

    describe('racing gates', function () {
        it('ten gates tapping one card at once never grant more entries than the pass holds', async function () {
            await loaded(sharedRedis().port, 10);
            for (let trial = 0; trial < 20; trial++) {
                const single = newCard();
                const ten = newCard();
                await store.sell(single, 'SINGLE_USE', `s-${single}`, 't');
                await store.sell(ten, 'TEN_TRIP', `s-${ten}`, 't');
                await redis.hset(`node:pass:${ten}`, 'tripsRemaining', '3');
                const granted = collect('granted');
                const denied = collect('denied');
                for (let g = 0; g < 10; g++) {
                    helper.getNode(`gate${g}`).receive({ payload: single });
                    helper.getNode(`gate${g}`).receive({ payload: ten });
                }
                await waitFor(() => granted.length + denied.length === 20, 5000, 'all answers');
                const grants = (card: string) => granted.filter((m) => (m.payload as { card: string }).card === card).length;
                assert.strictEqual(grants(single), 1, `trial ${trial}: single use granted ${grants(single)} times`);
                assert.strictEqual(grants(ten), 3, `trial ${trial}: three rides granted ${grants(ten)} times`);
                (helper.getNode('granted') as unknown as { removeAllListeners(e: string): void }).removeAllListeners('input');
                (helper.getNode('denied') as unknown as { removeAllListeners(e: string): void }).removeAllListeners('input');
            }
        });

        it('gates on separate connections (as separate Node-RED processes) race safely too', async function () {
            const clients = Array.from({ length: 8 }, () => new Redis(sharedRedis().port));
            const stores = clients.map((c) => new TransitStore(c, { keyPrefix: 'node:pass:', stream: 'node:events' }));
            try {
                for (let trial = 0; trial < 50; trial++) {
                    const card = newCard();
                    await store.sell(card, 'TEN_TRIP', `s-${card}`, 't');
                    await redis.hset(`node:pass:${card}`, 'tripsRemaining', '2');
                    const results = await Promise.all(stores.map((s, i) => s.tap(card, `g${i}`, `t${trial}-${i}`, 0)));
                    assert.strictEqual(results.filter((r) => r.granted).length, 2, `trial ${trial}`);
                }
            } finally {
                await Promise.all(clients.map((c) => c.quit()));
            }
        });
    });

    describe('when Redis goes away', function () {
        let own: RedisProcess;
        beforeEach(async () => {
            own = await RedisProcess.start();
        });
        afterEach(() => own.destroy());

        it('shows the outage, denies with unavailable at once, and recovers by itself', async function () {
            await loaded(own.port);
            const ownStore = new TransitStore(new Redis(own.port), { keyPrefix: 'node:pass:', stream: 'node:events' });
            const card = newCard();
            await ownStore.sell(card, 'TEN_TRIP', `s-${card}`, 't');

            await own.stop();
            await waitFor(() => statusOf('gate0').fill === 'red', 3000, 'red status on the gate');
            const started = Date.now();
            const denied = nextMessage('denied');
            helper.getNode('gate0').receive({ payload: card });
            assert.deepStrictEqual((await denied).payload, { card, reason: 'unavailable' });
            assert.ok(Date.now() - started < 1000, `answered after ${Date.now() - started} ms`);

            await own.start();
            await waitFor(() => statusOf('gate0').fill === 'green', 8000, 'gate reconnected');
            await ownStore.sell(card, 'SINGLE_USE', `s2-${card}`, 't');
            const granted = nextMessage('granted');
            helper.getNode('gate0').receive({ payload: card });
            assert.strictEqual(((await granted).payload as { passType: string }).passType, 'SINGLE_USE');
            (ownStore as unknown as { client: Redis }).client.disconnect();
        });

        it('answers within its timeout while Redis is paused, and nothing queued runs later', async function () {
            await loaded(own.port);
            const direct = new Redis(own.port);
            const ownStore = new TransitStore(direct, { keyPrefix: 'node:pass:', stream: 'node:events' });
            const card = newCard();
            await ownStore.sell(card, 'TEN_TRIP', `s-${card}`, 't');
            own.signal('SIGSTOP');
            try {
                const denied = collect('denied');
                const started = Date.now();
                for (let i = 0; i < 3; i++) helper.getNode('gate0').receive({ payload: card });
                await waitFor(() => denied.length === 3, 2000, 'three denials');
                assert.ok(Date.now() - started < 1500, `answered after ${Date.now() - started} ms`);
                assert.ok(denied.every((m) => (m.payload as { reason: string }).reason === 'unavailable'));
            } finally {
                own.signal('SIGCONT');
            }
            // Give anything that might have been queued the chance to run, then check that
            // nothing did: no ride was charged and no tap was recorded.
            await new Promise((r) => setTimeout(r, 1000));
            assert.strictEqual(await direct.hget(`node:pass:${card}`, 'tripsRemaining'), '10');
            assert.deepStrictEqual(await direct.keys(`{node:pass:${card}}:op:tap:*`), []);
            // And the gate works again without a redeploy.
            await waitFor(async () => {
                const answer = nextMessage('granted', 500).then(() => true, () => false);
                helper.getNode('gate0').receive({ payload: card });
                return answer;
            }, 8000, 'a grant after the pause');
            direct.disconnect();
        });
    });

    it('keeps showing invalid settings once Redis is connected, and refuses taps with an error', async function () {
        const flow = gateFlow(sharedRedis().port, 1, { keyPrefix: 'bad prefix{' });
        const monitorLike = { id: 'ok-gate', type: 'transit-gate', z: 'tab', server: 'redis-test', gateId: 'ok', wires: [[], []] };
        await load([serverModule, gateModule, catchNode], [...flow, monitorLike]);
        await waitFor(() => statusOf('ok-gate').fill === 'green', 5000, 'the connection is up');
        assert.deepStrictEqual(statusOf('gate0'), { fill: 'red', shape: 'ring', text: `${SERVER_CATALOGUE}:redis-iot-server.status.bad-settings` });
        const caught = nextMessage('caught');
        helper.getNode('gate0').receive({ payload: 'AB12CD34' });
        assert.match(String(((await caught).error as { message: string }).message), /not-ready/);
    });

    it('without a Redis server configured, a tap is an error a Catch node sees', async function () {
        const flow = gateFlow(sharedRedis().port).filter((n) => n.type !== 'redis-iot-server');
        (flow.find((n) => n.id === 'gate0') as FlowNode).server = '';
        await load([serverModule, gateModule, catchNode], flow);
        const caught = nextMessage('caught');
        helper.getNode('gate0').receive({ payload: 'AB12CD34' });
        const msg = await caught;
        assert.match(String((msg.error as { message: string }).message), /not-ready/);
    });
});
