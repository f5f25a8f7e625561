// Pass products from the editor: a catalogue in a transit-products config node, sold by a
// terminal and honoured by gates that know nothing of it, with gates racing on one card.
import assert from 'assert';
import Redis from 'ioredis';
import { sharedRedis } from '../support/global-redis';
import { catchNode, collect, FlowNode, helper, load, loggedBy, Msg, statusOf, waitFor, waitGreen } from '../support/flow';
import { gateNodeIds, transitFlow } from '../support/transit-flow';
import { redisNowMs } from '../support/redis-time';

const serverModule = require('../../nodes/redis-iot-server/redis-iot-server');
const gateModule = require('../../nodes/transit-gate/transit-gate');
const saleModule = require('../../nodes/transit-sale/transit-sale');
const productsModule = require('../../nodes/transit-products/transit-products');

const PREFIX = 'prod:pass:';
const STREAM = 'prod:events';
const GATES = 6;
const DAY_S = 24 * 3600;
const CATALOGUE = [
    { id: 'DAY', label: 'day', rides: 0, validity: DAY_S, starts: 'first-use' },
    { id: 'FIVE_TRIP', label: 'five trip', rides: 5, validity: 0, starts: 'sale' },
    { id: 'WEEK', label: 'week', rides: 0, validity: 7 * DAY_S, starts: 'sale' },
    { id: 'SINGLE_USE', label: 'single trip', rides: 1, validity: 0, starts: 'sale' },
];

let counter = 0;
const newCard = () => `9D${Date.now().toString(16).toUpperCase()}${(++counter).toString(16).toUpperCase()}`;

function productsFlow(products: unknown): FlowNode[] {
    return [
        ...transitFlow(sharedRedis().port, { keyPrefix: PREFIX, stream: STREAM, gates: GATES, terminals: 1,
            terminal: { products: 'catalogue', wires: [['prompts'], ['sold'], ['refused'], ['products']] } }),
        { id: 'catalogue', type: 'transit-products', products },
        { id: 'prompts', type: 'helper', z: 'tab' },
        { id: 'products', type: 'helper', z: 'tab' },
        { id: 'catcher', type: 'catch', z: 'tab', wires: [['caught']] },
        { id: 'caught', type: 'helper', z: 'tab' },
    ];
}

