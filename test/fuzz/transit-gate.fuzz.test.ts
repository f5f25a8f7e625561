// transit-gate under 1,000 generated taps: card ids good and bad (wrong types, huge and odd
// strings, Buffers, pollution keys), with and without tap ids. Every tap gets exactly one
// answer: a grant, a denial (`invalid-card` for anything that is not a card id), or, for a
// tap id that cannot be a key, an error for Catch nodes. No key outside the gate's layout
// appears, no pass is created, and no pass grants more rides than it holds.
import assert from 'assert/strict';
import fc from 'fast-check';
import type Redis from 'ioredis';
import { TransitStore } from '../../nodes/lib/transit/store';
import { FlowNode, serverNode, statusOf, waitFor } from '../support/flow';
import { acceptedCardId, anyCardId, field, hexCardId, message, oddString, spelledCardId, validOperationId } from './arbitraries';
import { assertKeysMatch, DUT, fuzzFlow, fuzzMessages, fuzzSuite, literal, loadFuzzFlow, Msg, Outcome, OutcomeTracker, Tally } from './harness';

const serverModule = require('../../nodes/redis-iot-server/redis-iot-server');
const gateModule = require('../../nodes/transit-gate/transit-gate');

const PREFIX = 'fuzz:pass:';
const STREAM = 'fuzz:events';
const GATE = 'fuzz-gate';
const OP_ID = /^[A-Za-z0-9_.:-]{1,128}$/;
const RIDES: Record<string, number> = { SINGLE_USE: 1, TEN_TRIP: 10, TWO_HOUR: Infinity };
const DENY_REASONS = ['no-pass', 'repeat-tap', 'expired', 'corrupt-pass'];

// Cards sold before the run, so that the fuzz reaches grants and used-up passes too.
const SOLD = fc.sample(hexCardId({ min: 8, max: 8 }), { seed: 51, numRuns: 12 }).map((card, i) => ({
    card, passType: (['SINGLE_USE', 'TEN_TRIP', 'TWO_HOUR'] as const)[i % 3],
}));

/**
 * Each sold pass was charged once per granted tap id, however often that tap was retried:
 * nothing but the fuzz taps the sold cards, so what Redis holds follows from the grants.
 */
async function assertChargedOncePerTap(redis: Redis, grants: Map<string, Set<string>>): Promise<void> {
    for (const { card, passType } of SOLD) {
        const granted = grants.get(card)?.size ?? 0;
        const pass = await redis.hgetall(`${PREFIX}${card}`);
        const exists = Object.keys(pass).length > 0;
        if (passType === 'TEN_TRIP') {
            const left = RIDES.TEN_TRIP - granted;
            if (left === 0) assert.ok(!exists, `${card}: a used-up ten trip is gone, not ${JSON.stringify(pass)}`);
            else assert.equal(pass.tripsRemaining, String(left), `${card}: ten trip after ${granted} granted tap ids`);
        } else if (passType === 'SINGLE_USE') {
            assert.equal(exists, granted === 0, `${card}: a single use ${granted ? 'granted' : 'never granted'} ${exists ? 'still exists' : 'is gone'}`);
        }
    }
}

