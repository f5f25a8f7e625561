import assert from 'assert';
import Redis from 'ioredis';
import { sharedRedis } from '../support/global-redis';
import { catchNode, collect, FlowNode, helper, load, Msg, serverNode, statusOf, waitFor } from '../support/flow';
import { TransitStore } from '../../nodes/lib/transit/store';
import type { CardLookup } from '../../nodes/lib/transit/card-admin';

const serverModule = require('../../nodes/redis-iot-server/redis-iot-server');
const cardsModule = require('../../nodes/transit-cards/transit-cards');
const gateModule = require('../../nodes/transit-gate/transit-gate');
const saleModule = require('../../nodes/transit-sale/transit-sale');

let counter = 0;
const newCard = () => `4C${Date.now().toString(16).toUpperCase()}${(++counter).toString(16).toUpperCase()}`;
const PREFIX = 'cards:pass:';

function cardsFlow(port: number, stream: string, extra: Record<string, unknown> = {}): FlowNode[] {
    const common = { server: 'redis-test', keyPrefix: PREFIX, stream, z: 'tab' };
    return [
        { id: 'tab', type: 'tab' },
        { ...serverNode(port), z: 'tab' },
        { id: 'cards', type: 'transit-cards', ...common, ...extra, wires: [['out']] },
        { id: 'gate', type: 'transit-gate', ...common, gateId: 'gate-1', repeatWindow: 0, wires: [['granted'], ['denied']] },
        { id: 'sale', type: 'transit-sale', ...common, terminalId: 'booth-1', wires: [['prompts'], ['sold'], ['refused']] },
        { id: 'catcher', type: 'catch', z: 'tab', scope: ['cards'], wires: [['caught']] },
        ...['out', 'granted', 'denied', 'prompts', 'sold', 'refused', 'caught'].map((id) => ({ id, type: 'helper', z: 'tab' })),
    ];
}