describe('transit-products: pass products from the editor', function () {
    let redis: Redis;
    before(() => {
        redis = new Redis(sharedRedis().port);
    });
    after(() => redis.quit());
    afterEach(() => helper.unload());

    async function start(products: unknown = CATALOGUE) {
        await load([serverModule, gateModule, saleModule, productsModule, catchNode], productsFlow(products));
    }
    const sell = async (sold: Msg[], card: string, passType: string) => {
        const before = sold.length;
        helper.getNode('terminal0').receive({ payload: { card, passType } });
        await waitFor(() => sold.length > before, 3000, `${passType} sold`);
        return sold[sold.length - 1].payload as Record<string, unknown>;
    };
    /** Every gate taps the card `taps` times at once; the decisions, by outcome. */
    const race = async (granted: Msg[], denied: Msg[], card: string, taps: number) => {
        const [g, d] = [granted.length, denied.length];
        for (let i = 0; i < taps; i++) helper.getNode(`gate${i % GATES}`).receive({ payload: card });
        await waitFor(() => granted.length - g + denied.length - d === taps, 5000, 'every tap decided');
        const mine = (list: Msg[], from: number) => list.slice(from).filter((m) => (m.payload as { card: string }).card === card);
        return { granted: mine(granted, g), denied: mine(denied, d) };
    };

    it('sells a day pass and a five trip pass that racing gates honour by their rules', async function () {
        await start();
        await waitGreen(['terminal0', ...gateNodeIds(GATES)], 5000);
        const [sold, granted, denied] = [collect('sold'), collect('granted'), collect('denied')];

        const five = newCard();
        const fivePass = await sell(sold, five, 'five_trip');
        assert.deepStrictEqual({ ...fivePass, issuedAt: 0 }, { card: five, passType: 'FIVE_TRIP', issuedAt: 0, tripsRemaining: 5, label: 'five trip' });
        // The pass describes itself: a gate needs no catalogue.
        const stored = await redis.hgetall(`${PREFIX}${five}`);
        assert.deepStrictEqual({ ...stored, issuedAt: '', saleId: '' },
            { passType: 'FIVE_TRIP', label: 'five trip', rides: '5', validity: '0', starts: 'sale', tripsRemaining: '5', issuedAt: '', saleId: '' });
        const fiveRace = await race(granted, denied, five, 12);
        assert.strictEqual(fiveRace.granted.length, 5, 'exactly five rides granted');
        assert.deepStrictEqual(fiveRace.granted.map((m) => (m.payload as { remainingTrips: number }).remainingTrips).sort(), [0, 1, 2, 3, 4]);
        assert.ok(fiveRace.denied.every((m) => (m.payload as { reason: string }).reason === 'no-pass'));
        assert.strictEqual(await redis.exists(`${PREFIX}${five}`), 0, 'used up');

        const day = newCard();
        await sell(sold, day, 'DAY');
        const dayRace = await race(granted, denied, day, 12);
        assert.strictEqual(dayRace.granted.length, 12, 'unlimited rides');
        const activations = dayRace.granted.filter((m) => (m.payload as { activated: boolean }).activated);
        assert.strictEqual(activations.length, 1, 'activated once, by the first ride');
        assert.ok(dayRace.granted.every((m) => (m.payload as { label: string }).label === 'day'));
        const [activatedAt, pttl, now] = [Number(await redis.hget(`${PREFIX}${day}`, 'activatedAt')), await redis.pttl(`${PREFIX}${day}`), await redisNowMs(redis)];
        assert.ok(now - activatedAt >= 0 && now - activatedAt < 10000, 'activated on Redis\'s clock');
        assert.ok(pttl > (DAY_S - 60) * 1000 && pttl <= DAY_S * 1000, `expires a day after the first ride (${pttl} ms)`);

        // The stream has one activation and the rides, with the original fields and the label.
        const events = (await redis.xrange(STREAM, '-', '+')).map(([, f]) => ({ channel: f[1], event: JSON.parse(f[3]) }))
            .filter((e) => e.event.cardSerialNumber === day);
        assert.deepStrictEqual(events.map((e) => e.channel).sort(), ['pass-activated:DAY', 'pass-issued:DAY', ...Array(12).fill('pass-used:DAY')]);
        assert.deepStrictEqual(events.find((e) => e.channel === 'pass-activated:DAY')?.event.pass, { passType: 'DAY', label: 'day' });
    });

    it('a pass valid from its sale expires on Redis\'s clock, and the gate says so', async function () {
        await start();
        await waitGreen(['terminal0', 'gate0'], 5000);
        const [sold, granted, denied] = [collect('sold'), collect('granted'), collect('denied')];
        const week = newCard();
        const pass = await sell(sold, week, 'week');
        const now = await redisNowMs(redis);
        assert.ok(Math.abs((pass.expiresAt as number) - (now + 7 * DAY_S * 1000)) < 10000, 'expires a week after the sale');
        const grants = (await race(granted, denied, week, 3)).granted;
        assert.ok(grants.every((m) => (m.payload as { activated: boolean }).activated === false));
        // A week later, as Redis sees it: the pass's own expiry is moved to the past.
        await redis.hset(`${PREFIX}${week}`, 'expiresAt', String(now - 1));
        const late = await race(granted, denied, week, 1);
        assert.deepStrictEqual(late.denied.map((m) => (m.payload as { reason: string }).reason), ['expired']);
    });

    it('keeps the original three as they were: stored in the original layout', async function () {
        await start();
        await waitGreen(['terminal0', 'gate0'], 5000);
        const sold = collect('sold');
        const card = newCard();
        await sell(sold, card, 'SINGLE_USE');
        const stored = await redis.hgetall(`${PREFIX}${card}`);
        assert.deepStrictEqual(Object.keys(stored).sort(), ['issuedAt', 'passType', 'saleId']);
    });

    it('answers msg.topic "products" with the catalogue for a dashboard\'s buttons', async function () {
        await start();
        await waitGreen(['terminal0'], 5000);
        const products = collect('products');
        helper.getNode('terminal0').receive({ topic: 'products' });
        await waitFor(() => products.length === 1, 2000, 'catalogue sent');
        assert.deepStrictEqual(products[0].payload, CATALOGUE.map(({ id, label }) => ({ id, label })));
    });

    it('speaks the catalogue\'s names in its prompts', async function () {
        await start();
        await waitGreen(['terminal0'], 5000);
        const [prompts, sold] = [collect('prompts'), collect('sold')];
        const card = newCard();
        const terminal = helper.getNode('terminal0');
        terminal.receive({ topic: 'card', payload: card });
        await waitFor(() => prompts.length === 1, 2000, 'select prompt');
        assert.strictEqual(prompts[0].text, 'Please select a pass: day, five trip, week or single trip.');
        terminal.receive({ topic: 'select', payload: 'DAY' });
        await waitFor(() => prompts.length === 2, 2000, 'confirm prompt');
        terminal.receive({ topic: 'card', payload: card });
        await waitFor(() => sold.length === 1, 2000, 'sold');
        assert.deepStrictEqual([prompts[2].payload, prompts[2].text], ['thank-you-day-pass', 'Thank you for buying a day pass.']);
    });

    for (const [fault, products] of [
        ['duplicate ids', [CATALOGUE[0], { ...CATALOGUE[1], id: 'day' }]],
        ['negative rides', [{ ...CATALOGUE[1], rides: -1 }]],
        ['an unknown start', [{ ...CATALOGUE[0], starts: 'midnight' }]],
    ] as Array<[string, unknown]>) {
        it(`refuses a catalogue with ${fault}, and sells nothing from it`, async function () {
            await start(products);
            await waitFor(() => statusOf('terminal0').fill === 'red', 5000, 'terminal red');
            // The helper logs message keys untranslated; the words are parseCatalogue's (test/lib/transit/products.test.ts).
            const logged = (id: string, key: string) => loggedBy(id, 20).some((e) => e.msg === key);
            assert.ok(logged('catalogue', 'transit-products.errors.bad-catalogue'), 'the products node logs the fault');
            assert.ok(logged('terminal0', 'transit-sale.errors.bad-config'), 'the terminal logs that it cannot sell');
            const caught = collect('caught');
            const card = newCard();
            helper.getNode('terminal0').receive({ payload: { card, passType: 'DAY' } });
            await waitFor(() => caught.length === 1, 2000, 'error to Catch');
            assert.match((caught[0].error as { message: string }).message, /transit-sale\.errors\.not-ready/);
            assert.strictEqual(await redis.exists(`${PREFIX}${card}`), 0, 'nothing sold');
        });
    }
});
