import assert from 'assert';
import Redis from 'ioredis';
import { sharedRedis } from '../support/global-redis';
import { collect, FlowNode, helper, load, serverNode, statusOf, waitFor } from '../support/flow';
import { RedisProcess } from '../support/redis-process';
import { TransitStore } from '../../nodes/lib/transit/store';
import { CardAdmin } from '../../nodes/lib/transit/card-admin';

const serverModule = require('../../nodes/redis-iot-server/redis-iot-server');
const monitorModule = require('../../nodes/transit-monitor/transit-monitor');

let counter = 0;
const newCard = () => `40${Date.now().toString(16).toUpperCase()}${(++counter).toString(16).toUpperCase()}`;

function monitorFlow(port: number, stream: string): FlowNode[] {
    return [
        { id: 'tab', type: 'tab' },
        { ...serverNode(port), z: 'tab' },
        { id: 'monitor', type: 'transit-monitor', z: 'tab', server: 'redis-test', stream, group: 'test-monitor', wires: [['events']] },
        { id: 'events', type: 'helper', z: 'tab' },
    ];
}

describe('transit-monitor node', function () {
    afterEach(() => helper.unload());

    it('sends each sale and entry with the original sentence and a level', async function () {
        const stream = `mon:${Date.now()}`;
        await load([serverModule, monitorModule], monitorFlow(sharedRedis().port, stream));
        await waitFor(() => statusOf('monitor').fill === 'green', 5000, 'monitor ready');
        const events = collect('events');
        const redis = new Redis(sharedRedis().port);
        const store = new TransitStore(redis, { keyPrefix: 'mon:pass:', stream });
        const card = newCard();
        await store.sell(card, 'TEN_TRIP', `s-${card}`, 'terminal-1');
        await store.tap(card, 'gate-1', `t-${card}`, 0);
        await store.tap(newCard(), 'gate-1', `t2-${card}`, 0);
        await waitFor(() => events.length === 3, 3000, 'three events');
        assert.deepStrictEqual(events.map((e) => e.topic), ['pass-issued:TEN_TRIP', 'pass-used:TEN_TRIP', 'pass-denied']);
        assert.strictEqual(events[0].text, `Card ${card} was issued a ten trip pass.`);
        assert.strictEqual(events[1].text, `Card ${card} started a journey. Card ${card} has 9 of 10 trips remaining.`);
        assert.deepStrictEqual(events.map((e) => e.level), ['info', 'info', 'alert']);
        assert.strictEqual((events[1].payload as { remainingTrips: number }).remainingTrips, 9);
        await redis.quit();
    });

    it('names a catalogue\'s products by their labels, without the ten trip\'s "of 10"', async function () {
        const stream = `mon:${Date.now()}:products`;
        await load([serverModule, monitorModule], monitorFlow(sharedRedis().port, stream));
        await waitFor(() => statusOf('monitor').fill === 'green', 5000, 'monitor ready');
        const events = collect('events');
        const redis = new Redis(sharedRedis().port);
        const store = new TransitStore(redis, { keyPrefix: 'mon:pass:', stream });
        const [five, day] = [newCard(), newCard()];
        await store.sell(five, { id: 'FIVE_TRIP', label: 'five trip', rides: 5, validity: 0, starts: 'sale' }, `s-${five}`, 'terminal-1');
        await store.tap(five, 'gate-1', `t-${five}`, 0);
        await store.sell(day, { id: 'DAY', label: 'day', rides: 0, validity: 86400, starts: 'first-use' }, `s-${day}`, 'terminal-1');
        await store.tap(day, 'gate-1', `t-${day}`, 0);
        await waitFor(() => events.length === 5, 3000, 'five events');
        assert.deepStrictEqual(events.map((e) => e.text), [
            `Card ${five} was issued a five trip pass.`,
            `Card ${five} started a journey. Card ${five} has 4 trips remaining.`,
            `Card ${day} was issued a day pass.`,
            `Card ${day} day pass activated.`,
            `Card ${day} started a journey.`,
        ]);
        await redis.quit();
    });

    it('shows what staff did to a card, with who did it, from the stream alone', async function () {
        const stream = `mon:${Date.now()}:admin`;
        await load([serverModule, monitorModule], monitorFlow(sharedRedis().port, stream));
        await waitFor(() => statusOf('monitor').fill === 'green', 5000, 'monitor ready');
        const events = collect('events');
        const redis = new Redis(sharedRedis().port);
        const store = new TransitStore(redis, { keyPrefix: 'mon:pass:', stream });
        const admin = new CardAdmin(store);
        const [card, to] = [newCard(), newCard()];
        await store.sell(card, 'TEN_TRIP', `s-${card}`, 'terminal-1');
        await admin.block(card, 'lost', 'alice', `b-${card}`);
        await store.tap(card, 'gate-1', `t-${card}`, 0);
        await admin.transfer(card, to, 'alice', `m-${card}`);
        await admin.unblock(card, 'bob', `u-${card}`);
        await admin.remove('refund', to, 'moving away', 'bob', `r-${card}`);
        await waitFor(() => events.length === 6, 3000, 'six events');
        assert.deepStrictEqual(events.map((e) => [e.topic, e.text, e.level]), [
            ['pass-issued:TEN_TRIP', `Card ${card} was issued a ten trip pass.`, 'info'],
            ['card-blocked', `Card ${card} was blocked by alice: lost.`, 'warn'],
            ['pass-denied', `Card ${card} is blocked and was refused at the gate!`, 'alert'],
            ['pass-transferred', `Card ${card}'s ten trip pass was moved to card ${to} by alice.`, 'info'],
            ['card-unblocked', `Card ${card} was unblocked by bob.`, 'info'],
            ['pass-refunded', `Card ${to}'s ten trip pass was refunded by bob with 10 trips left: moving away.`, 'warn'],
        ]);
        await redis.quit();
    });

    it('after a restart, sends what it missed exactly once and in order', async function () {
        const stream = `mon:${Date.now()}:restart`;
        const redis = new Redis(sharedRedis().port);
        const store = new TransitStore(redis, { keyPrefix: 'mon:pass:', stream });
        await load([serverModule, monitorModule], monitorFlow(sharedRedis().port, stream));
        await waitFor(() => statusOf('monitor').fill === 'green', 5000, 'monitor ready');
        let events = collect('events');
        const first = newCard();
        await store.sell(first, 'SINGLE_USE', `s-${first}`, 't');
        await waitFor(() => events.length === 1, 3000, 'first event');
        await helper.unload();

        const missed: string[] = [];
        for (let i = 0; i < 25; i++) {
            const card = newCard();
            missed.push(card);
            await store.sell(card, 'SINGLE_USE', `s-${card}`, 't');
        }
        await load([serverModule, monitorModule], monitorFlow(sharedRedis().port, stream));
        events = collect('events');
        await waitFor(() => events.length >= 25, 5000, 'missed events');
        await new Promise((r) => setTimeout(r, 300));
        assert.deepStrictEqual(events.map((e) => (e.payload as { cardSerialNumber: string }).cardSerialNumber), missed);
        await redis.quit();
    });

    it('catches up after Redis restarts, without a redeploy', async function () {
        const own = await RedisProcess.start(['--appendonly', 'yes']);
        try {
            const stream = 'mon:outage';
            await load([serverModule, monitorModule], monitorFlow(own.port, stream));
            await waitFor(() => statusOf('monitor').fill === 'green', 5000, 'monitor ready');
            const events = collect('events');
            await own.restart();
            const redis = new Redis(own.port);
            const store = new TransitStore(redis, { keyPrefix: 'mon:pass:', stream });
            const card = newCard();
            await store.sell(card, 'TWO_HOUR', `s-${card}`, 't');
            await store.tap(card, 'g', `t-${card}`, 0);
            await waitFor(() => events.length === 3, 8000, 'events after the restart');
            assert.deepStrictEqual(events.map((e) => e.topic), ['pass-issued:TWO_HOUR', 'pass-activated:TWO_HOUR', 'pass-used:TWO_HOUR']);
            redis.disconnect();
        } finally {
            await own.destroy();
        }
    });
});
