// transit-sale under 1,000 generated messages: taps, pass choices and cancels in any order,
// direct sales ({card, passType}), and wrong topics, card ids, pass types and sale ids. Each
// message ends exactly once; a bad one is an error for Catch nodes (an unreadable card is
// also shown as an `invalid-card` refusal), never a "system unavailable" answer while Redis
// is up. Redis ends up holding only passes for cards that were sold, each sold once.
import assert from 'assert/strict';
import fc from 'fast-check';
import { PROMPT_TEXT } from '../../nodes/lib/audio/prompts';
import { serverNode, statusOf, waitFor } from '../support/flow';
import { acceptedCardId, anyCardId, field, message, nastyValue, oddString, ownProperties, pollutingObject, spelledCardId, validOperationId } from './arbitraries';
import { assertKeysMatch, DUT, fuzzFlow, fuzzMessages, fuzzSuite, literal, loadFuzzFlow, Msg, Outcome, OutcomeTracker, Tally } from './harness';

const serverModule = require('../../nodes/redis-iot-server/redis-iot-server');
const saleModule = require('../../nodes/transit-sale/transit-sale');

const PREFIX = 'fuzz:pass:';
const STREAM = 'fuzz:events';
const PASS_TYPES = ['SINGLE_USE', 'TEN_TRIP', 'TWO_HOUR'];
const REFUSALS = ['card-already-has-pass', 'mismatch', 'cancelled'];
const ERROR_KINDS = /^(InputError|InvalidCardError|UnknownPassTypeError): /;

// A few cards come back again and again, so that whole conversations (tap, choose, tap again) happen.
const REGULARS = ['A1B2C3D4', '0A0B0C0D', 'DEADBEEF', '12345678'];
const card = fc.oneof({ arbitrary: fc.constantFrom(...REGULARS).chain((id) => spelledCardId(fc.constant(id))), weight: 3 }, { arbitrary: anyCardId, weight: 2 });
const passType = fc.oneof(
    { arbitrary: fc.constantFrom(...PASS_TYPES, 'single', 'ten', '2h', ' Ten_Trip ', 'two-hour'), weight: 3 },
    { arbitrary: fc.constantFrom('constructor', '__proto__', 'toString', 'hasOwnProperty', 'TEN_TRIP\u0000', 'TENTRIP', ''), weight: 1 },
    { arbitrary: nastyValue, weight: 1 },
);
const directSale = fc.oneof(
    fc.record({ card, passType }).map((sale) => ownProperties(Object.entries(sale))),
    fc.tuple(card, passType, pollutingObject).map(([c, p, extra]) => ownProperties([['card', c], ['passType', p], ...Object.entries(extra)])),
);