describe('transit-cards node', function () {
    this.timeout(20000);
    let redis: Redis;
    before(() => {
        redis = new Redis(sharedRedis().port);
    });
    after(() => redis.quit());
    afterEach(() => helper.unload());

    async function start(extra: Record<string, unknown> = {}) {
        const stream = `cards:${Date.now()}:${++counter}`;
        await load([serverModule, cardsModule, gateModule, saleModule, catchNode], cardsFlow(sharedRedis().port, stream, extra));
        await waitFor(() => statusOf('cards').fill === 'green' && statusOf('gate').fill === 'green', 5000, 'nodes ready');
        const out = collect('out');
        const caught = collect('caught');
        const ask = async (msg: Record<string, unknown>, outcome: 'answer' | 'error' = 'answer'): Promise<Msg> => {
            const [answers, errors] = [out.length, caught.length];
            helper.getNode('cards').receive(msg);
            await waitFor(() => out.length > answers || caught.length > errors, 5000, `an answer to ${String(msg.topic)}`);
            if (outcome === 'answer') {
                assert.strictEqual(caught.length, errors, `no error: ${JSON.stringify(caught[caught.length - 1]?.error)}`);
                return out[out.length - 1];
            }
            assert.strictEqual(out.length, answers, 'no answer');
            return caught[caught.length - 1];
        };
        return { store: new TransitStore(redis, { keyPrefix: PREFIX, stream }), ask, gate: helper.getNode('gate'), sale: helper.getNode('sale') };
    }

    it('blocks a card that the gate then denies and the terminal refuses, and unblocks it', async function () {
        const { store, ask, gate, sale } = await start({ operator: 'desk-1' });
        const card = newCard();
        await store.sell(card, 'TEN_TRIP', `s-${card}`, 'booth-1');
        const blocked = await ask({ topic: 'block', payload: { card, reason: 'lost' }, operator: 'alice' });
        assert.deepStrictEqual([blocked.payload && (blocked.payload as { operator: string }).operator, blocked.text],
            ['alice', `Card ${card} blocked by alice: lost.`]);
        assert.deepStrictEqual((blocked.lookup as CardLookup).blocked?.reason, 'lost');
        assert.strictEqual(statusOf('cards').fill, 'green');

        const denied = collect('denied');
        gate.receive({ payload: card });
        await waitFor(() => denied.length === 1, 5000, 'the gate\'s answer');
        assert.strictEqual((denied[0].payload as { reason: string }).reason, 'blocked');
        assert.strictEqual(denied[0].text, `Denied: card ${card}, the card is blocked.`);
        assert.strictEqual(await redis.hget(`${PREFIX}${card}`, 'tripsRemaining'), '10');

        const [prompts, refused] = [collect('prompts'), collect('refused')];
        sale.receive({ topic: 'card', payload: card });
        await waitFor(() => refused.length === 1, 5000, 'the terminal refuses');
        assert.deepStrictEqual(refused[0].payload, { card, reason: 'blocked' });
        assert.deepStrictEqual([prompts[0].payload, prompts[0].text], ['card-blocked', 'This card is blocked. Please ask a member of staff.']);
        sale.receive({ payload: { card, passType: 'SINGLE_USE' } });
        await waitFor(() => refused.length === 2, 5000, 'a direct sale refused');
        assert.deepStrictEqual(refused[1].payload, { card, reason: 'blocked' });
        assert.strictEqual(refused[1].text, `No sale for card ${card}: the card is blocked.`);

        // No operator on the message: the node's setting names who did it.
        const lifted = await ask({ topic: 'unblock', payload: { card } });
        assert.strictEqual((lifted.payload as { operator: string }).operator, 'desk-1');
        const granted = collect('granted');
        gate.receive({ payload: card });
        await waitFor(() => granted.length === 1, 5000, 'granted again');
    });

    it('looks a card up from a bare id, as a reader sends it, with its history', async function () {
        const { store, ask } = await start();
        const card = newCard();
        await store.sell(card, 'TEN_TRIP', `s-${card}`, 'booth-1');
        await store.tap(card, 'gate-1', `t-${card}`, 0);
        const answer = await ask({ topic: 'lookup', payload: card.toLowerCase() });
        const lookup = answer.payload as CardLookup;
        assert.deepStrictEqual(answer.lookup, lookup);
        assert.deepStrictEqual([lookup.card, lookup.pass?.tripsRemaining, lookup.blocked], [card, 9, null]);
        assert.deepStrictEqual(lookup.events.map((e) => e.channel), ['pass-used:TEN_TRIP', 'pass-issued:TEN_TRIP']);
        assert.strictEqual(answer.text, `Card ${card}: it has a pass.`);
    });

    it('records the Dashboard 2.0 user, refunds, and moves a pass to a new card', async function () {
        const { store, ask } = await start();
        const [card, to] = [newCard(), newCard()];
        await store.sell(card, 'TEN_TRIP', `s-${card}`, 'booth-1');
        const moved = await ask({ topic: 'transfer', payload: { card, to }, _client: { socketId: 'x', user: { username: 'carol' } } });
        assert.deepStrictEqual([(moved.payload as { operator: string }).operator, (moved.lookup as CardLookup).card], ['carol', to]);
        assert.strictEqual((moved.lookup as CardLookup).pass?.tripsRemaining, 10);
        const refund = await ask({ topic: 'refund', payload: { card: to, reason: 'moving away' }, operator: 'dave' });
        assert.strictEqual((refund.payload as { pass: { tripsRemaining: number } }).pass.tripsRemaining, 10);
        assert.strictEqual((refund.lookup as CardLookup).pass, null);
        assert.strictEqual((refund.lookup as CardLookup).events[0].text, `Card ${to}'s ten trip pass was refunded by dave with 10 trips left: moving away.`);
    });

    it('refuses bad commands and what the card does not allow, as errors for a Catch node', async function () {
        const { store, ask } = await start();
        const [card, other] = [newCard(), newCard()];
        await store.sell(card, 'SINGLE_USE', `s-${card}`, 'booth-1');
        await store.sell(other, 'SINGLE_USE', `s-${other}`, 'booth-1');
        const cases: Array<[Record<string, unknown>, string]> = [
            [{ topic: 'delete', payload: { card } }, 'bad-command'],
            [{ topic: 'block', payload: 'nope' }, 'bad-payload'],
            [{ topic: 'block', payload: { card: 'XYZ', reason: 'lost' } }, 'invalid-card'],
            [{ topic: 'block', payload: { card } }, 'bad-reason'],
            [{ topic: 'unblock', payload: { card } }, 'not-blocked'],
            [{ topic: 'void', payload: { card: newCard(), reason: 'x' } }, 'no-pass'],
            [{ topic: 'transfer', payload: { card, to: other } }, 'target-has-pass'],
            [{ topic: 'transfer', payload: { card, to: card } }, 'same-card'],
            [{ topic: 'transfer', payload: { card } }, 'invalid-card'],
        ];
        for (const [msg, code] of cases) {
            const caught = await ask(msg, 'error');
            assert.strictEqual((caught.error as { code?: string }).code, code, JSON.stringify(msg));
            assert.strictEqual(statusOf('cards').fill, 'red');
        }
        assert.strictEqual(await redis.hget(`${PREFIX}${other}`, 'passType'), 'SINGLE_USE');
        assert.strictEqual(await redis.exists(`{${PREFIX}${card}}:deny`), 0);
    });

    it('refuses bad settings at deploy', async function () {
        await load([serverModule, cardsModule, catchNode], cardsFlow(sharedRedis().port, 'cards:bad', { operator: 'x'.repeat(65) }).filter((n) => n.type !== 'transit-gate' && n.type !== 'transit-sale'));
        await waitFor(() => statusOf('cards').fill === 'red', 5000, 'red status');
        const caught = collect('caught');
        helper.getNode('cards').receive({ topic: 'lookup', payload: newCard() });
        await waitFor(() => caught.length === 1, 5000, 'refused');
        // The words are in the node's catalogue, which a real Node-RED loads (the helper shows keys).
        assert.match(String((caught[0].error as { message: string }).message), /cannot be administered|transit-cards.errors.not-ready/);
    });
});
