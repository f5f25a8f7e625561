// tm1637-display (simulated chip) under 1,000 generated messages: numbers, text, segment
// bytes, brightness and colon, good and bad. Each message is either shown (sent on with
// msg.display) or refused with one of the display's own error codes; a burst never leaves
// the display on anything but a frame some message asked for.
import assert from 'assert/strict';
import fc from 'fast-check';
import type { Node } from 'node-red';
import type { SimulatedTm1637 } from '../../nodes/lib/tm1637/simulated-chip';
import { helper, statusOf, waitFor } from '../support/flow';
import { field, message, nastyValue, oddNumber, oddString } from './arbitraries';
import { DUT, fuzzFlow, fuzzMessages, fuzzSuite, loadFuzzFlow, Msg, Outcome, OutcomeTracker, refusalCode, Tally } from './harness';

const displayModule = require('../../nodes/tm1637-display/tm1637-display');

const CODES = ['unknown-character', 'too-long', 'overflow', 'invalid-number', 'invalid-segments', 'invalid-payload',
    'invalid-brightness', 'invalid-colon', 'nothing-to-show'];

const displayable = fc.oneof(
    fc.integer({ min: -2000, max: 20000 }),
    fc.integer({ min: -999, max: 9999 }).map(String),
    fc.string({ unit: fc.constantFrom(...'0123456789AbCdEF-_ .:HoLPr'.split('')), maxLength: 6 }),
    fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 4 }),
    fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 4 }).map((bytes) => Buffer.from(bytes)),
    fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 4 }).map((data) => ({ type: 'Buffer', data })),
    fc.constantFrom(null, ''),
);

describe('fuzz: tm1637-display', function () {
    this.timeout(120000);
    fuzzSuite({ redis: false });

    it('shows or refuses each of 1,000 generated messages, exactly once, with its own error codes', async function () {
        await loadFuzzFlow([displayModule], fuzzFlow({ type: 'tm1637-display', clk: 23, dio: 24, brightness: 0, overflow: 'error', clearOnClose: true, mode: 'simulated' }, 1));
        await waitFor(() => statusOf(DUT).text !== undefined, 5000, 'display ready');
        const tracker = new OutcomeTracker(1);
        const messages = message({
            payload: fc.oneof({ arbitrary: displayable, weight: 3 }, { arbitrary: nastyValue, weight: 3 }, { arbitrary: fc.constant(undefined), weight: 1 }),
            brightness: field(fc.oneof(fc.integer({ min: 0, max: 7 }), fc.integer({ min: 0, max: 7 }).map(String), oddNumber)),
            colon: field(fc.oneof(fc.boolean(), oddString)),
        });
        const kinds = new Tally();
        const check = (o: Outcome) => {
            // Every refusal carries one of the display's own codes, even for a value whose String() throws.
            if (o.errors.length) return kinds.add(refusalCode(o, CODES));
            assert.equal(o.outputs.length, 1, 'sent on once');
            const display = o.outputs[0].msg.display as { segments: number[]; text: string; brightness: number; colon: boolean; shown: boolean };
            assert.equal(display.segments.length, 4);
            assert.ok(display.segments.every((b) => Number.isInteger(b) && b >= 0 && b <= 255));
            assert.equal(typeof display.text, 'string');
            assert.ok(Number.isInteger(display.brightness) && display.brightness >= 0 && display.brightness <= 7);
            assert.equal(typeof display.colon, 'boolean');
            assert.equal(typeof display.shown, 'boolean');
            const n = o.sent.payload;
            if (typeof n === 'number' && Number.isInteger(n)) {
                assert.equal(display.text.replace(/[:.]/g, '').trim(), String(n), 'an integer is shown as itself');
            }
            kinds.add('shown');
        };
        const sent = await fuzzMessages(tracker, { seed: 5101, runs: 125, batch: 8, messages, check });
        assert.ok(sent >= 1000);
        kinds.assertReached(['shown', 'unknown-character', 'too-long', 'overflow', 'invalid-payload', 'invalid-brightness', 'invalid-colon']);
        assert.deepEqual(tracker.unsolicited, []);

        // Still working, and the chip shows what the last message asked for.
        const [id] = tracker.send([{ payload: 1234, colon: false, brightness: 7 }]);
        await tracker.waitEnded([id], 10000);
        assert.equal((tracker.outcomes.get(id)?.outputs[0]?.msg.display as { shown: boolean }).shown, true);
        assert.equal((helper.getNode(DUT) as Node & { simulator: SimulatedTm1637 }).simulator.text, '1234');
    });

    // Found by this suite: display-session.ts and content.ts name a bad value with String(), which throws for
    // an object without a usable toString (a JSON body's {"toString": 1}, a null-prototype object), so the
    // refusal is a bare TypeError without a code.
    it('refuses values that cannot be turned into text with the display\'s own error codes', async function () {
        await loadFuzzFlow([displayModule], fuzzFlow({ type: 'tm1637-display', clk: 23, dio: 24, brightness: 0, overflow: 'error', mode: 'simulated' }, 1));
        await waitFor(() => statusOf(DUT).text !== undefined, 5000, 'display ready');
        const tracker = new OutcomeTracker(1);
        const cases: Array<[Msg, string]> = [
            [{ payload: 1, brightness: { toString: 1, valueOf: 1 } }, 'invalid-brightness'],
            [{ payload: 1, colon: Object.create(null) }, 'invalid-colon'],
            [{ payload: [1, JSON.parse('{"toString":1}')] }, 'invalid-segments'],
        ];
        const ids = tracker.send(cases.map(([msg]) => msg));
        await tracker.waitEnded(ids, 10000);
        ids.forEach((id, i) => assert.equal((tracker.outcomes.get(id)?.errors[0]?.error as Msg | undefined)?.code, cases[i][1]));
    });
});