describe('fuzz: transit-sale', function () {
    this.timeout(120000);
    const ctx = fuzzSuite({ redis: true });

    it('ends each of 1,000 generated messages exactly once and sells only valid cards, once each', async function () {
        await loadFuzzFlow([serverModule, saleModule], fuzzFlow({ type: 'transit-sale', server: 'redis-test', keyPrefix: PREFIX, stream: STREAM, terminalId: 'fuzz-terminal', timeout: 0 },
            3, [serverNode(ctx.port, { timeout: 5000 })]));
        await waitFor(() => statusOf(DUT).fill === 'green', 10000, 'terminal connected');
        const tracker = new OutcomeTracker(3);
        const messages = fc.oneof(
            message({ topic: fc.constantFrom('card'), payload: card, saleId: field(validOperationId) }),
            message({ topic: fc.constantFrom('select'), payload: passType }),
            message({ topic: fc.constantFrom('cancel'), payload: field(nastyValue) }),
            message({ payload: directSale, saleId: field(fc.oneof(validOperationId, fc.constantFrom('same-sale'))), topic: field(oddString) }),
            message({ topic: field(oddString), payload: field(nastyValue) }),
        );
        const sold = new Map<string, { passType: string; saleIds: Set<string> }>();
        const kinds = new Tally();

        const check = (o: Outcome) => {
            for (const { port, msg } of o.outputs) {
                const payload = msg.payload as Msg;
                if (port === 0) {
                    assert.equal(msg.topic, 'prompt');
                    assert.ok(typeof payload === 'string' && payload in PROMPT_TEXT, `prompt ${String(payload)}`);
                    assert.notEqual(payload, 'system-unavailable', 'Redis is up');
                    kinds.add(`prompt:${payload}`);
                } else if (port === 1) {
                    assert.equal(msg.topic, 'sold');
                    assert.ok(PASS_TYPES.includes(String(payload.passType)));
                    assert.equal(acceptedCardId(payload.card), payload.card, 'a canonical card id');
                    const entry = sold.get(String(payload.card)) ?? { passType: String(payload.passType), saleIds: new Set<string>() };
                    entry.saleIds.add(String(msg.saleId));
                    sold.set(String(payload.card), entry);
                    kinds.add('sold');
                } else {
                    assert.equal(msg.topic, 'refused');
                    const reason = String(payload.reason);
                    if (reason === 'invalid-card') assert.equal(payload.card, null);
                    else assert.ok(REFUSALS.includes(reason), `refused for ${reason}`);
                    kinds.add(`refused:${reason}`);
                }
            }
            if (o.errors.length === 0) {
                const direct = typeof o.sent.payload === 'object' && o.sent.payload !== null && Object.hasOwn(o.sent.payload, 'card');
                if (o.outputs.length === 0) {
                    // Choosing or cancelling with no card tapped does nothing but say so in the status.
                    assert.ok(!direct && ['select', 'cancel'].includes(String(o.sent.topic)), 'no answer only for a button pressed while idle');
                    kinds.add('ignored');
                }
                return;
            }
            const error = o.errors[0].error as Msg;
            assert.match(String(error.message), ERROR_KINDS);
            const others = o.outputs.filter(({ msg }) => (msg.payload as Msg)?.reason !== 'invalid-card');
            assert.deepEqual(others.map(({ msg }) => msg.payload), [], 'an error comes with nothing but an invalid-card refusal');
            kinds.add(`error:${String(error.code ?? String(error.message).split(':')[0])}`);
        };

        const sent = await fuzzMessages(tracker, { seed: 5501, runs: 125, batch: 8, messages, check });
        assert.ok(sent >= 1000);
        kinds.assertReached(['sold', 'refused:card-already-has-pass', 'refused:mismatch', 'refused:cancelled', 'refused:invalid-card', 'ignored',
            'prompt:select-a-pass', 'prompt:tap-card-to-confirm', 'error:unknown-topic']);
        assert.equal(tracker.unsolicited.length, 0);
        for (const [c, { saleIds }] of sold) assert.equal(saleIds.size, 1, `${c} sold by ${saleIds.size} different sales`);

        const tag = `\\{${literal(PREFIX)}[0-9A-F]{4,32}\\}`;
        const keys = await assertKeysMatch(ctx.redis, [
            new RegExp(`^${literal(STREAM)}$`),
            new RegExp(`^${literal(PREFIX)}[0-9A-F]{4,32}$`),
            new RegExp(`^${tag}:op:sale:[A-Za-z0-9_.:-]{1,128}$`),
        ]);
        const passes = keys.filter((k) => k.startsWith(PREFIX));
        assert.deepEqual(passes, [...sold.keys()].map((c) => PREFIX + c).sort(), 'a pass for each card sold, and no other');
        for (const key of passes) {
            const pass = await ctx.redis.hgetall(key);
            assert.equal(pass.passType, sold.get(key.slice(PREFIX.length))?.passType);
            if (pass.passType === 'TEN_TRIP') assert.equal(pass.tripsRemaining, '10');
        }
    });

    it('a bad msg.saleId or a topic that is not text is an error for Catch, never "system unavailable"', async function () {
        await loadFuzzFlow([serverModule, saleModule], fuzzFlow({ type: 'transit-sale', server: 'redis-test', keyPrefix: PREFIX, stream: STREAM, terminalId: 'fuzz-terminal', timeout: 0 },
            3, [serverNode(ctx.port, { timeout: 5000 })]));
        await waitFor(() => statusOf(DUT).fill === 'green', 10000, 'terminal connected');
        const tracker = new OutcomeTracker(3);
        const ids = tracker.send([
            { payload: { card: 'FEED0003', passType: 'TEN_TRIP' }, saleId: 'sale 1' },
            { payload: { card: 'FEED0003', passType: 'TEN_TRIP' }, saleId: '{x}' },
            { topic: Object.create(null), payload: 'FEED0003' },
            { topic: JSON.parse('{"toString":1}'), payload: 'FEED0003' },
        ]);
        await tracker.waitEnded(ids, 10000);
        const codes = ids.map((id) => (tracker.outcomes.get(id)?.errors[0]?.error as Msg | undefined)?.code);
        assert.deepEqual(codes, ['bad-sale-id', 'bad-sale-id', 'unknown-topic', 'unknown-topic']);
        ids.forEach((id) => assert.deepEqual(tracker.outcomes.get(id)?.outputs, [], 'no prompt, no refusal'));
        assert.equal(await ctx.redis.exists(`${PREFIX}FEED0003`), 0, 'nothing sold');
    });
});