describe('fuzz: transit-gate', function () {
    this.timeout(120000);
    const ctx = fuzzSuite({ redis: true });

    it('answers every one of 1,000 generated taps exactly once and keeps Redis to its key layout', async function () {
        const store = new TransitStore(ctx.redis, { keyPrefix: PREFIX, stream: STREAM });
        for (const { card, passType } of SOLD) await store.sell(card, passType, `presale-${card}`, 'fuzz-terminal');

        const flow: FlowNode[] = fuzzFlow({ type: 'transit-gate', server: 'redis-test', keyPrefix: PREFIX, stream: STREAM, gateId: GATE, repeatWindow: 1 },
            2, [serverNode(ctx.port, { timeout: 5000 })]);
        await loadFuzzFlow([serverModule, gateModule], flow);
        await waitFor(() => statusOf(DUT).fill === 'green', 10000, 'gate connected');
        const tracker = new OutcomeTracker(2);

        const soldSpelled = fc.constantFrom(...SOLD.map((s) => s.card)).chain((card) => spelledCardId(fc.constant(card)));
        const messages = message({
            payload: fc.oneof({ arbitrary: anyCardId, weight: 3 }, { arbitrary: soldSpelled, weight: 1 }),
            tapId: field(fc.oneof(validOperationId, fc.constantFrom('retry-1', 'retry-2'))),
            topic: field(oddString),
        });
        // Grants per card and tap id: a retried tap (same id) is answered again but charged once.
        const grants = new Map<string, Set<string>>();
        const kinds = new Tally();

        const check = (o: Outcome) => {
            const card = acceptedCardId(o.sent.payload);
            const tapId = o.sent.tapId;
            if (card === undefined) {
                assert.equal(o.errors.length, 0, 'no error for a bad card id, a denial');
                assert.equal(o.outputs.length, 1);
                assert.equal(o.outputs[0].port, 1, 'denied');
                const payload = o.outputs[0].msg.payload as Msg;
                assert.equal(payload.card, null);
                assert.equal(payload.reason, 'invalid-card');
                assert.equal(o.outputs[0].msg.topic, 'denied');
                kinds.add('invalid-card');
                return;
            }
            if (typeof tapId === 'string' && tapId !== '' && !OP_ID.test(tapId)) {
                // A flow bug, not a passenger's: Catch nodes get it, and nothing was charged.
                assert.equal(o.outputs.length, 0, 'no answer on a bad msg.tapId');
                assert.equal(o.errors.length, 1);
                assert.equal((o.errors[0].error as Msg).code, 'bad-tap-id');
                kinds.add('bad-tap-id');
                return;
            }
            assert.equal(o.errors.length, 0, `no error for a valid tap: ${o.errors.map((e) => (e.error as Msg).message).join()}`);
            assert.equal(o.outputs.length, 1, 'one answer');
            const { port, msg } = o.outputs[0];
            const payload = msg.payload as Msg;
            assert.equal(payload.card, card);
            if (port === 0) {
                assert.equal(msg.topic, 'granted');
                assert.ok(SOLD.some((s) => s.card === card), 'only a sold card is granted');
                const ids = grants.get(card) ?? new Set<string>();
                ids.add(String(msg.tapId));
                grants.set(card, ids);
                kinds.add('granted');
            } else {
                assert.equal(msg.topic, 'denied');
                assert.ok(DENY_REASONS.includes(String(payload.reason)), `reason ${String(payload.reason)}`);
                kinds.add(String(payload.reason));
            }
        };

        const sent = await fuzzMessages(tracker, { seed: 5001, runs: 125, batch: 8, messages, check });
        assert.ok(sent >= 1000, `${sent} messages`);
        // The generators reach every kind of answer, so this run proves something about each.
        kinds.assertReached(['invalid-card', 'bad-tap-id', 'granted', 'no-pass', 'repeat-tap']);
        assert.deepEqual(tracker.unsolicited, [], 'no answer without a tap');

        for (const { card, passType } of SOLD) {
            assert.ok((grants.get(card)?.size ?? 0) <= RIDES[passType], `${card} (${passType}) granted ${grants.get(card)?.size} times`);
        }
        await assertChargedOncePerTap(ctx.redis, grants);

        // The node still answers.
        await store.sell('FEED0001', 'SINGLE_USE', 'presale-FEED0001', 'fuzz-terminal');
        const [id] = tracker.send([{ payload: 'fe:ed:00:01' }]);
        await tracker.waitEnded([id], 10000);
        assert.equal(tracker.outcomes.get(id)?.outputs[0]?.port, 0, 'a new pass is granted after the fuzz');

        const soldKeys = new Set([...SOLD.map((s) => `${PREFIX}${s.card}`), `${PREFIX}FEED0001`]);
        const tag = `\\{${literal(PREFIX)}[0-9A-F]{4,32}\\}`;
        const keys = await assertKeysMatch(ctx.redis, [
            new RegExp(`^${literal(STREAM)}$`),
            new RegExp(`^${literal(PREFIX)}[0-9A-F]{4,32}$`),
            new RegExp(`^${tag}:op:tap:[A-Za-z0-9_.:-]{1,128}$`),
            new RegExp(`^${tag}:op:sale:presale-[0-9A-F]+$`),
            new RegExp(`^${tag}:gate:${GATE}$`),
        ]);
        const passes = keys.filter((k) => k.startsWith(PREFIX));
        assert.deepEqual(passes.filter((k) => !soldKeys.has(k)), [], 'the gate created no pass');
    });

    it('a msg.tapId that cannot be a key is an error for Catch, not an "unavailable" answer, and charges nothing', async function () {
        const store = new TransitStore(ctx.redis, { keyPrefix: PREFIX, stream: STREAM });
        await store.sell('FEED0002', 'TEN_TRIP', 'presale-FEED0002', 'fuzz-terminal');
        await loadFuzzFlow([serverModule, gateModule], fuzzFlow({ type: 'transit-gate', server: 'redis-test', keyPrefix: PREFIX, stream: STREAM, gateId: GATE },
            2, [serverNode(ctx.port, { timeout: 5000 })]));
        await waitFor(() => statusOf(DUT).fill === 'green', 10000, 'gate connected');
        const tracker = new OutcomeTracker(2);
        const ids = tracker.send(['tap 1', '{x}', 'x'.repeat(129), '\u0000'].map((tapId) => ({ payload: 'FEED0002', tapId })));
        await tracker.waitEnded(ids, 10000);
        for (const id of ids) {
            const o = tracker.outcomes.get(id) as Outcome;
            assert.deepEqual(o.outputs, [], `no answer for tap id ${JSON.stringify(o.sent.tapId)}`);
            assert.equal((o.errors[0]?.error as Msg | undefined)?.code, 'bad-tap-id');
        }
        assert.equal(await ctx.redis.hget(`${PREFIX}FEED0002`, 'tripsRemaining'), '10');
    });
});
